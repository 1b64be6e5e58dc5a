// contrib/bench/load.cpp — see load.h.
#include "contrib/bench/load.h"

#include <strings.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "tests/milterclient/milter_client.h"

namespace am::bench {
namespace {

using am::milter_client::Client;
using am::milter_client::Result;
using Clock = std::chrono::steady_clock;

Result sendOne(const std::string& socket, const am::milter_client::Message& m) {
  std::string err;
  auto c = Client::connect(socket, std::chrono::seconds(60), &err);
  if (!c) {
    Result r;
    r.replyText = "connect: " + err;
    return r;
  }
  Result r = c->send(m);
  c->quit();
  return r;
}

// The word after "key=" at or after `from` ("" if absent).
std::string valueOf(const std::string& ar, const std::string& key) {
  size_t p = 0;
  while ((p = ar.find(key + "=", p)) != std::string::npos) {
    if (p == 0 || ar[p - 1] == ' ' || ar[p - 1] == ';' || ar[p - 1] == '\t' || ar[p - 1] == '\n') {
      size_t s = p + key.size() + 1, e = s;
      while (e < ar.size() && isalpha(static_cast<unsigned char>(ar[e]))) ++e;
      return ar.substr(s, e - s);
    }
    ++p;
  }
  return "";
}

int countPass(const std::string& ar, const std::string& key) {
  int n = 0;
  size_t p = 0;
  while ((p = ar.find(key + "=pass", p)) != std::string::npos) ++n, ++p;
  return n;
}

void readVerdict(const Result& r, Verdict& v) {
  bool permReply = r.action == Result::Action::ReplyCode && !r.replyText.empty() && r.replyText[0] == '5';
  if (!r.ok() || r.action == Result::Action::TempFail || r.action == Result::Action::Discard ||
      (r.action == Result::Action::ReplyCode && !permReply)) {
    v.ok = false;
    v.error = std::string(am::milter_client::actionName(r.action)) + " at " + r.stage + ": " + r.replyText;
    return;
  }
  v.ok = true;
  v.action = r.action == Result::Action::Reject || permReply ? Action::Reject
             : r.quarantined                     ? Action::Quarantine
                                                 : Action::Accept;
  for (auto& [n, val] : r.finalHeaders) {
    if (strcasecmp(n.c_str(), "Authentication-Results") != 0) continue;
    size_t s = val.find_first_not_of(" \t\n");
    if (s == std::string::npos || val.compare(s, 13, "mx.bench.test") != 0) continue;
    v.ar += (v.ar.empty() ? "" : " | ") + val.substr(s);
  }
  v.spf = valueOf(v.ar, "spf");
  v.dmarc = valueOf(v.ar, "dmarc");
  v.dkimPass = countPass(v.ar, "dkim");
  // OpenDMARC rejects without adding its header; its reply names the DMARC policy.
  if (v.action == Action::Reject && v.dmarc.empty() && r.replyText.find("DMARC") != std::string::npos) v.dmarc = "fail";
}

Verdict process(const BenchMessage& bm, const Target& t) {
  Verdict v;
  auto start = Clock::now();
  Result r = sendOne(t.sockets[0], bm.msg);
  if (t.sockets.size() > 1 && r.ok() && (r.action == Result::Action::Accept || r.action == Result::Action::Continue)) {
    bool q = r.quarantined;
    am::milter_client::Message next = bm.msg;
    next.headers = r.finalHeaders;
    r = sendOne(t.sockets[1], next);
    r.quarantined = r.quarantined || q;
  }
  v.latencyMs = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  readVerdict(r, v);
  return v;
}

}  // namespace

std::string compareToLabel(const Verdict& v, const Label& l) {
  if (!v.ok) return "error: " + v.error;
  std::string d;
  if (v.action != l.action) d += std::string("action ") + actionName(v.action) + " (want " + actionName(l.action) + ") ";
  if (v.dmarc != l.dmarc) d += "dmarc=" + v.dmarc + " (want " + l.dmarc + ") ";
  if (v.spf != l.spf) d += "spf=" + v.spf + " (want " + l.spf + ") ";
  if (v.dkimPass != l.dkimPass)
    d += "dkim pass x" + std::to_string(v.dkimPass) + " (want x" + std::to_string(l.dkimPass) + ") ";
  return d;
}

RunResult runLoad(const Corpus& corpus, const Target& target, int concurrency) {
  RunResult rr;
  rr.verdicts.resize(corpus.messages.size());
  std::atomic<size_t> next{0};
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int i = 0; i < concurrency; ++i)
    threads.emplace_back([&] {
      for (size_t k; (k = next.fetch_add(1)) < corpus.messages.size();)
        rr.verdicts[k] = process(corpus.messages[k], target);
    });
  for (auto& t : threads) t.join();
  rr.wallSeconds = std::chrono::duration<double>(Clock::now() - start).count();
  return rr;
}

double percentileMs(const std::vector<Verdict>& v, double pct) {
  std::vector<double> l;
  for (auto& x : v) l.push_back(x.latencyMs);
  if (l.empty()) return 0;
  std::sort(l.begin(), l.end());
  size_t i = std::min(l.size() - 1, size_t(pct / 100.0 * double(l.size())));
  return l[i];
}

}  // namespace am::bench
