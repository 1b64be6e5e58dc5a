// filter/milter/apply.cpp — see apply.h.
#include "filter/milter/apply.h"

#include <algorithm>
#include <string_view>

#include "filter/milter/protocol.h"

namespace am::milter {
namespace {

using core::Action;
using core::HeaderEdit;

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// Up to the first NUL: the wire and libmilter both carry C strings.
std::string_view cString(std::string_view s) { return s.substr(0, s.find('\0')); }

// One line: CR and LF become spaces.
std::string oneLine(std::string_view s) {
  std::string out(cString(s));
  std::replace(out.begin(), out.end(), '\r', ' ');
  std::replace(out.begin(), out.end(), '\n', ' ');
  return out;
}

std::string headerValue(std::string_view raw, bool change, bool leadingSpace) {
  std::string v;
  for (char c : cString(raw))
    if (c != '\r') v += c;  // LF-only folding; a CR would end up in the spool
  if (change && v.empty()) return v;  // delete
  // With SMFIP_HDR_LEADSPC the MTA writes "Name:" + value verbatim: the space is ours to add.
  if (leadingSpace && !v.empty() && v[0] != ' ' && v[0] != '\t') v.insert(v.begin(), ' ');
  return v;
}

// "3.4.5": class digit, then two groups of 1-3 digits (RFC 3463).
bool validXcode(std::string_view x, char cls) {
  if (x.size() < 5 || x[0] != cls || x[1] != '.') return false;
  size_t groups = 0, digits = 0;
  for (size_t i = 2; i <= x.size(); ++i) {
    if (i == x.size() || x[i] == '.') {
      if (digits == 0 || digits > 3) return false;
      ++groups;
      digits = 0;
    } else if (isDigit(x[i])) {
      ++digits;
    } else {
      return false;
    }
  }
  return groups == 2;
}

std::optional<ReplyCode> replyCode(const core::Verdict& v) {
  const char cls = v.action == Action::Reject ? '5' : '4';
  const std::string& r = v.rcode;
  if (r.size() != 3 || r[0] != cls || !isDigit(r[1]) || !isDigit(r[2])) return std::nullopt;
  ReplyCode rc;
  rc.rcode = r;
  if (validXcode(v.xcode, cls)) rc.xcode = v.xcode;
  for (char c : oneLine(v.text)) {
    size_t need = c == '%' ? 2 : 1;
    if (rc.text.size() + need > kMaxReplyText) break;
    rc.text.append(need, c);
  }
  return rc;
}

void planHeaders(const core::Verdict& v, const Granted& g, Plan& p) {
  std::vector<const HeaderEdit*> changes, inserts;
  for (const auto& e : v.edits) (e.kind == HeaderEdit::Kind::Insert ? inserts : changes).push_back(&e);
  std::stable_sort(changes.begin(), changes.end(), [](auto* a, auto* b) { return a->index > b->index; });
  for (const auto* list : {&changes, &inserts}) {
    for (const HeaderEdit* e : *list) {
      bool insert = e->kind == HeaderEdit::Kind::Insert;
      if (!(insert ? g.addHeaders : g.changeHeaders)) {
        p.warnings.push_back("could not apply header change to " + e->name + ": action not negotiated");
        continue;
      }
      p.headers.push_back({insert, std::max(e->index, 0), std::string(cString(e->name)),
                           headerValue(e->value, !insert, g.leadingSpace)});
    }
  }
}

Final finalOf(Action a) {
  switch (a) {
    case Action::Continue: return Final::Continue;
    case Action::Accept: return Final::Accept;
    case Action::Quarantine: return Final::Accept;  // the core sends Accept plus a quarantine reason
    case Action::Reject: return Final::Reject;
    case Action::TempFail: return Final::TempFail;
    case Action::Discard: return Final::Discard;
  }
  return Final::TempFail;  // not a valid Action: the safe answer
}

constexpr StageInfo kStages[] = {
    {MilterStage::Connect, proto::kNrConnect, true},  // 421 while draining
    {MilterStage::Helo, proto::kNrHelo, false},
    {MilterStage::Mail, proto::kNrMail, false},
    {MilterStage::Rcpt, proto::kNrRcpt, false},
    {MilterStage::Data, proto::kNrData, false},
    {MilterStage::Unknown, proto::kNrUnknown, false},
    {MilterStage::Header, proto::kNrHeader, false},
    {MilterStage::EndOfHeaders, proto::kNrEoh, false},
    {MilterStage::Body, proto::kNrBody, false},
    {MilterStage::EndOfMessage, 0, true},
};

}  // namespace

Granted Granted::from(uint32_t actions, uint32_t protocol) {
  Granted g;
  g.leadingSpace = protocol & proto::kHeaderLeadingSpace;
  g.addHeaders = actions & proto::kActAddHeaders;
  g.changeHeaders = actions & proto::kActChangeHeaders;
  g.quarantine = actions & proto::kActQuarantine;
  return g;
}

Plan plan(const core::Verdict& v, bool atEndOfMessage, const Granted& granted) {
  Plan p;
  if (atEndOfMessage) {
    planHeaders(v, granted, p);
    if (v.quarantine && !granted.quarantine) {
      p.warnings.push_back("could not quarantine: action not negotiated");
    } else if (v.quarantine) {
      std::string reason = oneLine(*v.quarantine);
      p.quarantine = reason.empty() ? "quarantined by authmilter" : reason;  // the MTA refuses an empty reason
    }
  }
  p.final = finalOf(v.action);
  if (p.final == Final::Reject || p.final == Final::TempFail) p.reply = replyCode(v);
  return p;
}

core::Verdict fallbackVerdict(config::FallbackAction onInternalError) {
  core::Verdict v;
  v.action = onInternalError == config::FallbackAction::Accept ? Action::Accept : Action::TempFail;
  return v;
}

const StageInfo& stageInfo(MilterStage s) {
  for (const auto& row : kStages)
    if (row.stage == s) return row;
  return kStages[0];  // unreachable: every MilterStage has its row
}

uint32_t noReplyFlags(bool draining) {
  uint32_t flags = 0;
  for (const auto& row : kStages)
    if (!row.coreMayAnswer) flags |= row.noReplyFlag;
  if (!draining) flags |= proto::kNrConnect;
  return flags;
}

}  // namespace am::milter
