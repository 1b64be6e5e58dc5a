// policy/dmarc_record.cpp — DMARC TXT record parser (RFC 7489 §6.3 and RFC 9989 tags).
// Tolerant of the junk seen in real records (segments without '=', empty segments, a stray
// backslash before ';'), strict about the values of known tags: a bad value is recorded in
// invalidTags and the default stays in force. Pure function, thread-safe.
#include <charconv>

#include "common/strings.h"
#include "policy/dmarc.h"

namespace am::policy {
namespace {

std::optional<Policy> policyValue(std::string_view v) {
  if (v == "none") return Policy::None;
  if (v == "quarantine") return Policy::Quarantine;
  if (v == "reject") return Policy::Reject;
  return std::nullopt;
}

std::optional<AlignMode> alignValue(std::string_view v) {
  if (v == "r") return AlignMode::Relaxed;
  if (v == "s") return AlignMode::Strict;
  return std::nullopt;
}

std::optional<uint64_t> number(std::string_view v, uint64_t max) {
  if (v.empty() || v.size() > 12) return std::nullopt;
  uint64_t n = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || ptr != v.data() + v.size() || n > max) return std::nullopt;
  return n;
}

// fo: one or more of 0 1 d s separated by ':'.
bool foValid(std::string_view v) {
  auto parts = split(v, ":", false);
  if (parts.empty()) return false;
  for (auto& p : parts) {
    auto t = trim(p);
    if (t != "0" && t != "1" && t != "d" && t != "s") return false;
  }
  return true;
}

bool rfValid(std::string_view v) {
  auto parts = split(v, ":", false);
  if (parts.empty()) return false;
  for (auto& p : parts) {
    auto t = trim(p);
    if (t != "afrf" && t != "iodef") return false;
  }
  return true;
}

// A reporting URI: scheme mailto/http/https with something after ':'; an optional "!size"
// suffix (RFC 7489) is kept as published.
bool uriValid(std::string_view u) {
  auto colon = u.find(':');
  if (colon == std::string_view::npos || colon + 1 >= u.size()) return false;
  std::string scheme = toLower(u.substr(0, colon));
  return scheme == "mailto" || scheme == "http" || scheme == "https";
}

struct Parser {
  DmarcRecord rec;
  std::string firstError;

  void bad(const std::string& tag, std::string_view value) {
    rec.invalidTags.push_back(tag);
    if (firstError.empty()) firstError = "invalid value for " + tag + ": '" + std::string(value) + "'";
  }
  void uris(std::string_view value, std::vector<std::string>& out, const std::string& tag) {
    for (auto& piece : split(value, ",")) {
      auto u = std::string(trim(piece));
      if (u.empty()) continue;
      if (uriValid(u)) out.push_back(u);
      else rec.warnings.push_back("ignored " + tag + " URI '" + u + "'");
    }
  }
  void policyTag(const std::string& tag, std::string_view lv, Policy& field) {
    if (auto p = policyValue(lv)) field = *p;
    else bad(tag, lv);
  }
  void tag(const std::string& name, std::string_view raw) {
    std::string lv = toLower(raw);
    if (name == "p") {
      policyTag(name, lv, rec.p);
      rec.pInvalid = rec.p == Policy::Unspecified;
    } else if (name == "sp") {
      policyTag(name, lv, rec.sp);
      rec.spInvalid = rec.sp == Policy::Unspecified;
    } else if (name == "np") {
      policyTag(name, lv, rec.np);
    } else if (name == "psd") {
      if (lv == "y") rec.psd = PsdFlag::Yes;
      else if (lv == "n") rec.psd = PsdFlag::No;
      else if (lv != "u") bad(name, raw);
    } else if (name == "t") {
      if (lv == "y" || lv == "n") { rec.testing = lv == "y"; rec.tPresent = true; }
      else bad(name, raw);
    } else if (name == "pct") {
      if (auto n = number(lv, 100)) { rec.pct = static_cast<unsigned>(*n); rec.pctPresent = true; }
      else bad(name, raw);
    } else if (name == "adkim" || name == "aspf") {
      auto a = alignValue(lv);
      if (!a) bad(name, raw);
      else (name == "adkim" ? rec.adkim : rec.aspf) = *a;
    } else if (name == "rua") {
      uris(raw, rec.rua, name);
    } else if (name == "ruf") {
      uris(raw, rec.ruf, name);
    } else if (name == "fo") {
      if (foValid(lv)) rec.fo = lv;
      else bad(name, raw);
    } else if (name == "rf") {
      if (rfValid(lv)) rec.rf = lv;
      else bad(name, raw);
    } else if (name == "ri") {
      if (auto n = number(lv, 4294967295ULL)) rec.ri = static_cast<uint32_t>(*n);
      else bad(name, raw);
    }
  }
};

bool knownTag(std::string_view n) {
  static const char* const kTags[] = {"v",   "p",     "sp",   "np",  "psd", "t",  "pct",
                                      "adkim", "aspf", "rua", "ruf", "fo",  "rf", "ri"};
  for (auto* t : kTags)
    if (n == t) return true;
  return false;
}

// One "tag=value" segment: trimmed, a trailing backslash (escaped ';' in a zone file) dropped.
std::pair<std::string, std::string> splitSegment(std::string_view seg) {
  seg = trim(seg);
  while (!seg.empty() && seg.back() == '\\') seg = trim(seg.substr(0, seg.size() - 1));
  auto eq = seg.find('=');
  if (eq == std::string_view::npos) return {"", std::string(seg)};
  return {toLower(trim(seg.substr(0, eq))), std::string(trim(seg.substr(eq + 1)))};
}

}  // namespace

