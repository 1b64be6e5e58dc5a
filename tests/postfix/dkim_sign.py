#!/usr/bin/python3
# tests/postfix/dkim_sign.py — signs a CRLF message file with python3-dkim (Debian) for the Postfix
# end-to-end test, so the message arrives at Postfix with a DKIM signature made outside authmilter.
# Usage: dkim_sign.py KEYFILE SELECTOR DOMAIN IN OUT. Exit 0 on success.
import sys

import dkim


def main():
    key, selector, domain, src, dst = sys.argv[1:6]
    with open(src, "rb") as f:
        msg = f.read()
    with open(key, "rb") as f:
        pem = f.read()
    sig = dkim.sign(msg, selector.encode(), domain.encode(), pem,
                    canonicalize=(b"relaxed", b"relaxed"),
                    include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
    with open(dst, "wb") as f:
        f.write(sig + msg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
