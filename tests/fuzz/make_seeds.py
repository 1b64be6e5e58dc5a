#!/usr/bin/env python3
# tests/fuzz/make_seeds.py — writes the seed corpora tests/fuzz/corpus/<target>/seed-* from the
# real formats: milter packets framed as tests/milterclient's encoder frames them (4-byte
# big-endian length, command, data), DKIM-Signature fields and key records from the DKIM vectors
# in the shared test data, SPF records from the RFC 7208 suite, AR headers from the authres
# vectors, DMARC records from the OpenDMARC cases, DNS replies built byte by byte, and the
# sample config and policy files. Deterministic; rerun after changing it and commit the result.
# Files libFuzzer adds to a corpus (40-hex-digit names) and crash-* reproducers are left alone.
#   usage: tests/fuzz/make_seeds.py [TESTDATA_DIR]   (default ../shared/testdata)
import json
import os
import re
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TESTDATA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "testdata")
CORPUS = os.path.join(HERE, "corpus")


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    name = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def td(*parts):
    return os.path.join(TESTDATA, *parts)


def read(path):
    with open(path, "rb") as f:
        return f.read()


# ---------------------------------------------------------------- milter
def pkt(cmd, data=b""):
    return struct.pack(">I", len(data) + 1) + cmd.encode() + data


def z(s):
    return (s.encode() if isinstance(s, str) else s) + b"\0"


def optneg(protocol=0x1FFFFF, actions=0x1FF, version=6):
    return pkt("O", struct.pack(">III", version, actions, protocol))


def macros(stage, pairs):
    return pkt("D", stage.encode() + b"".join(z(k) + z(v) for k, v in pairs))


def connect(host="client.example", family="4", port=40000, addr="192.0.2.10"):
    if family == "U":
        return pkt("C", z(host) + b"U")
    return pkt("C", z(host) + family.encode() + struct.pack(">H", port) + z(addr))


def message_packets(mail_from, rcpt, raw, chunk=65535):
    head, _, body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
    out = macros("M", [("i", "4XyZ1"), ("{mail_addr}", mail_from)]) + pkt("M", z("<" + mail_from + ">"))
    out += macros("R", [("{rcpt_addr}", rcpt)]) + pkt("R", z("<" + rcpt + ">"))
    out += pkt("T")
    for field in re.split(rb"\n(?![ \t])", head):
        name, _, value = field.partition(b":")
        out += pkt("L", z(name) + z(value.lstrip(b" ").replace(b"\n", b"\r\n")))
    out += pkt("N")
    body = body.replace(b"\n", b"\r\n")
    for i in range(0, len(body), chunk):
        out += pkt("B", body[i:i + chunk])
    return out + pkt("E")


def session(client="192.0.2.10", family="4", protocol=0x1FFFFF, helo="client.example"):
    return (optneg(protocol) + macros("C", [("j", "mx.test"), ("{daemon_name}", "smtpd")]) +
            connect(addr=client, family=family) + macros("H", [("{tls_version}", "TLSv1.3")]) +
            pkt("H", z(helo)))


SIMPLE = (b"From: Alice <a@pass.test>\nTo: b@mx.test\nSubject: hello\n"
          b"Message-ID: <1@pass.test>\n\nHello.\n")


