// tests/man/man_page_test.cpp — the man pages in docs/man/ checked against the code they document.
//
// authmilter.conf(5): every row of the key table (config::knownKeys()) has exactly one entry (under
// KEYS, or REMOVED KEYS for a removed key), every entry names a row, each entry's "Reload:" matches
// the table, and a default written in bold is parsed as the key's value and must give the built-in
// default (a default in italics is a description, e.g. "the host name").
// authmilter.policy(5): every rule keyword (policy::ruleKeywords()) has exactly one entry under RULES
// (or REMOVED RULES), and every entry names a rule.
// authmilter(8): every option and command that `authmilter --help` prints is documented.
// An entry is a `.TP` paragraph whose tag line starts with the name in bold (`.B Name` or
// `\fBname\fR ...`). One test case per key and per rule, so a missing entry names itself.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "filter/config/config.h"
#include "policy/policy_file.h"

// Readable parameters in ctest's listing and in failures.
namespace am::config {
void PrintTo(const KeyInfo& k, std::ostream* os) { *os << k.name; }
}  // namespace am::config
namespace am::policy {
void PrintTo(const RuleKeyword& r, std::ostream* os) { *os << r.name; }
}  // namespace am::policy

namespace {

using am::config::Reload;

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string l; std::getline(ss, l);) out.push_back(l);
  return out;
}

// Roff text to plain text: font changes dropped, `\-` and `\(em` made plain, `\&` and `\c` removed.
std::string plain(std::string s) {
  static const std::regex font(R"(\\f[BIRP])"), zero(R"(\\&|\\c)");
  s = std::regex_replace(s, font, "");
  s = std::regex_replace(s, zero, "");
  for (size_t p; (p = s.find("\\-")) != std::string::npos;) s.replace(p, 2, "-");
  for (size_t p; (p = s.find("\\(em")) != std::string::npos;) s.replace(p, 4, "-");
  return s;
}

struct Entry {
  std::string section;            // the .SH it is under
  std::string name;               // the bold name of its tag line
  std::vector<std::string> body;  // raw lines up to the next .TP/.SH/.SS
};

std::vector<Entry> entries(const std::string& path) {
  static const std::regex tagB(R"(^\.B\s+(\S+)\s*$)"), tagF(R"(^\\fB([^\\ ]+(?:\\-[^\\ ]+)*)\\fR)");
  std::vector<Entry> out;
  std::string section;
  auto ls = lines(readFile(path));
  for (size_t i = 0; i < ls.size(); ++i) {
    const std::string& l = ls[i];
    if (l.starts_with(".SH ")) section = plain(l.substr(4));
    if (l != ".TP" || i + 1 >= ls.size()) continue;
    std::smatch m;
    const std::string& tag = ls[i + 1];
    if (!std::regex_search(tag, m, tagB) && !std::regex_search(tag, m, tagF)) continue;
    Entry e{section, plain(m[1]), {}};
    for (size_t j = i + 2; j < ls.size() && !ls[j].starts_with(".TP") && !ls[j].starts_with(".SH") &&
                           !ls[j].starts_with(".SS");
         ++j)
      e.body.push_back(ls[j]);
    out.push_back(e);
  }
  return out;
}

std::vector<Entry> named(const std::vector<Entry>& all, const std::string& name) {
  std::vector<Entry> out;
  for (auto& e : all)
    if (e.name == name) out.push_back(e);
  return out;
}

// The first body line that starts with `prefix` ("Default: "), without the prefix; "" if none.
std::string field(const Entry& e, const std::string& prefix) {
  for (auto& l : e.body)
    if (l.starts_with(prefix)) return l.substr(prefix.size());
  return {};
}

const std::string kConfPage = AM_MAN_DIR "/authmilter.conf.5";
const std::string kPolicyPage = AM_MAN_DIR "/authmilter.policy.5";
const std::string kProgramPage = AM_MAN_DIR "/authmilter.8";

// The configuration a file gives, without the bookkeeping of where each key was set.
am::config::Config effect(const std::string& text) {
  auto r = am::config::parseText(text, "man");
  EXPECT_TRUE(r.config) << (r.errors.empty() ? "" : r.errors.front());
  am::config::Config c = r.config ? *r.config : am::config::Config{};
  c.path.clear();
  c.lines.clear();
  c.values.clear();
  return c;
}

// --- authmilter.conf(5) ----------------------------------------------------------------------------

class ConfKey : public testing::TestWithParam<am::config::KeyInfo> {};

