// StreamStats: per stream, its current version, last position, last event type
// and time. The read model behind "does this stream exist, how far is it" and
// the audit listing of streams. Stateless: Apply may run on the writer thread
// and on a rebuild thread at once.
#pragma once

#include <string>

#include "domain/event/projection.h"

namespace mneme::projections {

struct StreamStatsRow {
  uint64_t version = 0;
  uint64_t last_position = 0;
  int64_t last_time_micros = 0;
  std::string last_type;

  std::string Encode() const;
  static Result<StreamStatsRow> Decode(std::string_view bytes);
  bool operator==(const StreamStatsRow&) const = default;
};

class StreamStats final : public domain::Projection {
 public:
  static constexpr const char* kName = "stream_stats_v1";
  std::string Name() const override { return kName; }
  Status Apply(const domain::EventEnvelope& event, domain::ProjectionWriter& rows) override;
};

}  // namespace mneme::projections