def milter_seeds():
    c = "milter_connection"
    write(c, "pass", session() + message_packets("a@pass.test", "b@mx.test", SIMPLE) + pkt("Q"))
    signed = read(td("dkim-rfc-examples", "rfc6376-A.2-signed.eml"))
    write(c, "dkim-rfc6376", session("192.0.2.1") + message_packets("joe@football.example.com",
                                                                   "suzie@shopping.example.net", signed) + pkt("Q"))
    bank = SIMPLE.replace(b"a@pass.test", b"ceo@bank.test")
    write(c, "dmarc-fail", session("198.51.100.7") + message_packets("x@bank.test", "b@mx.test", bank) + pkt("Q"))
    write(c, "two-messages-abort", session() + message_packets("a@pass.test", "b@mx.test", SIMPLE)[:-5] +
          pkt("A") + message_packets("a@pass.test", "c@mx.test", SIMPLE) + pkt("Q"))
    write(c, "quit-nc-reuse", session() + message_packets("a@pass.test", "b@mx.test", SIMPLE) + pkt("K") +
          macros("C", [("j", "mx.test")]) + connect(addr="2001:db8::5", family="6") + pkt("H", z("v6.example")) +
          message_packets("a@six.test", "b@mx.test", SIMPLE) + pkt("Q"))
    write(c, "ipv6", session("2001:db8::1", "6") + message_packets("a@pass.test", "b@mx.test", SIMPLE) + pkt("Q"))
    write(c, "unix-unknown", optneg() + connect(family="U") + pkt("H", z("local")) + pkt("U", z("VRFY root")) + pkt("Q"))
    write(c, "no-reply-stages", session(protocol=0xFF000 | 0x100000) +
          message_packets("a@pass.test", "b@mx.test", SIMPLE) + pkt("Q"))
    write(c, "protocol-0", session(protocol=0) + message_packets("a@pass.test", "b@mx.test", SIMPLE) + pkt("Q"))
    multi_from = b"From: a@pass.test\nFrom: b@bank.test\nSubject: two\n\nbody\n"
    write(c, "multiple-from", session() + message_packets("a@pass.test", "b@mx.test", multi_from) + pkt("Q"))
    auth = optneg() + connect() + pkt("H", z("c")) + macros("M", [("{auth_authen}", "alice"), ("{auth_type}", "PLAIN")])
    write(c, "authenticated", auth + message_packets("a@bank.test", "b@mx.test", SIMPLE) + pkt("Q"))
    big = b"From: a@pass.test\nSubject: big\n\n" + b"x" * 70000 + b"\n"
    write(c, "body-chunks", session() + message_packets("a@pass.test", "b@mx.test", big, 4096) + pkt("Q"))
    write(c, "before-negotiation", connect() + pkt("Q"))
    write(c, "truncated", session()[:-3])
    import yaml
    for doc in yaml.safe_load_all(open(td("arc-test-suite", "arc-draft-validation-tests.yml"), encoding="utf-8")):
        if "cv_pass_i3_1" in doc["tests"]:  # a three-set ARC chain: the core's ARC path (its key is absent)
            arc = doc["tests"]["cv_pass_i3_1"]["message"].encode()
            write(c, "arc-chain", session() + message_packets("jqd@d1.example.org", "b@mx.test", arc) + pkt("Q"))
    # The codec target sees the same streams.
    for name in ("pass", "unix-unknown", "truncated", "before-negotiation"):
        write("milter_codec", name, read(os.path.join(CORPUS, c, "seed-" + name)))
    write("milter_codec", "oversize", b"\xff\xff\xff\xf0O")
    write("milter_codec", "zero-length", b"\0\0\0\0")
    write("milter_codec", "replycode", pkt("y", z("550 5.7.1 rejected by DMARC policy for bank.test (p=reject)")))


# ---------------------------------------------------------------- DKIM
def header_fields(raw):
    head = raw.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
    for field in re.split(rb"\n(?![ \t])", head):
        name, _, value = field.partition(b":")
        yield name, value


