// EventStore: the port through which everything writes and reads the log.
// Declared here, by its consumers (api handlers, workers, projections'
// rebuilds); implemented in infra/store.
//
// Contract:
//  - Append is atomic: all events, claims, data-key ops and inline projection
//    rows of one request commit together (synced to disk before it returns
//    success) or nothing is written.
//  - Errors: kAborted (expected version does not match), kAlreadyExists (a
//    claim is held by another stream), kFailedPrecondition (releasing another
//    stream's claim), kInvalidArgument (empty stream or no events),
//    kUnavailable (the store is closed or the disk failed).
//  - Global positions are gapless, from 1, in commit order; stream versions
//    start at 1.
//  - Thread-safe: any number of threads may call every method concurrently.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "domain/common/result.h"
#include "domain/event/event.h"

namespace mneme::domain {

class EventStore {
 public:
  virtual ~EventStore() = default;

  virtual Result<AppendResult> Append(AppendRequest request) = 0;

  // Events of `stream` with version >= from_version, in version order.
  // An unknown stream gives an empty list.
  virtual Result<std::vector<EventEnvelope>> ReadStream(const std::string& stream,
                                                        StreamVersion from_version) = 0;

  // Up to `limit` events with position >= from_position, in position order.
  virtual Result<std::vector<EventEnvelope>> ReadAll(GlobalPosition from_position,
                                                     size_t limit) = 0;

  // At most `limit` events of `stream` with version >= from_version (a page
  // of a long stream, for readers that may stop early).
  virtual Result<std::vector<EventEnvelope>> ReadStreamPage(const std::string& stream,
                                                            StreamVersion from_version,
                                                            size_t limit) {
    MNEME_TRY(auto all, ReadStream(stream, from_version));
    if (all.size() > limit) {
      all.resize(limit);
    }
    return all;
  }

  // Position of the last committed event (0 when the log is empty).
  virtual GlobalPosition Head() const = 0;

  // Blocks until Head() > after or the timeout passes; returns Head().
  virtual GlobalPosition WaitForPosition(GlobalPosition after,
                                         std::chrono::milliseconds timeout) = 0;

  // Current owner stream of a claim, if any.
  virtual Result<std::optional<std::string>> ClaimOwner(const std::string& kind,
                                                        const std::string& value) = 0;

  // The wrapped data key of an identity, if it exists (not erased).
  virtual Result<std::optional<std::string>> DataKey(const std::string& owner) = 0;

  // Makes deletions physical: flushes memtables (so write-ahead logs holding
  // deleted values are retired) and compacts every family to the bottom, so
  // no file keeps a deleted value or key. Slow; used after an erasure.
  // Errors: kUnavailable.
  virtual Status CompactDeleted() = 0;
};

}  // namespace mneme::domain
