#!/usr/bin/env python3
"""Writes the seed corpus under Fuzz/Corpus/<target>/ (committed; rerun to regenerate).

Real documents come from Tests/ATProtoOAuthTests/Fixtures; the DPoP proofs, the session's
key and the DNS answers are made here. Needs `cryptography` (the project's .venv has it,
through joserfc). File names are stable: seed-<name>.
"""
import base64
import hashlib
import json
import os
import struct
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests/ATProtoOAuthTests/Fixtures")
CORPUS = os.path.join(ROOT, "Fuzz/Corpus")


def write(target, name, data):
    directory = os.path.join(CORPUS, target)
    os.makedirs(directory, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(directory, "seed-" + name), "wb") as f:
        f.write(data)


def fixture(path):
    with open(os.path.join(FIXTURES, path), "rb") as f:
        return f.read()


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def compact_json(value):
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode()


# Identifiers: every line of the syntax fixtures (valid and invalid).
for kind in ["handle", "did", "nsid", "atidentifier"]:
    for validity in ["valid", "invalid"]:
        lines = fixture(f"{kind}_syntax_{validity}.txt").decode().splitlines()
        lines = [line for line in lines if line.strip() and not line.startswith("#")]
        for index, line in enumerate(lines):
            write("FuzzIdentifiers", f"{kind}-{validity}-{index:02}", line)
for name, text in {
    "login-url": "https://bsky.social",
    "login-loopback": "http://127.0.0.1:2583",
    "login-at": "@alice.bsky.social",
    "devclient": "http://localhost?redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fcallback&scope=atproto%20transition%3Ageneric",
}.items():
    write("FuzzIdentifiers", name, text)

# Scopes.
for index, text in enumerate([
    "atproto",
    "atproto transition:generic transition:chat.bsky",
    "repo:app.bsky.feed.post?action=create&action=delete",
    "repo?collection=app.bsky.feed.post&collection=app.bsky.feed.like",
    "rpc:app.bsky.feed.getTimeline?aud=did:web:api.bsky.app%23bsky_appview",
    "rpc?lxm=*&aud=*",
    "blob?accept=image/*&accept=video/mp4",
    "blob:image/*",
    "account:email?action=manage",
    "account:repo",
    "identity:*",
    "identity:handle",
    "include:com.example.authBasic?aud=did:web:example.com%23svc",
    "futurething:xyz atproto",
]):
    write("FuzzScope", f"{index:02}", text)

# DID documents and metadata: the real-world fixtures.
for path in sorted(os.listdir(os.path.join(FIXTURES, "RealWorld"))):
    if not path.endswith(".json"):
        continue
    data = fixture(os.path.join("RealWorld", path))
    target = "FuzzDIDDocument" if path.startswith("did-") else "FuzzMetadata"
    write(target, path, data)
for path in sorted(os.listdir(FIXTURES)):
    if path.endswith(".json"):
        write("FuzzMetadata", "top-" + path, fixture(path))

# Token responses: first byte picks the status (200, 400, 401, 403, 500 by value mod 5).
token = {
    "access_token": "eyJhbGciOiJFUzI1NiJ9.e30.sig", "token_type": "DPoP", "expires_in": 3600,
    "refresh_token": "ref-1", "scope": "atproto transition:generic",
    "sub": "did:plc:ewvi7nxzyoun6zhxrhs64oiz",
}
write("FuzzTokenResponse", "ok", b"\x00" + json.dumps(token).encode())
write("FuzzTokenResponse", "nonce", b"\x01" + b'{"error":"use_dpop_nonce","error_description":"Authorization server requires nonce in DPoP proof"}')
write("FuzzTokenResponse", "www-authenticate", b"\x02" + b'DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof", algs="ES256"')
write("FuzzTokenResponse", "scope-missing", b"\x03" + b'{"error":"ScopeMissingError","message":"Missing required scope \\"repo:app.bsky.feed.post?action=create\\""}')
write("FuzzTokenResponse", "invalid-grant", b"\x01" + b'{"error":"invalid_grant","error_description":"refresh token replayed"}')

# DPoP: mode byte 0 = a compact proof, 1 = claims JSON, 2 = header JSON.
key = ec.generate_private_key(ec.SECP256R1())
numbers = key.public_key().public_numbers()
jwk = {"kty": "EC", "crv": "P-256", "x": b64(numbers.x.to_bytes(32, "big")), "y": b64(numbers.y.to_bytes(32, "big"))}


