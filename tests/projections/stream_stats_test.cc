#include "projections/stream_stats.h"

#include "tests/support/map_rows.h"
#include "tests/support/test_support.h"

namespace mneme::projections {
namespace {

using mneme::testing::MapRows;

TEST(StreamStatsTest, KeepsTheLatestEventOfEachStream) {
  StreamStats p;
  MapRows rows;
  domain::EventEnvelope e;
  e.stream = "identity-1";
  e.type = "identity.created";
  e.position = GlobalPosition(7);
  e.version = StreamVersion(1);
  e.time.micros = 42;
  ASSERT_TRUE(p.Apply(e, rows).has_value());
  e.type = "identity.traits_updated";
  e.position = GlobalPosition(9);
  e.version = StreamVersion(2);
  ASSERT_TRUE(p.Apply(e, rows).has_value());
  auto row = StreamStatsRow::Decode(rows.rows.at("identity-1"));
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(*row, (StreamStatsRow{2, 9, 42, "identity.traits_updated"}));
  EXPECT_THAT(StreamStatsRow::Decode("short"), mneme::testing::HasCode(Code::kDataLoss));
}

}  // namespace
}  // namespace mneme::projections
