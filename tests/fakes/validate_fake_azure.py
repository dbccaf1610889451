#!/usr/bin/env python3
"""Checks tests/fakes/fake_azure.py with a client independent of our C++ code: urllib for HTTP and the
`openssl` CLI to sign client assertions. Prints ok/FAIL per check; exit status 1 on any failure."""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
failures = 0
checks = 0


def check(cond, what):
    global failures, checks
    checks += 1
    if not cond:
        failures += 1
    print(("ok   " if cond else "FAIL ") + what, flush=True)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def http(method, url, headers=None, body=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def sign_jwt(pem, header, claims):
    signing_input = b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", pem], input=signing_input.encode(),
                         capture_output=True, check=True).stdout
    return signing_input + "." + b64(sig)


def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def der(tag, body):
    return bytes([tag]) + der_len(len(body)) + body


def der_int(v):
    b = v.to_bytes((v.bit_length() + 8) // 8, "big")  # leading zero keeps it positive
    return der(0x02, b)


def jwk_to_pem(jwk, path):
    """A SubjectPublicKeyInfo PEM built here from the JWK's n and e (independent of the fake's code)."""
    n = int.from_bytes(base64.urlsafe_b64decode(jwk["n"] + "=="), "big")
    e = int.from_bytes(base64.urlsafe_b64decode(jwk["e"] + "=="), "big")
    rsa_oid = der(0x30, der(0x06, bytes.fromhex("2a864886f70d010101")) + b"\x05\x00")
    spki = der(0x30, rsa_oid + der(0x03, b"\x00" + der(0x30, der_int(n) + der_int(e))))
    with open(path, "w") as f:
        f.write("-----BEGIN PUBLIC KEY-----\n" + base64.encodebytes(spki).decode() + "-----END PUBLIC KEY-----\n")


def openssl_verifies(jwt, jwk, tmp):
    """True when `openssl dgst -verify` accepts the JWT's RS256 signature with the JWK."""
    h, p_, s_ = jwt.split(".")
    pem, sig = os.path.join(tmp, "jwk.pem"), os.path.join(tmp, "sig.bin")
    jwk_to_pem(jwk, pem)
    with open(sig, "wb") as f:
        f.write(base64.urlsafe_b64decode(s_ + "=" * (-len(s_) % 4)))
    r = subprocess.run(["openssl", "dgst", "-sha256", "-verify", pem, "-signature", sig],
                       input=(h + "." + p_).encode(), capture_output=True)
    return r.returncode == 0


def jwt_parts(jwt):
    h, p_, _ = jwt.split(".")
    return (json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4))),
            json.loads(base64.urlsafe_b64decode(p_ + "=" * (-len(p_) % 4))))