def dkim_seeds():
    n = 0
    for sub, files in (("dkim-rfc-examples", ["rfc6376-A.2-signed.eml", "rfc8463-A.3-signed.eml"]),
                       ("dkim-dkimpy/data", ["rfc6376.signed.msg", "rfc6376.signed.rsa.msg", "test2.message",
                                             "ed25519test2.msg", "test.message.baddomain"])):
        for fn in files:
            for name, value in header_fields(read(td(sub, fn))):
                if name.lower() == b"dkim-signature":
                    n += 1
                    write("dkim_signature", "%02d-%s" % (n, fn), value.replace(b"\n", b"\r\n"))
    hand = {
        "dup-tag": "v=1; a=rsa-sha256; d=example.com; d=example.org; s=s; h=from; bh=AA==; b=AA==",
        "l-and-z": "v=1; a=rsa-sha1; c=relaxed; d=example.com; s=s; h=From:Subject; l=10; z=From:a@b|To:c; "
                   "t=1700000000; x=1700003600; bh=AAAA; b=AA AA==",
        "bad-version": "v=2; a=rsa-sha256; d=example.com; s=s; h=from; bh=; b=",
        "ed25519-i": "v=1; a=ed25519-sha256; d=example.com; i=@sub.example.com; s=e; h=from:from; bh=AA==; b=",
        "empty": "",
        "8bit": "v=1; a=rsa-sha256; d=exa\xe9mple.com; s=s; h=from; bh=AA==; b=AA==",
    }
    for k, v in hand.items():
        write("dkim_signature", k, v)
    # Key records: the dkimpy DNS table (inline values and @files) and the RFC zone files.
    for line in read(td("dkim-dkimpy", "dns-records.tsv")).decode().splitlines():
        if line.startswith("#") or "\t" not in line:
            continue
        owner, value = line.split("\t")[:2]
        if value.startswith("@"):
            value = read(td("dkim-dkimpy", "data", value[1:])).decode().strip()
        write("dkim_key", owner.rstrip("."), value)
    for fn in ("rfc6376.zone", "rfc8463.zone"):
        text = read(td("dkim-rfc-examples", fn)).decode()
        for i, rec in enumerate(re.findall(r"\(([^)]*)\)", text)):
            write("dkim_key", "%s-%d" % (fn, i), "".join(re.findall(r'"([^"]*)"', rec)))
    for fn in ("1024_testkey_wo_markers.pub.rsa.txt", "2048_testkey_wo_markers.pub.rsa.txt",
               "2048_testkey_wo_markers.pub.txt"):
        key = read(td("dkim-dkimpy", "data", fn)).decode().replace("\n", "")
        write("dkim_key", "pkcs1-" + fn, "v=DKIM1; k=rsa; p=" + key)
    write("dkim_key", "revoked", "v=DKIM1; p=")
    write("dkim_key", "h-t-flags", "v=DKIM1; h=sha256:sha1; k=rsa; t=y:s; s=email; n=note; p=AAAA")


# ---------------------------------------------------------------- SPF
def arc_seeds():
    import yaml
    # A spread of the ARC validation suite's messages (passing chains of 1 to 5 sets and every
    # kind of fault), as header block + body, plus a few hand-made hostile ones.
    ids = ("cv_pass_i1_1", "cv_pass_i3_1", "cv_pass_i5_1", "cv_pass_i2_1_ams1_invalid", "cv_fail_i2_as1_pass",
           "ams_struct_dup", "ams_fields_h_includes_as", "ams_fields_c_rs", "as_fields_b_512", "aar_i_no_semi",
           "as_format_tags_sc", "public_key_invalid")
    for doc in yaml.safe_load_all(open(td("arc-test-suite", "arc-draft-validation-tests.yml"), encoding="utf-8")):
        for tid, t in doc["tests"].items():
            if tid in ids:
                write("arc_headers", tid, t["message"])
    hand = {
        "instance-zero": "ARC-Seal: i=0; a=rsa-sha256; cv=none; d=example.org; s=dummy; b=AA==\n\nx\n",
        "seal-with-h": "ARC-Seal: i=1; a=rsa-sha256; cv=none; d=example.org; s=dummy; h=from; b=AA==\n\n",
        "aar-long-id": "ARC-Authentication-Results: i=1; " + "a" * 700 + "; dmarc=pass\n\n",
        "fifty-one": "".join("ARC-Seal: i=%d; a=rsa-sha256; cv=pass; d=example.org; s=dummy; b=AA==\n" % i
                             for i in range(51, 0, -1)) + "\n",
    }
    for k, v in hand.items():
        write("arc_headers", k, v)


def spf_seeds():
    import yaml
    records = []
    for doc in yaml.safe_load_all(open(td("spf-rfc7208", "rfc7208-tests.yml"), encoding="utf-8")):
        for owner, rrs in (doc.get("zonedata") or {}).items():
            for rr in rrs:
                if isinstance(rr, dict):
                    for typ in ("SPF", "TXT"):
                        v = rr.get(typ)
                        if isinstance(v, list):
                            v = "".join(v)
                        if isinstance(v, str) and v.lower().startswith("v=spf1") and v not in records:
                            records.append(v)
    # Every 5th distinct record keeps the corpus small but spread over the whole suite.
    for i, r in enumerate(records[::5]):
        write("spf_record", "%03d" % i, r)
    write("spf_record", "all-mechanisms", "v=spf1 a:a.example.com/24//64 mx:%{d}/30 ptr:%{ir}.example "
          "ip4:192.0.2.0/24 ip6:2001:db8::/32 exists:%{l1r+-}.%{d} include:_spf.example.com "
          "redirect=_spf.example.org exp=explain._spf.%{d} x-unknown=%{s} ?all")
    macros_ = ["%{s}", "%{o}", "%{d}", "%{d4}", "%{d3}", "%{d2}", "%{d1}", "%{dr}", "%{d2r}", "%{l}",
               "%{l-}", "%{lr}", "%{lr-}", "%{l1r-}", "%{ir}.%{v}._spf.%{d2}", "%{lr-}.lp._spf.%{d2}",
               "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "%{d2}.trusted-domains.example.net",
               "%{c} %{r} %{t} %{p} %%%_%-", "%{i}", "%{h}.%{d}", "%{S}", "%{d0}", "%{d999r}", "%{x}", "%{d",
               "foo.%{d}.", "explain %{s} from %{c} at %{t}"]
    for i, m in enumerate(macros_):
        write("spf_macro", "%02d" % i, bytes([i % 6]) + m.encode())