TEST_P(ConfKey, HasItsEntry) {
  const auto& key = GetParam();
  auto found = named(entries(kConfPage), key.name);
  ASSERT_EQ(found.size(), 1u) << key.name << " needs exactly one entry in " << kConfPage;
  const Entry& e = found.front();
  if (key.removed) {
    EXPECT_EQ(e.section, "REMOVED KEYS") << key.name << " is a removed key";
    EXPECT_FALSE(field(e, "Removed: ").empty()) << key.name << ": say what to write instead";
    return;
  }
  EXPECT_EQ(e.section, "KEYS") << key.name;
  EXPECT_FALSE(field(e, "Type: ").empty()) << key.name << ": no \"Type: ...\" line";
  std::string reload = field(e, "Reload: ");
  EXPECT_EQ(reload, key.reload == Reload::Restart ? "restart." : "yes.")
      << key.name << ": the key table says " << (key.reload == Reload::Restart ? "restart" : "yes");
  std::string def = field(e, "Default: ");
  ASSERT_FALSE(def.empty()) << key.name << ": no \"Default: ...\" line";
  std::smatch m;
  static const std::regex literal(R"(^\\fB(.*)\\fR\.$)"), described(R"(^\\fI(.*)\\fR\.$)");
  if (std::regex_match(def, m, literal)) {
    // The documented default, written in the file, must change nothing.
    std::string value = plain(m[1]);
    EXPECT_TRUE(effect(key.name + " " + value + "\n") == effect(""))
        << key.name << ": the documented default '" << value << "' is not the built-in default";
  } else {
    EXPECT_TRUE(std::regex_match(def, described))
        << key.name << ": write the default as \\fBvalue\\fR. or \\fIdescription\\fR., got " << def;
  }
}

std::string keyName(const testing::TestParamInfo<am::config::KeyInfo>& i) { return i.param.name; }
INSTANTIATE_TEST_SUITE_P(ManConf, ConfKey, testing::ValuesIn(am::config::knownKeys()), keyName);

TEST(ManConf, EveryEntryNamesAKey) {
  std::map<std::string, bool> removed;
  for (auto& k : am::config::knownKeys()) removed[k.name] = k.removed;
  size_t n = 0;
  for (auto& e : entries(kConfPage)) {
    if (e.section != "KEYS" && e.section != "REMOVED KEYS") continue;
    ++n;
    EXPECT_TRUE(removed.count(e.name)) << kConfPage << ": entry " << e.name << " names no key of the key table";
  }
  EXPECT_EQ(n, removed.size()) << "one entry per key";
}

// A default that differs from the built-in one is caught (the check above is not vacuous).
TEST(ManConf, ADifferentDefaultIsNoticed) {
  EXPECT_FALSE(effect("DNSTimeout 6\n") == effect(""));
  EXPECT_FALSE(effect("InternalHosts 127.0.0.1\n") == effect(""));
  EXPECT_TRUE(effect("DNSTimeout 5\n") == effect(""));
}

// --- authmilter.policy(5) --------------------------------------------------------------------------

class PolicyRule : public testing::TestWithParam<am::policy::RuleKeyword> {};

TEST_P(PolicyRule, HasItsEntry) {
  const auto& rule = GetParam();
  auto found = named(entries(kPolicyPage), rule.name);
  ASSERT_EQ(found.size(), 1u) << rule.name << " needs exactly one entry in " << kPolicyPage;
  EXPECT_EQ(found.front().section, rule.removed ? "REMOVED RULES" : "RULES") << rule.name;
}

std::string ruleName(const testing::TestParamInfo<am::policy::RuleKeyword>& i) {
  std::string s = i.param.name;
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
}
INSTANTIATE_TEST_SUITE_P(ManPolicy, PolicyRule, testing::ValuesIn(am::policy::ruleKeywords()), ruleName);

TEST(ManPolicy, EveryEntryNamesARule) {
  std::map<std::string, bool> removed;
  for (auto& r : am::policy::ruleKeywords()) removed[r.name] = r.removed;
  size_t n = 0;
  for (auto& e : entries(kPolicyPage)) {
    if (e.section != "RULES" && e.section != "REMOVED RULES") continue;
    ++n;
    EXPECT_TRUE(removed.count(e.name)) << kPolicyPage << ": entry " << e.name << " names no rule";
  }
  EXPECT_EQ(n, removed.size()) << "one entry per rule";
}

// --- authmilter(8) ---------------------------------------------------------------------------------

std::string helpText() {
  std::string out;
  FILE* p = popen(AM_BINARY " --help", "r");
  if (!p) return out;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  EXPECT_EQ(pclose(p), 0);
  return out;
}

TEST(ManProgram, DocumentsEveryOptionAndCommandOfTheUsage) {
  std::string help = helpText();
  ASSERT_NE(help.find("usage:"), std::string::npos) << help;
  auto all = entries(kProgramPage);
  std::string page = plain(readFile(kProgramPage));
  static const std::regex option(R"((?:^|[\s\[|])(--?[A-Za-z][-A-Za-z]*))"), command(R"(\bauthmilter ([a-z][-a-z]*))");
  size_t options = 0, commands = 0;
  for (auto it = std::sregex_iterator(help.begin(), help.end(), option); it != std::sregex_iterator(); ++it) {
    std::string opt = (*it)[1];
    ++options;
    std::regex word("(^|[^-A-Za-z])" + std::regex_replace(opt, std::regex("-"), "\\-") + "([^-A-Za-z]|$)");
    EXPECT_TRUE(std::regex_search(page, word)) << kProgramPage << " does not document " << opt;
  }
  for (auto it = std::sregex_iterator(help.begin(), help.end(), command); it != std::sregex_iterator(); ++it) {
    std::string cmd = (*it)[1];
    ++commands;
    auto found = named(all, cmd);
    ASSERT_EQ(found.size(), 1u) << kProgramPage << " needs one entry for the command " << cmd;
    EXPECT_EQ(found.front().section, "COMMANDS") << cmd;
  }
  EXPECT_GE(options, 5u) << help;
  EXPECT_GE(commands, 1u) << help;
}

}  // namespace
