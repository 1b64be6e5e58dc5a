#!/usr/bin/env python3
# tests/reports/parse_failure_report.py — parses one failure report (a file of raw bytes) with
# Python's standard `email` package, an independent MIME parser, and prints what failure_test.cpp
# checks as JSON: the top content type and its report-type, the parser's defects, and per part its
# content type, its header fields and, for the feedback report, the original header fields and
# the enclosed message, the fields and the body as the parser sees them.
#   usage: parse_failure_report.py FILE
import email
import email.parser
import email.policy
import json
import sys


def text(s):
    """A str the JSON reader can take (lone surrogates from undecodable bytes become U+FFFD)."""
    if s is None:
        return None
    if isinstance(s, bytes):
        return s.decode("utf-8", "replace")
    return str(s).encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def items(msg):
    # raw_items: the values as they were in the bytes (items() would make Header objects of
    # values with 8-bit bytes).
    return [[text(k), text(v)] for k, v in msg.raw_items()]


def defects(msg):
    out = [type(d).__name__ for d in msg.defects]
    if msg.is_multipart():
        for p in msg.get_payload():
            out += defects(p)
    return out


def main():
    raw = open(sys.argv[1], "rb").read()
    top = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(raw)
    res = {
        "content_type": top.get_content_type(),
        "report_type": text(top.get_param("report-type")),
        "top": items(top),
        "defects": defects(top),
        "parts": [],
    }
    if top.is_multipart():
        for p in top.get_payload():
            part = {"content_type": p.get_content_type(), "headers": items(p)}
            payload = p.get_payload()
            if isinstance(payload, list):  # message/*: the parser made a message of it
                inner = payload[0] if payload else None
                part["fields"] = items(inner) if inner is not None else []
                if inner is not None and not inner.is_multipart():
                    part["body"] = text(inner.get_payload(decode=False))
            else:
                # The octets (get_payload() would turn each 8-bit byte into U+FFFD).
                body = (p.get_payload(decode=True) or b"").decode("utf-8", "surrogateescape")
                part["text"] = text(body)
                if p.get_content_type() == "text/rfc822-headers":
                    hdrs = email.parser.HeaderParser(policy=email.policy.compat32).parsestr(body)
                    part["fields"] = items(hdrs)
                    part["defects"] = [type(d).__name__ for d in hdrs.defects]
            res["parts"].append(part)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
