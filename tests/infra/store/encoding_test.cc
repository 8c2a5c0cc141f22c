#include "infra/store/encoding.h"

#include "tests/support/test_support.h"

namespace mneme::infra::store {
namespace {

TEST(EncodingTest, Be64SortsNumerically) {
  EXPECT_LT(EncodeBe64(255), EncodeBe64(256));
  EXPECT_LT(EncodeBe64(1), EncodeBe64(1ull << 40));
  EXPECT_EQ(DecodeBe64(EncodeBe64(0x0102030405060708ull)), 0x0102030405060708ull);
  EXPECT_LT(StreamKey("s", 9), StreamKey("s", 10));
  EXPECT_LT(StreamKey("s", UINT64_MAX), StreamKey("s-", 1)) << "a stream's keys stay together";
}

TEST(EncodingTest, EnvelopeRoundTripAndCorruption) {
  domain::EventEnvelope e;
  e.position = GlobalPosition(123456789);
  e.stream = "identity-0b5e";
  e.version = StreamVersion(300);
  e.type = "identity.created";
  e.schema = 2;
  e.time.micros = 1700000000123456;
  e.actor = "admin";
  e.request_id = "rid";
  e.data = std::string("{\"k\":\"\0v\"}", 10);
  auto bytes = EncodeEnvelope(e);
  auto back = DecodeEnvelope(bytes);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, e);
  EXPECT_THAT(DecodeEnvelope(bytes.substr(0, bytes.size() - 1)),
              mneme::testing::HasCode(Code::kDataLoss));
  EXPECT_THAT(DecodeEnvelope(bytes + "x"), mneme::testing::HasCode(Code::kDataLoss));
  EXPECT_THAT(DecodeEnvelope(""), mneme::testing::HasCode(Code::kDataLoss));
}

}  // namespace
}  // namespace mneme::infra::store
