#include "projections/stream_stats.h"

#include <cstring>

namespace mneme::projections {
namespace {

void PutFixed(std::string& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
}
uint64_t GetFixed(std::string_view in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) {
    v = (v << 8) | static_cast<uint8_t>(in[i]);
  }
  return v;
}

}  // namespace

std::string StreamStatsRow::Encode() const {
  std::string out;
  out.reserve(24 + last_type.size());
  PutFixed(out, version);
  PutFixed(out, last_position);
  PutFixed(out, static_cast<uint64_t>(last_time_micros));
  out.append(last_type);
  return out;
}

Result<StreamStatsRow> StreamStatsRow::Decode(std::string_view bytes) {
  if (bytes.size() < 24) {
    return MakeError(Code::kDataLoss, "corrupt stream_stats row");
  }
  StreamStatsRow row;
  row.version = GetFixed(bytes);
  row.last_position = GetFixed(bytes.substr(8));
  row.last_time_micros = static_cast<int64_t>(GetFixed(bytes.substr(16)));
  row.last_type = std::string(bytes.substr(24));
  return row;
}

Status StreamStats::Apply(const domain::EventEnvelope& event, domain::ProjectionWriter& rows) {
  StreamStatsRow row{event.version.value(), event.position.value(), event.time.micros,
                     event.type};
  rows.Put(event.stream, row.Encode());
  return OkStatus();
}

}  // namespace mneme::projections
