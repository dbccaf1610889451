#!/usr/bin/env python3
"""Fake Azure token endpoints for tests (Python standard library + the `openssl` CLI for key material).

One process on 127.0.0.1 (random port unless --port) serves:
  GET  /metadata/identity/oauth2/token   IMDS (api-version=2018-02-01, header `Metadata: true`,
                                         selectors client_id / object_id / msi_res_id)
  GET  /msi/token                        App Service / Functions / Container Apps identity endpoint
                                         (api-version=2019-08-01, header X-IDENTITY-HEADER,
                                         selectors client_id / object_id / mi_res_id)
  POST /{tenant}/oauth2/v2.0/token       Entra client-credentials grant: client_secret, or
                                         client_assertion (jwt-bearer) = a federated token given with
                                         --federated-token, or an RS256 JWT whose signature verifies
                                         against the registered certificate (x5t = SHA-1 thumbprint)
  GET  /{tenant}/v2.0/.well-known/openid-configuration
                                         OpenID discovery of the tenant (issuer
                                         {base}/{tenant}/v2.0, jwks_uri, token_endpoint)
  GET  /{tenant}/discovery/v2.0/keys     JWKS: two published RSA keys ("fake-k1" signs, "fake-k2"
                                         waits); /_control {"rotate": true} publishes k2 + k3 and signs
                                         with k3 from then on
  POST /{tenant}/oauth2/v2.0/token       also the on-behalf-of grant (grant_type=…jwt-bearer,
                                         requested_token_use=on_behalf_of, assertion=<user token>):
                                         the assertion's signature (published keys), aud (--api-audience),
                                         tid, exp are checked; the SQL token names the user (upn/oid)
                                         and is added to --sql-token-map for tds_server --token-map
  POST /_mint                            JSON {"oid", "upn", "scp", "tid", "lifetime", "claims": {…
                                         overrides, null deletes}, "header": {…}, "sign":
                                         "active|k1|k2|k3|unpublished|none|hs256-public|tamper"}
                                         → {"token": …}: user access tokens for tests
  POST /_control                         JSON: {"fail": [{"endpoint": "imds|appservice|token|*",
                                         "mode": "429|500|503|404|410|slow|malformed|no_identity|drop",
                                         "count": N (0 = until cleared), "retry_after": s, "delay": s}],
                                         "clear_failures": true, "lifetime": s, "refresh_in": s,
                                         "no_identity": bool, "clear_log": true, "rotate": true,
                                         "obo_fail": [{"aadsts": 65001, "oid": optional, "count": N}],
                                         "obo_lifetime": s}
  GET  /_log                             {"requests": [...]} — what each request carried (secrets and
                                         assertions redacted; their checks are recorded as outcomes)

On start it prints one JSON line (port, pid, endpoints, tenant, client id, certificate paths) like
tests/tds_server does, and exits when stdin (if a pipe) closes or on SIGTERM. Issued tokens are
JWT-shaped (exp claim) and unique; --token-file receives the latest one (for tds_server --token-file).
Tokens, secrets and assertions are never printed.
"""
import argparse
import base64
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"
SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")
SQL_RESOURCE = "https://database.windows.net/"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


# ------------------------------------------------------------------------------------------------
# certificates (openssl CLI)
def gen_cert(directory: str, name: str, password: str = None) -> str:
    """A self-signed RSA-2048 certificate + key in one PEM file (reused when present)."""
    path = os.path.join(directory, name)
    if os.path.exists(path):
        return path
    os.makedirs(directory, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        key, crt = os.path.join(tmp, "key.pem"), os.path.join(tmp, "crt.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt,
                        "-subj", f"/CN=azsql-fake-{name}", "-days", "3"], check=True, capture_output=True)
        if password:
            enc = os.path.join(tmp, "enc.pem")
            subprocess.run(["openssl", "pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", key, "-out", enc,
                            "-passout", f"pass:{password}"], check=True, capture_output=True)
            key = enc
        with open(path + ".tmp", "w") as out:
            out.write(open(crt).read() + open(key).read())
        os.replace(path + ".tmp", path)
    return path


def cert_public_numbers(pem_path: str):
    """(thumbprint x5t, modulus n, exponent e) of the certificate in pem_path."""
    der = subprocess.run(["openssl", "x509", "-in", pem_path, "-outform", "DER"], check=True,
                         capture_output=True).stdout
    mod = subprocess.run(["openssl", "x509", "-in", pem_path, "-noout", "-modulus"], check=True,
                         capture_output=True, text=True).stdout.strip()
    text = subprocess.run(["openssl", "x509", "-in", pem_path, "-noout", "-text"], check=True,
                          capture_output=True, text=True).stdout
    e = 65537
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("Exponent:"):
            e = int(line.split()[1])
    return (b64url(hashlib.sha1(der).digest()), b64url(hashlib.sha256(der).digest())), int(mod.split("=", 1)[1], 16), e


