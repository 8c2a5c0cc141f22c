// Sealing personal data: AES-256-GCM round trips, tamper and context checks,
// key wrapping with rotation.
#include "infra/crypto/data_keys.h"

#include "infra/crypto/aead.h"
#include "tests/support/test_support.h"

namespace mneme::infra::crypto {
namespace {

using mneme::testing::HasCode;

const std::string kKek1 = "0123456789abcdef0123456789abcdef";
const std::string kKek2 = "fedcba9876543210fedcba9876543210";

TEST(AeadTest, SealOpenRoundTripAndTamper) {
  auto sealed = Seal(kKek1, "alice@example.com", "ctx");
  ASSERT_TRUE(sealed.has_value());
  EXPECT_EQ(sealed->find("alice"), std::string::npos);
  EXPECT_EQ(*Open(kKek1, *sealed, "ctx"), "alice@example.com");
  EXPECT_THAT(Open(kKek1, *sealed, "other"), HasCode(Code::kDataLoss));
  EXPECT_THAT(Open(kKek2, *sealed, "ctx"), HasCode(Code::kDataLoss));
  std::string tampered = *sealed;
  tampered[tampered.size() / 2] ^= 1;
  EXPECT_THAT(Open(kKek1, tampered, "ctx"), HasCode(Code::kDataLoss));
  EXPECT_THAT(Open(kKek1, "x", "ctx"), HasCode(Code::kDataLoss));
  EXPECT_THAT(Seal("short", "x", ""), HasCode(Code::kInvalidArgument));
  // Two seals of the same text differ (random nonce).
  EXPECT_NE(*Seal(kKek1, "same", ""), *Seal(kKek1, "same", ""));
}

TEST(AeadTest, ConstantTimeEqualsAndBase64Url) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(*Base64UrlDecode("-_8"), "\xfb\xff");
  EXPECT_THAT(Base64UrlDecode("a+b/"), HasCode(Code::kInvalidArgument));
  EXPECT_EQ(RandomBytes(32).size(), 32u);
  EXPECT_NE(RandomBytes(16), RandomBytes(16));
}

TEST(AeadTest, Base64UrlRoundTripsEveryLengthAndRefusesOtherAlphabets) {
  for (size_t n = 0; n <= 70; ++n) {
    const std::string bytes = RandomBytes(n);
    const std::string text = Base64UrlEncode(bytes);
    auto back = Base64UrlDecode(text);
    ASSERT_TRUE(back.has_value()) << n;
    EXPECT_EQ(*back, bytes) << n;
    EXPECT_EQ(*Base64UrlDecode(text + std::string((4 - text.size() % 4) % 4, '=')), bytes) << n;
  }
  EXPECT_EQ(*Base64UrlDecode("AAECAwQFBgcICQoLDA0ODw"), std::string("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f", 16));
  EXPECT_THAT(Base64UrlDecode("abcde"), HasCode(Code::kInvalidArgument));  // 4n+1 characters
  EXPECT_THAT(Base64UrlDecode("ab.d"), HasCode(Code::kInvalidArgument));
  EXPECT_THAT(Base64UrlDecode("abc\n"), HasCode(Code::kInvalidArgument));
  EXPECT_THAT(Base64UrlDecode("a b"), HasCode(Code::kInvalidArgument));
}

TEST(DataKeyringTest, WrapsPerOwnerAndSurvivesRotation) {
  DataKeyring old_ring({kKek1});
  auto key = old_ring.NewKey("identity-1");
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->raw.size(), 32u);
  EXPECT_EQ(*old_ring.Unwrap("identity-1", key->wrapped), key->raw);
  EXPECT_THAT(old_ring.Unwrap("identity-2", key->wrapped), HasCode(Code::kDataLoss));
  // Rotated: the new secret first, the old one still unwraps.
  DataKeyring rotated({kKek2, kKek1});
  EXPECT_EQ(*rotated.Unwrap("identity-1", key->wrapped), key->raw);
  DataKeyring unrelated({kKek2});
  EXPECT_THAT(unrelated.Unwrap("identity-1", key->wrapped), HasCode(Code::kDataLoss));
  EXPECT_THAT(DataKeyring({}).NewKey("x"), HasCode(Code::kFailedPrecondition));

  auto sealed = old_ring.SealPersonal(key->raw, "identity-1", R"({"email":"a@b.c"})");
  ASSERT_TRUE(sealed.has_value());
  EXPECT_EQ(*old_ring.OpenPersonal(key->raw, "identity-1", *sealed), R"({"email":"a@b.c"})");
  EXPECT_THAT(old_ring.OpenPersonal(key->raw, "identity-2", *sealed), HasCode(Code::kDataLoss));
}

}  // namespace
}  // namespace mneme::infra::crypto
