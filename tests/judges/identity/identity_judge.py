"""Microsoft's azure-identity (PyPI) against tests/fakes/fake_azure.py: each credential obtains a token for
https://database.windows.net/.default using only its documented overrides (authority host, endpoints,
environment). Run with the judges venv (scripts/setup_judges.sh); prints one line per check and
'N passed, N failed'. The fake serves HTTPS (--tls) because azure-identity accepts only https authorities; its
certificate is trusted through REQUESTS_CA_BUNDLE, the documented way for azure-core's requests transport.
"""
import base64
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import ssl

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "..", "..", "fakes", "fake_azure.py")
SCOPE = "https://database.windows.net/.default"
FEDERATED = "federated-token-for-judge"
checks = failures = 0
results = {}
ENV_KEYS = ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH",
            "AZURE_AUTHORITY_HOST", "AZURE_FEDERATED_TOKEN_FILE", "IDENTITY_ENDPOINT", "IDENTITY_HEADER",
            "MSI_ENDPOINT", "MSI_SECRET", "AZURE_POD_IDENTITY_AUTHORITY_HOST", "IDENTITY_SERVER_THUMBPRINT",
            "IMDS_ENDPOINT", "AZURE_USERNAME", "AZURE_PASSWORD")


def check(cond, name, what):
    global checks, failures
    checks += 1
    failures += 0 if cond else 1
    results[name] = "FAIL" if not cond or results.get(name) == "FAIL" else "pass"
    print(("ok   " if cond else "FAIL ") + f"[{name}] {what}", flush=True)


def claims(tok):
    try:
        return json.loads(base64.urlsafe_b64decode(tok.split(".")[1] + "=="))
    except (ValueError, IndexError):
        return {}


def fake_log(info, ctx):
    with urllib.request.urlopen(info["authority_host"] + "/_log", context=ctx, timeout=10) as r:
        return json.load(r)["requests"]


def run(name, info, ctx, env, make):
    """Builds the credential with `env` as the only Azure variables, gets a token and judges it."""
    from azure.core.exceptions import ClientAuthenticationError
    for k in ENV_KEYS:
        os.environ.pop(k, None)
    os.environ.update(env)
    before = len(fake_log(info, ctx))
    try:
        cred = make()
        tok = cred.get_token(SCOPE)
    except (ClientAuthenticationError, ValueError, OSError) as e:
        check(False, name, f"get_token failed: {type(e).__name__}: {str(e)[:600]}")
        return
    with open(info["token_file"], encoding="utf-8") as f:
        latest = f.read().strip()
    reqs = fake_log(info, ctx)[before:]
    c = claims(tok.token)
    check(tok.token == latest, name, f"token issued by the fake ({len(tok.token)} chars)")
    # MSAL computes expires_on as (its request time + expires_in): within seconds of the exp claim, not equal
    check(abs(tok.expires_on - c.get("exp", 0)) <= 10 and tok.expires_on > time.time() + 600, name,
          f"expires_on {tok.expires_on} within 10 s of the token's exp claim {c.get('exp')}, in the future")
    check(str(c.get("aud", "")).rstrip("/") == "https://database.windows.net", name, f"audience {c.get('aud')}")
    paths = [f"{r.get('endpoint')} {r.get('auth', '')} -> {r.get('outcome')}" for r in reqs]
    check(bool(reqs), name, f"requests seen by the fake: {paths}")


def expect_rejected(name, info, make, code):
    from azure.core.exceptions import ClientAuthenticationError
    for k in ENV_KEYS:
        os.environ.pop(k, None)
    try:
        make().get_token(SCOPE)
        check(False, name, "a token was issued")
    except ClientAuthenticationError as e:
        check(code in str(e), name, f"refused with {code}: {str(e).splitlines()[0][:120]}")


