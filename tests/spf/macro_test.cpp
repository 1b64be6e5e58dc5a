// tests/spf/macro_test.cpp — macro expansion (RFC 7208 §7): every letter, every transformer,
// the §7.4 examples, URL escaping, escapes, syntax errors and the length bounds.
#include <gtest/gtest.h>

#include "filter/auth/spf/macro.h"

namespace am::spf {
namespace {

struct Env {
  MacroEnv env;
  int ptrCalls = 0;
  explicit Env(const char* ip = "192.0.2.3") {
    env.sender = "strong-bad@email.example.com";
    env.local = "strong-bad";
    env.senderDomain = "email.example.com";
    env.domain = "email.example.com";
    env.helo = "mx.example.org";
    env.receiver = "rcv.example.net";
    env.client = *IpAddress::parse(ip);
    env.now = 1700000000;
    env.validatedName = [this] {
      ++ptrCalls;
      return std::string("mx.example.org");
    };
  }
  std::string domain(std::string_view s) { return expandMacros(s, MacroMode::Domain, env).value_or("<error>"); }
  std::string explain(std::string_view s) { return expandMacros(s, MacroMode::Explain, env).value_or("<error>"); }
};

// RFC 7208 §7.4 examples.
TEST(SpfMacro, Rfc7208Examples) {
  Env e;
  EXPECT_EQ(e.domain("%{s}"), "strong-bad@email.example.com");
  EXPECT_EQ(e.domain("%{o}"), "email.example.com");
  EXPECT_EQ(e.domain("%{d}"), "email.example.com");
  EXPECT_EQ(e.domain("%{d4}"), "email.example.com");
  EXPECT_EQ(e.domain("%{d3}"), "email.example.com");
  EXPECT_EQ(e.domain("%{d2}"), "example.com");
  EXPECT_EQ(e.domain("%{d1}"), "com");
  EXPECT_EQ(e.domain("%{dr}"), "com.example.email");
  EXPECT_EQ(e.domain("%{d2r}"), "example.email");
  EXPECT_EQ(e.domain("%{l}"), "strong-bad");
  EXPECT_EQ(e.domain("%{l-}"), "strong.bad");
  EXPECT_EQ(e.domain("%{lr}"), "strong-bad");
  EXPECT_EQ(e.domain("%{lr-}"), "bad.strong");
  EXPECT_EQ(e.domain("%{l1r-}"), "strong");  // libspf2 issue #42 gives "trong"
  EXPECT_EQ(e.domain("%{ir}.%{v}._spf.%{d2}"), "3.2.0.192.in-addr._spf.example.com");
  EXPECT_EQ(e.domain("%{lr-}.lp._spf.%{d2}"), "bad.strong.lp._spf.example.com");
  EXPECT_EQ(e.domain("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}"), "bad.strong.lp.3.2.0.192.in-addr._spf.example.com");
  EXPECT_EQ(e.domain("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}"), "3.2.0.192.in-addr.strong.lp._spf.example.com");
  EXPECT_EQ(e.domain("%{d2}.trusted-domains.example.net"), "example.com.trusted-domains.example.net");
}

TEST(SpfMacro, Ipv6Letters) {
  Env e("2001:db8::cb01");
  EXPECT_EQ(e.domain("%{ir}.%{v}._spf.%{d2}"),
            "1.0.B.C.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.B.D.0.1.0.0.2.ip6._spf.example.com");
  EXPECT_EQ(e.explain("%{c}"), "2001:db8::cb01");
  EXPECT_EQ(e.domain("%{v}"), "ip6");
}

TEST(SpfMacro, RemainingLettersAndExplainOnlyLetters) {
  Env e;
  EXPECT_EQ(e.domain("%{h}"), "mx.example.org");
  EXPECT_EQ(e.domain("%{i}"), "192.0.2.3");
  EXPECT_EQ(e.domain("%{v}"), "in-addr");
  EXPECT_EQ(e.ptrCalls, 0);  // %{p} is looked up only when used
  EXPECT_EQ(e.domain("%{p}"), "mx.example.org");
  EXPECT_EQ(e.ptrCalls, 1);
  EXPECT_EQ(e.explain("%{c} %{r} %{t}"), "192.0.2.3 rcv.example.net 1700000000");
  EXPECT_EQ(e.domain("%{c}"), "<error>");
  EXPECT_EQ(e.domain("%{r}"), "<error>");
  EXPECT_EQ(e.domain("%{t}"), "<error>");
}

TEST(SpfMacro, UpperCaseLettersAreUrlEscaped) {
  Env e;
  e.env.local = "~jack&jill=up-a_b3.c";
  EXPECT_EQ(e.domain("%{L}"), "~jack%26jill%3Dup-a_b3.c");
  EXPECT_EQ(e.domain("%{S}"), "strong-bad%40email.example.com");
  e.env.helo = "\xc3\xa9 x";
  EXPECT_EQ(e.domain("%{H}"), "%C3%A9%20x");
}

TEST(SpfMacro, EscapesAndDelimiters) {
  Env e;
  EXPECT_EQ(e.domain("a%%b%_c%-d"), "a%b c%20d");
  e.env.local = "foo-bar+zip+quux";
  EXPECT_EQ(e.domain("%{l2r+-}"), "bar.foo");
  EXPECT_EQ(e.domain("%{l=}"), "foo-bar+zip+quux");
  e.env.local = "a.b,c/d_e=f";
  EXPECT_EQ(e.domain("%{l.,/_=}"), "a.b.c.d.e.f");
  EXPECT_EQ(e.domain("%{L1r}"), "a");
  EXPECT_EQ(e.explain("two  spaces"), "two  spaces");
  EXPECT_EQ(e.domain("no space"), "<error>");
}

TEST(SpfMacro, SyntaxErrors) {
  for (const char* bad : {"%", "%a", "%{", "%{l", "%{}", "%{x}", "%{l0}", "%{l00}", "%{lrr}", "%{l!}", "%{l1r-x}",
                          "%(d)", "a\x7f", "\xc3\xa9"}) {
    EXPECT_FALSE(validMacroString(bad, MacroMode::Domain)) << bad;
    EXPECT_FALSE(expandMacros(bad, MacroMode::Domain, Env().env)) << bad;
  }
  EXPECT_TRUE(validMacroString("%{l01}", MacroMode::Domain));  // leading zero, nonzero value
}

TEST(SpfMacro, DomainSpecEnd) {
  EXPECT_TRUE(validDomainSpec("example.com"));
  EXPECT_TRUE(validDomainSpec("example.com."));
  EXPECT_TRUE(validDomainSpec("%{d}"));
  EXPECT_TRUE(validDomainSpec("x.%{d2}"));
  EXPECT_TRUE(validDomainSpec("a.xn--zckzah"));
  EXPECT_FALSE(validDomainSpec(""));
  EXPECT_FALSE(validDomainSpec("com"));
  EXPECT_FALSE(validDomainSpec("a.123"));
  EXPECT_FALSE(validDomainSpec("a.-com"));
  EXPECT_FALSE(validDomainSpec("a.com.."));
}

TEST(SpfMacro, HugeDigitsAreClampedNotOverflowed) {
  Env e;
  EXPECT_EQ(e.domain("%{d99999999999999999999999}"), "email.example.com");
  EXPECT_EQ(e.domain("%{d4294967297}"), "email.example.com");  // 2^32+1 must not wrap to 1
  EXPECT_EQ(e.domain("%{d4294967296r}"), "com.example.email");  // 2^32 must not wrap to 0
}

TEST(SpfMacro, DomainTruncationKeepsTheRightmost253Octets) {
  Env e;
  std::string label(60, 'x');
  std::string local;
  for (int i = 0; i < 400; ++i) local += (i ? "." : "") + label;
  e.env.local = local;  // ~24 KiB of labels
  auto raw = expandMacros("%{l}.tail.example.com", MacroMode::Domain, e.env);
  ASSERT_TRUE(raw);
  std::string name = finishDomain(*raw);
  EXPECT_LE(name.size(), 253u);
  EXPECT_TRUE(name.ends_with(".tail.example.com")) << name;
  EXPECT_TRUE(validQueryName(name));
  EXPECT_EQ(finishDomain("example.com."), "example.com");
}

TEST(SpfMacro, ExplanationIsCapped) {
  Env e;
  std::string big(5000, 'a');
  e.env.local = big;
  auto text = expandMacros("%{l}%{l}%{l}", MacroMode::Explain, e.env);
  ASSERT_TRUE(text);
  EXPECT_EQ(text->size(), kMaxExplanation);
}

TEST(SpfMacro, DelimiterOnlyValuesAndReversalDoNotUnderflow) {  // CVE-2023-42118 class
  Env e;
  e.env.local = "-----";
  EXPECT_EQ(e.domain("%{l1r-}"), "");
  EXPECT_EQ(e.domain("%{l2-}"), ".");
  EXPECT_EQ(e.domain("%{lr-}"), ".....");
  e.env.local = "";
  EXPECT_EQ(e.domain("%{l1r-}"), "");
  EXPECT_EQ(e.domain("%{L9r.-+,/_=}"), "");
}

TEST(SpfMacro, NameValidity) {
  EXPECT_TRUE(validQueryName("a.example.com"));
  EXPECT_FALSE(validQueryName(""));
  EXPECT_FALSE(validQueryName("a..example.com"));
  EXPECT_FALSE(validQueryName(std::string(64, 'a') + ".com"));
  EXPECT_TRUE(validQueryName(std::string(63, 'a') + ".com"));
  EXPECT_FALSE(validQueryName("a\x01.com"));
  EXPECT_TRUE(validIdentityDomain("mail.example.com"));
  EXPECT_TRUE(validIdentityDomain("_spf.example.com"));
  EXPECT_FALSE(validIdentityDomain("example"));
  EXPECT_FALSE(validIdentityDomain("[192.0.2.1]"));
  EXPECT_FALSE(validIdentityDomain("192.0.2.1"));
  EXPECT_FALSE(validIdentityDomain("m\xc3\xa4il.example.com"));
}

}  // namespace
}  // namespace am::spf
