// filter/psl/libpsl_suffix.h — am::policy::PublicSuffix implemented with libpsl (Debian
// libpsl5): the RFC 7489 organizational domain (registrable domain = public suffix + one
// label, ICANN and private rules). Input is normalised first (libraries.md §7): lowercase,
// trailing dot stripped, IP literals never passed to libpsl.
//
// Ownership: a LibPsl owns its psl_ctx_t (RAII, freed in the destructor). Lookups only read the
// context, so one instance may be shared by all threads after load().
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "policy/dmarc.h"

struct psl_ctx_st;

namespace am::psl {

inline constexpr const char* kDefaultPslPath = "/usr/share/publicsuffix/public_suffix_list.dat";

class LibPsl final : public am::policy::PublicSuffix {
 public:
  // Loads a PSL file (.dat text or libpsl DAFSA). nullptr with *error on failure.
  static std::unique_ptr<LibPsl> load(const std::string& path, std::string* error);

  // Registrable domain, or nullopt when the name is a public suffix itself, starts with a dot,
  // is empty, or is an IP literal (the official PSL test vectors' "null").
  std::optional<std::string> registrableDomain(std::string_view domain) const;

  std::string organizationalDomain(std::string_view domain) const override;
  bool isPublicSuffix(std::string_view domain) const override;

 private:
  struct Free {
    void operator()(psl_ctx_st* p) const;
  };
  explicit LibPsl(psl_ctx_st* ctx) : ctx_(ctx) {}
  std::unique_ptr<psl_ctx_st, Free> ctx_;
};

}  // namespace am::psl
