// tests/dmarc/opendmarc_suite_test.cpp — runner over dmarc-opendmarc/opendmarc-cases.json
// (libopendmarc's unit-test tables): record parse statuses, alignment, From-domain
// extraction, organizational domain with the suite's own 2014 PSL snapshot. One TEST_P per
// case, 46 in all. Readings that differ are listed in kOverrides with the reason; the data
// file is never edited.
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include "common/strings.h"
#include "policy/from_header.h"
#include "tests/dmarc/test_util.h"

using namespace am::policy;
using json = nlohmann::json;

namespace {

const char* kPsl = "dmarc-opendmarc/effective_tld_names.dat";

struct Case {
  std::string name;
  json data;
};

std::vector<Case> casesOf(const std::string& section) {
  static const json j = [] {
    std::ifstream in(am::testing::testdata("dmarc-opendmarc/opendmarc-cases.json"));
    return json::parse(in, nullptr, false);
  }();
  std::vector<Case> out;
  if (!j.is_object() || !j.contains(section)) return out;
  for (auto& c : j[section]["cases"]) out.push_back({"n" + std::to_string(c["n"].get<int>()), c});
  if (section == "record_parse") out.push_back({"extra_parse_to_buf", j[section]["extra"]});
  return out;
}

std::string name(const ::testing::TestParamInfo<Case>& i) { return i.param.name; }

// Where we deliberately differ from libopendmarc. Key: section/case name.
const std::map<std::string, std::pair<std::string, const char*>> kOverrides = {
    {"record_parse/n5", {"DMARC_PARSE_ERROR_BAD_VALUE",
                         "p=n: RFC 7489/9989 grammar allows only none/quarantine/reject; an abbreviation is "
                         "a bad value (7489 mode: unusable without rua; 9989 mode: read as p=none)"}},
    {"record_parse/extra_parse_to_buf", {"DMARC_PARSE_ERROR_BAD_VALUE",
                         "missing ';' makes fo='1:s rua=mailto:...' which is not a valid fo value; we flag it "
                         "(fo falls back to 0, the rua in it is lost), we do not re-split on spaces"}},
    {"alignment/n5", {"false", "'.mac.com.' is not a valid domain; we do not repair leading dots, so it "
                               "equals nothing (parseFrom never yields such a domain)"}},
    {"alignment/n6", {"false", "same as n5 with several dots"}},
    {"from/n2", {"", "quoted string followed by a bare addr-spec without <> is not RFC 5322; strict: unparseable"}},
    {"from/n6", {"", "'<<<><joe@joe.com>>>' is not RFC 5322; strict: unparseable"}},
    {"from/n7", {"", "two mailboxes: MultipleAddresses (default reject), never the first one's domain"}},
    {"from/n8", {"", "two mailboxes: MultipleAddresses, as n7"}},
    {"from/n9", {"", "'Mail From:<joe@joe.com>' is a group without its ';': unparseable"}},
    {"from/n12", {"", "as n2: quoted string then bare addr-spec"}},
};

const std::pair<std::string, const char*>* overrideFor(const std::string& key) {
  auto it = kOverrides.find(key);
  return it == kOverrides.end() ? nullptr : &it->second;
}

std::string parseStatus(const std::string& txt) {
  auto rec = parseRecord(txt);
  if (!rec) return am::trim(txt).empty() ? "DMARC_PARSE_ERROR_EMPTY" : "DMARC_PARSE_ERROR_BAD_VERSION";
  if (!rec->invalidTags.empty()) return "DMARC_PARSE_ERROR_BAD_VALUE";
  if (!rec->tags.count("p")) return "DMARC_PARSE_ERROR_NO_REQUIRED_P";
  return "DMARC_PARSE_OKAY";
}

class OpenDmarcParse : public ::testing::TestWithParam<Case> {};
TEST_P(OpenDmarcParse, Status) {
  const json& d = GetParam().data;
  std::string expect = d["status"];
  if (auto o = overrideFor("record_parse/" + GetParam().name)) expect = o->first;
  EXPECT_EQ(parseStatus(d["record"]), expect) << d["record"];
}
INSTANTIATE_TEST_SUITE_P(RecordParse, OpenDmarcParse, ::testing::ValuesIn(casesOf("record_parse")), name);

class OpenDmarcAlign : public ::testing::TestWithParam<Case> {};
TEST_P(OpenDmarcAlign, Aligned) {
  const json& d = GetParam().data;
  const auto& psl = am::testing::pslFrom(kPsl);
  auto org = [&](std::string_view x) { return psl.organizationalDomain(x); };
  AlignMode m = d["mode"] == "s" ? AlignMode::Strict : AlignMode::Relaxed;
  bool expect = d["aligned"];
  if (auto o = overrideFor("alignment/" + GetParam().name)) expect = o->first == "true";
  EXPECT_EQ(aligned(d["from_domain"].get<std::string>(), d["auth_domain"].get<std::string>(), m, org), expect);
}
INSTANTIATE_TEST_SUITE_P(Alignment, OpenDmarcAlign, ::testing::ValuesIn(casesOf("alignment")), name);

class OpenDmarcFrom : public ::testing::TestWithParam<Case> {};
TEST_P(OpenDmarcFrom, Domain) {
  const json& d = GetParam().data;
  std::string raw = d["raw"];
  if (am::toLower(raw.substr(0, 5)) == "from:") raw = raw.substr(5);  // the field name, when given
  FromResult r = parseFrom({raw});
  std::string expect = d["domain"];
  if (auto o = overrideFor("from/" + GetParam().name)) {
    expect = o->first;
    EXPECT_NE(r.status, FromResult::Status::Ok) << o->second;
  }
  EXPECT_EQ(r.status == FromResult::Status::Ok ? r.domain : "", expect) << raw << " -> " << r.error;
}
INSTANTIATE_TEST_SUITE_P(FromHeaderDomain, OpenDmarcFrom, ::testing::ValuesIn(casesOf("from_header_domain")), name);

class OpenDmarcOrg : public ::testing::TestWithParam<Case> {};
TEST_P(OpenDmarcOrg, OrgDomain) {
  const json& d = GetParam().data;
  EXPECT_EQ(am::testing::pslFrom(kPsl).organizationalDomain(d["domain"].get<std::string>()),
            d["org"].get<std::string>());
}
INSTANTIATE_TEST_SUITE_P(OrganizationalDomain, OpenDmarcOrg, ::testing::ValuesIn(casesOf("organizational_domain")),
                         name);

TEST(OpenDmarcSuite, CaseCount) {
  size_t n = 0;
  for (const char* s : {"record_parse", "alignment", "from_header_domain", "organizational_domain"})
    n += casesOf(s).size();
  EXPECT_EQ(n, 46u);
}

}  // namespace
