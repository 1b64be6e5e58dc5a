#!/usr/bin/python3
# tests/dkim/tools/dkimpy_sign.py — signs stdin with dkimpy (Debian python3-dkim) and writes the
# signed message (DKIM-Signature prepended) to stdout. Used by the interop and conformance tests.
# usage: dkimpy_sign.py KEYFILE SELECTOR DOMAIN HCANON BCANON ALG LENGTH(0|1)
import sys
import dkim

def main():
    key, sel, dom, hc, bc, alg, length = sys.argv[1:8]
    msg = sys.stdin.buffer.read()
    with open(key, 'rb') as f:
        priv = f.read()
    sig = dkim.sign(msg, sel.encode(), dom.encode(), priv,
                    canonicalize=(hc.encode(), bc.encode()),
                    signature_algorithm=alg.encode(), length=(length == '1'))
    sys.stdout.buffer.write(sig + msg)

if __name__ == '__main__':
    main()
