#include "domain/common/time.h"

#include "tests/support/test_support.h"

namespace mneme {
namespace {

TEST(TimeTest, FormatsAndParsesRfc3339) {
  EXPECT_EQ(FormatRfc3339(domain::Timestamp{0}), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(FormatRfc3339(domain::Timestamp{1700000000123456}), "2023-11-14T22:13:20.123456Z");
  EXPECT_EQ(ParseRfc3339("2023-11-14T22:13:20.123456Z")->micros, 1700000000123456);
  EXPECT_EQ(ParseRfc3339("2023-11-14T23:13:20.1+01:00")->micros, 1700000000100000);
  EXPECT_EQ(ParseRfc3339("2023-11-14T22:13:20Z")->micros, 1700000000000000);
  EXPECT_THAT(ParseRfc3339("2023-11-14"), testing::HasCode(Code::kInvalidArgument));
  EXPECT_THAT(ParseRfc3339("2023-13-14T22:13:20Z"), testing::HasCode(Code::kInvalidArgument));
  EXPECT_THAT(ParseRfc3339("yesterday"), testing::HasCode(Code::kInvalidArgument));
}

}  // namespace
}  // namespace mneme
