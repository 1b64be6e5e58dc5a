// tests/milterclient/main.cpp — am-milter-client: send a .eml file through a milter the way
// Postfix would, and print what the filter decided.
//   am-milter-client -s SOCKET [--from A] [--rcpt B]... [--client-addr IP] [--client-name N]
//                    [--helo H] [--macro k=v]... [--repeat N] [--chunk N] [--timeout SEC] FILE.eml
// --repeat N sends the message N times over one milter connection. Exit status: 0 when every
// transaction ended in a final action from the filter, 1 on protocol/connection errors, 2 on
// usage or input errors.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "common/strings.h"
#include "tests/milterclient/milter_client.h"

namespace mc = am::milter_client;

namespace {

struct Args {
  std::string socket, file;
  std::optional<std::string> from;
  std::vector<std::string> rcpts;
  std::optional<std::string> clientAddr, clientName, helo;
  std::map<std::string, std::string> macros;
  long repeat = 1, chunk = 65535, timeoutSec = 30;
};

int usage(const std::string& why) {
  if (!why.empty()) std::cerr << "am-milter-client: " << why << "\n";
  std::cerr << "usage: am-milter-client -s SOCKET [--from A] [--rcpt B]... [--client-addr IP]\n"
               "         [--client-name N] [--helo H] [--macro k=v]... [--repeat N] [--chunk N]\n"
               "         [--timeout SEC] FILE.eml\n";
  return 2;
}

bool number(const std::string& s, long lo, long hi, long& out) {
  char* end = nullptr;
  long v = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || v < lo || v > hi) return false;
  out = v;
  return true;
}

// Returns an error text, empty on success.
std::string parseArgs(int argc, char** argv, Args& a) {
  for (int i = 1; i < argc; ++i) {
    std::string opt = argv[i];
    if (opt.empty() || opt[0] != '-') {
      if (!a.file.empty()) return "more than one input file";
      a.file = opt;
      continue;
    }
    if (i + 1 >= argc) return "option " + opt + " needs a value";
    std::string v = argv[++i];
    if (opt == "-s" || opt == "--socket") a.socket = v;
    else if (opt == "--from") a.from = v;
    else if (opt == "--rcpt") a.rcpts.push_back(v);
    else if (opt == "--client-addr") a.clientAddr = v;
    else if (opt == "--client-name") a.clientName = v;
    else if (opt == "--helo") a.helo = v;
    else if (opt == "--macro") {
      auto eq = v.find('=');
      if (eq == std::string::npos || eq == 0) return "--macro wants name=value";
      a.macros[v.substr(0, eq)] = v.substr(eq + 1);
    } else if (opt == "--repeat") {
      if (!number(v, 1, 1000000, a.repeat)) return "bad --repeat";
    } else if (opt == "--chunk") {
      if (!number(v, 1, 65535, a.chunk)) return "bad --chunk (1..65535)";
    } else if (opt == "--timeout") {
      if (!number(v, 1, 86400, a.timeoutSec)) return "bad --timeout";
    } else {
      return "unknown option " + opt;
    }
  }
  if (a.socket.empty()) return "-s SOCKET is required";
  if (a.file.empty()) return "no input file";
  return {};
}

// Envelope sender default: the Return-Path header if present, else the null sender.
std::string defaultFrom(const mc::Message& m) {
  for (const auto& [name, value] : m.headers)
    if (am::iequals(name, "Return-Path")) return std::string(am::trim(value));
  return "<>";
}

void printHeaders(const mc::HeaderList& h) {
  for (const auto& [name, value] : h) std::cout << "  " << name << ": " << value << "\n";
}

void printResult(long n, const mc::Result& r) {
  std::cout << "message " << n << ": action=" << mc::actionName(r.action) << " stage=" << r.stage << "\n";
  if (!r.replyText.empty()) std::cout << (r.ok() ? "reply: " : "error: ") << r.replyText << "\n";
  if (r.quarantined) std::cout << "quarantine: " << r.quarantineReason << "\n";
  static const char* kinds[] = {"add", "insert", "change"};
  for (const auto& c : r.changes) {
    bool del = c.kind == mc::HeaderChange::Kind::Change && c.value.empty();
    std::cout << "change: " << (del ? "delete" : kinds[static_cast<int>(c.kind)]) << " index=" << c.index
              << " " << c.name << (del ? "" : ": " + c.value) << "\n";
  }
  for (const auto& x : r.addedRcpts) std::cout << "add-rcpt: " << x << "\n";
  for (const auto& x : r.deletedRcpts) std::cout << "del-rcpt: " << x << "\n";
  if (r.newMailFrom) std::cout << "change-from: " << *r.newMailFrom << "\n";
  if (r.replacedBody) std::cout << "replaced-body: " << r.replacedBody->size() << " bytes\n";
  if (r.ok()) {
    std::cout << "final headers:\n";
    printHeaders(r.finalHeaders);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (auto why = parseArgs(argc, argv, a); !why.empty()) return usage(why);
  std::ifstream in(a.file, std::ios::binary);
  if (!in) return usage("cannot read " + a.file);
  std::stringstream raw;
  raw << in.rdbuf();
  std::string err;
  auto msg = mc::parseRfc5322(raw.str(), &err);
  if (!msg) return usage(a.file + ": " + err);
  msg->mailFrom = a.from.value_or(defaultFrom(*msg));
  msg->rcpts = a.rcpts.empty() ? std::vector<std::string>{"<postmaster@localhost>"} : a.rcpts;
  if (a.clientAddr) msg->clientAddr = *a.clientAddr;
  if (a.clientName) msg->clientName = *a.clientName;
  if (a.helo) msg->helo = *a.helo;
  msg->macros = a.macros;
  msg->chunkSize = static_cast<size_t>(a.chunk);
  auto client = mc::Client::connect(a.socket, std::chrono::seconds(a.timeoutSec), &err);
  if (!client) {
    std::cerr << "am-milter-client: " << err << "\n";
    return 1;
  }
  int rc = 0;
  for (long n = 1; n <= a.repeat; ++n) {
    mc::Result r = client->send(*msg);
    printResult(n, r);
    if (!r.ok()) rc = 1;
  }
  client->quit();
  return rc;
}
