// tests/postfix/load_audit.cpp — see load_audit.h.
#include "tests/postfix/load_audit.h"

#include <strings.h>

#include <iomanip>
#include <set>
#include <sstream>
#include <unordered_map>

#include "filter/authres/authres.h"

namespace am::postfix_test {

namespace {

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  auto e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// "451 4.7.1 @mail": the code, the enhanced status when there is one, the step.
std::string refusalKey(const LoadResult& r) {
  std::istringstream in(r.reply);
  std::string code, status;
  in >> code >> status;
  if (status.empty() || !std::isdigit(static_cast<unsigned char>(status[0])) || status.find('.') == std::string::npos)
    status.clear();
  return code + (status.empty() ? "" : " " + status) + " @" + r.step;
}

void note(AuditCounts& c, const std::string& what) {
  if (c.examples.size() < 10) c.examples.push_back(what);
}

}  // namespace

std::string messageIdOf(const std::string& raw) {
  for (auto& [n, v] : headerFields(raw))
    if (strcasecmp(n.c_str(), "Message-ID") == 0) return trim(v);
  return "";
}

size_t ourArCount(const std::string& raw, const std::string& authservId) {
  size_t n = 0;
  for (auto& [name, v] : headerFields(raw))
    if (strcasecmp(name.c_str(), "Authentication-Results") == 0 && am::authres::claimsAuthservId(v, authservId)) ++n;
  return n;
}

AuditCounts audit(const AuditInput& in) {
  AuditCounts c;
  c.submitted = in.messageIds.size();
  std::unordered_map<std::string, size_t> index;  // Message-ID → submitted position
  for (size_t i = 0; i < in.messageIds.size(); ++i) index[in.messageIds[i]] = i;

  std::vector<size_t> copies(in.messageIds.size(), 0);
  std::vector<bool> badAr(in.messageIds.size(), false);
  for (const auto& raw : in.delivered) {
    auto it = index.find(messageIdOf(raw));
    if (it == index.end()) {
      ++c.unknown;
      note(c, "delivered copy with an unknown Message-ID: " + messageIdOf(raw));
      continue;
    }
    ++copies[it->second];
    size_t ars = ourArCount(raw, in.authservId);
    if (ars != 1) badAr[it->second] = true;
    if (ars == 0) {
      ++c.deliveredWithoutOurAr;
      note(c, it->first + " delivered without our Authentication-Results");
    } else if (ars > 1) {
      ++c.deliveredWithSeveralAr;
      note(c, it->first + " delivered with " + std::to_string(ars) + " of our Authentication-Results");
    }
  }

  std::unordered_map<std::string, size_t> byQueueId;  // accepted messages by the id Postfix named
  for (size_t i = 0; i < in.results.size(); ++i)
    if (in.results[i].kind == LoadResult::Kind::Accepted && !in.results[i].queueId.empty())
      byQueueId[in.results[i].queueId] = i;
  std::vector<bool> held(in.messageIds.size(), false), queued(in.messageIds.size(), false);
  for (const auto& e : in.queue) {
    auto it = byQueueId.find(e.queueId);
    if (it == byQueueId.end()) {
      ++c.unknown;
      note(c, "queue entry " + e.queueId + " (" + e.queueName + ") that no 250 reply named");
      continue;
    }
    (e.queueName == "hold" ? held : queued)[it->second] = true;
  }

  for (size_t i = 0; i < in.messageIds.size() && i < in.results.size(); ++i) {
    const LoadResult& r = in.results[i];
    const std::string& id = in.messageIds[i];
    const size_t kept = copies[i] + (held[i] ? 1 : 0) + (queued[i] ? 1 : 0);
    if (kept > 1) {
      c.duplicates += kept - 1;
      note(c, id + " kept " + std::to_string(kept) + " times (delivered/held/queued)");
    }
    switch (r.kind) {
      case LoadResult::Kind::Accepted:
        ++c.accepted;
        if (held[i]) ++c.held;
        else if (copies[i] > 0) c.deliveredOk += badAr[i] ? 0 : 1;
        else if (queued[i]) ++c.stillQueued, note(c, id + " (queue id " + r.queueId + ") still queued");
        else ++c.lost, note(c, id + " (queue id " + r.queueId + ") accepted, then neither delivered nor held");
        break;
      case LoadResult::Kind::TempFail:
      case LoadResult::Kind::PermFail:
        ++(r.kind == LoadResult::Kind::TempFail ? c.tempFail : c.permFail);
        ++c.refusals[refusalKey(r)];
        if (kept > 0) ++c.refusedButKept, note(c, id + " refused (" + r.reply + "), yet delivered or held");
        break;
      case LoadResult::Kind::ConnError:
        ++c.connError;
        ++c.refusals["no reply @" + r.step];
        if (copies[i] > 0) ++c.connErrorDelivered;
        break;
    }
  }
  return c;
}

std::string AuditCounts::table(const std::string& title) const {
  std::ostringstream o;
  auto row = [&](const std::string& k, size_t v) { o << "  " << std::left << std::setw(44) << k << v << "\n"; };
  o << "== " << title << "\n";
  row("submitted", submitted);
  row("accepted (250 after DATA)", accepted);
  row("  delivered, one AR of ours", deliveredOk);
  row("  held (hold queue)", held);
  row("refused, 4xx seen by the client", tempFail);
  row("refused, 5xx seen by the client", permFail);
  row("no reply seen (connection error/timeout)", connError);
  row("  of those delivered (once, with our AR)", connErrorDelivered);
  for (auto& [k, v] : refusals) row("    " + k, v);
  row("DEFECT lost (accepted, not delivered/held)", lost);
  row("DEFECT still queued at the end", stillQueued);
  row("DEFECT delivered without our AR", deliveredWithoutOurAr);
  row("DEFECT delivered with several ARs of ours", deliveredWithSeveralAr);
  row("DEFECT duplicate copies", duplicates);
  row("DEFECT refused but delivered/held", refusedButKept);
  row("DEFECT delivered/queued, not ours", unknown);
  for (auto& e : examples) o << "  example: " << e << "\n";
  return o.str();
}

}  // namespace am::postfix_test
