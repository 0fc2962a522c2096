#!/usr/bin/env python3
"""Independently verify DPoP proofs (RFC 9449) produced by the Swift library.

Usage: verify_dpop_proofs.py FILE

FILE holds JSON lines {"proof", "method", "url", "nonce", "access_token"} (nonce and
access_token may be null). Each proof is checked with joserfc, a JOSE implementation
that shares no code with ours: header typ/alg/jwk (public only), the ES256 signature
under the embedded jwk, htm, htu (the URL without query/fragment, RFC 3986 normalised),
iat (an integer within 300 s of now), a jti unique across the file, nonce, and ath.

Prints "N verified, M failed" and exits non-zero if any proof fails.
"""

import base64
import hashlib
import json
import sys
import time
from urllib.parse import urlsplit, urlunsplit

from joserfc import jws
from joserfc.jwk import ECKey

IAT_WINDOW_SECONDS = 300


def b64url_decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def b64url_sha256(text: str) -> str:
    digest = hashlib.sha256(text.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def expected_htu(url: str) -> str:
    """RFC 9449 §4.3: compare without query and fragment, after RFC 3986 §6.2.2/§6.2.3
    normalisation (lower-case scheme and host, default port dropped, empty path is /)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port is not None and not ((scheme == "https" and port == 443) or (scheme == "http" and port == 80)):
        host = f"{host}:{port}"
    return urlunsplit((scheme, host, parts.path or "/", "", ""))


def check(entry: dict, seen_jtis: set, now: int) -> list:
    problems = []
    proof = entry["proof"]
    segments = proof.split(".")
    if len(segments) != 3:
        return [f"expected 3 segments, got {len(segments)}"]
    header = json.loads(b64url_decode(segments[0]))
    if header.get("typ") != "dpop+jwt":
        problems.append(f"typ {header.get('typ')!r}")
    if header.get("alg") != "ES256":
        problems.append(f"alg {header.get('alg')!r}")
    jwk = header.get("jwk")
    if not isinstance(jwk, dict):
        return problems + ["jwk missing"]
    if "d" in jwk:
        problems.append("jwk contains private member d")
    if set(jwk) != {"kty", "crv", "x", "y"}:
        problems.append(f"jwk members {sorted(jwk)}")
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        problems.append(f"jwk kty/crv {jwk.get('kty')!r}/{jwk.get('crv')!r}")

    try:
        key = ECKey.import_key(jwk)
        token = jws.deserialize_compact(proof, key, algorithms=["ES256"])
    except Exception as error:  # any joserfc failure is a failed proof
        return problems + [f"signature: {type(error).__name__}: {error}"]
    claims = json.loads(token.payload)

    if claims.get("htm") != entry["method"].upper():
        problems.append(f"htm {claims.get('htm')!r} != {entry['method'].upper()!r}")
    want_htu = expected_htu(entry["url"])
    if claims.get("htu") != want_htu:
        problems.append(f"htu {claims.get('htu')!r} != {want_htu!r}")
    iat = claims.get("iat")
    if type(iat) is not int:
        problems.append(f"iat {iat!r} is not an integer")
    elif abs(iat - now) > IAT_WINDOW_SECONDS:
        problems.append(f"iat {iat} more than {IAT_WINDOW_SECONDS}s from now ({now})")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        problems.append("jti missing")
    elif jti in seen_jtis:
        problems.append(f"jti {jti!r} reused")
    else:
        seen_jtis.add(jti)

    nonce = entry.get("nonce")
    if nonce is not None and claims.get("nonce") != nonce:
        problems.append(f"nonce {claims.get('nonce')!r} != {nonce!r}")
    if nonce is None and "nonce" in claims:
        problems.append("nonce present but none was given")

    access_token = entry.get("access_token")
    if access_token is not None:
        want_ath = b64url_sha256(access_token)
        if claims.get("ath") != want_ath:
            problems.append(f"ath {claims.get('ath')!r} != {want_ath!r}")
    elif "ath" in claims:
        problems.append("ath present without an access token")
    return problems


def main(argv: list) -> int:
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    now = int(time.time())
    verified = failed = 0
    seen_jtis: set = set()
    with open(argv[1], encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                problems = check(json.loads(line), seen_jtis, now)
            except Exception as error:
                problems = [f"{type(error).__name__}: {error}"]
            if problems:
                failed += 1
                print(f"line {number}: " + "; ".join(problems), file=sys.stderr)
            else:
                verified += 1
    print(f"{verified} verified, {failed} failed")
    return 1 if failed or not verified else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
