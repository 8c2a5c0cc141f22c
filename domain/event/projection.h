// Projection: a read model folded from the log. Declared here, by the store
// that drives it; each read model lives in projections/.
//
// A projection has a versioned Name() ("identities_v1") that is also the name
// of its RocksDB column family. Apply() runs on the store's writer thread for
// every committed event, writing rows into the same batch as the event, so a
// read model is never behind the log. Changing a projection's shape means a
// new version and a rebuild from position 0.
#pragma once

#include <any>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/common/result.h"
#include "domain/event/event.h"

namespace mneme::domain {

// Rows of one projection inside the batch being built. Get() sees rows put
// earlier in the same batch. Not thread-safe: used by the writer thread only.
class ProjectionWriter {
 public:
  virtual ~ProjectionWriter() = default;
  virtual void Put(std::string_view key, std::string_view value) = 0;
  virtual void Delete(std::string_view key) = 0;
  // Put with the value made only when needed: a replay writer keeps the last
  // maker per key and calls it once when the chunk is written, so a row that
  // changes with every event of a chunk is serialized once. `make` must stay
  // valid until then (capture values, or the Scratch() slot of the same key).
  virtual void PutLazy(std::string_view key, std::function<std::string()> make) {
    Put(key, make());
  }
  virtual Result<std::optional<std::string>> Get(std::string_view key) = 0;
  // A scratch slot the projection may use to carry decoded state between the
  // events of one append (or one replay chunk); dropped with it, including on
  // rollback. May return null (no scratch available).
  virtual std::any* Scratch(std::string_view key) { return nullptr; }
  // Keys starting with `prefix` (rows of the batch included), in key order,
  // at most `limit`. Errors: kUnimplemented (a writer without scans),
  // kUnavailable.
  virtual Result<std::vector<std::string>> Keys(std::string_view prefix, size_t limit) {
    return MakeError(Code::kUnimplemented, "this projection writer cannot scan");
  }
};

class Projection {
 public:
  virtual ~Projection() = default;
  // Versioned name, e.g. "stream_stats_v1". Keys starting with '\0' are
  // reserved for the store (the checkpoint).
  virtual std::string Name() const = 0;
  // Folds one event. An error fails the append that carried the event.
  virtual Status Apply(const EventEnvelope& event, ProjectionWriter& rows) = 0;
};

}  // namespace mneme::domain

namespace mneme::domain {

// Read side of the projections, for handlers and tests. Thread-safe.
// Errors: kNotFound (no projection of that name), kUnavailable (store closed).
class ProjectionReader {
 public:
  virtual ~ProjectionReader() = default;
  virtual Result<std::optional<std::string>> GetRow(const std::string& projection,
                                                    std::string_view key) = 0;
  // Rows with key >= start and starting with prefix, in key order, at most limit.
  virtual Result<std::vector<std::pair<std::string, std::string>>> ScanRows(
      const std::string& projection, std::string_view prefix, std::string_view start,
      size_t limit) = 0;
  // The position of the last event the projection has folded.
  virtual Result<GlobalPosition> Checkpoint(const std::string& projection) = 0;
};

}  // namespace mneme::domain
