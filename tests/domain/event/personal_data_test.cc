// SealEventData / OpenEventData / PlainOf: the sealed part is cut out without
// lexing it; documents in any other shape (written by hand, reformatted)
// still open through a full parse. A reversible fake cipher stands in.
#include "domain/event/personal_data.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/test_support.h"

namespace mneme::domain {
namespace {

using mneme::testing::HasCode;
using nlohmann::json;

// "Seals" by reversing and tagging with the owner; erased owners open to nullopt.
class FakeCipher final : public PersonalDataCipher {
 public:
  Result<std::optional<DataKeyOp>> EnsureKey(const std::string&) override { return std::nullopt; }
  Result<DataKeyOp> CreateKey(const std::string& owner) override { return DataKeyOp{DataKeyAction::kPut, owner, "k"}; }
  Result<std::string> Seal(const std::string& owner, const std::string& plaintext) override {
    return owner + "-" + std::string(plaintext.rbegin(), plaintext.rend());
  }
  void Forget(const std::string&) override {}
  Result<std::optional<std::string>> Open(const std::string& owner, const std::string& sealed) override {
    if (owner == "erased") {
      return std::optional<std::string>();
    }
    if (sealed.rfind(owner + "-", 0) != 0) {
      return MakeError(Code::kDataLoss, "wrong owner");
    }
    const std::string body = sealed.substr(owner.size() + 1);
    return std::optional<std::string>(std::string(body.rbegin(), body.rend()));
  }
};

TEST(PersonalDataTest, SealedDocumentsOpenAndThePlainPartReadsAlone) {
  FakeCipher cipher;
  const json plain = {{"identity_id", "i-1"}, {"n", 3}};
  const json personal = {{"email", "ann@example.org"}};
  auto data = SealEventData(cipher, "o", plain, personal);
  ASSERT_TRUE(data.has_value());
  EXPECT_EQ(data->rfind(R"({"pii":")", 0), 0u) << *data;
  auto opened = OpenEventData(cipher, "o", *data);
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(opened->plain, plain);
  EXPECT_EQ(opened->personal, personal);
  EXPECT_FALSE(opened->erased);
  EXPECT_EQ(*PlainOf(*data), plain);
  EXPECT_THAT(OpenEventData(cipher, "other", *data), HasCode(Code::kDataLoss));
  auto erased = OpenEventData(cipher, "erased", *data);
  ASSERT_TRUE(erased.has_value());
  EXPECT_TRUE(erased->erased);
  EXPECT_TRUE(erased->personal.is_null());
}

TEST(PersonalDataTest, PlainOnlyAndOtherShapesFallBackToAFullParse) {
  FakeCipher cipher;
  auto plain_only = SealEventData(cipher, "o", {{"a", 1}}, nullptr);
  ASSERT_TRUE(plain_only.has_value());
  EXPECT_EQ(*PlainOf(*plain_only), json({{"a", 1}}));
  auto opened = OpenEventData(cipher, "o", *plain_only);
  ASSERT_TRUE(opened.has_value());
  EXPECT_TRUE(opened->personal.is_null());
  // Reformatted (spaces, other key order): still read.
  const std::string spaced = R"({ "plain" : {"a": 2}, "pii": "o-}1:\"b\"{" })";
  EXPECT_EQ(*PlainOf(spaced), json({{"a", 2}}));
  auto opened2 = OpenEventData(cipher, "o", spaced);
  ASSERT_TRUE(opened2.has_value());
  EXPECT_EQ(opened2->personal, json({{"b", 1}}));
  // An escaped quote inside the sealed string is not cut at the wrong place.
  const std::string escaped = R"({"pii":"o-x\"y","plain":{"a":3}})";
  EXPECT_EQ(*PlainOf(escaped), json({{"a", 3}}));
  EXPECT_THAT(PlainOf("not json"), HasCode(Code::kDataLoss));
  EXPECT_THAT(OpenEventData(cipher, "o", "[1,2]"), HasCode(Code::kDataLoss));
  EXPECT_THAT(OpenEventData(cipher, "o", R"({"pii":"o-}{x","plain":{}})"), HasCode(Code::kDataLoss));
}

}  // namespace
}  // namespace mneme::domain