def check_openid_provider(info, tmp):
    """Discovery, JWKS and rotation, minted user tokens, and the on-behalf-of grant."""
    base, tenant = info["authority_host"], info["tenant"]
    st, _, body = http("GET", f"{base}/{tenant}/v2.0/.well-known/openid-configuration")
    disc = json.loads(body)
    check(st == 200 and disc["issuer"] == f"{base}/{tenant}/v2.0" and disc["jwks_uri"].startswith(base) and
          "RS256" in disc["id_token_signing_alg_values_supported"], "OpenID discovery document names issuer and jwks_uri")
    st, _, body = http("GET", disc["jwks_uri"])
    keys = {k["kid"]: k for k in json.loads(body)["keys"]}
    check(st == 200 and sorted(keys) == ["fake-k1", "fake-k2"] and all(k["kty"] == "RSA" for k in keys.values()),
          "JWKS publishes two RSA keys")

    def mint(**spec):
        _, _, b = http("POST", f"{base}/_mint", {"Content-Type": "application/json"}, json.dumps(spec).encode())
        return json.loads(b)["token"]

    user = mint(oid="oid-alice", upn="alice@example.test", scp="Sql.Read Sql.Write")
    hdr, cl = jwt_parts(user)
    check(hdr["alg"] == "RS256" and hdr["kid"] == "fake-k1" and openssl_verifies(user, keys["fake-k1"], tmp),
          "a minted user token verifies with openssl against the published key")
    check(cl["iss"] == disc["issuer"] and cl["aud"] == info["api_audience"] and cl["tid"] == tenant and
          cl["oid"] == "oid-alice" and cl["scp"] == "Sql.Read Sql.Write" and cl["exp"] > time.time(),
          "user token claims: iss, aud, tid, oid, scp, exp")
    check(not openssl_verifies(mint(oid="oid-alice", sign="tamper"), keys["fake-k1"], tmp), "sign=tamper breaks the signature")
    check(jwt_parts(mint(sign="none"))[0]["alg"] == "none" and jwt_parts(mint(sign="hs256-public"))[0]["alg"] == "HS256",
          "sign=none / hs256-public set the algorithm")
    check(jwt_parts(mint(claims={"exp": 5, "tid": None}))[1].get("tid") is None and
          jwt_parts(mint(claims={"exp": 5}))[1]["exp"] == 5, "claim overrides (null deletes)")

    token_url = f"{base}/{tenant}/oauth2/v2.0/token"
    form_ct = {"Content-Type": "application/x-www-form-urlencoded"}

    def obo(assertion, **extra):
        data = {"client_id": info["client_id"], "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                "requested_token_use": "on_behalf_of", "scope": "https://database.windows.net/.default",
                "assertion": assertion, "client_secret": "fake-secret-value", **extra}
        data = {k: v for k, v in data.items() if v is not None}
        st_, _, b = http("POST", token_url, form_ct, urllib.parse.urlencode(data).encode())
        return st_, json.loads(b)

    st, j = obo(user)
    sql = jwt_parts(j["access_token"])[1] if st == 200 else {}
    check(st == 200 and sql.get("upn") == "alice@example.test" and sql.get("aud") == "https://database.windows.net/",
          "OBO issues a SQL token naming the user")
    mapping = json.load(open(info["sql_token_map"])) if info.get("sql_token_map") else {}
    check(mapping.get(j.get("access_token"), {}).get("principal") == "alice@example.test",
          "--sql-token-map maps the SQL token to the user")
    st, j = obo(mint(oid="oid-x", aud="api://other"))
    check(st == 400 and j["error_codes"] == [50013], "OBO: assertion for another audience → AADSTS50013")
    st, j = obo(mint(oid="oid-x", sign="tamper"))
    check(st == 400 and j["error_codes"] == [50013], "OBO: bad assertion signature → AADSTS50013")
    st, j = obo(mint(oid="oid-x", sign="unpublished"))
    check(st == 400 and j["error_codes"] == [50013], "OBO: assertion signed by an unpublished key → AADSTS50013")
    st, j = obo(user, requested_token_use="something")
    check(st == 400, "OBO: requested_token_use must be on_behalf_of")
    st, j = obo(user, client_secret="wrong")
    check(st == 401 and j["error_codes"] == [7000215], "OBO: the app's client secret is checked")
    http("POST", f"{base}/_control", {"Content-Type": "application/json"},
         json.dumps({"obo_fail": [{"aadsts": 65001, "oid": "oid-consent"}]}).encode())
    st, j = obo(mint(oid="oid-consent"))
    check(st == 400 and j["error_codes"] == [65001] and "consented" in j["error_description"],
          "OBO: injected AADSTS65001 (consent missing) for one user")
    st, j = obo(mint(oid="oid-consent"))
    check(st == 200, "OBO: the injected failure was used once")

    res = urllib.parse.quote("api://AzureADTokenExchange", safe="")
    _, _, b = http("GET", f"{base}/metadata/identity/oauth2/token?api-version=2018-02-01&resource={res}", {"Metadata": "true"})
    mi = json.loads(b)["access_token"]
    st, j = obo(user, client_secret=None, client_assertion_type="urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                client_assertion=mi)
    check(st == 200, "OBO: a managed identity token for api://AzureADTokenExchange is a valid client assertion")
    _, _, b = http("GET", f"{base}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fdatabase.windows.net%2F",
                   {"Metadata": "true"})
    st, j = obo(user, client_secret=None, client_assertion_type="urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                client_assertion=json.loads(b)["access_token"])
    check(st == 401 and j["error_codes"] == [700212], "OBO: a managed identity token for another audience → AADSTS700212")

    http("POST", f"{base}/_control", {"Content-Type": "application/json"}, json.dumps({"rotate": True}).encode())
    st, _, body = http("GET", disc["jwks_uri"])
    keys = {k["kid"]: k for k in json.loads(body)["keys"]}
    rotated = mint(oid="oid-alice")
    check(sorted(keys) == ["fake-k2", "fake-k3"] and jwt_parts(rotated)[0]["kid"] == "fake-k3" and
          openssl_verifies(rotated, keys["fake-k3"], tmp), "rotation: JWKS publishes k2 + k3 and tokens are signed with k3")
    st, j = obo(user)
    check(st == 400 and j["error_codes"] == [50013], "rotation: an assertion signed with the retired key is refused")


def thumbprint(pem):
    der = subprocess.run(["openssl", "x509", "-in", pem, "-outform", "DER"], capture_output=True, check=True).stdout
    import hashlib
    return b64(hashlib.sha1(der).digest())


def main():
    tmp = tempfile.mkdtemp(prefix="validate_fake_azure_")
    token_file = os.path.join(tmp, "token")
    p = subprocess.Popen([sys.executable, os.path.join(HERE, "fake_azure.py"), "--cert-dir", tmp,
                          "--federated-token", "fed-1", "--token-file", token_file, "--refresh-in", "1800",
                          "--sql-token-map", os.path.join(tmp, "sql_tokens.json"),
                          "--fail", "imds:429:1:7"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        info = json.loads(p.stdout.readline())
        base = info["imds_endpoint"]
        res = urllib.parse.quote("https://database.windows.net/", safe="")
        imds = f"{base}/metadata/identity/oauth2/token?api-version=2018-02-01&resource={res}"

        st, hdr, body = http("GET", imds, {"Metadata": "true"})
        check(st == 429 and hdr.get("Retry-After") == "7", "injected IMDS 429 carries Retry-After: 7")
        st, _, body = http("GET", imds)
        check(st == 400 and b"metadata header" in body, "IMDS without Metadata: true is refused (400)")
        st, _, body = http("GET", imds, {"Metadata": "true"})
        j = json.loads(body)
        check(st == 200 and j["expires_on"].isdigit() and int(j["expires_on"]) > time.time() + 3000,
              "IMDS issues a token with epoch expires_on (string)")
        check(open(token_file).read() == j["access_token"], "--token-file holds the latest token")
        claims = json.loads(base64.urlsafe_b64decode(j["access_token"].split(".")[1] + "=="))
        check(claims["exp"] == int(j["expires_on"]), "token is a JWT whose exp equals expires_on")

        app = f"{info['identity_endpoint']}?api-version=2019-08-01&resource={res}"
        st, _, _ = http("GET", app, {"X-IDENTITY-HEADER": "nope"})
        check(st == 401, "App Service endpoint refuses a wrong X-IDENTITY-HEADER")
        st, _, body = http("GET", app, {"X-IDENTITY-HEADER": info["identity_header"]})
        check(st == 200 and "access_token" in json.loads(body), "App Service endpoint issues a token")

        token_url = f"{base}/{info['tenant']}/oauth2/v2.0/token"
        form_ct = {"Content-Type": "application/x-www-form-urlencoded"}

        def entra(fields):
            data = {"client_id": info["client_id"], "grant_type": "client_credentials",
                    "scope": "https://database.windows.net/.default", **fields}
            st_, _, b = http("POST", token_url, form_ct, urllib.parse.urlencode(data).encode())
            return st_, json.loads(b)

        st, j = entra({"client_secret": "fake-secret-value"})
        check(st == 200 and j["refresh_in"] == 1800 and j["token_type"] == "Bearer", "client secret accepted")
        st, j = entra({"client_secret": "wrong"})
        check(st == 401 and j["error_codes"] == [7000215], "wrong secret → 401 AADSTS7000215")

        now = int(time.time())
        hdr = {"alg": "RS256", "typ": "JWT", "x5t": thumbprint(info["cert"])}

        def claims_(**over):
            c = {"aud": token_url, "iss": info["client_id"], "sub": info["client_id"], "jti": str(uuid.uuid4()),
                 "nbf": now, "exp": now + 600}
            c.update(over)
            return c

        jwt_bearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        good = sign_jwt(info["cert"], hdr, claims_())
        st, j = entra({"client_assertion_type": jwt_bearer, "client_assertion": good})
        check(st == 200, "assertion signed by openssl with the registered certificate accepted")
        st, j = entra({"client_assertion_type": jwt_bearer, "client_assertion": good})
        check(st == 401 and j["error_codes"] == [700025], "replayed jti refused")
        parts = sign_jwt(info["cert"], hdr, claims_()).split(".")
        tampered = parts[0] + "." + b64(json.dumps(claims_(sub="someone-else")).encode()) + "." + parts[2]
        st, j = entra({"client_assertion_type": jwt_bearer, "client_assertion": tampered})
        check(st == 401 and j["error_codes"] == [700027], "tampered claims fail signature verification")
        st, j = entra({"client_assertion_type": jwt_bearer,
                       "client_assertion": sign_jwt(info["cert"], hdr, claims_(aud="https://elsewhere/token"))})
        check(st == 401 and j["error_codes"] == [700021], "wrong audience refused")
        st, j = entra({"client_assertion_type": jwt_bearer,
                       "client_assertion": sign_jwt(info["cert"], hdr, claims_(exp=now - 5))})
        check(st == 401 and j["error_codes"] == [700024], "expired assertion refused")
        un = {"alg": "RS256", "typ": "JWT", "x5t": thumbprint(info["untrusted_cert"])}
        st, j = entra({"client_assertion_type": jwt_bearer,
                       "client_assertion": sign_jwt(info["untrusted_cert"], un, claims_())})
        check(st == 401 and j["error_codes"] == [700027], "unregistered certificate refused")
        # signed by the untrusted key but claiming the registered thumbprint
        st, j = entra({"client_assertion_type": jwt_bearer,
                       "client_assertion": sign_jwt(info["untrusted_cert"], hdr, claims_())})
        check(st == 401 and j["error_codes"] == [700027], "signature by another key refused")
        st, j = entra({"client_assertion_type": jwt_bearer, "client_assertion": "fed-1"})
        check(st == 200, "federated token accepted as client assertion")
        st, j = entra({"client_assertion_type": "other", "client_assertion": "fed-1"})
        check(st == 400, "wrong client_assertion_type refused")

        st, _, _ = http("POST", f"{base}/_control", {"Content-Type": "application/json"},
                        json.dumps({"fail": [{"endpoint": "token", "mode": "malformed", "count": 1}]}).encode())
        st, _, body = http("POST", token_url, form_ct, b"x=1")
        check(st == 200 and body.startswith(b'{"access_token": "trunc'), "control endpoint injects a malformed body")
        check_openid_provider(info, tmp)
        st, _, body = http("GET", f"{base}/_log")
        log = json.loads(body)["requests"]
        check(all("fake-secret-value" not in json.dumps(e) for e in log), "request log redacts secrets")
        check(any(e.get("signature_verified") is True for e in log) and
              any(e.get("signature_verified") is False for e in log), "request log records signature checks")
    finally:
        p.terminate()
        p.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{checks} checks, {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
