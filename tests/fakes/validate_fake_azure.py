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


def thumbprint(pem):
    der = subprocess.run(["openssl", "x509", "-in", pem, "-outform", "DER"], capture_output=True, check=True).stdout
    import hashlib
    return b64(hashlib.sha1(der).digest())


def main():
    tmp = tempfile.mkdtemp(prefix="validate_fake_azure_")
    token_file = os.path.join(tmp, "token")
    p = subprocess.Popen([sys.executable, os.path.join(HERE, "fake_azure.py"), "--cert-dir", tmp,
                          "--federated-token", "fed-1", "--token-file", token_file, "--refresh-in", "1800",
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
