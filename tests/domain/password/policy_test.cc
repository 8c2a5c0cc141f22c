#include "domain/password/policy.h"

#include <string>
#include <vector>

#include "tests/support/test_support.h"

namespace mneme::domain::password {
namespace {

const PolicyOptions kDefaults;

std::string Repeat(std::string_view unit, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += unit;
  }
  return out;
}

TEST(PolicyTest, SevenAsciiCharactersAreTooShort) {
  auto v = CheckStatic("abcdefg", {}, kDefaults);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->id, 4000032);
  EXPECT_EQ(v->text, "The password must be at least 8 characters long, but got 7.");
  EXPECT_EQ(v->context, (nlohmann::json{{"min_length", 8}, {"actual_length", 7}}));
}

TEST(PolicyTest, LengthCountsCodePointsNotBytes) {
  const std::string emoji = "\xF0\x9F\x94\x91";  // U+1F511, 4 bytes
  auto four = CheckStatic(Repeat(emoji, 4), {}, kDefaults);  // 16 bytes
  ASSERT_TRUE(four.has_value());
  EXPECT_EQ(four->id, kMinLengthId);
  EXPECT_EQ(four->context["actual_length"], 4);

  EXPECT_EQ(CheckStatic(Repeat(emoji, 8), {}, kDefaults), std::nullopt);
}

TEST(PolicyTest, InvalidUtf8CountsEachByte) {
  EXPECT_EQ(CodePointLength("\xFF\xFE\xFD"), 3u);
  EXPECT_EQ(CodePointLength("a\xC3"), 2u);  // truncated sequence
}

TEST(PolicyTest, SixtyFourCharactersAreAlwaysAllowed) {
  EXPECT_EQ(CheckStatic(Repeat("x", 64), {}, kDefaults), std::nullopt);
  PolicyOptions tight;
  tight.max_length = 16;  // raised to 64
  EXPECT_EQ(CheckStatic(Repeat("x", 64), {}, tight), std::nullopt);
  auto v = CheckStatic(Repeat("x", 65), {}, tight);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->context["max_length"], 64);
}

TEST(PolicyTest, TooLong) {
  EXPECT_EQ(CheckStatic(Repeat("x", 1024), {}, kDefaults), std::nullopt);
  auto v = CheckStatic(Repeat("x", 1025), {}, kDefaults);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->id, 4000033);
  EXPECT_EQ(v->text, "The password must be at most 1024 characters long, but got 1025.");
  EXPECT_EQ(v->context, (nlohmann::json{{"max_length", 1024}, {"actual_length", 1025}}));
}

TEST(PolicyTest, NameWithYearIsTooSimilarToEmail) {
  auto v = CheckStatic("alice2024", {"alice@example.com"}, kDefaults);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->id, 4000031);
  EXPECT_EQ(v->text, "The password can not be used because it is too similar to the identifier.");
  EXPECT_EQ(v->context, nlohmann::json::object());
}

TEST(PolicyTest, IdentifierItselfIsRefused) {
  auto v = CheckStatic("alice@example.com", {"alice@example.com"}, kDefaults);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->id, kIdentifierTooSimilarId);
  EXPECT_TRUE(CheckStatic("ALICE@Example.COM", {"alice@example.com"}, kDefaults).has_value());
}

TEST(PolicyTest, EmailLocalPartIsComparedBeyondKratos) {
  // Kratos accepts this one: distance 9 and common substring 2/8 against the
  // whole address. Against the local part "alice" the distance is 4.
  EXPECT_TRUE(IsTooSimilar("alice@example.com", "Al1ce123"));
  EXPECT_FALSE(IsTooSimilar("alice", "Al1ce-93-Tr0mb0ne"));
  // Containment of the local part (4+ characters) is refused too.
  EXPECT_TRUE(IsTooSimilar("alice@example.com", "alice2024xyz"));
  EXPECT_TRUE(IsTooSimilar("alice@example.com", "my-ALICE-2024"));
  EXPECT_FALSE(IsTooSimilar("alice@example.com", "my-ALICE-is-part-of-a-long-passphrase"));
  EXPECT_FALSE(IsTooSimilar("bob@example.com", "bobsled-and-other-words"));
}

TEST(PolicyTest, EveryIdentifierIsCompared) {
  auto v = CheckStatic("bobbytables99", {"alice@example.com", "bobbytables"}, kDefaults);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->id, kIdentifierTooSimilarId);
}

TEST(PolicyTest, KratosSimilarityCases) {
  // From Kratos's validator_test.go.
  EXPECT_TRUE(IsTooSimilar("hello@example.com", "hello@example.com12345"));
  EXPECT_TRUE(IsTooSimilar("hello@example.com", "123hello@example.com123"));
  EXPECT_TRUE(IsTooSimilar("hello@example.com", "hello@exam"));
  EXPECT_TRUE(IsTooSimilar("hello@example.com", "HELLO@EXAMPLE.COM"));
  EXPECT_TRUE(IsTooSimilar("hello@exam", "hello@example.com"));
  EXPECT_TRUE(IsTooSimilar("hello@example.com", "h3ll0@example"));
  EXPECT_FALSE(IsTooSimilar("abcd", "9d3c8a1b"));
  EXPECT_FALSE(IsTooSimilar("a", "kjOklafe"));
  EXPECT_FALSE(IsTooSimilar("ab", "0000ab0000123"));
  EXPECT_FALSE(IsTooSimilar("d4f6090b-5a84", "d4f6090b-5a84-2184-4404-8d1b-8da3eb00ebbe"));
  EXPECT_FALSE(IsTooSimilar("asdflasdflasdf", "asdflasdflpiuhefnciluaksdzuföfhg"));
  EXPECT_FALSE(IsTooSimilar("", "anything-at-all"));
}

TEST(PolicyTest, CaseFoldingBeyondAscii) {
  EXPECT_TRUE(IsTooSimilar("\xC3\xA9lodie", "\xC3\x89LODIE"));            // élodie / ÉLODIE
  EXPECT_TRUE(IsTooSimilar("\xD0\xB8\xD0\xB2\xD0\xB0\xD0\xBD",                 // иван
                           "\xD0\x98\xD0\x92\xD0\x90\xD0\x9D" "1"));          // ИВАН1
}

TEST(PolicyTest, StrongUnrelatedPasswordPasses) {
  EXPECT_EQ(CheckStatic("c0rrect-h0rse-battery-staple-9241", {"alice@example.com", "alice"},
                        kDefaults),
            std::nullopt);
}

TEST(PolicyTest, SimilarityCanBeDisabled) {
  PolicyOptions off;
  off.identifier_similarity = false;
  EXPECT_EQ(CheckStatic("alice@example.com", {"alice@example.com"}, off), std::nullopt);
}

}  // namespace
}  // namespace mneme::domain::password
