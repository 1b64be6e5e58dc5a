#!/usr/bin/python3
# tests/arc_seal/arc_sign.py — seals a message with python3-dkim (dkim.arc_sign), to build the
# chains that authmilter's sealer then extends. The chain status is taken by dkimpy from the
# arc= result of the newest Authentication-Results of SRV_ID.
#
# usage: arc_sign.py KEY_PEM DOMAIN SELECTOR SRV_ID TIMESTAMP IN_FILE OUT_FILE
# Writes IN_FILE with the new ARC set on top to OUT_FILE; exit 1 if dkimpy added no set.
import sys

import dkim


def main():
    key, domain, selector, srv_id, ts, src, dst = sys.argv[1:8]
    msg = open(src, "rb").read()
    headers = [b"from", b"to", b"subject", b"date", b"message-id"]
    fields = dkim.arc_sign(msg, selector.encode(), domain.encode(), open(key, "rb").read(), srv_id.encode(),
                           include_headers=headers, timestamp=ts)
    if not fields:
        print("dkim.arc_sign added no set")
        sys.exit(1)
    with open(dst, "wb") as out:
        out.write(b"".join(fields) + msg)
    for f in fields:
        print(f.decode().rstrip())


if __name__ == "__main__":
    main()
