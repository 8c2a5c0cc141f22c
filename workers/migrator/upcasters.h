// The upcaster registry: for each event type, the latest payload schema and
// the functions that lift a payload from schema n to n+1. The migrator
// rewrites stored events whose schema is older than the latest; readers can
// rely on every stored payload being at the latest schema after a migrate.
// Immutable after construction: thread-safe.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "domain/common/result.h"
#include "domain/event/event.h"

namespace mneme::workers::migrator {

// Lifts `data` (JSON text) one schema up. Errors: kDataLoss.
using Upcast = std::function<Result<std::string>(const std::string& data)>;

class UpcasterRegistry {
 public:
  // Every event type mneme writes, at its current schema (all 1 today), with
  // the upcasters of earlier schemas.
  static UpcasterRegistry Default();

  void SetLatest(const std::string& type, uint32_t schema) { latest_[type] = schema; }
  void Add(const std::string& type, uint32_t from_schema, Upcast upcast) {
    upcasts_[{type, from_schema}] = std::move(upcast);
  }
  uint32_t Latest(const std::string& type) const;
  bool IsKnown(const std::string& type) const { return latest_.count(type) > 0; }
  bool NeedsUpcast(const domain::EventEnvelope& e) const { return e.schema < Latest(e.type); }
  // Errors: kDataLoss (a missing step or a failing upcaster).
  Result<domain::EventEnvelope> UpcastToLatest(domain::EventEnvelope e) const;

 private:
  std::map<std::string, uint32_t> latest_;
  std::map<std::pair<std::string, uint32_t>, Upcast> upcasts_;
};

}  // namespace mneme::workers::migrator
