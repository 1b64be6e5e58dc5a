// contrib/bench/corpus.cpp — see corpus.h.
#include "contrib/bench/corpus.h"

#include <cmath>
#include <map>
#include <random>

#include "common/clock.h"
#include "filter/auth/dkim_sign/keygen.h"
#include "filter/auth/dkim_sign/keystore.h"
#include "filter/auth/dkim_sign/signer.h"

namespace am::bench {
namespace {

using am::dkim::Alg;
constexpr int kDomains = 8;  // d0.test .. d7.test: even p=reject, odd p=quarantine
const char* kSenderIp = "192.0.2.";       // + (10 + domain): in every dN.test SPF record
const char* kEspIp = "198.51.100.7";      // esp.test's outbound server
const char* kAttackerIp = "203.0.113.9";  // evil.test's server

const char* kWords[] = {"the", "report", "meeting", "invoice", "quarterly", "server", "update", "please",
                        "review", "attached", "schedule", "budget", "customer", "delivery", "network",
                        "thanks", "regards", "project", "deadline", "status", "question", "answer"};

struct Keys {
  std::map<std::string, am::dkim::LoadedKey> byName;  // "d0.test/r1"
};

bool makeKey(const std::string& dir, const std::string& domain, const std::string& sel, Alg alg, Keys& keys,
             std::string& records, std::string* err) {
  auto r = am::dkim::keygen(domain, sel, alg, 2048, dir, err);
  if (!r) return false;
  auto k = am::dkim::loadKeyFile(r->privateKeyPath, alg, err);
  if (!k) return false;
  k->domain = domain;
  k->selector = sel;
  keys.byName.emplace(domain + "/" + sel, std::move(*k));
  records += r->dnsRecord + "\n";
  return true;
}

std::string bodyText(std::mt19937_64& rng, size_t bytes) {
  std::string b;
  b.reserve(bytes + 100);
  std::uniform_int_distribution<size_t> w(0, std::size(kWords) - 1);
  std::string line;
  while (b.size() < bytes) {
    line.clear();
    while (line.size() < 70) line += std::string(kWords[w(rng)]) + " ";
    line.pop_back();
    b += line + "\r\n";
  }
  return b;
}

// Mixture: 90% around 5 KB, 8% around 60 KB, 2% between 300 KB and the cap.
size_t drawSize(std::mt19937_64& rng, size_t maxBytes) {
  std::uniform_real_distribution<double> u(0, 1);
  double p = u(rng), s;
  if (p < 0.90) s = std::lognormal_distribution<double>(std::log(5000.0), 0.7)(rng);
  else if (p < 0.98) s = std::lognormal_distribution<double>(std::log(60000.0), 0.9)(rng);
  else s = std::exp(std::uniform_real_distribution<double>(std::log(300000.0), std::log(double(maxBytes)))(rng));
  return std::clamp<size_t>(size_t(s), 2048, maxBytes);
}

struct Plan {
  const char* klass;
  int weight;
};
const Plan kPlans[] = {{"aligned-rsa", 30}, {"aligned-ed25519", 10}, {"aligned-two-sigs", 10},
                       {"dkim-only", 15},  {"spf-only", 10},        {"no-signature-p-none", 10},
                       {"forged-reject", 8}, {"forged-quarantine", 7}};

}  // namespace

const char* actionName(Action a) {
  switch (a) {
    case Action::Accept: return "accept";
    case Action::Reject: return "reject";
    case Action::Quarantine: return "quarantine";
  }
  return "?";
}

std::optional<Corpus> Corpus::build(const std::string& dir, size_t count, uint64_t seed, size_t maxBytes,
                                    std::string* err) {
  Corpus c;
  Keys keys;
  for (int i = 0; i < kDomains; ++i) {
    std::string d = "d" + std::to_string(i) + ".test", rec;
    if (!makeKey(dir, d, "r1", Alg::Rsa, keys, rec, err) || !makeKey(dir, d, "e1", Alg::Ed25519, keys, rec, err))
      return std::nullopt;
    rec += "@ IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n";
    rec += std::string("_dmarc IN TXT \"v=DMARC1; p=") + (i % 2 ? "quarantine" : "reject") + "\"\n";
    c.zones.push_back({d, rec});
  }
  std::string esp;
  if (!makeKey(dir, "esp.test", "r1", Alg::Rsa, keys, esp, err)) return std::nullopt;
  esp += "@ IN TXT \"v=spf1 ip4:198.51.100.0/24 -all\"\n_dmarc IN TXT \"v=DMARC1; p=none\"\n";
  c.zones.push_back({"esp.test", esp});
  c.zones.push_back({"evil.test", "@ IN TXT \"v=spf1 ip4:203.0.113.0/24 -all\"\n"});
  // The TLD itself, empty: DMARC's tree walk (RFC 9989) asks for _dmarc.test, which must get a
  // cacheable NXDOMAIN as from a real TLD, not REFUSED from a server without the zone.
  c.zones.push_back({"test", ""});

  std::mt19937_64 rng(seed);
  int total = 0;
  for (auto& p : kPlans) total += p.weight;
  am::SystemClock clock;
  for (size_t n = 0; n < count; ++n) {
    int pick = std::uniform_int_distribution<int>(0, total - 1)(rng), pi = 0;
    while (pick >= kPlans[pi].weight) pick -= kPlans[pi++].weight;
    std::string klass = kPlans[pi].klass;
    int dom = std::uniform_int_distribution<int>(0, kDomains - 1)(rng);
    std::string d = "d" + std::to_string(dom) + ".test";
    BenchMessage bm;
    auto& m = bm.msg;
    Label& l = bm.label;
    l.klass = klass;
    std::vector<std::string> signers;  // "domain/selector"
    std::string fromDomain = d, mailDomain = d, ip = kSenderIp + std::to_string(10 + dom);
    l.spf = "pass";
    l.dmarc = "pass";
    if (klass == "aligned-rsa") signers = {d + "/r1"};
    else if (klass == "aligned-ed25519") signers = {d + "/e1"};
    else if (klass == "aligned-two-sigs") signers = {d + "/r1", d + "/e1"};
    else if (klass == "dkim-only") { signers = {d + (n % 2 ? "/e1" : "/r1")}; mailDomain = "esp.test"; ip = kEspIp; }
    else if (klass == "spf-only") signers = {"esp.test/r1"};
    else if (klass == "no-signature-p-none") {
      fromDomain = mailDomain = "esp.test"; ip = kAttackerIp; l.spf = "fail"; l.dmarc = "fail";
    } else {  // forged: From a p=reject / p=quarantine domain, sent from evil.test
      int fd = (dom & ~1) + (klass == "forged-quarantine" ? 1 : 0);
      fromDomain = "d" + std::to_string(fd) + ".test";
      mailDomain = "evil.test"; ip = kAttackerIp; l.dmarc = "fail";
      l.action = klass == "forged-reject" ? Action::Reject : Action::Quarantine;
    }
    l.dkimPass = int(signers.size());
    std::string id = std::to_string(n);
    m.clientAddr = ip;
    m.clientName = "mail." + mailDomain;
    m.helo = "mail." + mailDomain;
    m.mailFrom = "<sender" + id + "@" + mailDomain + ">";
    m.rcpts = {"<user@mx.bench.test>"};
    m.macros = {{"i", "Q" + id}, {"j", "mx.bench.test"}};
    m.headers = {{"Received", "from mail." + mailDomain + " ([" + ip + "]) by relay." + mailDomain +
                                  "\n\twith ESMTPS id R" + id + "; Mon, 23 Nov 2026 12:00:00 +0000"},
                 {"From", "Sender " + id + " <sender" + id + "@" + fromDomain + ">"},
                 {"To", "User <user@mx.bench.test>"},
                 {"Subject", "benchmark message " + id},
                 {"Date", "Mon, 23 Nov 2026 12:00:00 +0000"},
                 {"Message-ID", "<" + id + ".bench@" + mailDomain + ">"},
                 {"MIME-Version", "1.0"},
                 {"Content-Type", "text/plain; charset=us-ascii"}};
    size_t hdrBytes = 0;
    for (auto& [k, v] : m.headers) hdrBytes += k.size() + v.size() + 4;
    size_t want = drawSize(rng, maxBytes);
    m.body = bodyText(rng, want > hdrBytes + 200 ? want - hdrBytes : 200);
    if (!signers.empty()) {
      std::vector<am::dkim::Signing::KeyRef> refs;
      for (auto& s : signers) {
        auto& k = keys.byName.at(s);
        refs.push_back({&k, k.domain});
        bm.sigs.push_back({k.alg == Alg::Ed25519, k.keyPath});
      }
      am::dkim::Signing sig(refs, am::dkim::SignOptions{}, clock);
      for (auto& [k, v] : m.headers) sig.header(k, " " + v);
      sig.endOfHeaders();
      sig.body(m.body);
      auto out = sig.finish();
      if (out.size() != signers.size()) {
        if (err) *err = "signing failed for message " + id;
        return std::nullopt;
      }
      for (auto it = out.rbegin(); it != out.rend(); ++it) m.headers.insert(m.headers.begin(), {"DKIM-Signature", *it});
    }
    for (auto& [k, v] : m.headers) bm.bytes += k.size() + v.size() + 4;
    bm.bytes += m.body.size();
    c.totalBytes += bm.bytes;
    c.messages.push_back(std::move(bm));
  }
  return c;
}

}  // namespace am::bench
