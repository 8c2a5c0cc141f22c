// The DispatchReport codec: what the courier writes to "<prefix>.courier.status"
// reads back the same, and anything else is kDataLoss.
#include "workers/courier/kafka_courier.h"

#include "tests/support/test_support.h"

namespace mneme::workers::courier {
namespace {

using mneme::testing::HasCode;

TEST(DispatchReportTest, RoundTripsThroughJson) {
  DispatchReport report;
  report.message_id = "4b1c2d3e-5f60-4718-9a2b-3c4d5e6f7a8b";
  report.status = "abandoned";
  report.dispatches = nlohmann::json::array(
      {{{"id", "d1"},
        {"status", "failed"},
        {"error", {{"reason", "smtp 421"}}},
        {"at", 1700000000000001}},
       {{"id", "d2"}, {"status", "success"}, {"at", 1700000000000002}}});
  report.worker = "courier-7";
  auto back = DispatchReportFromJson(ToJson(report).dump());
  ASSERT_TRUE(back.has_value()) << back.error().ToString();
  EXPECT_EQ(back->message_id, report.message_id);
  EXPECT_EQ(back->status, "abandoned");
  EXPECT_EQ(back->dispatches, report.dispatches);
  EXPECT_EQ(back->worker, "courier-7");
}

TEST(DispatchReportTest, RejectsWhatTheCourierDoesNotWrite) {
  for (const char* text : {
           "not json",
           "[]",
           R"({"status":"sent"})",
           R"({"message_id":"","status":"sent"})",
           R"({"message_id":"m","status":"queued"})",
           R"({"message_id":"m","status":"sent","dispatches":{}})",
           R"({"message_id":"m","status":"sent","dispatches":[{"status":"maybe"}]})",
           R"({"message_id":"m","status":"sent","dispatches":[{"status":"success","at":"now"}]})",
           R"({"message_id":"m","status":"sent","worker":7})",
       }) {
    EXPECT_THAT(DispatchReportFromJson(text), HasCode(Code::kDataLoss)) << text;
  }
}

TEST(DispatchReportTest, DispatchesAndWorkerAreOptional) {
  auto r = DispatchReportFromJson(R"({"message_id":"m","status":"sent"})");
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_TRUE(r->dispatches.is_array());
  EXPECT_TRUE(r->dispatches.empty());
  EXPECT_EQ(r->worker, "");
}

}  // namespace
}  // namespace mneme::workers::courier
