#!/usr/bin/python3
# tests/arc_seal/arc_verify.py — independent ARC chain validation with python3-dkim
# (dkim.arc_verify). Keys come from a file instead of DNS (dict-based dnsfunc).
#
# usage: arc_verify.py KEYS_FILE MESSAGE_FILE
#   KEYS_FILE: one "NAME<TAB>TXT" per line ("sel._domainkey.example.org\tv=DKIM1; k=rsa; p=...")
# Prints the per-set details and one final "cv=pass|fail|none reason" line; exit 0 on pass.
import sys

import dkim


def main():
    keys = {}
    for line in open(sys.argv[1], encoding="utf-8"):
        line = line.rstrip("\n")
        if "\t" in line:
            name, txt = line.split("\t", 1)
            keys[name.lower().rstrip(".")] = txt.encode()

    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode()
        return keys.get(name.lower().rstrip("."), None)

    msg = open(sys.argv[2], "rb").read()
    cv, results, reason = dkim.arc_verify(msg, dnsfunc=dnsfunc, minkey=1024)
    for r in results:
        print("set i=%s ams=%s as=%s" % (r.get("instance"), r.get("ams-valid"), r.get("as-valid")))
    cv = cv.decode() if isinstance(cv, bytes) else str(cv)
    print("cv=%s %s" % (cv, reason))
    sys.exit(0 if cv == "pass" else 1)


if __name__ == "__main__":
    main()
