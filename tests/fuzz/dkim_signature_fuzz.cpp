// tests/fuzz/dkim_signature_fuzz.cpp — libFuzzer target: DKIM-Signature fields
// (filter/auth/dkim/native_sig.h parseSignature, tag_list.h parsers, base64, b= emptying) and the
// header-hash input built from them. Invariants: the copying and the view tag-list parsers agree
// on validity and tag count; b= emptying never grows the value. Stateless.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "filter/auth/dkim/native_sig.h"
#include "filter/auth/dkim/primitives/base64.h"
#include "filter/auth/dkim/primitives/canon.h"
#include "filter/auth/dkim/primitives/tag_list.h"

using namespace am::dkim;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view value(reinterpret_cast<const char*>(data), size);
  TagList tl = parseTagList(value);
  TagViews tv = parseTagViews(value);
  if (tl.error.empty() != (tv.error == nullptr)) std::abort();
  if (tl.error.empty() && tl.tags.size() != tv.tags.size()) std::abort();
  if (tl.error.empty()) (void)checkSignatureTags(tl);
  (void)parseDecimal(value);
  (void)base64Decode(value);
  if (withEmptyB(value).size() > value.size()) std::abort();

  SigSpec sig = parseSignature("DKIM-Signature", value);
  HeaderIndex h;
  h.add("From", " a@example.com");
  h.add("Subject", " hi");
  h.add("from", " second@example.com");
  h.add("DKIM-Signature", value);
  (void)h.hashInput(sig);
  std::string canon;
  appendCanonHeader(canon, Canon::Relaxed, "DKIM-Signature", value);
  appendCanonHeader(canon, Canon::Simple, "DKIM-Signature", value);
  return 0;
}
