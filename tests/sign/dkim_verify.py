#!/usr/bin/python3
# tests/sign/dkim_verify.py — independent DKIM verification for the signing tests, with
# python3-dkim (dkimpy). Keys come from a file instead of DNS (dict-based dnsfunc).
#
# usage: dkim_verify.py KEYS_FILE MESSAGE_FILE...
#   KEYS_FILE: one "NAME<TAB>TXT" per line, e.g. "sel._domainkey.example.com\tv=DKIM1; k=rsa; p=..."
# Verifies every DKIM-Signature of every message. Prints "msg M sig N: pass|fail" lines and
# one "msg M: pass|fail (K signatures)" line per message; a message passes only if it has at
# least one signature and all of them pass. Exit status 0 if every message passes, else 1.
import sys

import dkim


def load_keys(path):
    keys = {}
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if "\t" in line:
            name, txt = line.split("\t", 1)
            keys[name.lower().rstrip(".")] = txt.encode()
    return keys


def verify(path, dnsfunc, m):
    d = dkim.DKIM(open(path, "rb").read(), minkey=1024)
    count = sum(1 for (n, _) in d.headers if n.lower() == b"dkim-signature")
    ok = count > 0
    for i in range(count):
        try:
            res = d.verify(idx=i, dnsfunc=dnsfunc)
        except Exception as e:  # a verification error is a failure, reported
            print("msg %d sig %d: error %s" % (m, i, e))
            res = False
        print("msg %d sig %d: %s" % (m, i, "pass" if res else "fail"))
        ok = ok and res
    print("msg %d: %s (%d signatures)" % (m, "pass" if ok else "fail", count))
    return ok


def main():
    keys = load_keys(sys.argv[1])

    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode()
        return keys.get(name.lower().rstrip("."), None)

    results = [verify(p, dnsfunc, m) for m, p in enumerate(sys.argv[2:])]
    sys.exit(0 if results and all(results) else 1)


main()
