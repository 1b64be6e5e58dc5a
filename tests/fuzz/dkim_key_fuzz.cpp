// tests/fuzz/dkim_key_fuzz.cpp — libFuzzer target: DKIM key TXT records — the PKCS#1 to
// SubjectPublicKeyInfo fix-up (filter/auth/dkim/primitives/key_record.h normalizeKeyRecord, which decodes
// p= with OpenSSL) and the tag-list parse the native engine applies to key records. Stateless.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "filter/auth/dkim/primitives/base64.h"
#include "filter/auth/dkim/primitives/key_record.h"
#include "filter/auth/dkim/native_sig.h"
#include "filter/auth/dkim/primitives/tag_list.h"

using namespace am::dkim;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view rec(reinterpret_cast<const char*>(data), size);
  std::string fixed = normalizeKeyRecord(rec);
  TagViews tv = parseTagViews(fixed);
  if (!tv.error) {
    if (const std::string_view* p = tv.get("p")) (void)base64Decode(*p);
    (void)tv.get("k");
    (void)tv.get("h");
    (void)tv.get("t");
  }
  return 0;
}
