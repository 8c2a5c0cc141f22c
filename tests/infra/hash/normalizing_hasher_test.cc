// NFKC before hashing: composed and decomposed forms are one password;
// hashes of raw, non-normalized passwords still verify.
#include "infra/hash/normalizing_hasher.h"

#include "infra/hash/hasher.h"
#include "tests/support/test_support.h"

namespace mneme::infra::hash {
namespace {

using domain::identity::PasswordCheck;

constexpr const char* kComposed = "caf\xC3\xA9-au-lait-2024";     // U+00E9
constexpr const char* kDecomposed = "cafe\xCC\x81-au-lait-2024";  // e + U+0301

std::unique_ptr<Hasher> Bcrypt() {
  HasherConfig config;
  config.bcrypt_cost = 4;
  return std::move(*Hasher::Create(config));
}

TEST(NormalizingHasherTest, NfkcComposesAndFoldsCompatibilityForms) {
  EXPECT_EQ(Nfkc(kDecomposed), kComposed);
  EXPECT_EQ(Nfkc(kComposed), kComposed);
  EXPECT_EQ(Nfkc("\xEF\xAC\x81"), "fi");  // U+FB01 LATIN SMALL LIGATURE FI
  EXPECT_EQ(Nfkc("plain ascii"), "plain ascii");
  EXPECT_EQ(Nfkc("\xFF\xFE bad"), "\xFF\xFE bad");  // invalid UTF-8 stays as it is
}

TEST(NormalizingHasherTest, ComposedAndDecomposedPasswordsAreTheSame) {
  auto inner = Bcrypt();
  NormalizingHasher hasher(*inner);
  auto from_composed = hasher.Hash(kComposed);
  ASSERT_TRUE(from_composed.has_value());
  EXPECT_EQ(*hasher.Verify(kDecomposed, *from_composed), PasswordCheck::kMatch);
  auto from_decomposed = hasher.Hash(kDecomposed);
  ASSERT_TRUE(from_decomposed.has_value());
  EXPECT_EQ(*hasher.Verify(kComposed, *from_decomposed), PasswordCheck::kMatch);
  EXPECT_EQ(*hasher.Verify("cafe-au-lait-2024", *from_composed), PasswordCheck::kMismatch);
}

TEST(NormalizingHasherTest, RawHashesFromElsewhereStillVerify) {
  auto inner = Bcrypt();
  auto raw = inner->Hash(kDecomposed);  // as Kratos would have stored it
  ASSERT_TRUE(raw.has_value());
  NormalizingHasher hasher(*inner);
  EXPECT_EQ(*hasher.Verify(kDecomposed, *raw), PasswordCheck::kMatch);
  EXPECT_EQ(*hasher.Verify("wrong", *raw), PasswordCheck::kMismatch);
}

}  // namespace
}  // namespace mneme::infra::hash