def rsa_pkcs1_sha256_verify(n: int, e: int, message: bytes, signature: bytes) -> bool:
    k = (n.bit_length() + 7) // 8
    if len(signature) != k:
        return False
    m = pow(int.from_bytes(signature, "big"), e, n).to_bytes(k, "big")
    t = SHA256_DIGEST_INFO + hashlib.sha256(message).digest()
    expected = b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t
    return m == expected


def _mgf1_sha256(seed: bytes, length: int) -> bytes:
    out = b""
    for counter in range((length + 31) // 32):
        out += hashlib.sha256(seed + counter.to_bytes(4, "big")).digest()
    return out[:length]


def rsa_pss_sha256_verify(n: int, e: int, message: bytes, signature: bytes) -> bool:
    """RSASSA-PSS (RFC 8017 §9.1.2, SHA-256, MGF1-SHA-256, any salt length): MSAL signs its client assertions
    with PS256 when it sends the SHA-256 thumbprint (x5t#S256)."""
    k = (n.bit_length() + 7) // 8
    if len(signature) != k:
        return False
    em_bits = n.bit_length() - 1
    em_len = (em_bits + 7) // 8
    em = pow(int.from_bytes(signature, "big"), e, n).to_bytes(k, "big")[-em_len:]
    if len(em) < 32 + 2 or em[-1] != 0xBC:
        return False
    masked_db, h = em[:em_len - 33], em[em_len - 33:-1]
    zero_bits = 8 * em_len - em_bits
    if masked_db[0] >> (8 - zero_bits) if zero_bits else 0:
        return False
    db = bytes(a ^ b for a, b in zip(masked_db, _mgf1_sha256(h, len(masked_db))))
    db = bytes([db[0] & (0xFF >> zero_bits)]) + db[1:]
    sep = db.find(b"\x01")
    if sep < 0 or any(db[:sep]):
        return False
    salt = db[sep + 1:]
    return hashlib.sha256(b"\x00" * 8 + hashlib.sha256(message).digest() + salt).digest() == h


# ------------------------------------------------------------------------------------------------
# OpenID provider signing keys (openssl CLI for generation; signing is modular exponentiation here)
def _der_ints(der: bytes):
    """The INTEGERs of a DER SEQUENCE (RSAPrivateKey: version, n, e, d, p, q, dp, dq, qinv)."""
    def length(i):
        b = der[i]
        if b < 0x80:
            return b, i + 1
        k = b & 0x7F
        return int.from_bytes(der[i + 1:i + 1 + k], "big"), i + 1 + k
    assert der[0] == 0x30
    _, i = length(1)
    out = []
    while i < len(der):
        assert der[i] == 0x02
        n, i = length(i + 1)
        out.append(int.from_bytes(der[i:i + n], "big"))
        i += n
    return out


class RsaKey:
    def __init__(self, directory, kid):
        self.kid = kid
        path = os.path.join(directory, kid + ".key")
        if not os.path.exists(path):
            os.makedirs(directory, exist_ok=True)
            subprocess.run(["openssl", "genrsa", "-traditional", "-out", path + ".tmp", "2048"], check=True,
                           capture_output=True)
            os.replace(path + ".tmp", path)
        der = subprocess.run(["openssl", "rsa", "-in", path, "-traditional", "-outform", "DER"], check=True,
                             capture_output=True).stdout
        _, self.n, self.e, self.d, self.p, self.q, self.dp, self.dq, self.qinv = _der_ints(der)[:9]
        self.k = (self.n.bit_length() + 7) // 8
        pub = subprocess.run(["openssl", "rsa", "-in", path, "-pubout", "-outform", "PEM"], check=True,
                             capture_output=True).stdout
        self.public_pem = pub

    def jwk(self):
        return {"kty": "RSA", "use": "sig", "kid": self.kid, "x5t": self.kid, "alg": "RS256",
                "n": b64url(self.n.to_bytes(self.k, "big")), "e": b64url(self.e.to_bytes(3, "big"))}

    def sign(self, message: bytes) -> bytes:
        t = SHA256_DIGEST_INFO + hashlib.sha256(message).digest()
        m = int.from_bytes(b"\x00\x01" + b"\xff" * (self.k - len(t) - 3) + b"\x00" + t, "big")
        m1, m2 = pow(m, self.dp, self.p), pow(m, self.dq, self.q)  # CRT
        h = (self.qinv * (m1 - m2)) % self.p
        return (m2 + h * self.q).to_bytes(self.k, "big")

    def verify(self, message: bytes, signature: bytes) -> bool:
        return rsa_pkcs1_sha256_verify(self.n, self.e, message, signature)


def sign_jwt(key, header, claims, mode="rs256", hmac_secret=b""):
    signing_input = (b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())).encode()
    if mode == "none":
        sig = b""
    elif mode == "hs256":
        import hmac
        sig = hmac.new(hmac_secret, signing_input, hashlib.sha256).digest()
    else:
        sig = key.sign(signing_input)
    return signing_input.decode() + "." + b64url(sig)