bool DmarcRecord::invalid(std::string_view tag) const {
  for (auto& t : invalidTags)
    if (t == tag) return true;
  return false;
}

bool DmarcRecord::usable7489() const {
  if (p != Policy::Unspecified && !spInvalid) return true;
  return !rua.empty();
}

std::optional<DmarcRecord> parseRecord(std::string_view txt, std::string* error) {
  auto segments = split(txt, ";", false);
  if (segments.empty() || trim(txt).empty()) {
    if (error) *error = "empty record";
    return std::nullopt;
  }
  auto [vname, vvalue] = splitSegment(segments[0]);
  if (vname != "v" || !iequals(vvalue, "DMARC1")) {
    if (error) *error = "not a DMARC1 record (must start with v=DMARC1)";
    return std::nullopt;
  }
  Parser ps;
  ps.rec.tags["v"] = vvalue;
  for (size_t i = 1; i < segments.size(); ++i) {
    auto [name, value] = splitSegment(segments[i]);
    if (name.empty()) {
      if (!value.empty()) ps.rec.warnings.push_back("ignored segment '" + value + "'");
      continue;
    }
    if (!knownTag(name) || name == "v") {
      ps.rec.warnings.push_back("ignored tag '" + name + "'");
      continue;
    }
    if (value.empty()) {
      ps.rec.warnings.push_back("ignored empty tag '" + name + "'");
      continue;
    }
    if (ps.rec.tags.count(name)) {
      ps.rec.warnings.push_back("ignored duplicate tag '" + name + "'");
      continue;
    }
    ps.rec.tags[name] = value;
    ps.tag(name, value);
  }
  if (error) *error = ps.firstError;
  return std::move(ps.rec);
}

const char* toString(DmarcResult r) {
  switch (r) {
    case DmarcResult::None: return "none";
    case DmarcResult::Pass: return "pass";
    case DmarcResult::Fail: return "fail";
    case DmarcResult::TempError: return "temperror";
    case DmarcResult::PermError: return "permerror";
  }
  return "none";
}

const char* toString(Policy p) {
  switch (p) {
    case Policy::Unspecified: return "unspecified";
    case Policy::None: return "none";
    case Policy::Quarantine: return "quarantine";
    case Policy::Reject: return "reject";
  }
  return "unspecified";
}

const char* toString(DmarcMode m) { return m == DmarcMode::Rfc9989 ? "rfc9989" : "rfc7489"; }

}  // namespace am::policy