def forged_assertion(info, ctx):
    """A PS256 assertion naming the registered certificate (x5t#S256) but signed with another key must fail:
    the fake really verifies PSS signatures."""
    import hashlib
    import urllib.parse
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    pem = open(info["cert"], "rb").read()
    der = x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)
    other = serialization.load_pem_private_key(open(info["untrusted_cert"], "rb").read(), None)
    b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()  # noqa: E731
    url = f"{info['authority_host']}/{info['tenant']}/oauth2/v2.0/token"
    now = int(time.time())
    head = b64(json.dumps({"alg": "PS256", "typ": "JWT", "x5t#S256": b64(hashlib.sha256(der).digest())}).encode())
    body = b64(json.dumps({"aud": url, "iss": info["client_id"], "sub": info["client_id"], "exp": now + 600,
                           "iat": now, "jti": "forged-" + str(now)}).encode())
    sig = other.sign(f"{head}.{body}".encode(), padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256())
    form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": info["client_id"],
                                   "scope": SCOPE, "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                                   "client_assertion": f"{head}.{body}.{b64(sig)}"}).encode()
    req = urllib.request.Request(url, data=form, headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        urllib.request.urlopen(req, context=ctx, timeout=10)
        check(False, "forged_ps256_assertion", "the fake issued a token for a forged PS256 signature")
    except urllib.error.HTTPError as e:
        txt = e.read().decode()
        check(e.code == 401 and "700027" in txt, "forged_ps256_assertion", f"forged PS256 signature refused: HTTP {e.code}")


def main():
    tmp = tempfile.mkdtemp(prefix="judge-identity-")
    fed = os.path.join(tmp, "federated-token")
    with open(fed, "w", encoding="utf-8") as f:
        f.write(FEDERATED)
    token_file = os.path.join(tmp, "issued-token")
    p = subprocess.Popen([sys.executable, FAKE, "--tls", "--cert-dir", tmp, "--token-file", token_file,
                          "--federated-token", FEDERATED], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        info = json.loads(p.stdout.readline())
        info["token_file"] = token_file
        os.environ["REQUESTS_CA_BUNDLE"] = info["tls_cert"]
        ctx = ssl.create_default_context(cafile=info["tls_cert"])
        from azure.identity import (CertificateCredential, ClientSecretCredential, DefaultAzureCredential,
                                    ManagedIdentityCredential, WorkloadIdentityCredential)
        base, tenant, cid = info["authority_host"], info["tenant"], info["client_id"]
        run("managed_identity_imds", info, ctx, {"AZURE_POD_IDENTITY_AUTHORITY_HOST": base},
            lambda: ManagedIdentityCredential())
        run("managed_identity_app_service", info, ctx,
            {"IDENTITY_ENDPOINT": info["identity_endpoint"], "IDENTITY_HEADER": info["identity_header"]},
            lambda: ManagedIdentityCredential())
        run("client_secret", info, ctx, {}, lambda: ClientSecretCredential(
            tenant, cid, "fake-secret-value", authority=base, disable_instance_discovery=True))
        run("certificate", info, ctx, {}, lambda: CertificateCredential(
            tenant, cid, certificate_path=info["cert"], authority=base, disable_instance_discovery=True))
        run("workload_identity", info, ctx, {}, lambda: WorkloadIdentityCredential(
            tenant_id=tenant, client_id=cid, token_file_path=fed, authority=base, disable_instance_discovery=True))
        run("default_azure_credential", info, ctx,
            {"AZURE_TENANT_ID": tenant, "AZURE_CLIENT_ID": cid, "AZURE_CLIENT_SECRET": "fake-secret-value",
             "AZURE_AUTHORITY_HOST": base},
            lambda: DefaultAzureCredential(disable_instance_discovery=True))
        expect_rejected("certificate_unregistered", info, lambda: CertificateCredential(
            tenant, cid, certificate_path=info["untrusted_cert"], authority=base, disable_instance_discovery=True),
            "AADSTS700027")
        forged_assertion(info, ctx)
    finally:
        p.terminate()
        p.wait(timeout=10)
    if len(sys.argv) > 1:
        os.makedirs(os.path.dirname(os.path.abspath(sys.argv[1])), exist_ok=True)
        with open(sys.argv[1], "w", encoding="utf-8") as f:
            json.dump(results, f, indent=1)
    print(f"{checks - failures} passed, {failures} failed")
    return 1 if failures or not checks else 0


if __name__ == "__main__":
    sys.exit(main())