def proof(claims, header=None):
    header = header or {"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk}
    signing_input = b64(compact_json(header)) + "." + b64(compact_json(claims))
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return signing_input + "." + b64(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


claims = {"jti": "b2a7c5e0", "htm": "POST", "htu": "https://bsky.social/oauth/par", "iat": 1700000000}
resource = dict(claims, htm="GET", htu="https://pds.example/xrpc/com.atproto.server.getSession",
                nonce="n-1", ath=b64(hashlib.sha256(b"access").digest()))
write("FuzzDPoP", "proof", b"\x00" + proof(claims).encode())
write("FuzzDPoP", "proof-resource", b"\x00" + proof(resource).encode())
write("FuzzDPoP", "claims", b"\x01" + compact_json(resource))
write("FuzzDPoP", "header", b"\x02" + compact_json({"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk}))

# Callback queries.
for name, text in {
    "ok": "state=state-123&iss=https%3A%2F%2Fbsky.social&code=cod-abc",
    "denied": "error=access_denied&error_description=The+user+denied&state=state-123&iss=https%3A%2F%2Fbsky.social",
    "plus": "code=a+b%2Bc&state=s%20t&iss=https://bsky.social",
    "duplicate": "state=1&state=2&iss=x&code=c",
}.items():
    write("FuzzCallback", name, text)

# Session files: the current format with a real private key.
private = key.private_numbers().private_value.to_bytes(32, "big")
session = {
    "version": 1, "did": "did:plc:ewvi7nxzyoun6zhxrhs64oiz", "handle": "atproto.com",
    "pds": "https://enoki.us-east.host.bsky.network", "issuer": "https://bsky.social",
    "token_endpoint": "https://bsky.social/oauth/token",
    "revocation_endpoint": "https://bsky.social/oauth/revoke",
    "pushed_authorization_request_endpoint": "https://bsky.social/oauth/par",
    "authorization_endpoint": "https://bsky.social/oauth/authorize",
    "client_id": "http://localhost?redirect_uri=http%3A%2F%2F127.0.0.1%2Fcallback&scope=atproto",
    "redirect_uri": "http://127.0.0.1/callback", "scope": "atproto transition:generic",
    "access_token": "at-1", "refresh_token": "rt-1", "expires_at": "2025-01-01T00:00:00.000Z",
    "dpop_key": dict(jwk, d=b64(private)), "dpop_nonces": {"https://bsky.social": "n-1"},
    "created_at": "2024-12-31T23:00:00.000Z", "refreshed_at": "2024-12-31T23:30:00Z", "needs_login": False,
}
write("FuzzSession", "current", json.dumps(session, indent=2, sort_keys=True))
minimal = {k: v for k, v in session.items() if k not in ("handle", "revocation_endpoint", "refreshed_at", "redirect_uri")}
write("FuzzSession", "minimal", json.dumps(minimal))
write("FuzzSession", "newer", json.dumps(dict(session, version=2)))


# DNS: TXT answers as res_nquery returns them.
def name(text):
    return b"".join(bytes([len(label)]) + label.encode() for label in text.split(".")) + b"\x00"


def dns(rcode=0, answers=(), flags=0x8180, compress=True):
    question = name("_atproto.bsky.app") + struct.pack(">HH", 16, 1)
    out = struct.pack(">HHHHHH", 0x1234, flags | rcode, 1, len(answers), 0, 0) + question
    for strings in answers:
        rdata = b"".join(bytes([len(s)]) + s for s in strings)
        owner = b"\xc0\x0c" if compress else name("_atproto.bsky.app")
        out += owner + struct.pack(">HHIH", 16, 1, 300, len(rdata)) + rdata
    return out


write("FuzzDNS", "txt", dns(answers=[[b"did=did:plc:z72i7hdynmk6r22z27h6tvur"]]))
write("FuzzDNS", "txt-split", dns(answers=[[b"did=did:plc:", b"z72i7hdynmk6r22z27h6tvur"], [b"v=spf1 -all"]], compress=False))
write("FuzzDNS", "nxdomain", dns(rcode=3))
write("FuzzDNS", "truncated", dns(flags=0x8380))
print("seeds written under", CORPUS, file=sys.stderr)
