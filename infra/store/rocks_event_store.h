// RocksEventStore: the event log on RocksDB, implementing the EventStore and
// ProjectionReader ports.
//
// Layout (column families): events (be64 position -> envelope), streams
// (stream \0 be64 version -> be64 position), unique (kind \0 value -> owner
// stream), keys (identity -> wrapped data key), meta (head, layout version,
// live column family of each projection), and one family per projection.
//
// Write path: one writer thread owns every write. Append() hands it a request
// and blocks; the writer drains all queued requests, checks each against the
// current state (expected version, claims), stages the accepted ones into one
// WriteBatchWithIndex together with the projection rows and checkpoints, and
// writes that batch with sync=true: one fdatasync serves the whole group. A
// rejected request is rolled back to its save point and leaves nothing.
//
// Lifecycle: built by Open(); Close() (or the destructor) drains the queue,
// stops the writer and closes the DB, column families before the DB. Only one
// process may open a store: a second Open() fails with kUnavailable
// ("store is in use"). Thread-safe after Open().
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/utilities/write_batch_with_index.h>

#include "domain/event/event_store.h"
#include "domain/event/projection.h"

namespace mneme::infra::store {

struct StoreOptions {
  std::string path;
  // Block cache shared by all column families, bytes.
  size_t block_cache_bytes = 8 << 20;
  // Most requests one group commit takes from the queue.
  size_t max_group = 4096;
  // Fold events a projection has not seen yet during Open. A caller whose
  // projections need the store itself (to read data keys) sets this false and
  // calls CatchUpProjections() before its first append.
  bool catch_up_on_open = true;
};

// Progress of a long job, called every few thousand events.
using ProgressFn = std::function<void(uint64_t done, uint64_t total)>;

struct ProjectionStatus {
  std::string name;           // versioned, e.g. "identities_v1"
  std::string column_family;  // the live family (a rebuild's "<name>.r<N>")
  uint64_t checkpoint = 0;    // last position folded
};

class RocksEventStore final : public domain::EventStore, public domain::ProjectionReader {
 public:
  // Opens (creating if missing) the store at options.path and folds nothing:
  // projections must already be up to date with the log, or be new (then
  // they are rebuilt before Open returns). `projections` must outlive the
  // store. Errors: kUnavailable (in use by another process, or I/O),
  // kDataLoss (corruption), kFailedPrecondition (layout from the future).
  static Result<std::unique_ptr<RocksEventStore>> Open(
      const StoreOptions& options, std::vector<domain::Projection*> projections);

  ~RocksEventStore() override;
  RocksEventStore(const RocksEventStore&) = delete;
  RocksEventStore& operator=(const RocksEventStore&) = delete;

  // Drains queued appends, stops the writer, syncs and closes. Idempotent.
  void Close();

  // EventStore
  Result<domain::AppendResult> Append(domain::AppendRequest request) override;
  Result<std::vector<domain::EventEnvelope>> ReadStream(const std::string& stream,
                                                        StreamVersion from_version) override;
  Result<std::vector<domain::EventEnvelope>> ReadStreamPage(const std::string& stream,
                                                            StreamVersion from_version,
                                                            size_t limit) override;
  Result<std::vector<domain::EventEnvelope>> ReadAll(GlobalPosition from_position,
                                                     size_t limit) override;
  GlobalPosition Head() const override;
  GlobalPosition WaitForPosition(GlobalPosition after,
                                 std::chrono::milliseconds timeout) override;
  Result<std::optional<std::string>> ClaimOwner(const std::string& kind,
                                                const std::string& value) override;
  Result<std::optional<std::string>> DataKey(const std::string& owner) override;
  Status CompactDeleted() override;

  // ProjectionReader
  Result<std::optional<std::string>> GetRow(const std::string& projection,
                                            std::string_view key) override;
  Result<std::vector<std::pair<std::string, std::string>>> ScanRows(
      const std::string& projection, std::string_view prefix, std::string_view start,
      size_t limit) override;
  Result<GlobalPosition> Checkpoint(const std::string& projection) override;