def decode_jwt(token):
    """(header, claims, signing input, signature) or None."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        return (json.loads(b64url_decode(parts[0])), json.loads(b64url_decode(parts[1])),
                (parts[0] + "." + parts[1]).encode(), b64url_decode(parts[2]))
    except (ValueError, json.JSONDecodeError):
        return None


# ------------------------------------------------------------------------------------------------
class State:
    def __init__(self, a):
        self.lock = threading.Lock()
        self.a = a
        self.lifetime = a.lifetime
        self.refresh_in = a.refresh_in
        self.no_identity = a.no_identity
        self.failures = []  # dicts: endpoint, mode, count (0 = forever), retry_after, delay
        for spec in a.fail or []:
            parts = spec.split(":")
            f = {"endpoint": parts[0], "mode": parts[1], "count": int(parts[2]) if len(parts) > 2 else 1}
            if len(parts) > 3:
                f["retry_after"] = f["delay"] = float(parts[3])
            self.failures.append(f)
        self.log = []
        self.counter = 0
        self.jtis = set()
        self.port = 0
        self.cert = self.untrusted = self.encrypted = None
        self.registered = {}  # x5t -> (n, e) of certificates registered on the application
        self.keys = {}  # kid -> RsaKey (OpenID provider signing keys)
        self.published = ["fake-k1", "fake-k2"]
        self.active = "fake-k1"
        self.obo_fail = []  # dicts: aadsts, oid (optional), count (0 = until cleared)
        self.obo_lifetime = None
        self.sql_tokens = {}  # SQL token -> principal (mirrored to --sql-token-map)
        self.mi_tokens = {}  # managed identity tokens issued -> their resource (federated assertions)

    def issuer(self, tenant):
        return f"http://127.0.0.1:{self.port}/{tenant}/v2.0"

    def take_obo_failure(self, oid):
        with self.lock:
            for f in self.obo_fail:
                if f.get("oid") in (None, oid):
                    if f.get("count", 1) == 0:
                        return dict(f)
                    f["count"] = f.get("count", 1) - 1
                    if f["count"] == 0:
                        self.obo_fail.remove(f)
                    return dict(f)
        return None

    def mint_user(self, spec):
        """A user access token for tests (see /_mint)."""
        now = int(time.time())
        tid = spec.get("tid", self.a.tenant)
        oid = spec.get("oid", "00000000-0000-0000-0000-00000000u001")
        claims = {"aud": spec.get("aud", self.a.api_audience), "iss": self.issuer(tid), "iat": now, "nbf": now,
                  "exp": now + int(spec.get("lifetime", 3600)), "tid": tid, "oid": oid, "sub": "sub-" + oid,
                  "preferred_username": spec.get("upn", oid + "@example.test"), "name": spec.get("name", "Test User"),
                  "scp": spec.get("scp", "Sql.Read"), "ver": "2.0", "azp": "client-app"}
        for k, v in (spec.get("claims") or {}).items():
            if v is None:
                claims.pop(k, None)
            else:
                claims[k] = v
        sign = spec.get("sign", "active")
        kid = {"active": self.active, "unpublished": "fake-unpublished"}.get(sign, sign)
        if sign in ("none", "hs256-public", "tamper"):
            kid = self.active
        header = {"typ": "JWT", "alg": "RS256", "kid": kid}
        if sign == "none":
            header["alg"] = "none"
        elif sign == "hs256-public":
            header["alg"] = "HS256"
        header.update(spec.get("header") or {})
        if sign == "none":
            return sign_jwt(None, header, claims, "none")
        if sign == "hs256-public":
            return sign_jwt(None, header, claims, "hs256", self.keys[self.active].public_pem)
        token = sign_jwt(self.keys[kid], header, claims)
        if sign == "tamper":  # signature of other claims
            other = dict(claims, oid=claims["oid"] + "x")
            token = token.rsplit(".", 1)[0] + "." + sign_jwt(self.keys[kid], header, other).rsplit(".", 1)[1]
        return token

    def issue_sql_for_user(self, claims):
        """A SQL token naming the user (OBO), recorded in --sql-token-map."""
        with self.lock:
            self.counter += 1
            now = int(time.time())
            exp = now + int(self.obo_lifetime or self.lifetime)
            principal = claims.get("preferred_username") or claims.get("upn") or claims.get("oid")
            header = b64url(json.dumps({"alg": "RS256", "typ": "JWT", "kid": "fake-sql"}).encode())
            body = {"aud": SQL_RESOURCE, "iss": f"https://sts.windows.net/{claims.get('tid')}/", "iat": now, "nbf": now,
                    "exp": exp, "oid": claims.get("oid"), "tid": claims.get("tid"), "upn": principal,
                    "scp": "user_impersonation", "n": self.counter}
            token = header + "." + b64url(json.dumps(body).encode()) + "." + b64url(os.urandom(32))
            self.sql_tokens[token] = {"principal": principal, "exp": exp}
            if self.a.sql_token_map:
                tmp = self.a.sql_token_map + ".tmp"
                with open(tmp, "w") as f:
                    json.dump(self.sql_tokens, f)
                os.replace(tmp, self.a.sql_token_map)
            return token, now, exp, self.counter, principal

    def take_failure(self, endpoint):
        with self.lock:
            for f in self.failures:
                if f["endpoint"] in (endpoint, "*"):
                    if f["count"] == 0:
                        return dict(f)
                    f["count"] -= 1
                    if f["count"] == 0:
                        self.failures.remove(f)
                    return dict(f)
        return None

    def issue(self, audience, subject):
        with self.lock:
            self.counter += 1
            now = int(time.time())
            exp = now + int(self.lifetime)
            header = b64url(json.dumps({"alg": "RS256", "typ": "JWT", "kid": "fake"}).encode())
            claims = {"aud": audience, "iss": f"https://sts.windows.net/{self.a.tenant}/", "iat": now, "nbf": now,
                      "exp": exp, "oid": subject, "appid": subject, "tid": self.a.tenant, "n": self.counter}
            token = header + "." + b64url(json.dumps(claims).encode()) + "." + b64url(os.urandom(32))
            if self.a.token_file:
                tmp = self.a.token_file + ".tmp"
                with open(tmp, "w") as f:
                    f.write(token)
                os.replace(tmp, self.a.token_file)
            return token, now, exp, self.counter


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-azure/1"

    def log_message(self, fmt, *args):  # quiet unless --verbose (never logs bodies)
        if self.server.state.a.verbose:
            sys.stderr.write("[fake_azure] " + (fmt % args) + "\n")

    # -- helpers
    def send_json(self, status, obj, extra_headers=None, raw=None):
        body = raw if raw is not None else json.dumps(obj).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for k, v in (extra_headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. a probe timeout)

    def record(self, entry):
        with self.server.state.lock:
            entry["seq"] = len(self.server.state.log) + 1
            entry["time"] = time.time()
            self.server.state.log.append(entry)

    def apply_failure(self, endpoint, entry):
        """Returns True when a configured failure answered the request."""
        f = self.server.state.take_failure(endpoint)
        if not f:
            return False
        mode = f["mode"]
        entry["injected"] = mode
        if mode == "slow":
            time.sleep(float(f.get("delay", 3)))
            return False
        self.record(entry)
        if mode == "drop":
            self.close_connection = True
            try:
                self.connection.shutdown(2)
            except OSError:
                pass
            return True
        if mode == "malformed":
            self.send_json(200, None, raw=b'{"access_token": "trunc')
        elif mode == "no_identity":
            self.send_json(400, {"error": "invalid_request", "error_description": "Identity not found"})
        elif mode == "429":
            self.send_json(429, {"error": "too_many_requests", "error_description": "Too many requests"},
                           {"Retry-After": str(int(f.get("retry_after", 1)))})
        else:
            code = int(mode)
            self.send_json(code, {"error": "server_error", "error_description": f"injected HTTP {code}"})
        return True

    # -- routing
    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        if url.path == "/_log":
            with self.server.state.lock:
                data = {"requests": list(self.server.state.log)}
            return self.send_json(200, data)
        if url.path == "/metadata/identity/oauth2/token":
            return self.imds(q)
        if url.path == "/msi/token":
            return self.app_service(q)
        parts = url.path.strip("/").split("/")
        if len(parts) == 4 and parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
            return self.openid(parts[0])
        if len(parts) == 4 and parts[1:] == ["discovery", "v2.0", "keys"]:
            return self.jwks(parts[0])
        self.send_json(404, {"error": "not_found"})

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if url.path == "/_control":
            return self.control(json.loads(body or b"{}"))
        if url.path == "/_mint":
            return self.send_json(200, {"token": self.server.state.mint_user(json.loads(body or b"{}"))})
        parts = url.path.strip("/").split("/")
        if len(parts) == 4 and parts[1:] == ["oauth2", "v2.0", "token"]:
            return self.entra(parts[0], body)
        self.send_json(404, {"error": "not_found"})

    # -- control
    def control(self, c):
        st = self.server.state
        with st.lock:
            if c.get("clear_failures"):
                st.failures = []
            for f in c.get("fail", []):
                f.setdefault("count", 1)
                st.failures.append(f)
            if "lifetime" in c:
                st.lifetime = int(c["lifetime"])
            if "refresh_in" in c:
                st.refresh_in = int(c["refresh_in"])
            if "no_identity" in c:
                st.no_identity = bool(c["no_identity"])
            if c.get("clear_log"):
                st.log = []
            if c.get("rotate"):
                st.published = ["fake-k2", "fake-k3"]
                st.active = "fake-k3"
            if c.get("clear_obo_fail"):
                st.obo_fail = []
            st.obo_fail.extend(c.get("obo_fail", []))
            if "obo_lifetime" in c:
                st.obo_lifetime = c["obo_lifetime"]
        self.send_json(200, {"ok": True})

    # -- managed identity
    def identity_selector(self, q, names, entry):
        given = [n for n in names if n in q]
        entry["selector"] = {n: q[n] for n in given}
        if len(given) > 1:
            return "multiple selectors"
        st = self.server.state
        if given:
            return None if q[given[0]] in st.a.user_assigned else "Identity not found"
        return "Identity not found" if st.no_identity else None

    def imds(self, q):
        st = self.server.state
        entry = {"endpoint": "imds", "method": "GET", "query": q,
                 "metadata_header": self.headers.get("Metadata")}
        if self.apply_failure("imds", entry):
            return
        if self.headers.get("Metadata") != "true":
            entry["outcome"] = "missing Metadata header"
            self.record(entry)
            return self.send_json(400, {"error": "invalid_request",
                                        "error_description": "Required metadata header not specified"})
        if q.get("api-version") != "2018-02-01" or not q.get("resource"):
            entry["outcome"] = "bad query"
            self.record(entry)
            return self.send_json(400, {"error": "invalid_request", "error_description": "Bad request"})
        err = self.identity_selector(q, ["client_id", "object_id", "msi_res_id"], entry)
        if err:
            entry["outcome"] = err
            self.record(entry)
            return self.send_json(400, {"error": "invalid_request", "error_description": err})
        token, now, exp, n = st.issue(q["resource"], "mi")
        with st.lock:
            st.mi_tokens[token] = q["resource"]
        entry.update(outcome="ok", token_n=n)
        self.record(entry)
        self.send_json(200, {"access_token": token, "client_id": q.get("client_id", "system-assigned"),
                             "expires_in": str(exp - now), "expires_on": str(exp), "ext_expires_in": str(exp - now),
                             "not_before": str(now), "resource": q["resource"], "token_type": "Bearer"})

    def app_service(self, q):
        st = self.server.state
        hdr = self.headers.get("X-IDENTITY-HEADER")
        entry = {"endpoint": "appservice", "method": "GET", "query": q,
                 "identity_header_ok": hdr is not None and hdr == st.a.identity_header}
        if self.apply_failure("appservice", entry):
            return
        if not entry["identity_header_ok"]:
            entry["outcome"] = "bad X-IDENTITY-HEADER"
            self.record(entry)
            return self.send_json(401, {"statusCode": 401, "message": "Unauthorized: X-IDENTITY-HEADER missing or wrong"})
        if q.get("api-version") != "2019-08-01" or not q.get("resource"):
            entry["outcome"] = "bad query"
            self.record(entry)
            return self.send_json(400, {"statusCode": 400, "message": "Bad api-version or resource"})
        err = self.identity_selector(q, ["client_id", "object_id", "mi_res_id"], entry)
        if err:
            entry["outcome"] = err
            self.record(entry)
            return self.send_json(400, {"statusCode": 400, "message": err})
        token, now, exp, n = st.issue(q["resource"], "mi")
        with st.lock:
            st.mi_tokens[token] = q["resource"]
        entry.update(outcome="ok", token_n=n)
        self.record(entry)
        self.send_json(200, {"access_token": token, "expires_on": str(exp), "resource": q["resource"],
                             "token_type": "Bearer", "client_id": q.get("client_id", "system-assigned")})

    # -- Entra
    def entra_error(self, entry, status, error, aadsts, text):
        entry["outcome"] = f"{error} AADSTS{aadsts}"
        self.record(entry)
        self.send_json(status, {"error": error,
                                "error_description": f"AADSTS{aadsts}: {text}\r\nTrace ID: 00000000-fake\r\n"
                                                     f"Correlation ID: 00000000-fake\r\nTimestamp: {time.strftime('%Y-%m-%d %H:%M:%SZ', time.gmtime())}",
                                "error_codes": [aadsts], "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
                                "trace_id": "00000000-fake", "correlation_id": "00000000-fake"})

    def entra(self, tenant, body):
        st = self.server.state
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        form = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        shown = {k: ("<redacted>" if k in ("client_secret", "client_assertion", "assertion") else v) for k, v in form.items()}
        entry = {"endpoint": "token", "method": "POST", "tenant": tenant, "content_type": ctype, "form": shown}
        if self.apply_failure("token", entry):
            return
        if ctype != "application/x-www-form-urlencoded":
            return self.entra_error(entry, 400, "invalid_request", 900144, "The request body must be form-urlencoded.")
        if tenant != st.a.tenant:
            return self.entra_error(entry, 400, "invalid_tenant", 90002, f"Tenant '{tenant}' not found.")
        if form.get("grant_type") == JWT_BEARER_GRANT:
            return self.on_behalf_of(tenant, form, entry)
        if form.get("grant_type") != "client_credentials":
            return self.entra_error(entry, 400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.")
        if form.get("client_id") != st.a.client_id:
            return self.entra_error(entry, 400, "unauthorized_client", 700016,
                                    "Application was not found in the directory.")
        if form.get("scope") != SQL_RESOURCE + ".default":
            return self.entra_error(entry, 400, "invalid_scope", 70011, "The provided value for the input parameter 'scope' is not valid.")
        problem = self.client_auth(form, tenant, entry)
        if problem:
            return self.entra_error(entry, *problem)
        token, now, exp, n = st.issue(SQL_RESOURCE, st.a.client_id)
        entry.update(outcome="ok", token_n=n)
        self.record(entry)
        resp = {"token_type": "Bearer", "expires_in": exp - now, "ext_expires_in": exp - now, "access_token": token}
        if st.refresh_in:
            resp["refresh_in"] = st.refresh_in
        self.send_json(200, resp)

    def client_auth(self, form, tenant, entry):
        """None when the application authenticated, else (status, error, AADSTS code, text)."""
        st = self.server.state
        if "client_secret" in form:
            entry["auth"] = "secret"
            if form["client_secret"] != st.a.client_secret:
                return (401, "invalid_client", 7000215, "Invalid client secret provided.")
        elif "client_assertion" in form:
            if form.get("client_assertion_type") != JWT_BEARER:
                return (400, "invalid_request", 50027, "client_assertion_type is not jwt-bearer.")
            assertion = form["client_assertion"]
            mi_aud = st.mi_tokens.get(assertion)
            if mi_aud is not None:
                entry["auth"] = "managed_identity_federated"
                if mi_aud != TOKEN_EXCHANGE_AUDIENCE:
                    return (401, "invalid_client", 700212,
                            f"No matching federated identity record found for presented assertion audience '{mi_aud}'.")
            elif assertion in st.a.federated_token:
                entry["auth"] = "federated"
                entry["federated_index"] = st.a.federated_token.index(assertion)
            else:
                entry["auth"] = "certificate"
                problem = self.check_jwt(assertion, tenant, entry)
                if problem:
                    return (401, "invalid_client", problem[0], problem[1])
        else:
            return (401, "invalid_client", 7000216,
                    "'client_assertion', 'client_secret' or 'request' is required.")
        return None

    def on_behalf_of(self, tenant, form, entry):
        """The OBO grant: the user's assertion must be a token this provider signed for --api-audience."""
        st = self.server.state
        entry["grant"] = "on_behalf_of"
        if form.get("requested_token_use") != "on_behalf_of":
            return self.entra_error(entry, 400, "invalid_request", 900144,
                                    "The request body must contain the parameter 'requested_token_use' = on_behalf_of.")
        if form.get("client_id") != st.a.client_id:
            return self.entra_error(entry, 400, "unauthorized_client", 700016, "Application was not found in the directory.")
        if form.get("scope") != SQL_RESOURCE + ".default":
            return self.entra_error(entry, 400, "invalid_scope", 70011, "The provided value for the input parameter 'scope' is not valid.")
        problem = self.client_auth(form, tenant, entry)
        if problem:
            return self.entra_error(entry, *problem)
        dec = decode_jwt(form.get("assertion", ""))
        if dec is None:
            return self.entra_error(entry, 400, "invalid_grant", 50027, "Invalid JWT token. The assertion is not a JWT.")
        header, claims, signing_input, sig = dec
        entry["assertion_claims"] = {k: claims.get(k) for k in ("aud", "iss", "tid", "oid", "preferred_username", "scp")}
        key = st.keys.get(header.get("kid")) if header.get("kid") in st.published else None
        if header.get("alg") != "RS256" or key is None or not key.verify(signing_input, sig):
            entry["assertion_signature"] = False
            return self.entra_error(entry, 400, "invalid_grant", 50013, "Assertion failed signature validation.")
        entry["assertion_signature"] = True
        if claims.get("aud") not in (st.a.api_audience, st.a.client_id):
            return self.entra_error(entry, 400, "invalid_grant", 50013,
                                    "Assertion audience does not match the Client app presenting the assertion.")
        if claims.get("tid") != tenant or claims.get("iss") != st.issuer(tenant):
            return self.entra_error(entry, 400, "invalid_grant", 50013, "Assertion contains an invalid issuer or tenant.")
        if not isinstance(claims.get("exp"), int) or claims["exp"] <= time.time():
            return self.entra_error(entry, 400, "invalid_grant", 500133, "The assertion is not within its valid time range.")
        f = st.take_obo_failure(claims.get("oid"))
        if f:
            code = int(f.get("aadsts", 65001))
            text = {65001: "The user or administrator has not consented to use the application with ID "
                           f"'{st.a.client_id}'. Send an interactive authorization request for this user and resource.",
                    50013: "Assertion failed signature validation.",
                    53003: "Access has been blocked by Conditional Access policies."}.get(code, "Injected failure.")
            return self.entra_error(entry, 400, "invalid_grant", code, text)
        token, now, exp, n, principal = st.issue_sql_for_user(claims)
        entry.update(outcome="ok", token_n=n, principal=principal)
        self.record(entry)
        self.send_json(200, {"token_type": "Bearer", "scope": SQL_RESOURCE + "user_impersonation",
                             "expires_in": exp - now, "ext_expires_in": exp - now, "access_token": token})

    # -- OpenID provider
    def openid(self, tenant):
        st = self.server.state
        base = getattr(st, "base", f"http://127.0.0.1:{st.port}")  # https://localhost:PORT with --tls
        self.record({"endpoint": "openid-configuration", "method": "GET", "tenant": tenant})
        self.send_json(200, {
            "issuer": st.issuer(tenant), "token_endpoint": f"{base}/{tenant}/oauth2/v2.0/token",
            "authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/authorize",
            "jwks_uri": f"{base}/{tenant}/discovery/v2.0/keys", "response_types_supported": ["code", "id_token"],
            "subject_types_supported": ["pairwise"], "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "code_challenge_methods_supported": ["S256"], "scopes_supported": ["openid", "profile", "email", "offline_access"]})

    def jwks(self, tenant):
        st = self.server.state
        with st.lock:
            keys = [st.keys[k].jwk() for k in st.published]
        self.record({"endpoint": "jwks", "method": "GET", "tenant": tenant, "kids": [k["kid"] for k in keys]})
        self.send_json(200, {"keys": keys})

    def check_jwt(self, assertion, tenant, entry):
        """None when the client assertion is valid, else (AADSTS code, text)."""
        st = self.server.state
        parts = assertion.split(".")
        if len(parts) != 3:
            return 50012, "The client assertion is not a JWT."
        try:
            header = json.loads(b64url_decode(parts[0]))
            claims = json.loads(b64url_decode(parts[1]))
            sig = b64url_decode(parts[2])
        except (ValueError, json.JSONDecodeError):
            return 50012, "The client assertion could not be decoded."
        entry["jwt_header"] = header
        entry["jwt_claims"] = {k: claims.get(k) for k in ("aud", "iss", "sub", "nbf", "exp", "iat", "jti")}
        if header.get("alg") not in ("RS256", "PS256"):
            return 5002738, "The client assertion uses an unsupported algorithm."
        # Entra identifies the certificate by its SHA-256 thumbprint (x5t#S256, what MSAL sends with PS256) or
        # by its SHA-1 thumbprint (x5t)
        # (MSAL encodes thumbprints as base64url with '=' padding, RFC 7515 says without: Entra takes both)
        key = st.registered.get(str(header.get("x5t#S256") or header.get("x5t") or "").rstrip("="))
        if key is None:
            return 700027, "The certificate with identifier used to sign the client assertion is not registered on application."
        verify = rsa_pss_sha256_verify if header["alg"] == "PS256" else rsa_pkcs1_sha256_verify
        verified = verify(key[0], key[1], (parts[0] + "." + parts[1]).encode(), sig)
        entry["signature_verified"] = verified
        if not verified:
            return 700027, "Client assertion contains an invalid signature."
        expected_aud = f"{getattr(st, 'base', f'http://127.0.0.1:{st.port}')}/{tenant}/oauth2/v2.0/token"
        if claims.get("aud") != expected_aud:
            return 700021, f"The audience claim of the client assertion is not '{expected_aud}'."
        if claims.get("iss") != st.a.client_id or claims.get("sub") != st.a.client_id:
            return 700023, "The issuer and subject of the client assertion must be the client id."
        now = time.time()
        # NumericDate (RFC 7519 §2) may be non-integer (MSAL sends floats); nbf is optional (RFC 7523 §3)
        num = lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)  # noqa: E731
        if not num(claims.get("exp")) or claims["exp"] <= now:
            return 700024, "The client assertion has expired."
        start = claims.get("nbf", claims.get("iat"))
        if not num(start) or start > now + 60:
            return 700024, "The client assertion is not yet valid."
        if claims["exp"] - start > 3600:
            return 700024, "The client assertion lives too long."
        jti = claims.get("jti")
        if not jti:
            return 700025, "The client assertion has no jti."
        with st.lock:
            if jti in st.jtis:
                return 700025, "The client assertion was replayed (jti seen before)."
            st.jtis.add(jti)
        return None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--tenant", default="00000000-0000-0000-0000-0000000000aa")
    ap.add_argument("--client-id", default="11111111-1111-1111-1111-1111111111bb")
    ap.add_argument("--client-secret", default="fake-secret-value")
    ap.add_argument("--federated-token", action="append", default=[],
                    help="accepted federated (workload identity) assertion; repeatable")
    ap.add_argument("--identity-header", default="fake-identity-header")
    ap.add_argument("--user-assigned", action="append", default=[],
                    help="a user-assigned identity (client id, object id or resource id); repeatable")
    ap.add_argument("--no-identity", action="store_true", help="no system-assigned identity (IMDS 400 Identity not found)")
    ap.add_argument("--cert-dir", help="directory for the test certificates (default: a temporary one)")
    ap.add_argument("--cert-password", default="fake-pem-password")
    ap.add_argument("--lifetime", type=int, default=3600, help="token lifetime in seconds")
    ap.add_argument("--refresh-in", type=int, default=0, help="refresh_in in Entra responses (0 = none)")
    ap.add_argument("--token-file", help="write the latest issued token here")
    ap.add_argument("--fail", action="append", help="endpoint:mode[:count[:seconds]], e.g. imds:429:2:1")
    ap.add_argument("--api-audience", default="api://azsql-mcp",
                    help="application ID URI of the MCP server's app registration (aud of user tokens)")
    ap.add_argument("--sql-token-map", help="JSON file {SQL token: {principal, exp}} of OBO-issued SQL tokens "
                                            "(for tds_server --token-map)")
    ap.add_argument("--oidc-key-dir", default=os.path.join(tempfile.gettempdir(), "azsql-fake-azure-oidc-keys"),
                    help="where the OpenID signing keys are kept (generated once, reused by later runs)")
    ap.add_argument("--tls", action="store_true",
                    help="serve HTTPS with a generated CA-flagged certificate for localhost/127.0.0.1 (tls_cert in the "
                         "JSON line): for clients that accept only https authorities, e.g. azure-identity")
    ap.add_argument("--verbose", "-v", action="store_true")
    a = ap.parse_args(argv)

    st = State(a)
    cert_dir = a.cert_dir or tempfile.mkdtemp(prefix="fake_azure_")
    st.cert = gen_cert(cert_dir, "client.pem")
    st.untrusted = gen_cert(cert_dir, "untrusted.pem")
    st.encrypted = gen_cert(cert_dir, "client-encrypted.pem", a.cert_password)
    st.pfx = os.path.join(cert_dir, "client.pfx")  # PKCS#12 of the registered client certificate
    if not os.path.exists(st.pfx):
        subprocess.run(["openssl", "pkcs12", "-export", "-in", st.cert, "-inkey", st.cert, "-out", st.pfx + ".tmp",
                        "-passout", f"pass:{a.cert_password}"], check=True, capture_output=True)
        os.replace(st.pfx + ".tmp", st.pfx)
    # Both the plain and the encrypted certificate are registered (the encrypted one has its own key).
    for path in (st.cert, st.encrypted):
        (x5t, x5t_s256), n, e = cert_public_numbers(path)
        st.registered[x5t] = st.registered[x5t_s256] = (n, e)
    for kid in ("fake-k1", "fake-k2", "fake-k3", "fake-unpublished"):
        st.keys[kid] = RsaKey(a.oidc_key_dir, kid)

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        allow_reuse_address = True

    srv = Server(("127.0.0.1", a.port), Handler)
    srv.state = st
    st.port = srv.server_address[1]
    tls_cert = None
    if a.tls:
        import ssl
        tls_cert = os.path.join(cert_dir, "tls-server.pem")
        if not os.path.exists(tls_cert):
            key = tls_cert + ".key"
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", tls_cert,
                            "-days", "30", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                            "-addext", "basicConstraints=critical,CA:TRUE",
                            "-addext", "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign"],
                           check=True, capture_output=True, timeout=60)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(tls_cert, tls_cert + ".key")
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)

    def stop(*_):
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    base = f"{'https' if a.tls else 'http'}://{'localhost' if a.tls else '127.0.0.1'}:{st.port}"
    st.base = base
    print(json.dumps({"port": st.port, "pid": os.getpid(), "imds_endpoint": base,
                      "identity_endpoint": base + "/msi/token", "identity_header": a.identity_header,
                      "authority_host": base, "tenant": a.tenant, "client_id": a.client_id,
                      "cert": st.cert, "encrypted_cert": st.encrypted, "pfx_cert": st.pfx, "cert_password": a.cert_password,
                      "untrusted_cert": st.untrusted, "token_file": a.token_file,
                      "issuer": st.issuer(a.tenant), "api_audience": a.api_audience,
                      "sql_token_map": a.sql_token_map, "tls_cert": tls_cert}), flush=True)

    import stat
    try:
        mode = os.fstat(0).st_mode
        watch = stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)
    except OSError:
        watch = False
    if watch:
        def watch_stdin():
            try:
                while os.read(0, 4096):
                    pass
            except OSError:
                pass
            stop()
        threading.Thread(target=watch_stdin, daemon=True).start()
    srv.serve_forever(poll_interval=0.2)


if __name__ == "__main__":
    main()
