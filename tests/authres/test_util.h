// tests/authres/test_util.h — helpers shared by the authres tests: unfolding, line checks, loading
// the authres doctest vectors, and gtest comparison of parsed structures. Test-only; not thread-safe
// beyond what GoogleTest needs (the vector file is read once per call).
#pragma once
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "filter/authres/authres.h"

namespace am::authres::test {

// Our folding writes "\n\t" where it would otherwise write a space.
inline std::string unfold(std::string s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n' && i + 1 < s.size() && s[i + 1] == '\t') {
      out.push_back(' ');
      ++i;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

inline std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out(1);
  for (char c : s) {
    if (c == '\n') out.emplace_back();
    else out.back().push_back(c);
  }
  return out;
}

// The value of "Authentication-Results: value" (field name matched case-insensitively).
inline std::string headerValue(const std::string& header) {
  const std::string name = "authentication-results:";
  if (header.size() < name.size()) return header;
  for (size_t i = 0; i < name.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(header[i])) != name[i]) return header;
  size_t start = name.size();
  while (start < header.size() && header[start] == ' ') ++start;
  return header.substr(start);
}

inline std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string casesPath() { return std::string(AM_TESTDATA_DIR) + "/authres/authres-cases.json"; }

// Same method, result, reason, properties (and comments when asked).
inline void expectSameResults(const std::vector<ResInfo>& got, const std::vector<ResInfo>& want,
                              bool comments) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    SCOPED_TRACE("resinfo " + std::to_string(i));
    EXPECT_EQ(got[i].method, want[i].method);
    EXPECT_EQ(got[i].result, want[i].result);
    EXPECT_EQ(got[i].reason, want[i].reason);
    if (comments) {
      EXPECT_EQ(got[i].comment, want[i].comment);
    }
    ASSERT_EQ(got[i].props.size(), want[i].props.size());
    for (size_t k = 0; k < got[i].props.size(); ++k) {
      EXPECT_EQ(got[i].props[k].ptype, want[i].props[k].ptype);
      EXPECT_EQ(got[i].props[k].name, want[i].props[k].name);
      EXPECT_EQ(got[i].props[k].value, want[i].props[k].value);
      if (comments) {
        EXPECT_EQ(got[i].props[k].comment, want[i].props[k].comment);
      }
    }
  }
}

// parse() that fails the test (with the parser's message) instead of returning nullopt.
inline Parsed mustParse(std::string_view v) {
  std::string err;
  auto p = parse(v, &err);
  EXPECT_TRUE(p.has_value()) << "parse failed: " << err << "\n  input: " << v;
  return p ? *p : Parsed{};
}

}  // namespace am::authres::test