  // Replays the whole log into a fresh column family for `projection`, then,
  // on the writer thread, catches up with appends made meanwhile and swaps it
  // in for the live one, which is dropped. Appends continue during the
  // replay. Errors: kNotFound (unknown projection), kUnavailable.
  Status Rebuild(const std::string& projection, const ProgressFn& progress = {});

  // Folds into every projection the events after its checkpoint, in chunks
  // that each commit rows and checkpoint together: a killed catch-up resumes
  // where it stopped. progress(name, done, total).
  Status CatchUpProjections(
      const std::function<void(const std::string&, uint64_t, uint64_t)>& progress = {});

  // The layout version recorded in the store: 0 for a store that has events
  // but no version (made before versions existed). A new store records
  // kLayoutVersion when it is created.
  uint32_t StoredLayoutVersion() const { return stored_layout_; }
  Status SetLayoutVersion(uint32_t version);
  // The Kafka relay's checkpoint: the last position Kafka confirmed (meta).
  uint64_t RelayPosition();
  Status SetRelayPosition(uint64_t position);
  // Rewrites stored events in place (same position, stream and version), in
  // one synced batch: the migrator's upcasting. Errors: kUnavailable.
  Status ReplaceEvents(const std::vector<domain::EventEnvelope>& events);
  Result<std::vector<ProjectionStatus>> ProjectionStatuses();
  // Column families of projections this build no longer has (an old version
  // such as identities_v0): kept by serve, dropped by mneme-migrate.
  std::vector<std::string> RetiredProjectionFamilies() const;
  // Drops them and their meta entries. Errors: kUnavailable.
  Status DropRetiredProjectionFamilies();

  // Ready means open, writable and with no background error.
  Status Healthy() const;

  // Number of synced batch writes so far (group commits), for benchmarks.
  uint64_t SyncedWritesForTest() const { return synced_writes_.load(); }

  static constexpr uint32_t kLayoutVersion = 1;

 private:
  struct Pending;
  struct LiveProjection {
    domain::Projection* projection;
    std::shared_ptr<rocksdb::ColumnFamilyHandle> cf;
  };
  using CfPtr = std::shared_ptr<rocksdb::ColumnFamilyHandle>;

  RocksEventStore() = default;

  void WriterLoop();
  void CommitGroup(std::vector<Pending*>& group);
  Status Stage(Pending& p, rocksdb::WriteBatchWithIndex& wb,
               std::unordered_map<std::string, uint64_t>& heads, uint64_t& next_pos);
  Result<uint64_t> StreamHeadFromDb(const std::string& stream);
  Result<std::optional<std::string>> ReadThrough(rocksdb::WriteBatchWithIndex* wb,
                                                 rocksdb::ColumnFamilyHandle* cf,
                                                 std::string_view key);
  Result<CfPtr> ProjectionCf(const std::string& name) const;
  Result<CfPtr> CreateCf(const std::string& name);
  Status ReplayInto(domain::Projection& projection, rocksdb::ColumnFamilyHandle* cf,
                    uint64_t from, uint64_t to, const ProgressFn& progress);
  void RunOnWriter(std::function<void()> task);

  StoreOptions options_;
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyOptions cf_options_;
  CfPtr events_, streams_, unique_, keys_, meta_;
  std::vector<CfPtr> other_cfs_;  // stale families kept open only until dropped
  std::map<std::string, CfPtr> retired_;  // families of projections no longer registered

  mutable std::mutex projections_mu_;
  std::map<std::string, LiveProjection> projections_;

  // Writer state: owned by the writer thread.
  std::unordered_map<std::string, uint64_t> stream_heads_;
  uint64_t rebuild_counter_ = 0;

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<Pending*> queue_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::thread writer_;

  mutable std::mutex head_mu_;
  std::condition_variable head_cv_;
  std::atomic<uint64_t> head_{0};
  uint32_t stored_layout_ = 0;
  std::atomic<bool> open_{false};
  std::atomic<bool> write_failed_{false};
  std::atomic<uint64_t> synced_writes_{0};
};

}  // namespace mneme::infra::store
