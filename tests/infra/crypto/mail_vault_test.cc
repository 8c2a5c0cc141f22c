// The courier's mail vault: sealing with a key derived from secrets.cipher,
// the owner (the message's stream) as associated data, rotation.
#include "infra/crypto/mail_vault.h"

#include "infra/crypto/aead.h"
#include "tests/support/test_support.h"

namespace mneme::infra::crypto {
namespace {

using mneme::testing::HasCode;
using mneme::testing::IsOk;

const std::string kOld = "0123456789abcdef0123456789abcdef";
const std::string kNew = "fedcba9876543210fedcba9876543210";
const std::string kOwner = "message-6a9b1c1e-2f7d-4b8e-8d55-6f1f2b3c4d5e";
const std::string kMail = R"({"recipient":"alice@example.com","body":"code 123456"})";

TEST(MailVaultTest, OpensWhatItSealed) {
  MailVault vault({kOld});
  auto sealed = vault.Seal(kOwner, kMail);
  ASSERT_THAT(sealed, IsOk());
  EXPECT_EQ(sealed->find("alice"), std::string::npos);
  EXPECT_EQ(sealed->find("123456"), std::string::npos);
  auto opened = vault.Open(kOwner, *sealed);
  ASSERT_THAT(opened, IsOk());
  ASSERT_TRUE(opened->has_value());
  EXPECT_EQ(**opened, kMail);
  // A second vault from the same secret (the standalone courier) opens it too.
  auto elsewhere = MailVault({kOld}).Open(kOwner, *sealed);
  ASSERT_THAT(elsewhere, IsOk());
  EXPECT_EQ(elsewhere->value_or(""), kMail);
  // Random nonces: two seals of one mail differ.
  EXPECT_NE(*vault.Seal(kOwner, kMail), *sealed);
}

TEST(MailVaultTest, TheOwnerIsBoundToTheCiphertext) {
  MailVault vault({kOld});
  auto sealed = vault.Seal(kOwner, kMail);
  ASSERT_THAT(sealed, IsOk());
  EXPECT_THAT(vault.Open("message-00000000-0000-4000-8000-000000000001", *sealed),
              HasCode(Code::kDataLoss));
  EXPECT_THAT(vault.Open("", *sealed), HasCode(Code::kDataLoss));
}

TEST(MailVaultTest, TamperedMailIsDataLoss) {
  MailVault vault({kOld});
  auto sealed = vault.Seal(kOwner, kMail);
  ASSERT_THAT(sealed, IsOk());
  std::string tampered = *sealed;
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_THAT(vault.Open(kOwner, tampered), HasCode(Code::kDataLoss));
  EXPECT_THAT(vault.Open(kOwner, sealed->substr(0, 10)), HasCode(Code::kDataLoss));
  // Not even base64url: tampered all the same.
  EXPECT_THAT(vault.Open(kOwner, "not base64+/" + *sealed), HasCode(Code::kDataLoss));
}

TEST(MailVaultTest, RotationKeepsOldMailReadable) {
  auto sealed = MailVault({kOld}).Seal(kOwner, kMail);
  ASSERT_THAT(sealed, IsOk());
  MailVault rotated({kNew, kOld});
  auto opened = rotated.Open(kOwner, *sealed);
  ASSERT_THAT(opened, IsOk());
  EXPECT_EQ(opened->value_or(""), kMail);
  // The first secret seals: a vault with only the new one opens new mail...
  auto fresh = rotated.Seal(kOwner, kMail);
  ASSERT_THAT(fresh, IsOk());
  EXPECT_EQ(MailVault({kNew}).Open(kOwner, *fresh)->value_or(""), kMail);
  EXPECT_THAT(MailVault({kOld}).Open(kOwner, *fresh), HasCode(Code::kDataLoss));
  // ...but no longer what the retired secret sealed.
  EXPECT_THAT(MailVault({kNew}).Open(kOwner, *sealed), HasCode(Code::kDataLoss));
}

TEST(MailVaultTest, WithoutSecretsNothingIsSealedOrOpened) {
  MailVault none({});
  EXPECT_THAT(none.Seal(kOwner, kMail), HasCode(Code::kFailedPrecondition));
  auto sealed = MailVault({kOld}).Seal(kOwner, kMail);
  ASSERT_THAT(sealed, IsOk());
  EXPECT_THAT(none.Open(kOwner, *sealed), HasCode(Code::kFailedPrecondition));
}

TEST(MailVaultTest, HasNoPerOwnerDataKeys) {
  MailVault vault({kOld});
  auto op = vault.EnsureKey(kOwner);
  ASSERT_THAT(op, IsOk());
  EXPECT_FALSE(op->has_value());
  EXPECT_THAT(vault.CreateKey(kOwner), HasCode(Code::kFailedPrecondition));
  // Forget is a no-op: the key is derived, not cached per owner.
  auto sealed = vault.Seal(kOwner, kMail);
  ASSERT_THAT(sealed, IsOk());
  vault.Forget(kOwner);
  EXPECT_EQ(vault.Open(kOwner, *sealed)->value_or(""), kMail);
}

TEST(MailVaultTest, SealsThroughTheEventDataEnvelope) {
  MailVault vault({kOld});
  auto data = domain::SealEventData(vault, kOwner, {{"template_type", "recovery_code_valid"}},
                                    {{"recipient", "alice@example.com"}});
  ASSERT_THAT(data, IsOk());
  EXPECT_EQ(data->find("alice"), std::string::npos);
  auto opened = domain::OpenEventData(vault, kOwner, *data);
  ASSERT_THAT(opened, IsOk());
  EXPECT_FALSE(opened->erased);
  EXPECT_EQ(opened->plain.value("template_type", ""), "recovery_code_valid");
  EXPECT_EQ(opened->personal.value("recipient", ""), "alice@example.com");
  EXPECT_THAT(domain::OpenEventData(vault, "message-other", *data), HasCode(Code::kDataLoss));
}

}  // namespace
}  // namespace mneme::infra::crypto