# ---------------------------------------------------------------- AR, DMARC, From
def text_seeds():
    d = json.load(open(td("authres", "authres-cases.json"), encoding="utf-8"))
    for i, case in enumerate(d["parse"][:25]):
        h = case["header"]
        write("authres", "%02d" % i, h.split(":", 1)[1].lstrip() if h.lower().startswith("authentication-results:") else h)
    d = json.load(open(td("dmarc-opendmarc", "opendmarc-cases.json"), encoding="utf-8"))
    for case in d["record_parse"]["cases"]:
        write("dmarc_record", "opendmarc-%02d" % case["n"], case["record"])
    write("dmarc_record", "all-tags", "v=DMARC1; p=quarantine; sp=reject; np=none; adkim=s; aspf=r; pct=50; "
          "fo=0:1:d:s; rf=afrf; ri=3600; rua=mailto:a@example.com!10m,mailto:b@example.org; "
          "ruf=mailto:f@example.com; t=y; psd=n")
    froms = {
        "simple": "a@example.com", "display": "\"Smith, John\" <john@Example.COM.>",
        "comments": "(c (nested)) a(x)@(y)example.com (z)", "group": "undisclosed:;",
        "group-one": "team: a@example.com;", "two": "a@example.com, b@example.org",
        "quoted-local": "\"a<b>@c\"@example.com", "encoded": "=?utf-8?q?J=C3=B6rg?= <j@example.com>",
        "idn": "j@b\xc3\xbccher.example", "literal": "a@[192.0.2.1]", "obs-phrase": "A. B. <a@example.com>",
        "two-headers": "a@example.com\0b@example.org", "no-at": "alice", "unbalanced": "<a@example.com",
        "folded": "Alice\r\n <a@example.com>",
    }
    for k, v in froms.items():
        write("from_header", k, v.encode("latin-1"))


# ---------------------------------------------------------------- DNS
def dns_name(n):
    return b"".join(bytes([len(l)]) + l.encode() for l in n.split(".") if l) + b"\0"


def rr(owner, typ, rdata, ttl=300):
    o = owner if isinstance(owner, bytes) else dns_name(owner)
    return o + struct.pack(">HHIH", typ, 1, ttl, len(rdata)) + rdata


def reply(qname, qtype, answers=(), authority=(), rcode=0, flags=0x8180, extra=()):
    h = struct.pack(">HHHHHH", 0x1234, flags | rcode, 1, len(answers), len(authority), len(extra))
    return h + dns_name(qname) + struct.pack(">HH", qtype, 1) + b"".join(answers) + b"".join(authority) + b"".join(extra)


def txt(*strings):
    return b"".join(bytes([len(s)]) + s.encode() for s in strings)


def soa(minimum=60):
    return dns_name("ns.example.com") + dns_name("hostmaster.example.com") + struct.pack(">IIIII", 1, 2, 3, 4, minimum)


