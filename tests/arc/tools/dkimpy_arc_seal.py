#!/usr/bin/python3
# tests/arc/tools/dkimpy_arc_seal.py — seals the message on stdin with Debian's python3-dkim
# (dkim.arc_sign) and writes the sealed message (the new ARC set on top) to stdout.
# Usage: dkimpy_arc_seal.py DOMAIN SELECTOR KEYFILE SRV_ID [ed25519]
# KEYFILE is a PEM RSA key, or with `ed25519` the base64 32-byte Ed25519 seed (python3-nacl): dkimpy's
# ARC signer reads PEM only, so for Ed25519 its key parser is swapped for the seed reader, and its
# ARC class is used directly (arc_sign() always asks for rsa-sha256); the signing itself
# (ed25519-sha256, RFC 8463) is dkimpy's.
# The message must carry an Authentication-Results header of SRV_ID (with arc=pass when it
# already has a chain); exit status 1 when arc_sign adds nothing.
import base64
import sys

import dkim

domain, selector, keyfile, srv_id = (a.encode() for a in sys.argv[1:5])
ed25519 = len(sys.argv) > 5 and sys.argv[5] == "ed25519"
message = sys.stdin.buffer.read()
with open(keyfile, "rb") as f:
    key = f.read()
signed = [b"from", b"to", b"subject", b"date", b"message-id"]
if ed25519:
    # arc_sign() always makes rsa-sha256; its ARC class takes the algorithm.
    import nacl.signing

    dkim.parse_pem_private_key = lambda k: nacl.signing.SigningKey(base64.b64decode(k.strip()))
    lines = dkim.ARC(message, signature_algorithm=b"ed25519-sha256").sign(selector, domain, key, srv_id,
                                                                       include_headers=signed)
else:
    lines = dkim.arc_sign(message, selector, domain, key, srv_id, include_headers=signed)
if not lines:
    sys.exit(1)
sys.stdout.buffer.write(b"".join(lines) + message)
