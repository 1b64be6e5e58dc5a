// reports/schema.h — the report store's schema and statements, shared by every Store
// implementation: plain SQL that SQLite and PostgreSQL both accept ($N parameters, BIGINT, ON
// CONFLICT ... DO UPDATE). kMigrations[i] takes a store from version i to version i + 1; the
// schema_version table holds the current version, and each store applies the missing steps in one
// transaction at open. Constant data; thread-safe.
#pragma once
#include <array>

namespace am::reports::schema {

inline constexpr const char* kVersionTable = "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)";

inline constexpr std::array<const char*, 2> kMigrations = {
    // 1: aggregated rows and the published policy per report domain and hour.
    "CREATE TABLE aggregate_rows ("
    " report_domain TEXT NOT NULL, hour BIGINT NOT NULL, source_ip TEXT NOT NULL,"
    " header_from TEXT NOT NULL, envelope_from TEXT NOT NULL, envelope_to TEXT NOT NULL,"
    " dmarc_result TEXT NOT NULL, disposition TEXT NOT NULL, dkim_aligned TEXT NOT NULL,"
    " spf_aligned TEXT NOT NULL, override_reason TEXT NOT NULL, dkim TEXT NOT NULL,"
    " spf_domain TEXT NOT NULL, spf_scope TEXT NOT NULL, spf_result TEXT NOT NULL,"
    " count BIGINT NOT NULL,"
    " PRIMARY KEY (report_domain, hour, source_ip, header_from, envelope_from, envelope_to, dmarc_result,"
    " disposition, dkim_aligned, spf_aligned, override_reason, dkim, spf_domain, spf_scope, spf_result));"
    "CREATE INDEX aggregate_rows_hour ON aggregate_rows (hour);"
    "CREATE TABLE published_policies ("
    " report_domain TEXT NOT NULL, hour BIGINT NOT NULL, p TEXT NOT NULL, sp TEXT NOT NULL, np TEXT NOT NULL,"
    " adkim TEXT NOT NULL, aspf TEXT NOT NULL, pct BIGINT NOT NULL, fo TEXT NOT NULL, testing TEXT NOT NULL,"
    " psd TEXT NOT NULL, discovery TEXT NOT NULL, rua TEXT NOT NULL, ruf TEXT NOT NULL,"
    " PRIMARY KEY (report_domain, hour));"
    "CREATE INDEX published_policies_hour ON published_policies (hour)",
    // 2: what `authmilter report` did with each report and destination ("" when none was usable):
    // status sent (the relay accepted it), refused (final: unauthorized, too large, bad URI) or
    // failed (retried by the next run).
    "CREATE TABLE report_deliveries ("
    " report_domain TEXT NOT NULL, period_begin BIGINT NOT NULL, period_end BIGINT NOT NULL,"
    " destination TEXT NOT NULL, status TEXT NOT NULL, detail TEXT NOT NULL, at BIGINT NOT NULL,"
    " PRIMARY KEY (report_domain, period_begin, period_end, destination))",
};
inline constexpr long kVersion = static_cast<long>(kMigrations.size());

// 16 parameters: the aggregation key (15) and the count to add.
inline constexpr const char* kAddRow =
    "INSERT INTO aggregate_rows (report_domain, hour, source_ip, header_from, envelope_from, envelope_to,"
    " dmarc_result, disposition, dkim_aligned, spf_aligned, override_reason, dkim, spf_domain, spf_scope,"
    " spf_result, count) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
    " ON CONFLICT (report_domain, hour, source_ip, header_from, envelope_from, envelope_to, dmarc_result,"
    " disposition, dkim_aligned, spf_aligned, override_reason, dkim, spf_domain, spf_scope, spf_result)"
    " DO UPDATE SET count = aggregate_rows.count + excluded.count";

// 14 parameters; the policy last seen in an hour wins.
inline constexpr const char* kSetPolicy =
    "INSERT INTO published_policies (report_domain, hour, p, sp, np, adkim, aspf, pct, fo, testing, psd,"
    " discovery, rua, ruf) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    " ON CONFLICT (report_domain, hour) DO UPDATE SET p = excluded.p, sp = excluded.sp, np = excluded.np,"
    " adkim = excluded.adkim, aspf = excluded.aspf, pct = excluded.pct, fo = excluded.fo,"
    " testing = excluded.testing, psd = excluded.psd, discovery = excluded.discovery, rua = excluded.rua,"
    " ruf = excluded.ruf";

inline constexpr const char* kSelectRows =
    "SELECT report_domain, hour, source_ip, header_from, envelope_from, envelope_to, dmarc_result, disposition,"
    " dkim_aligned, spf_aligned, override_reason, dkim, spf_domain, spf_scope, spf_result, count"
    " FROM aggregate_rows WHERE hour >= $1 AND hour < $2"
    " ORDER BY report_domain, source_ip, header_from, hour";

inline constexpr const char* kSelectPolicies =
    "SELECT report_domain, hour, p, sp, np, adkim, aspf, pct, fo, testing, psd, discovery, rua, ruf"
    " FROM published_policies WHERE hour >= $1 AND hour < $2 ORDER BY report_domain, hour";

inline constexpr const char* kSetDelivery =
    "INSERT INTO report_deliveries (report_domain, period_begin, period_end, destination, status, detail, at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (report_domain, period_begin, period_end, destination)"
    " DO UPDATE SET status = excluded.status, detail = excluded.detail, at = excluded.at";
inline constexpr const char* kSelectDeliveries =
    "SELECT report_domain, period_begin, period_end, destination, status, detail, at FROM report_deliveries"
    " ORDER BY period_begin, report_domain, destination";

// Retention: rows older than $1 go once their period was reported and no delivery of it is still
// to be retried (nothing is deleted before it was sent or refused for good); then the policies
// without rows, then the delivery marks of periods without rows.
inline constexpr const char* kExpireRows =
    "DELETE FROM aggregate_rows WHERE hour < $1"
    " AND EXISTS (SELECT 1 FROM report_deliveries d WHERE d.report_domain = aggregate_rows.report_domain"
    "  AND aggregate_rows.hour >= d.period_begin AND aggregate_rows.hour < d.period_end)"
    " AND NOT EXISTS (SELECT 1 FROM report_deliveries d WHERE d.report_domain = aggregate_rows.report_domain"
    "  AND aggregate_rows.hour >= d.period_begin AND aggregate_rows.hour < d.period_end AND d.status = 'failed')";
inline constexpr const char* kExpirePolicies =
    "DELETE FROM published_policies WHERE hour < $1 AND NOT EXISTS (SELECT 1 FROM aggregate_rows a"
    " WHERE a.report_domain = published_policies.report_domain AND a.hour = published_policies.hour)";
inline constexpr const char* kExpireDeliveries =
    "DELETE FROM report_deliveries WHERE period_end <= $1 AND NOT EXISTS (SELECT 1 FROM aggregate_rows a"
    " WHERE a.report_domain = report_deliveries.report_domain AND a.hour >= report_deliveries.period_begin"
    " AND a.hour < report_deliveries.period_end)";

}  // namespace am::reports::schema
