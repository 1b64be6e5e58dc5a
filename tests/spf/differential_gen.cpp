// tests/spf/differential_gen.cpp — see differential_gen.h.
#include "tests/spf/differential_gen.h"

#include <sstream>
#include <vector>

#include "common/ip.h"

namespace am::spftest {
namespace {

const std::vector<std::string> kV4 = {"192.0.2.1", "192.0.2.2", "192.0.2.130", "198.51.100.7", "203.0.113.9"};
const std::vector<std::string> kV6 = {"2001:db8::1", "2001:db8::2", "2001:db8:1::7"};
const std::vector<std::string> kLocals = {"alice", "bob", "strong-bad", "x.y"};

class Gen {
 public:
  explicit Gen(std::mt19937& rng) : rng_(rng) {}
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  bool chance(int percent) { return pick(100) < percent; }
  template <class T>
  const T& any(const std::vector<T>& v) { return v[static_cast<size_t>(pick(static_cast<int>(v.size())))]; }

  std::string qualifier() {
    static const std::vector<std::string> q = {"", "", "+", "-", "~", "?"};
    return any(q);
  }
  std::string cidr4() {
    static const std::vector<std::string> c = {"", "", "/32", "/24", "/25", "/16", "/8"};
    return chance(3) ? "/0" : any(c);
  }
  std::string cidr6() {
    static const std::vector<std::string> c = {"", "", "/128", "/64", "/48", "/32"};
    return chance(3) ? "/0" : any(c);
  }
  std::string host() { return "h" + std::to_string(pick(4) + 1) + ".example.net"; }
  std::string dualCidr() {
    std::string s = chance(40) ? cidr4() : "";
    if (chance(25)) {
      std::string c6 = cidr6();
      if (!c6.empty()) s += "/" + c6;
    }
    return s;
  }

  std::string term(bool allowInclude) {
    switch (pick(allowInclude ? 12 : 10)) {
      case 0: return qualifier() + "ip4:" + any(kV4) + cidr4();
      case 1: return qualifier() + "ip6:" + any(kV6) + cidr6();
      case 2: return qualifier() + "a" + dualCidr();
      case 3: return qualifier() + "a:" + (chance(20) ? "nx" + std::to_string(pick(3)) + ".example.net" : host()) + dualCidr();
      case 4: return qualifier() + "mx" + (chance(50) ? ":mx" + std::to_string(pick(2) + 1) + ".example.net" : "") + dualCidr();
      case 5: return qualifier() + (chance(50) ? "ptr" : "ptr:example.net");
      case 6: return qualifier() + "exists:%{i}.bl.example.net";
      case 7: return qualifier() + (chance(50) ? "exists:%{l}.users.%{d}" : "exists:%{ir}.%{v}.rev.example.net");
      case 8: return qualifier() + "a:" + (chance(30) ? "tmp.example.net" : host());
      case 9: return qualifier() + "ip4:" + any(kV4) + "/" + std::to_string(pick(33));
      default: return qualifier() + "include:inc" + std::to_string(pick(3) + 1) + ".example.com";
    }
  }

  std::string record(int minTerms, int maxTerms, bool allowInclude) {
    std::string r = "v=spf1";
    int n = minTerms + pick(maxTerms - minTerms + 1);
    for (int i = 0; i < n; ++i) r += " " + term(allowInclude);
    if (chance(20) && allowInclude) r += " redirect=inc" + std::to_string(pick(3) + 1) + ".example.com";
    else if (chance(70)) r += " " + std::string(chance(50) ? "-" : chance(50) ? "~" : "?") + "all";
    if (chance(10)) r += " exp=exp.example.com";
    return r;
  }

 private:
  std::mt19937& rng_;
};

void add(Zone& z, const std::string& name, const std::string& type, const std::string& value, uint16_t pref = 0) {
  z[name].push_back(Rr{type, value, pref});
}

void hosts(Gen& g, Zone& z) {
  for (int i = 1; i <= 4; ++i) {
    std::string h = "h" + std::to_string(i) + ".example.net";
    int n = 1 + g.pick(2);
    for (int k = 0; k < n; ++k) add(z, h, "A", g.any(kV4));
    if (g.chance(50)) add(z, h, "AAAA", g.any(kV6));
  }
  add(z, "mx1.example.net", "MX", "h1.example.net", 10);
  add(z, "mx1.example.net", "MX", "h2.example.net", 20);
  add(z, "mx2.example.net", "MX", "h3.example.net", 10);
  add(z, "mx2.example.net", "MX", "nx9.example.net", 5);
  if (g.chance(70)) add(z, "example.com", "MX", g.host(), 10);
  if (g.chance(60)) add(z, "example.com", "A", g.any(kV4));
  add(z, "tmp.example.net", "TIMEOUT", "");
  add(z, "exp.example.com", "TXT", "%{i} is not allowed to send for %{d}");
}

void ptrs(Gen& g, Zone& z) {
  std::vector<std::string> all = kV4;
  all.insert(all.end(), kV6.begin(), kV6.end());
  for (const auto& a : all) {
    if (!g.chance(50)) continue;
    std::string rev = IpAddress::parse(a)->reverseName();
    int n = 1 + g.pick(2);
    for (int k = 0; k < n; ++k) add(z, rev, "PTR", g.chance(50) ? g.host() : "mail.example.net");
  }
  add(z, "mail.example.net", "A", g.any(kV4));
}

void existsTargets(Gen& g, Zone& z) {
  for (const auto& a : kV4)
    if (g.chance(40)) add(z, a + ".bl.example.net", "A", "127.0.0.2");
  for (const auto& l : kLocals)
    if (g.chance(40)) add(z, l + ".users.example.com", "A", "127.0.0.2");
  for (const auto& a : kV4)
    if (g.chance(30)) {
      auto ip = IpAddress::parse(a);
      std::string rev = ip->reverseName();
      add(z, rev.substr(0, rev.size() - 5) + ".rev.example.net", "A", "127.0.0.2");  // "...in-addr.rev..."
    }
}

}  // namespace

GenCase generateCase(std::mt19937& rng) {
  Gen g(rng);
  GenCase c;
  add(c.zone, "example.com", "TXT", g.record(1, 6, true));
  if (g.chance(5)) add(c.zone, "example.com", "TXT", "v=spf1 -all");  // two records: permerror
  for (int i = 1; i <= 3; ++i) {
    std::string name = "inc" + std::to_string(i) + ".example.com";
    if (g.chance(85)) add(c.zone, name, "TXT", g.record(1, i == 1 ? 6 : 4, i == 1));
  }
  hosts(g, c.zone);
  ptrs(g, c.zone);
  existsTargets(g, c.zone);
  bool v6 = g.chance(25);
  c.client = v6 ? g.any(kV6) : g.any(kV4);
  c.refClient = c.client;
  if (!v6 && g.chance(10)) c.client = "::ffff:" + c.client;  // ours unmaps; libspf2's caller must
  c.mailFrom = g.any(kLocals) + "@example.com";
  c.helo = "client.example.org";
  return c;
}

std::string describe(const GenCase& c) {
  std::ostringstream os;
  os << "client=" << c.client << " from=" << c.mailFrom << "\n";
  for (const auto& [name, rrs] : c.zone)
    for (const Rr& rr : rrs)
      if (rr.type == "TXT") os << "  " << name << " TXT \"" << rr.value << "\"\n";
  return os.str();
}

}  // namespace am::spftest
