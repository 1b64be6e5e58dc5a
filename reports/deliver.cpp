// reports/deliver.cpp — see deliver.h.
#include "reports/deliver.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <tuple>

namespace am::reports {
namespace {

bool endsWithLabel(const std::string& d, const std::string& parent) {
  return d.size() > parent.size() && d.compare(d.size() - parent.size(), parent.size(), parent) == 0 &&
         d[d.size() - parent.size() - 1] == '.';
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

using Key = std::tuple<std::string, int64_t, int64_t, std::string>;

}  // namespace

// "v=DMARC1" as the first tag of a TXT record at the authorization name.
Authorization destinationAuthorized(Resolver& dns, const std::string& reportDomain, const std::string& destDomain) {
  TxtAnswer a = dns.txt(reportDomain + "._report._dmarc." + destDomain);
  if (a.status == DnsStatus::TempFail) return Authorization::TryLater;
  if (a.status != DnsStatus::Ok) return Authorization::No;
  for (auto& rec : a.records) {
    std::string t = lower(rec);
    t.erase(std::remove_if(t.begin(), t.end(), [](char c) { return c == ' ' || c == '\t'; }), t.end());
    if (t == "v=dmarc1" || t.rfind("v=dmarc1;", 0) == 0) return Authorization::Yes;
  }
  return Authorization::No;
}

bool sameReportDomain(const std::string& reportDomain, const std::string& destDomain) {
  std::string a = lower(reportDomain), b = lower(destDomain);
  return a == b || endsWithLabel(a, b) || endsWithLabel(b, a);
}

std::string runReports(Store& store, Resolver& dns, int64_t begin, int64_t end, const RunOptions& o, RunSummary& sum) {
  std::vector<Delivery> done;
  if (auto e = store.deliveries(done); !e.empty()) return e;
  std::map<Key, std::string> status;
  std::set<std::pair<int64_t, int64_t>> periods{{begin, end}};
  for (auto& d : done) {
    status[{d.reportDomain, d.begin, d.end, d.destination}] = d.status;
    if (d.status == "failed") periods.insert({d.begin, d.end});
  }
  for (const auto& period : periods) {
    const int64_t b = period.first, e = period.second;  // plain variables: lambdas below capture them
    const bool retryOnly = !(b == begin && e == end);
    std::vector<AggregateRow> rows;
    std::vector<PolicyRow> pols;
    if (auto err = store.rows(b, e, rows); !err.empty()) return err;
    if (auto err = store.policies(b, e, pols); !err.empty()) return err;
    for (auto& r : buildReports(rows, pols, b, e)) {
      ++sum.reports;
      auto gz = gzip(reportXml(r, o.who, o.format));
      if (!gz) return "gzip failed";
      const std::string file = reportFileName(r, o.who);
      auto mark = [&](const std::string& dest, const std::string& st, const std::string& detail) {
        (st == "sent" ? sum.sent : st == "refused" ? sum.refused : sum.failed)++;
        o.log(r.domain + " " + std::to_string(b) + "-" + std::to_string(e) + " " + (dest.empty() ? "-" : dest) + ": " + st +
              (detail.empty() ? "" : " (" + detail + ")"));
        return store.markDelivery({r.domain, b, e, dest, st, detail, o.now});
      };
      if (r.published.rua.empty() && !status.count({r.domain, b, e, ""}))
        if (auto err = mark("", "refused", "no rua destination"); !err.empty()) return err;
      for (auto& uri : r.published.rua) {
        auto it = status.find({r.domain, b, e, uri});
        if (it != status.end() ? it->second != "failed" : retryOnly) {
          ++sum.skipped;  // sent or refused before (never twice), or not part of this run
          continue;
        }
        std::string err;
        auto dest = parseRua(uri);
        if (!dest) {
          err = mark(uri, "refused", "not a usable mailto: URI");
        } else if (Authorization a = sameReportDomain(r.domain, dest->domain()) ? Authorization::Yes : destinationAuthorized(dns, r.domain, dest->domain());
                   a != Authorization::Yes) {
          err = a == Authorization::No ? mark(uri, "refused", "not authorized by " + r.domain + "._report._dmarc." + dest->domain())
                              : mark(uri, "failed", "authorization lookup failed temporarily");
        } else {
          std::string msg = reportMessage(r, o.who, dest->address, file, *gz, o.now);
          if (dest->maxBytes && msg.size() > dest->maxBytes) {
            err = mark(uri, "refused", "report of " + std::to_string(msg.size()) + " bytes over the !size limit");
          } else {
            SmtpResult s = o.send(dest->address, msg);
            err = mark(uri, s.accepted ? "sent" : s.permanent ? "refused" : "failed", s.detail);
          }
        }
        if (!err.empty()) return err;
      }
    }
  }
  return store.expire(o.now - static_cast<int64_t>(o.retentionDays) * 86400);
}

}  // namespace am::reports
