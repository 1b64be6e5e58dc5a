// filter/psl/libpsl_suffix.cpp — see libpsl_suffix.h.
#include "filter/psl/libpsl_suffix.h"

#include <libpsl.h>

#include "common/ip.h"
#include "common/strings.h"

namespace am::psl {
namespace {

// Lowercase (ASCII; libpsl folds UTF-8 itself), strip one trailing dot; empty when unusable.
std::string prepare(std::string_view domain) {
  std::string d = normalizeDomain(domain);
  if (d.empty() || d.front() == '.' || am::IpAddress::parse(d)) return {};
  return d;
}

struct LowerFree {
  void operator()(char* p) const { psl_free_string(p); }
};

}  // namespace

void LibPsl::Free::operator()(psl_ctx_st* p) const { psl_free(p); }

std::unique_ptr<LibPsl> LibPsl::load(const std::string& path, std::string* error) {
  psl_ctx_t* ctx = psl_load_file(path.c_str());
  if (!ctx) {
    if (error) *error = "cannot load public suffix list " + path;
    return nullptr;
  }
  return std::unique_ptr<LibPsl>(new LibPsl(ctx));
}

std::optional<std::string> LibPsl::registrableDomain(std::string_view domain) const {
  std::string d = prepare(domain);
  if (d.empty()) return std::nullopt;
  char* lowered = nullptr;
  if (psl_str_to_utf8lower(d.c_str(), "utf-8", nullptr, &lowered) != PSL_SUCCESS || !lowered)
    return std::nullopt;
  std::unique_ptr<char, LowerFree> owned(lowered);
  const char* reg = psl_registrable_domain(ctx_.get(), lowered);
  if (!reg) return std::nullopt;
  return std::string(reg);
}

std::string LibPsl::organizationalDomain(std::string_view domain) const {
  if (auto r = registrableDomain(domain)) return *r;
  return normalizeDomain(domain);
}

bool LibPsl::isPublicSuffix(std::string_view domain) const {
  std::string d = prepare(domain);
  if (d.empty()) return false;
  return psl_is_public_suffix2(ctx_.get(), d.c_str(), PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE) != 0;
}

}  // namespace am::psl
