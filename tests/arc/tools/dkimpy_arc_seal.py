#!/usr/bin/python3
# tests/arc/tools/dkimpy_arc_seal.py — seals the message on stdin with Debian's python3-dkim
# (dkim.arc_sign) and writes the sealed message (the new ARC set on top) to stdout.
# Usage: dkimpy_arc_seal.py DOMAIN SELECTOR KEYFILE SRV_ID [TIMESTAMP]
# The message must carry an Authentication-Results header of SRV_ID (with arc=pass when it
# already has a chain); exit status 1 when arc_sign adds nothing.
import sys

import dkim

domain, selector, keyfile, srv_id = (a.encode() for a in sys.argv[1:5])
timestamp = sys.argv[5] if len(sys.argv) > 5 else None
message = sys.stdin.buffer.read()
with open(keyfile, "rb") as f:
    key = f.read()
lines = dkim.arc_sign(message, selector, domain, key, srv_id, timestamp=timestamp,
                      include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
if not lines:
    sys.exit(1)
sys.stdout.buffer.write(b"".join(lines) + message)