def dns_seeds():
    ptr = b"\xc0\x0c"  # the question name
    w = lambda n, b: write("dns_answer", n, b)
    w("a", reply("example.com", 1, [rr(ptr, 1, bytes([192, 0, 2, 1])), rr(ptr, 1, bytes([192, 0, 2, 2]), 60)]))
    w("aaaa", reply("example.com", 28, [rr(ptr, 28, bytes(range(16)))]))
    w("txt-split", reply("example.com", 16, [rr(ptr, 16, txt("v=spf1 ip4:192.0.2.0/24 ", "-all"))]))
    w("txt-dkim", reply("sel._domainkey.example.com", 16, [rr(ptr, 16, txt("v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="))]))
    w("mx", reply("example.com", 15, [rr(ptr, 15, struct.pack(">H", 10) + dns_name("mx.example.com")),
                                      rr(ptr, 15, struct.pack(">H", 20) + b"\x02mx\xc0\x0c")]))
    w("ptr", reply("1.2.0.192.in-addr.arpa", 12, [rr(ptr, 12, dns_name("host.example.com"))]))
    w("cname-chain", reply("www.example.com", 16, [rr(ptr, 5, dns_name("alias.example.com")),
                                                   rr("alias.example.com", 16, txt("v=spf1 -all"), 30)]))
    w("cname-out", reply("www.example.com", 1, [rr(ptr, 5, dns_name("target.example.net"))]))
    w("cname-loop", reply("a.example.com", 1, [rr(ptr, 5, dns_name("b.example.com")), rr("b.example.com", 5, dns_name("a.example.com"))]))
    w("nxdomain", reply("nx.example.com", 16, authority=[rr("example.com", 6, soa(120), 3600)], rcode=3))
    w("nodata", reply("example.com", 28, authority=[rr("example.com", 6, soa(30))]))
    w("servfail", reply("example.com", 16, rcode=2))
    w("refused", reply("example.com", 16, rcode=5))
    w("truncated-tc", reply("example.com", 16, flags=0x8380))
    w("additional", reply("example.com", 15, [rr(ptr, 15, b"\0\x0a" + dns_name("mx.example.com"))],
                          extra=[rr("mx.example.com", 1, bytes([192, 0, 2, 9]))]))
    w("pointer-loop", reply("example.com", 1, [rr(b"\xc0\x22", 1, bytes(4))]))
    w("query-only", reply("example.com", 16, flags=0x0100))


# ---------------------------------------------------------------- files
def file_seeds():
    write("config", "sample", read(os.path.join(ROOT, "etc", "authmilter.conf")))
    write("config", "minimal", "AuthservID mx.test\nSyslog no\nInternalHosts 10.0.0.0/8\n")
    write("config", "errors", "AuthservID\nNoSuchKey 1\nDNSTimeout -5\nSocket nowhere\nDKIMAlgorithms rsa-sha1,\n")
    write("config", "sockets", "AuthservID a\nSocket unix:/run/authmilter/s.sock\nSocket inet6:8894@[::1]\n"
          "KeyTable refile:/etc/k\nSigningTable /etc/s\n")
    policy = read(os.path.join(ROOT, "etc", "authmilter.policy"))
    write("policy_file", "sample", policy)
    uncommented = b"\n".join(l[1:] for l in policy.splitlines() if re.match(rb"#[a-z]", l))
    write("policy_file", "all-directives", uncommented + b"\n")
    write("policy_file", "errors", "domain\nfrom sometimes reject\npct maybe\ninternal 10.0.0.0/33\nsign * nokey\nbogus x\n")
    write("policy_file", "any", "allow-client any\nforwarder .Lists.Example.ORG 2001:db8::/129\nskip-internal off\n")
    st = {
        "plain": "k1 example.com:sel:/etc/keys/k1.pem\nk2 example.org:ed:file:/etc/keys/k2.pem\n%%\n"
                 "user@example.com k1\nexample.com k1\n.example.org k2\n*  k2\n",
        "refile": "k1 %:sel:/k\n# comment\n\nk2 example.com:s2:/k2 extra\n%%\nrefile:\n*@example.com k1\n*@*.example.org k1 signer\n* %\n",
        "errors": "nocolon\nk1 a:b\nk1 a:b:c\n%%\nx@y missing\n\n  \nlonely\n",
        "keys-only": "k1 example.com:s:/k\n",
    }
    for k, v in st.items():
        write("signing_table", k, v)


if __name__ == "__main__":
    milter_seeds()
    dkim_seeds()
    arc_seeds()
    spf_seeds()
    text_seeds()
    dns_seeds()
    file_seeds()
    for t in sorted(os.listdir(CORPUS)):
        print("%-20s %3d seeds" % (t, len([f for f in os.listdir(os.path.join(CORPUS, t)) if f.startswith("seed-")])))
