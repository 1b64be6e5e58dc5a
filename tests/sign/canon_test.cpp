// tests/sign/canon_test.cpp — RFC 6376 §3.4 canonicalization as the signer uses it (the DKIM
// primitives: appendCanonHeader/canonHeader and BodyHasher): the RFC §3.4.6 example, empty
// bodies, trailing empty lines, bare LF, chunk boundaries anywhere.
#include <gtest/gtest.h>

#include "filter/auth/dkim/primitives/body_hash.h"
#include "filter/auth/dkim/primitives/canon.h"

namespace am::dkim {
namespace {

std::string canonBody(Canon c, const std::vector<std::string>& chunks) {
  std::string out;
  BodyHasher b(c, nullptr, std::nullopt);  // no digest: the canonical bytes only
  b.copyTo(&out);
  for (const auto& ch : chunks) b.feed(ch);
  b.finish();
  EXPECT_EQ(b.total(), out.size());
  return out;
}

TEST(Canon, Rfc6376Section346ExampleHeaders) {
  EXPECT_EQ(canonHeader(Canon::Relaxed, "A", " X"), "a:X\r\n");
  EXPECT_EQ(canonHeader(Canon::Relaxed, "B ", " Y\t\n\tZ  "), "b:Y Z\r\n");
  EXPECT_EQ(canonHeader(Canon::Simple, "A", " X"), "A: X\r\n");
  EXPECT_EQ(canonHeader(Canon::Simple, "B ", " Y\t\n\tZ  "), "B : Y\t\r\n\tZ  \r\n");
}

TEST(Canon, Rfc6376Section346ExampleBody) {
  const std::string body = " C \r\nD \t E\r\n\r\n\r\n";
  EXPECT_EQ(canonBody(Canon::Relaxed, {body}), " C\r\nD E\r\n");
  EXPECT_EQ(canonBody(Canon::Simple, {body}), " C \r\nD \t E\r\n");
}

TEST(Canon, EmptyBodies) {
  EXPECT_EQ(canonBody(Canon::Simple, {}), "\r\n");
  EXPECT_EQ(canonBody(Canon::Relaxed, {}), "");
  EXPECT_EQ(canonBody(Canon::Simple, {"\r\n\r\n\r\n"}), "\r\n");
  EXPECT_EQ(canonBody(Canon::Relaxed, {" \t\r\n  \r\n"}), "");
}

TEST(Canon, MissingFinalLineEndIsAdded) {
  EXPECT_EQ(canonBody(Canon::Simple, {"abc"}), "abc\r\n");
  EXPECT_EQ(canonBody(Canon::Relaxed, {"abc  "}), "abc\r\n");
}

TEST(Canon, BareLfIsALineEndLoneCrIsData) {
  EXPECT_EQ(canonBody(Canon::Simple, {"a\nb\n\n"}), "a\r\nb\r\n");
  EXPECT_EQ(canonBody(Canon::Simple, {"a\rb\r\n"}), "a\rb\r\n");
  EXPECT_EQ(canonBody(Canon::Simple, {"a\r"}), "a\r\r\n");
}

TEST(Canon, InnerEmptyLinesAreKept) {
  EXPECT_EQ(canonBody(Canon::Relaxed, {"a\r\n\r\n \r\nb\r\n\r\n"}), "a\r\n\r\n\r\nb\r\n");
  EXPECT_EQ(canonBody(Canon::Simple, {"a\r\n\r\n \r\nb\r\n\r\n"}), "a\r\n\r\n \r\nb\r\n");
}

TEST(Canon, EveryChunkSplitGivesTheSameOutput) {
  const std::string body = "x  y\t\r\n\r\n \t z \r\n\r\r\n\nlast  \r\n\r\n";
  for (Canon c : {Canon::Simple, Canon::Relaxed}) {
    std::string whole = canonBody(c, {body});
    for (size_t i = 0; i <= body.size(); ++i)
      for (size_t j = i; j <= body.size(); j += 3)
        EXPECT_EQ(canonBody(c, {body.substr(0, i), body.substr(i, j - i), body.substr(j)}), whole)
            << canonName(c) << " split " << i << "," << j;
  }
}

TEST(Canon, RelaxedHeaderUnfoldsAndTrims) {
  EXPECT_EQ(canonHeader(Canon::Relaxed, "Subject", "   many \t  spaces\r\n\t here \t"), "subject:many spaces here\r\n");
  EXPECT_EQ(canonHeader(Canon::Relaxed, "X-Empty", ""), "x-empty:\r\n");
  EXPECT_EQ(canonHeader(Canon::Simple, "X-Crlf", " a\r\n b"), "X-Crlf: a\r\n b\r\n");
}

}  // namespace
}  // namespace am::dkim
