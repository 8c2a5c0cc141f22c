#include "projections/stream_stats.h"

#include <map>

#include "tests/support/test_support.h"

namespace mneme::projections {
namespace {

class MapRows final : public domain::ProjectionWriter {
 public:
  void Put(std::string_view k, std::string_view v) override { rows[std::string(k)] = v; }
  void Delete(std::string_view k) override { rows.erase(std::string(k)); }
  Result<std::optional<std::string>> Get(std::string_view k) override {
    auto it = rows.find(std::string(k));
    return it == rows.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
  std::map<std::string, std::string> rows;
};

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
