// tests/fuzz/arc_headers_fuzz.cpp — libFuzzer target: ARC header fields and chain validation
// (filter/auth/arc: kindOf, instanceOf, parseSeal, parseMessageSignature, parseAuthResults, and a
// whole arc::Verification). The input is a header block (fields split on LF, continuation lines
// folded, an empty line ends it; the rest is the body). Every field value also goes through the
// three parsers directly. The resolver holds the ValiMail suite's dummy._domainkey.example.org key,
// so seeds from the suite reach the signature checks. Invariants: cv is none exactly when no ARC
// field is present; instances and oldest-pass stay within 0..50 and the chain; a passing chain
// names its sealer. One Verifier per process.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "filter/auth/arc/headers.h"
#include "filter/auth/arc/verifier.h"
#include "tests/support/memorydns/memory_resolver.h"

using namespace am;

namespace {

const char* kKey =
    "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3id Y6Wk08a5qhdR6wy5bdO"
    "Kb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lx j+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLz"
    "BfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB";

arc::Verifier& verifier() {
  static InMemoryResolver dns;
  static std::unique_ptr<arc::Verifier> v = [] {
    dns.addTxt("dummy._domainkey.example.org", kKey);
    return arc::Verifier::create(dns, {}, nullptr);
  }();
  return *v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<std::pair<std::string, std::string>> fields;
  size_t pos = 0;
  while (pos < in.size()) {
    size_t eol = in.find('\n', pos);
    size_t next = eol == std::string_view::npos ? in.size() : eol + 1;
    std::string_view line = in.substr(pos, next - pos);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    pos = next;
    if (line.empty()) break;
    if ((line[0] == ' ' || line[0] == '\t') && !fields.empty()) {
      fields.back().second.append("\n").append(line);
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) fields.emplace_back(std::string(line), "");
    else fields.emplace_back(std::string(line.substr(0, colon)), std::string(line.substr(colon + 1)));
  }
  bool anyArc = false;
  for (auto& [name, value] : fields) {
    anyArc = anyArc || arc::kindOf(name) != arc::Kind::None;
    arc::Seal s = arc::parseSeal(value);
    arc::MessageSignature m = arc::parseMessageSignature(name, value);
    arc::AuthResults a = arc::parseAuthResults(value);
    for (int i : {s.instance, m.instance, a.instance})
      if (i < 0 || i > arc::kMaxInstance) std::abort();
    (void)arc::instanceOf(value);
  }
  auto v = verifier().startVerify();
  for (auto& [name, value] : fields) v->header(name, value);
  v->endOfHeaders();
  v->body(in.substr(pos));
  arc::ChainResult r = v->finish();
  if ((r.cv == arc::Cv::None) != !anyArc) std::abort();
  if (r.lastInstance < 0 || r.lastInstance > arc::kMaxInstance) std::abort();
  if (r.sets.size() > static_cast<size_t>(r.lastInstance)) std::abort();
  if (r.cv == arc::Cv::Pass && (r.sealer.empty() || r.oldestPass < 0 || r.oldestPass > r.lastInstance)) std::abort();
  return 0;
}
