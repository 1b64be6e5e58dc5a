// tests/core/log_format_test.cpp — the per-message log line in both formats (LogFormat kv and
// json) with hostile message data: HELO, MAIL FROM, From, reasons, selectors and upstream ids that
// carry spaces, '=', quotes, backslashes, CR/LF, ESC, NUL, DEL, C1 controls, U+2028 and invalid
// UTF-8 must never add a line, a control character or a field. And the JSON writer itself. Each line is parsed back here
// (a strict key=value reader; nlohmann-json) and must give exactly the fields of the outcome.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "common/json.h"
#include "common/utf8.h"
#include "filter/core/consumers.h"
#include "filter/core/log.h"
#include "filter/core/session.h"
#include "tests/core/core_fixture.h"

using namespace am;
using namespace am::core;

namespace {

const std::vector<std::string> kHostile = {
    "x key=value",
    "x\" action=accept \"",
    "a\r\nqid=FAKE action=accept",
    "esc\x1b[31mred\x1b[0m",
    std::string("nul\0byte", 8),
    "del\x7f",
    "back\\slash\\\" quote",
    "nel\xc2\x85line",            // U+0085, a C1 control
    "ls\xe2\x80\xa8sep",          // U+2028
    "bad\xff\xfe utf8 \xc0\xaf",  // invalid bytes, overlong '/'
    "trunc\xe2\x82",              // a cut sequence
    "csi\xc2\x9b" "31m",          // U+009B, C1 CSI
    "ok \xc3\xa9t\xc3\xa9",       // valid UTF-8 stays
    std::string(600, '\\') + "\x01",
    std::string(511, 'a') + "\xc3\xa9\xc3\xa9",
};

MessageOutcome hostile(const std::string& v) {
  MessageOutcome o;
  o.client.addr = IpAddress::parse("198.51.100.7");
  o.client.hostname = v;
  o.client.helo = v;
  o.client.authUser = v;
  o.client.tlsVersion = v;
  o.client.tlsCipher = v;
  o.queueId = v;
  o.mailFrom = v;
  o.evaluated = true;
  o.from.status = policy::FromResult::Status::Ok;
  o.from.domain = v;
  o.spfMailFrom.checked = true;
  o.spfMailFrom.result = SpfResult::Fail;
  o.spfMailFrom.domain = v;
  o.spfHelo.checked = true;
  DkimOutput d;
  d.result = DkimResult::Fail;
  d.domain = v;
  d.selector = v;
  o.dkim.push_back(d);
  o.signing = true;
  o.upstream.push_back({v, v, v});
  policy::DmarcOutput dm;
  dm.result = policy::DmarcResult::Fail;
  o.dmarc = dm;
  o.disposition.action = Action::Reject;
  o.disposition.override = policy::Override::LocalPolicy;
  o.disposition.logReason = v;
  return o;
}

const std::vector<std::string> kKeys = {"qid", "client", "helo", "mailfrom", "auth", "tls", "cipher", "from", "spf",
                                        "spf.d", "spf.helo", "dkim", "signed", "dmarc", "policy", "upstream",
                                        "action", "override", "reason"};

// The line may carry no byte below 0x20, no DEL, and only valid UTF-8 without C1 controls or
// line separators.
void expectSafe(const std::string& line) {
  for (size_t i = 0; i < line.size();) {
    unsigned char c = static_cast<unsigned char>(line[i]);
    ASSERT_FALSE(c < 0x20 || c == 0x7f) << "control byte " << int(c) << " at " << i << " in " << line;
    if (c < 0x80) {
      ++i;
      continue;
    }
    uint32_t cp = 0;
    size_t n = utf8::sequence(line, i, cp);
    ASSERT_NE(n, 0u) << "invalid UTF-8 at " << i << " in " << line;
    ASSERT_FALSE(utf8::unsafeCodePoint(cp)) << "U+" << std::hex << cp << " in " << line;
    i += n;
  }
}

// A strict reader of our key=value lines: KEY=VALUE separated by one space; VALUE bare (no space,
// quote or '=') or "quoted"; escapes \" \\ \xHH. Returns the keys in order, or nullopt.
std::optional<std::vector<std::string>> kvKeys(const std::string& l) {
  std::vector<std::string> keys;
  size_t i = 0;
  while (i < l.size()) {
    size_t eq = l.find('=', i);
    if (eq == std::string::npos) return std::nullopt;
    std::string key = l.substr(i, eq - i);
    if (key.empty() || key.find_first_not_of("abcdefghijklmnopqrstuvwxyz.") != std::string::npos) return std::nullopt;
    keys.push_back(key);
    i = eq + 1;
    bool quoted = i < l.size() && l[i] == '"';
    if (quoted) ++i;
    for (;;) {
      if (i >= l.size()) {
        if (quoted) return std::nullopt;
        break;
      }
      char c = l[i];
      if (quoted && c == '"') {
        ++i;
        break;
      }
      if (!quoted && (c == ' ' || c == '"' || c == '=')) break;
      if (c == '\\') {
        if (i + 1 >= l.size()) return std::nullopt;
        if (l[i + 1] == 'x') {
          if (i + 3 >= l.size() || !isxdigit(l[i + 2]) || !isxdigit(l[i + 3])) return std::nullopt;
          i += 4;
        } else if (l[i + 1] == '"' || l[i + 1] == '\\') {
          i += 2;
        } else {
          return std::nullopt;
        }
        continue;
      }
      ++i;
    }
    if (i < l.size()) {
      if (l[i] != ' ') return std::nullopt;
      ++i;
    }
  }
  return keys;
}

TEST(LogFormat, KvLineWithHostileValuesKeepsItsFields) {
  for (auto& v : kHostile) {
    std::string l = logLine(hostile(v));
    SCOPED_TRACE(l);
    expectSafe(l);
    auto keys = kvKeys(l);
    ASSERT_TRUE(keys) << l;
    EXPECT_EQ(*keys, kKeys);
  }
}

TEST(LogFormat, KvTruncationNeverCutsAnEscapeOrACharacter) {
  for (size_t n = 500; n < 520; ++n) {
    std::string l = logValue(std::string(n, 'a') + "\x01\xc3\xa9\x01" + std::string(40, 'b'));
    expectSafe(l);
    auto keys = kvKeys("k=" + l);
    ASSERT_TRUE(keys) << l;
  }
  EXPECT_EQ(logValue("\xff"), "\\xff");
  EXPECT_EQ(logValue("a\xc2\x85" "b"), "a\\xc2\\x85b");
  EXPECT_EQ(logValue("\xc3\xa9t\xc3\xa9"), "\xc3\xa9t\xc3\xa9");
}

TEST(LogFormat, JsonLineWithHostileValuesKeepsItsFields) {
  for (auto& v : kHostile) {
    std::string l = logLineJson(hostile(v));
    SCOPED_TRACE(l);
    expectSafe(l);
    auto j = nlohmann::ordered_json::parse(l);  // throws (fails the test) when it is not JSON
    std::vector<std::string> keys;
    for (auto& [k, value] : j.items()) keys.push_back(k);
    EXPECT_EQ(keys, kKeys);
    EXPECT_EQ(j["signed"], 0);
    EXPECT_EQ(j["action"], "reject");
    bool plain = v.size() <= 512;  // valid UTF-8 without controls comes back unchanged
    for (size_t i = 0; plain && i < v.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(v[i]);
      uint32_t cp = 0;
      size_t n = c < 0x80 ? 1 : utf8::sequence(v, i, cp);
      plain = n != 0 && c >= 0x20 && c != 0x7f && (c < 0x80 || !utf8::unsafeCodePoint(cp));
      if (n > 1) i += n - 1;
    }
    if (plain) {
      EXPECT_EQ(j["helo"], v);
      EXPECT_EQ(j["reason"], v);
      EXPECT_EQ(j["from"], v);
    }
  }
}

TEST(LogFormat, JsonAndKvCarryTheSameFields) {
  MessageOutcome o = hostile("example.org");
  o.upstream.clear();
  o.client.authUser.clear();
  std::string kv = logLine(o);
  auto j = nlohmann::ordered_json::parse(logLineJson(o));
  std::string rebuilt;
  for (auto& [k, value] : j.items())
    rebuilt += (rebuilt.empty() ? "" : " ") + k + "=" + (value.is_string() ? logValue(value.get<std::string>()) : value.dump());
  EXPECT_EQ(rebuilt, kv);
  EXPECT_EQ(logLine(o, true), logLineJson(o));
  EXPECT_EQ(logLine(o, false), kv);
}

TEST(LogFormat, OverflowLineInBothFormats) {
  EXPECT_EQ(overflowLogLine("Q\n1", false), "qid=\"Q\\x0a1\" action=tempfail reason=\"headers over MaxHeaderBytes\"");
  auto j = nlohmann::json::parse(overflowLogLine("Q\n1", true));
  EXPECT_EQ(j["qid"], "Q\n1");
  EXPECT_EQ(j["action"], "tempfail");
}

// Through a Session: LogFormat json makes the message's line a JSON object; hostile HELO and
// MAIL FROM stay inside their fields; the outcome is kept for test-message.
struct SessionLog : am::core::test::CoreFixture {
  std::string line(const std::string& format, const std::string& helo) {
    startEngine(config::parseText("AuthservID mx.test\nSyslog no\nLogFormat " + format + "\n", "test.conf"));
    Session s(*engine);
    s.setMacro("i", "Q1");
    s.connect("client.test", IpAddress::parse("192.0.2.1"));
    s.helo(helo);
    s.mailFrom("<a@b.example>");
    s.header("From", " \"x\r\naction=accept\" <a@b.example>");
    s.endOfHeaders();
    s.body("hi\r\n");
    s.endOfMessage();
    EXPECT_NE(s.lastOutcome(), nullptr);
    return s.lastLogLine();
  }
};

TEST_F(SessionLog, LogFormatJson) {
  std::string l = line("json", "x key=value\r\nqid=FAKE");
  expectSafe(l);
  auto j = nlohmann::json::parse(l);
  EXPECT_EQ(j["qid"], "Q1");
  EXPECT_EQ(j["helo"], "x key=value\r\nqid=FAKE");
  EXPECT_EQ(j["from"], "b.example");
}

TEST_F(SessionLog, LogFormatKvIsTheDefault) {
  std::string l = line("kv", "x key=value\r\nqid=FAKE");
  expectSafe(l);
  EXPECT_EQ(l.rfind("qid=Q1 client=192.0.2.1[client.test] helo=\"x key=value\\x0d\\x0aqid=FAKE\" ", 0), 0u) << l;
  auto keys = kvKeys(l);
  ASSERT_TRUE(keys) << l;
  EXPECT_EQ(std::count(keys->begin(), keys->end(), "qid"), 1);
  auto bad = config::parseText("LogFormat xml\n", "test.conf");
  EXPECT_FALSE(bad.config);
  ASSERT_FALSE(bad.errors.empty());
  EXPECT_EQ(bad.errors[0].rfind("test.conf:1:", 0), 0u) << bad.errors[0];
}

TEST(JsonWriter, EscapesAndStructure) {
  std::string s;
  json::Writer w(s);
  w.beginObject().field("a", "x\"\\\n\t\x01\x7f").field("n", 5).field("b", false).key("l").beginArray();
  w.value("one").beginObject().endObject().null().endArray().key("o").beginObject().field("k", -3).endObject();
  w.endObject();
  EXPECT_EQ(s, "{\"a\":\"x\\\"\\\\\\n\\t\\u0001\\u007f\",\"n\":5,\"b\":false,\"l\":[\"one\",{},null],\"o\":{\"k\":-3}}");
  std::string t;
  json::appendString(t, "\xc3\xa9\xff\xc2\x85\xe2\x80\xa8\xf0\x9f\x98\x80\xed\xa0\x80");
  EXPECT_EQ(t, "\"\xc3\xa9\\ufffd\\u0085\\u2028\xf0\x9f\x98\x80\\ufffd\\ufffd\\ufffd\"");
}

}  // namespace
