// Byte encodings of the RocksDB layout: big-endian keys (so iteration order is
// numeric) and the binary event envelope. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/common/result.h"
#include "domain/event/event.h"

namespace mneme::infra::store {

std::string EncodeBe64(uint64_t v);
uint64_t DecodeBe64(std::string_view s);  // s.size() must be >= 8

// streams CF: stream '\0' be64(version) -> be64(position)
std::string StreamKey(std::string_view stream, uint64_t version);
// unique CF: kind '\0' value -> owner stream
std::string ClaimKey(std::string_view kind, std::string_view value);

// The envelope as stored in the events CF (position is the key, but is kept
// in the value too so a value alone is self-describing).
std::string EncodeEnvelope(const domain::EventEnvelope& e);
Result<domain::EventEnvelope> DecodeEnvelope(std::string_view bytes);

}  // namespace mneme::infra::store
