#!/usr/bin/env python3
# tests/support/smtpsink/smtp_sink.py — a small SMTP server for tests (Python standard library
# only): listens on 127.0.0.1 on a free port, prints "listening PORT" on stdout, and stores each
# accepted message as DIR/NNNN.eml with its envelope in DIR/NNNN.env ("MAIL FROM" and one "RCPT"
# line each). --tempfail-first N answers the first N messages' end of data with 451 (nothing
# stored); --hang-first N reads the first N messages' data and then never answers (nothing stored),
# like a relay that hangs mid-send. Runs until killed.
import argparse
import os
import socketserver
import sys
import threading

lock = threading.Lock()
state = {"n": 0, "tempfail": 0, "hang": 0}


class Handler(socketserver.StreamRequestHandler):
    def reply(self, line):
        self.wfile.write((line + "\r\n").encode())
        self.wfile.flush()

    def handle(self):
        self.reply("220 sink.test ESMTP")
        mail, rcpts = None, []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.decode("latin-1").rstrip("\r\n")
            verb = cmd[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250-sink.test")
                self.reply("250 8BITMIME")
            elif verb == "MAIL":
                mail, rcpts = cmd[10:].strip(), []
                self.reply("250 2.1.0 ok")
            elif verb == "RCPT":
                rcpts.append(cmd[8:].strip())
                self.reply("250 2.1.5 ok")
            elif verb == "DATA":
                self.reply("354 go ahead")
                data = []
                while True:
                    l = self.rfile.readline()
                    if not l or l in (b".\r\n", b".\n"):
                        break
                    data.append(l[1:] if l.startswith(b"..") else l)
                with lock:
                    hang = state["hang"] > 0
                    if hang:
                        state["hang"] -= 1
                if hang:
                    print("hanging", flush=True)
                    threading.Event().wait()
                with lock:
                    if state["tempfail"] > 0:
                        state["tempfail"] -= 1
                        self.reply("451 4.3.0 try again later")
                        continue
                    state["n"] += 1
                    base = os.path.join(args.dir, "%04d" % state["n"])
                with open(base + ".env", "w") as f:
                    f.write("MAIL " + (mail or "") + "\n")
                    for r in rcpts:
                        f.write("RCPT " + r + "\n")
                with open(base + ".tmp", "wb") as f:
                    f.write(b"".join(data))
                os.rename(base + ".tmp", base + ".eml")
                self.reply("250 2.0.0 queued as %04d" % state["n"])
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            elif verb in ("RSET", "NOOP"):
                self.reply("250 ok")
            else:
                self.reply("502 5.5.2 not implemented")


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


p = argparse.ArgumentParser()
p.add_argument("--dir", required=True)
p.add_argument("--tempfail-first", type=int, default=0)
p.add_argument("--hang-first", type=int, default=0)
args = p.parse_args()
state["tempfail"] = args.tempfail_first
state["hang"] = args.hang_first
srv = Server(("127.0.0.1", 0), Handler)
print("listening %d" % srv.server_address[1], flush=True)
srv.serve_forever()
