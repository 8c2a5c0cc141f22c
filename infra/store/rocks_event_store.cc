#include "infra/store/rocks_event_store.h"

#include <atomic>
#include <chrono>
#include <mutex>
#include <deque>
#include <condition_variable>
#include <future>
#include <set>

#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>

#include "infra/store/encoding.h"

namespace mneme::infra::store {
namespace {

constexpr const char* kEventsCf = "events";
constexpr const char* kStreamsCf = "streams";
constexpr const char* kUniqueCf = "unique";
constexpr const char* kKeysCf = "keys";
constexpr const char* kMetaCf = "meta";
constexpr std::string_view kHeadKey = "head";
constexpr std::string_view kLayoutKey = "layout_version";
const std::string kCheckpointKey = std::string("\0ckpt", 5);
constexpr size_t kReplayChunk = 8192;

std::string ProjectionMetaKey(const std::string& name) { return "projection/" + name; }

Error FromRocks(const rocksdb::Status& s, std::string_view what) {
  Code code = Code::kUnavailable;
  if (s.IsCorruption()) {
    code = Code::kDataLoss;
  } else if (s.IsInvalidArgument()) {
    code = Code::kInvalidArgument;
  }
  return Error(code, std::string(what) + ": " + s.ToString());
}

bool IsCoreCf(const std::string& name) {
  return name == rocksdb::kDefaultColumnFamilyName || name == kEventsCf ||
         name == kStreamsCf || name == kUniqueCf || name == kKeysCf || name == kMetaCf;
}

// Rows of one projection inside a WriteBatchWithIndex.
using Scratchpad = std::unordered_map<std::string, std::any>;

class BatchRows final : public domain::ProjectionWriter {
 public:
  BatchRows(rocksdb::DB* db, rocksdb::WriteBatchWithIndex* wb, rocksdb::ColumnFamilyHandle* cf,
            Scratchpad* scratch = nullptr)
      : db_(db), wb_(wb), cf_(cf), scratch_(scratch) {}
  std::any* Scratch(std::string_view key) override {
    return scratch_ ? &(*scratch_)[std::string(key)] : nullptr;
  }
  void Put(std::string_view key, std::string_view value) override {
    status_ = wb_->Put(cf_, rocksdb::Slice(key.data(), key.size()),
                       rocksdb::Slice(value.data(), value.size()));
  }
  void Delete(std::string_view key) override {
    status_ = wb_->Delete(cf_, rocksdb::Slice(key.data(), key.size()));
  }
  Result<std::optional<std::string>> Get(std::string_view key) override {
    std::string value;
    auto s = wb_->GetFromBatchAndDB(db_, rocksdb::ReadOptions(), cf_,
                                    rocksdb::Slice(key.data(), key.size()), &value);
    if (s.IsNotFound()) {
      return std::optional<std::string>();
    }
    if (!s.ok()) {
      return tl::unexpected(FromRocks(s, "projection read"));
    }
    return std::optional<std::string>(std::move(value));
  }
  Result<std::vector<std::string>> Keys(std::string_view prefix, size_t limit) override {
    std::vector<std::string> keys;
    std::unique_ptr<rocksdb::Iterator> base(db_->NewIterator(rocksdb::ReadOptions(), cf_));
    std::unique_ptr<rocksdb::Iterator> it(wb_->NewIteratorWithBase(cf_, base.release()));
    rocksdb::Slice pfx(prefix.data(), prefix.size());
    for (it->Seek(pfx); it->Valid() && keys.size() < limit && it->key().starts_with(pfx);
         it->Next()) {
      keys.push_back(it->key().ToString());
    }
    if (!it->status().ok()) {
      return tl::unexpected(FromRocks(it->status(), "projection scan"));
    }
    return keys;
  }
  Status status() const {
    if (!status_.ok()) {
      return tl::unexpected(FromRocks(status_, "projection write"));
    }
    return OkStatus();
  }

 private:
  rocksdb::DB* db_;
  rocksdb::WriteBatchWithIndex* wb_;
  rocksdb::ColumnFamilyHandle* cf_;
  Scratchpad* scratch_;
  rocksdb::Status status_;
};

// Rows of one projection during a replay: the last value (or maker, or
// deletion) per key is kept in memory and only the final ones go into the
// write batch at the end of each chunk. Reads see the pending values first.
class ReplayRows final : public domain::ProjectionWriter {
 public:
  ReplayRows(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, Scratchpad* scratch)
      : db_(db), cf_(cf), scratch_(scratch) {}
  std::any* Scratch(std::string_view key) override { return &(*scratch_)[std::string(key)]; }
  void Put(std::string_view key, std::string_view value) override {
    pending_[std::string(key)] = Entry{std::string(value), {}, false};
  }
  void PutLazy(std::string_view key, std::function<std::string()> make) override {
    pending_[std::string(key)] = Entry{{}, std::move(make), false};
  }
  void Delete(std::string_view key) override { pending_[std::string(key)] = Entry{{}, {}, true}; }
  Result<std::optional<std::string>> Get(std::string_view key) override {
    if (auto it = pending_.find(std::string(key)); it != pending_.end()) {
      if (it->second.deleted) {
        return std::optional<std::string>();
      }
      return std::optional<std::string>(it->second.make ? it->second.make() : it->second.value);
    }
    std::string value;
    auto s = db_->Get(rocksdb::ReadOptions(), cf_, rocksdb::Slice(key.data(), key.size()), &value);
    if (s.IsNotFound()) {
      return std::optional<std::string>();
    }
    if (!s.ok()) {
      return tl::unexpected(FromRocks(s, "projection read"));
    }
    return std::optional<std::string>(std::move(value));
  }
  Result<std::vector<std::string>> Keys(std::string_view prefix, size_t limit) override {
    std::set<std::string> keys;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf_));
    rocksdb::Slice pfx(prefix.data(), prefix.size());
    for (it->Seek(pfx); it->Valid() && it->key().starts_with(pfx); it->Next()) {
      keys.insert(it->key().ToString());
    }
    if (!it->status().ok()) {
      return tl::unexpected(FromRocks(it->status(), "projection scan"));
    }
    for (auto p = pending_.lower_bound(std::string(prefix));
         p != pending_.end() && p->first.compare(0, prefix.size(), prefix) == 0; ++p) {
      if (p->second.deleted) {
        keys.erase(p->first);
      } else {
        keys.insert(p->first);
      }
    }
    std::vector<std::string> out;
    for (const auto& k : keys) {
      if (out.size() == limit) {
        break;
      }
      out.push_back(k);
    }
    return out;
  }
  // Moves the final rows into `wb` and forgets them.
  Status WriteTo(rocksdb::WriteBatch& wb) {
    for (auto& [key, entry] : pending_) {
      rocksdb::Status s;
      if (entry.deleted) {
        s = wb.Delete(cf_, key);
      } else {
        s = wb.Put(cf_, key, entry.make ? entry.make() : entry.value);
      }
      if (!s.ok()) {
        return tl::unexpected(FromRocks(s, "projection write"));
      }
    }
    pending_.clear();
    return OkStatus();
  }

 private:
  struct Entry {
    std::string value;
    std::function<std::string()> make;
    bool deleted = false;
  };
  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* cf_;
  Scratchpad* scratch_;
  std::map<std::string, Entry> pending_;
};

}  // namespace

struct RocksEventStore::Pending {
  domain::AppendRequest request;
  std::promise<Result<domain::AppendResult>> done;
  domain::AppendResult result;
};

Result<std::unique_ptr<RocksEventStore>> RocksEventStore::Open(
    const StoreOptions& options, std::vector<domain::Projection*> projections) {
  std::unique_ptr<RocksEventStore> store(new RocksEventStore());
  store->options_ = options;

  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  table.cache_index_and_filter_blocks = true;
  // Claims, data keys and stream heads are mostly looked up while absent.
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  store->cf_options_.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  store->cf_options_.write_buffer_size = 8 << 20;
  store->cf_options_.compression = rocksdb::kNoCompression;

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.paranoid_checks = true;
  db_options.max_open_files = 512;
  db_options.db_write_buffer_size = 64 << 20;
  db_options.max_background_jobs = 2;
  db_options.keep_log_file_num = 3;
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  // A MANIFEST records the first and last key of every table file, and keys
  // can hold personal values (claims). Rolling it on every change keeps only
  // the live files' bounds, so an erasure leaves no key behind in an old one.
  db_options.max_manifest_file_size = 1;

  std::vector<std::string> existing;
  auto ls = rocksdb::DB::ListColumnFamilies(db_options, options.path, &existing);
  if (!ls.ok()) {
    existing = {rocksdb::kDefaultColumnFamilyName};
  }
  std::set<std::string> names(existing.begin(), existing.end());
  for (const char* core : {kEventsCf, kStreamsCf, kUniqueCf, kKeysCf, kMetaCf}) {
    names.insert(core);
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  auto events_options = store->cf_options_;
  events_options.write_buffer_size = 32 << 20;
  for (const auto& name : names) {
    descriptors.emplace_back(name, name == kEventsCf ? events_options : store->cf_options_);
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(db_options, options.path, descriptors, &handles, &raw);
  if (!s.ok()) {
    if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
      return MakeError(Code::kUnavailable,
                       "store is in use by another process: " + options.path);
    }
    return tl::unexpected(FromRocks(s, "open store " + options.path));
  }
  store->db_.reset(raw);
  rocksdb::DB* db = raw;
  std::map<std::string, CfPtr> by_name;
  for (auto* h : handles) {
    CfPtr cf(h, [db](rocksdb::ColumnFamilyHandle* p) {
      db->DestroyColumnFamilyHandle(p).PermitUncheckedError();
    });
    by_name[h->GetName()] = cf;
  }
  store->events_ = by_name[kEventsCf];
  store->streams_ = by_name[kStreamsCf];
  store->unique_ = by_name[kUniqueCf];
  store->keys_ = by_name[kKeysCf];
  store->meta_ = by_name[kMetaCf];

  // Layout version: recorded when a new store is created; an existing store
  // keeps what it has until mneme-migrate upgrades it.
  std::string value;
  s = db->Get(rocksdb::ReadOptions(), store->meta_.get(), rocksdb::Slice(kLayoutKey.data(), kLayoutKey.size()), &value);
  if (s.ok()) {
    char* end = nullptr;
    store->stored_layout_ = static_cast<uint32_t>(std::strtoul(value.c_str(), &end, 10));
    if (store->stored_layout_ > kLayoutVersion) {
      return MakeError(Code::kFailedPrecondition,
                       "store layout version " + value + " is newer than this binary understands (" +
                           std::to_string(kLayoutVersion) + "): use a newer mneme");
    }
  } else if (!s.IsNotFound()) {
    return tl::unexpected(FromRocks(s, "read layout version"));
  }
  // Head: the last committed position.
  s = db->Get(rocksdb::ReadOptions(), store->meta_.get(), rocksdb::Slice(kHeadKey.data(), kHeadKey.size()), &value);
  if (s.ok() && value.size() == 8) {
    store->head_ = DecodeBe64(value);
  } else if (!s.IsNotFound()) {
    return tl::unexpected(FromRocks(s, "read head"));
  }
  if (store->stored_layout_ == 0 && store->head_ == 0) {
    MNEME_RETURN_IF_ERROR(store->SetLayoutVersion(kLayoutVersion));
  }

  // Projections: find each one's live family, create and fill new ones.
  std::set<std::string> live_names;
  for (auto* projection : projections) {
    const std::string name = projection->Name();
    s = db->Get(rocksdb::ReadOptions(), store->meta_.get(), ProjectionMetaKey(name), &value);
    CfPtr cf;
    if (s.ok() && by_name.count(value)) {
      cf = by_name[value];
    } else {
      if (by_name.count(name)) {  // a family without a meta entry: half-built
        auto drop = db->DropColumnFamily(by_name[name].get());
        if (!drop.ok()) {
          return tl::unexpected(FromRocks(drop, "drop column family " + name));
        }
        by_name.erase(name);
      }
      MNEME_TRY(cf, store->CreateCf(name));
      by_name[name] = cf;
    }
    live_names.insert(cf->GetName());
    store->projections_[name] = LiveProjection{projection, cf};
    if (!s.ok() || value != cf->GetName()) {
      auto put = db->Put(rocksdb::WriteOptions(), store->meta_.get(), ProjectionMetaKey(name),
                         cf->GetName());
      if (!put.ok()) {
        return tl::unexpected(FromRocks(put, "record projection"));
      }
    }
  }
  // Leftovers of interrupted rebuilds ("<name>.r<N>") are dropped; families
  // of projections no longer registered are retired (migrate drops them).
  for (auto& [name, cf] : by_name) {
    if (IsCoreCf(name) || live_names.count(name) || name == "default") {
      continue;
    }
    if (name.find(".r") != std::string::npos) {
      db->DropColumnFamily(cf.get()).PermitUncheckedError();
    } else {
      store->retired_[name] = cf;
    }
  }
  auto sync = db->SyncWAL();
  if (!sync.ok()) {
    return tl::unexpected(FromRocks(sync, "sync"));
  }
  store->open_ = true;
  if (options.catch_up_on_open) {
    MNEME_RETURN_IF_ERROR(store->CatchUpProjections());
  }
  store->writer_ = std::thread([s = store.get()] { s->WriterLoop(); });
  return store;
}

namespace {

// How a replay writes its chunks.
enum class ReplayLog {
  // Through the write-ahead log: every chunk written survives a crash of the
  // process (one projection folding, e.g. a migration of one version).
  kWal,
  // Without it: a crash loses the chunks not yet flushed, always together
  // with their checkpoint (a family flushes whole memtables, so what is on
  // disk is a prefix of the batches), and the next run resumes from the
  // flushed checkpoint. Several projections folding at once write much less.
  kNoWal,
};

// One projection's replay: applies events in order (those before `from` are
// skipped), writes its rows with its checkpoint every kReplayChunk events.
// Finish() writes the rest and makes it durable (synced log, or a flush).
class Replay {
 public:
  Replay(rocksdb::DB* db, domain::Projection& projection, rocksdb::ColumnFamilyHandle* cf,
         uint64_t from, uint64_t to, ProgressFn progress, ReplayLog log)
      : db_(db), projection_(projection), cf_(cf), from_(from), last_(from - 1),
        total_(to >= from ? to - from + 1 : 0), progress_(std::move(progress)), log_(log),
        rows_(db, cf, &scratch_) {}

  Status Apply(const domain::EventEnvelope& env) {
    if (env.position.value() < from_) {
      return OkStatus();
    }
    MNEME_RETURN_IF_ERROR(projection_.Apply(env, rows_));
    last_ = env.position.value();
    ++done_;
    if (++in_chunk_ == kReplayChunk) {
      MNEME_RETURN_IF_ERROR(Write());
      in_chunk_ = 0;
      scratch_.clear();
    }
    return OkStatus();
  }

  Status Finish() {
    if (last_ + 1 > from_ || total_ == 0) {
      MNEME_RETURN_IF_ERROR(Write());
    }
    auto s = log_ == ReplayLog::kWal ? db_->SyncWAL() : db_->Flush(rocksdb::FlushOptions(), cf_);
    if (!s.ok()) {
      return tl::unexpected(FromRocks(s, "replay sync"));
    }
    return OkStatus();
  }

 private:
  Status Write() {
    rocksdb::WriteBatch wb;
    MNEME_RETURN_IF_ERROR(rows_.WriteTo(wb));
    wb.Put(cf_, kCheckpointKey, EncodeBe64(last_)).PermitUncheckedError();
    rocksdb::WriteOptions wo;
    wo.disableWAL = log_ == ReplayLog::kNoWal;
    auto s = db_->Write(wo, &wb);
    if (!s.ok()) {
      return tl::unexpected(FromRocks(s, "replay write"));
    }
    if (progress_) {
      progress_(done_, total_);
    }
    return OkStatus();
  }

  rocksdb::DB* db_;
  domain::Projection& projection_;
  rocksdb::ColumnFamilyHandle* cf_;
  uint64_t from_;
  uint64_t last_;
  uint64_t total_;
  uint64_t done_ = 0;
  size_t in_chunk_ = 0;
  ProgressFn progress_;
  ReplayLog log_;
  Scratchpad scratch_;
  ReplayRows rows_;
};

}  // namespace

Status RocksEventStore::CatchUpProjections(
    const std::function<void(const std::string&, uint64_t, uint64_t)>& progress) {
  std::vector<LiveProjection> live;
  {
    std::lock_guard lock(projections_mu_);
    for (auto& [name, lp] : projections_) {
      live.push_back(lp);
    }
  }
  // Each lagging projection folds on its own thread (they write to separate
  // families and commit their own checkpoints); progress reports are
  // serialized for the caller.
  struct Job {
    LiveProjection lp;
    uint64_t from;
  };
  std::vector<Job> jobs;
  for (auto& lp : live) {
    MNEME_TRY(auto ckpt, Checkpoint(lp.projection->Name()));
    if (ckpt.value() < head_) {
      jobs.push_back({lp, ckpt.value() + 1});
    }
  }
  std::mutex progress_mu;
  const uint64_t to = head_;
  auto progress_of = [&](const std::string& name) -> ProgressFn {
    if (!progress) {
      return {};
    }
    return [&, name](uint64_t done, uint64_t total) {
      std::lock_guard lock(progress_mu);
      progress(name, done, total);
    };
  };
  if (jobs.empty()) {
    return OkStatus();
  }
  if (jobs.size() == 1) {
    return ReplayInto(*jobs[0].lp.projection, jobs[0].lp.cf.get(), jobs[0].from, to,
                      progress_of(jobs[0].lp.projection->Name()));
  }
  // Several projections lag: one reader decodes the log once, in chunks that
  // every projection's own thread folds (each skips what it has already).
  // Bounded queues keep the reader at most a few chunks ahead of the slowest.
  constexpr size_t kChunk = 1024;
  constexpr size_t kQueued = 8;
  using Chunk = std::shared_ptr<const std::vector<domain::EventEnvelope>>;
  struct Lane {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<Chunk> chunks;
    bool end = false;     // the reader is done
    bool failed = false;  // this projection stopped with an error
  };
  std::vector<Lane> lanes(jobs.size());
  uint64_t from = UINT64_MAX;
  for (const auto& job : jobs) {
    from = std::min(from, job.from);
  }
  auto fold = [&](size_t i) -> Status {
    const Job& job = jobs[i];
    Lane& lane = lanes[i];
    Replay replay(db_.get(), *job.lp.projection, job.lp.cf.get(), job.from, to,
                  progress_of(job.lp.projection->Name()), ReplayLog::kNoWal);
    Status result = OkStatus();
    while (true) {
      Chunk chunk;
      {
        std::unique_lock lock(lane.mu);
        lane.cv.wait(lock, [&] { return !lane.chunks.empty() || lane.end; });
        if (lane.chunks.empty()) {
          break;
        }
        chunk = std::move(lane.chunks.front());
        lane.chunks.pop_front();
      }
      lane.cv.notify_all();
      for (const auto& env : *chunk) {
        result = replay.Apply(env);
        if (!result) {
          break;
        }
      }
      if (!result) {
        break;
      }
    }
    if (result) {
      result = replay.Finish();
    }
    if (!result) {
      std::lock_guard lock(lane.mu);
      lane.failed = true;
      lane.chunks.clear();
    }
    lane.cv.notify_all();
    return result;
  };
  std::vector<std::future<Status>> folding;
  for (size_t i = 0; i < jobs.size(); ++i) {
    folding.push_back(std::async(std::launch::async, fold, i));
  }
  Status read = [&]() -> Status {
    rocksdb::ReadOptions ro;
    ro.readahead_size = 4 << 20;
    ro.fill_cache = false;
    const std::string upper = EncodeBe64(to + 1);
    rocksdb::Slice upper_slice(upper);
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, events_.get()));
    auto publish = [&](std::vector<domain::EventEnvelope>&& batch) {
      Chunk chunk = std::make_shared<const std::vector<domain::EventEnvelope>>(std::move(batch));
      for (auto& lane : lanes) {
        std::unique_lock lock(lane.mu);
        lane.cv.wait(lock, [&] { return lane.chunks.size() < kQueued || lane.failed; });
        if (!lane.failed) {
          lane.chunks.push_back(chunk);
        }
        lock.unlock();
        lane.cv.notify_all();
      }
    };
    std::vector<domain::EventEnvelope> batch;
    batch.reserve(kChunk);
    for (it->Seek(EncodeBe64(from)); it->Valid(); it->Next()) {
      MNEME_TRY(auto env, DecodeEnvelope(std::string_view(it->value().data(), it->value().size())));
      batch.push_back(std::move(env));
      if (batch.size() == kChunk) {
        publish(std::move(batch));
        batch = {};
        batch.reserve(kChunk);
      }
    }
    if (!it->status().ok()) {
      return tl::unexpected(FromRocks(it->status(), "replay read"));
    }
    if (!batch.empty()) {
      publish(std::move(batch));
    }
    return OkStatus();
  }();
  for (auto& lane : lanes) {
    {
      std::lock_guard lock(lane.mu);
      lane.end = true;
      if (!read) {
        lane.chunks.clear();  // a failed read must not look like the end of the log
        lane.failed = true;
      }
    }
    lane.cv.notify_all();
  }
  Status first = read;
  for (auto& f : folding) {
    Status s = f.get();
    if (first && !s) {
      first = std::move(s);
    }
  }
  return first;
}

Status RocksEventStore::SetLayoutVersion(uint32_t version) {
  rocksdb::WriteOptions wo;
  wo.sync = true;
  auto s = db_->Put(wo, meta_.get(), rocksdb::Slice(kLayoutKey.data(), kLayoutKey.size()),
                    std::to_string(version));
  if (!s.ok()) {
    return tl::unexpected(FromRocks(s, "write layout version"));
  }
  stored_layout_ = version;
  return OkStatus();
}

uint64_t RocksEventStore::RelayPosition() {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), meta_.get(), "relay_position", &value);
  return s.ok() && value.size() == 8 ? DecodeBe64(value) : 0;
}

Status RocksEventStore::SetRelayPosition(uint64_t position) {
  auto s = db_->Put(rocksdb::WriteOptions(), meta_.get(), "relay_position", EncodeBe64(position));
  if (!s.ok()) {
    return tl::unexpected(FromRocks(s, "relay checkpoint"));
  }
  return OkStatus();
}

Status RocksEventStore::ReplaceEvents(const std::vector<domain::EventEnvelope>& events) {
  rocksdb::WriteBatch batch;
  for (const auto& e : events) {
    batch.Put(events_.get(), EncodeBe64(e.position.value()), EncodeEnvelope(e)).PermitUncheckedError();
  }
  rocksdb::WriteOptions wo;
  wo.sync = true;
  auto s = db_->Write(wo, &batch);
  if (!s.ok()) {
    return tl::unexpected(FromRocks(s, "rewrite events"));
  }
  return OkStatus();
}

Result<std::vector<ProjectionStatus>> RocksEventStore::ProjectionStatuses() {
  std::vector<std::pair<std::string, std::string>> names;
  {
    std::lock_guard lock(projections_mu_);
    for (auto& [name, lp] : projections_) {
      names.emplace_back(name, lp.cf->GetName());
    }
  }
  std::vector<ProjectionStatus> out;
  for (auto& [name, cf] : names) {
    MNEME_TRY(auto ckpt, Checkpoint(name));
    out.push_back(ProjectionStatus{name, cf, ckpt.value()});
  }
  return out;
}

RocksEventStore::~RocksEventStore() { Close(); }

void RocksEventStore::Close() {
  {
    std::lock_guard lock(queue_mu_);
    if (stopping_ && !writer_.joinable() && !db_) {
      return;
    }
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (writer_.joinable()) {
    writer_.join();
  }
  open_ = false;
  head_cv_.notify_all();
  if (db_) {
    db_->FlushWAL(true).PermitUncheckedError();
    {
      std::lock_guard lock(projections_mu_);
      projections_.clear();
    }
    events_.reset();
    streams_.reset();
    unique_.reset();
    keys_.reset();
    meta_.reset();
    other_cfs_.clear();
    retired_.clear();
    db_->Close().PermitUncheckedError();
    db_.reset();
  }
}

Result<RocksEventStore::CfPtr> RocksEventStore::CreateCf(const std::string& name) {
  rocksdb::ColumnFamilyHandle* h = nullptr;
  auto s = db_->CreateColumnFamily(cf_options_, name, &h);
  if (!s.ok()) {
    return tl::unexpected(FromRocks(s, "create column family " + name));
  }
  rocksdb::DB* db = db_.get();
  return CfPtr(h, [db](rocksdb::ColumnFamilyHandle* p) {
    db->DestroyColumnFamilyHandle(p).PermitUncheckedError();
  });
}

Result<domain::AppendResult> RocksEventStore::Append(domain::AppendRequest request) {
  Pending pending;
  pending.request = std::move(request);
  auto future = pending.done.get_future();
  {
    std::lock_guard lock(queue_mu_);
    if (stopping_) {
      return MakeError(Code::kUnavailable, "store is closed");
    }
    queue_.push_back(&pending);
  }
  queue_cv_.notify_one();
  return future.get();
}

void RocksEventStore::RunOnWriter(std::function<void()> task) {
  std::promise<void> done;
  auto future = done.get_future();
  {
    std::lock_guard lock(queue_mu_);
    tasks_.push_back([&] {
      task();
      done.set_value();
    });
  }
  queue_cv_.notify_one();
  future.get();
}

void RocksEventStore::WriterLoop() {
  std::vector<Pending*> group;
  while (true) {
    std::deque<std::function<void()>> tasks;
    {
      std::unique_lock lock(queue_mu_);
      queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty() || !tasks_.empty(); });
      if (queue_.empty() && tasks_.empty() && stopping_) {
        return;
      }
      tasks.swap(tasks_);
      while (!queue_.empty() && group.size() < options_.max_group) {
        group.push_back(queue_.front());
        queue_.pop_front();
      }
    }
    for (auto& task : tasks) {
      task();
    }
    if (!group.empty()) {
      CommitGroup(group);
      group.clear();
    }
  }
}

Result<uint64_t> RocksEventStore::StreamHeadFromDb(const std::string& stream) {
  auto cached = stream_heads_.find(stream);
  if (cached != stream_heads_.end()) {
    return cached->second;
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), streams_.get()));
  std::string last = StreamKey(stream, UINT64_MAX);
  it->SeekForPrev(last);
  uint64_t version = 0;
  if (it->Valid()) {
    auto key = it->key();
    if (key.size() == stream.size() + 9 && key.starts_with(rocksdb::Slice(stream)) &&
        key[stream.size()] == '\0') {
      version = DecodeBe64(std::string_view(key.data() + stream.size() + 1, 8));
    }
  } else if (!it->status().ok()) {
    return tl::unexpected(FromRocks(it->status(), "read stream head"));
  }
  return version;
}

Result<std::optional<std::string>> RocksEventStore::ReadThrough(
    rocksdb::WriteBatchWithIndex* wb, rocksdb::ColumnFamilyHandle* cf, std::string_view key) {
  std::string value;
  rocksdb::Slice k(key.data(), key.size());
  auto s = wb ? wb->GetFromBatchAndDB(db_.get(), rocksdb::ReadOptions(), cf, k, &value)
              : db_->Get(rocksdb::ReadOptions(), cf, k, &value);
  if (s.IsNotFound()) {
    return std::optional<std::string>();
  }
  if (!s.ok()) {
    return tl::unexpected(FromRocks(s, "read"));
  }
  return std::optional<std::string>(std::move(value));
}

Status RocksEventStore::Stage(Pending& p, rocksdb::WriteBatchWithIndex& wb,
                              std::unordered_map<std::string, uint64_t>& heads,
                              uint64_t& next_pos) {
  const auto& req = p.request;
  if (req.stream.empty() || req.stream.find('\0') != std::string::npos) {
    return MakeError(Code::kInvalidArgument, "stream name must be non-empty and without NUL");
  }
  if (req.events.empty()) {
    return MakeError(Code::kInvalidArgument, "an append needs at least one event");
  }
  uint64_t current = 0;
  if (auto it = heads.find(req.stream); it != heads.end()) {
    current = it->second;
  } else {
    MNEME_TRY(current, StreamHeadFromDb(req.stream));
  }
  if (!req.expected.is_any() && req.expected.value() != current) {
    return MakeError(Code::kAborted, "stream " + req.stream + " is at version " +
                                         std::to_string(current) + ", expected " +
                                         std::to_string(req.expected.value()));
  }
  wb.SetSavePoint();
  auto rollback = [&](Error e) -> Status {
    wb.RollbackToSavePoint().PermitUncheckedError();
    return tl::unexpected(std::move(e));
  };
  for (const auto& claim : req.claims) {
    const std::string key = ClaimKey(claim.kind, claim.value);
    auto owner = ReadThrough(&wb, unique_.get(), key);
    if (!owner) {
      return rollback(owner.error());
    }
    const bool held = owner->has_value();
    const bool ours = held && **owner == req.stream;
    if (claim.action == domain::ClaimAction::kClaim) {
      if (held && !ours) {
        return rollback(Error(Code::kAlreadyExists,
                              claim.kind + " is already claimed by another stream"));
      }
      if (!held) {
        wb.Put(unique_.get(), key, req.stream).PermitUncheckedError();
      }
    } else if (ours) {
      wb.Delete(unique_.get(), key).PermitUncheckedError();
    } else if (held) {
      return rollback(Error(Code::kFailedPrecondition,
                            claim.kind + " is claimed by another stream and cannot be released"));
    }
  }
  for (const auto& op : req.data_keys) {
    if (op.action == domain::DataKeyAction::kPut) {
      wb.Put(keys_.get(), op.owner, op.wrapped_key).PermitUncheckedError();
    } else {
      wb.Delete(keys_.get(), op.owner).PermitUncheckedError();
    }
  }
  uint64_t pos = next_pos;
  uint64_t version = current;
  std::vector<LiveProjection> live;
  {
    std::lock_guard lock(projections_mu_);
    for (auto& [name, lp] : projections_) {
      live.push_back(lp);
    }
  }
  std::vector<Scratchpad> scratch(live.size());
  domain::EventEnvelope env;
  env.stream = req.stream;
  for (const auto& e : req.events) {
    ++version;
    env.position = GlobalPosition(pos);
    env.version = StreamVersion(version);
    env.type = e.type;
    env.schema = e.schema;
    env.time = e.time;
    env.actor = e.actor;
    env.request_id = e.request_id;
    env.data = e.data;
    env.decoded = e.decoded.has_value() ? &e.decoded : nullptr;
    wb.Put(events_.get(), EncodeBe64(pos), EncodeEnvelope(env)).PermitUncheckedError();
    wb.Put(streams_.get(), StreamKey(req.stream, version), EncodeBe64(pos)).PermitUncheckedError();
    for (size_t k = 0; k < live.size(); ++k) {
      auto& lp = live[k];
      BatchRows rows(db_.get(), &wb, lp.cf.get(), &scratch[k]);
      auto applied = lp.projection->Apply(env, rows);
      if (!applied) {
        return rollback(applied.error());
      }
      if (auto st = rows.status(); !st) {
        return rollback(st.error());
      }
    }
    ++pos;
  }
  p.result.first_position = GlobalPosition(next_pos);
  p.result.last_position = GlobalPosition(pos - 1);
  p.result.last_version = StreamVersion(version);
  heads[req.stream] = version;
  next_pos = pos;
  return OkStatus();
}

void RocksEventStore::CommitGroup(std::vector<Pending*>& group) {
  rocksdb::WriteBatchWithIndex wb(rocksdb::BytewiseComparator(), 0, true);
  std::unordered_map<std::string, uint64_t> heads;
  std::vector<std::pair<Pending*, Status>> outcomes;
  outcomes.reserve(group.size());
  const uint64_t first = head_.load() + 1;
  uint64_t next_pos = first;
  for (auto* p : group) {
    outcomes.emplace_back(p, Stage(*p, wb, heads, next_pos));
  }
  if (next_pos != first) {
    const std::string head = EncodeBe64(next_pos - 1);
    wb.Put(meta_.get(), rocksdb::Slice(kHeadKey.data(), kHeadKey.size()), head).PermitUncheckedError();
    {
      std::lock_guard lock(projections_mu_);
      for (auto& [name, lp] : projections_) {
        wb.Put(lp.cf.get(), kCheckpointKey, head).PermitUncheckedError();
      }
    }
    rocksdb::WriteOptions wo;
    wo.sync = true;
    auto s = db_->Write(wo, wb.GetWriteBatch());
    if (!s.ok()) {
      write_failed_ = true;
      for (auto& [p, st] : outcomes) {
        if (st) {
          st = tl::unexpected(FromRocks(s, "append"));
        }
      }
    } else {
      synced_writes_.fetch_add(1);
      if (stream_heads_.size() > (1u << 20)) {
        stream_heads_.clear();  // a cache; the streams family is the truth
      }
      for (auto& [stream, version] : heads) {
        stream_heads_[stream] = version;
      }
      {
        std::lock_guard lock(head_mu_);
        head_ = next_pos - 1;
      }
      head_cv_.notify_all();
    }
  }
  for (auto& [p, st] : outcomes) {
    if (st) {
      p->done.set_value(p->result);
    } else {
      p->done.set_value(tl::unexpected(st.error()));
    }
  }
}

Result<std::vector<domain::EventEnvelope>> RocksEventStore::ReadStream(
    const std::string& stream, StreamVersion from_version) {
  return ReadStreamPage(stream, from_version, SIZE_MAX);
}

Result<std::vector<domain::EventEnvelope>> RocksEventStore::ReadStreamPage(
    const std::string& stream, StreamVersion from_version, size_t limit) {
  if (!open_) {
    return MakeError(Code::kUnavailable, "store is closed");
  }
  std::vector<domain::EventEnvelope> out;
  std::vector<std::string> positions;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), streams_.get()));
  const std::string prefix = stream + '\0';
  for (it->Seek(StreamKey(stream, std::max<uint64_t>(1, from_version.value())));
       it->Valid() && it->key().starts_with(prefix) && positions.size() < limit; it->Next()) {
    positions.push_back(it->value().ToString());
  }
  if (!it->status().ok()) {
    return tl::unexpected(FromRocks(it->status(), "read stream"));
  }
  out.reserve(positions.size());
  std::vector<rocksdb::Slice> keys(positions.begin(), positions.end());
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  db_->MultiGet(rocksdb::ReadOptions(), events_.get(), keys.size(), keys.data(), values.data(),
                statuses.data());
  for (size_t k = 0; k < keys.size(); ++k) {
    if (!statuses[k].ok()) {
      return tl::unexpected(FromRocks(statuses[k], "read event"));
    }
    MNEME_TRY(auto env, DecodeEnvelope(std::string_view(values[k].data(), values[k].size())));
    out.push_back(std::move(env));
  }
  return out;
}

Result<std::vector<domain::EventEnvelope>> RocksEventStore::ReadAll(GlobalPosition from_position,
                                                                    size_t limit) {
  if (!open_) {
    return MakeError(Code::kUnavailable, "store is closed");
  }
  std::vector<domain::EventEnvelope> out;
  rocksdb::ReadOptions ro;
  ro.readahead_size = 2 << 20;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, events_.get()));
  for (it->Seek(EncodeBe64(std::max<uint64_t>(1, from_position.value())));
       it->Valid() && out.size() < limit; it->Next()) {
    MNEME_TRY(auto env, DecodeEnvelope(std::string_view(it->value().data(), it->value().size())));
    out.push_back(std::move(env));
  }
  if (!it->status().ok()) {
    return tl::unexpected(FromRocks(it->status(), "read log"));
  }
  return out;
}

GlobalPosition RocksEventStore::Head() const { return GlobalPosition(head_.load()); }

GlobalPosition RocksEventStore::WaitForPosition(GlobalPosition after,
                                                std::chrono::milliseconds timeout) {
  std::unique_lock lock(head_mu_);
  head_cv_.wait_for(lock, timeout, [&] { return head_.load() > after.value() || !open_; });
  return GlobalPosition(head_.load());
}

Result<std::optional<std::string>> RocksEventStore::ClaimOwner(const std::string& kind,
                                                               const std::string& value) {
  if (!open_) {
    return MakeError(Code::kUnavailable, "store is closed");
  }
  return ReadThrough(nullptr, unique_.get(), ClaimKey(kind, value));
}

Result<std::optional<std::string>> RocksEventStore::DataKey(const std::string& owner) {
  if (!open_) {
    return MakeError(Code::kUnavailable, "store is closed");
  }
  return ReadThrough(nullptr, keys_.get(), owner);
}

Result<RocksEventStore::CfPtr> RocksEventStore::ProjectionCf(const std::string& name) const {
  std::lock_guard lock(projections_mu_);
  auto it = projections_.find(name);
  if (it == projections_.end()) {
    return MakeError(Code::kNotFound, "no projection named " + name);
  }
  return it->second.cf;
}

Result<std::optional<std::string>> RocksEventStore::GetRow(const std::string& projection,
                                                           std::string_view key) {
  MNEME_TRY(auto cf, ProjectionCf(projection));
  return ReadThrough(nullptr, cf.get(), key);
}

Result<std::vector<std::pair<std::string, std::string>>> RocksEventStore::ScanRows(
    const std::string& projection, std::string_view prefix, std::string_view start,
    size_t limit) {
  MNEME_TRY(auto cf, ProjectionCf(projection));
  std::vector<std::pair<std::string, std::string>> rows;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf.get()));
  std::string from(start > prefix ? start : prefix);
  if (from.empty()) {
    from.push_back('\x01');  // skip the reserved "\0..." keys
  }
  rocksdb::Slice pfx(prefix.data(), prefix.size());
  for (it->Seek(from); it->Valid() && rows.size() < limit && it->key().starts_with(pfx);
       it->Next()) {
    if (!it->key().empty() && it->key()[0] == '\0') {
      continue;
    }
    rows.emplace_back(it->key().ToString(), it->value().ToString());
  }
  if (!it->status().ok()) {
    return tl::unexpected(FromRocks(it->status(), "scan projection"));
  }
  return rows;
}

std::vector<std::string> RocksEventStore::RetiredProjectionFamilies() const {
  std::vector<std::string> out;
  for (const auto& [name, cf] : retired_) {
    out.push_back(name);
  }
  return out;
}

Status RocksEventStore::DropRetiredProjectionFamilies() {
  for (auto it = retired_.begin(); it != retired_.end();) {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    auto s = db_->Delete(wo, meta_.get(), ProjectionMetaKey(it->first));
    if (s.ok()) {
      s = db_->DropColumnFamily(it->second.get());
    }
    if (!s.ok()) {
      return tl::unexpected(FromRocks(s, "drop column family " + it->first));
    }
    it = retired_.erase(it);
  }
  return OkStatus();
}

Result<GlobalPosition> RocksEventStore::Checkpoint(const std::string& projection) {
  MNEME_TRY(auto cf, ProjectionCf(projection));
  MNEME_TRY(auto value, ReadThrough(nullptr, cf.get(), kCheckpointKey));
  return GlobalPosition(value && value->size() == 8 ? DecodeBe64(*value) : 0);
}

Status RocksEventStore::ReplayInto(domain::Projection& projection, rocksdb::ColumnFamilyHandle* cf,
                                   uint64_t from, uint64_t to, const ProgressFn& progress) {
  rocksdb::ReadOptions ro;
  ro.readahead_size = 4 << 20;
  ro.fill_cache = false;
  const std::string upper = EncodeBe64(to + 1);
  rocksdb::Slice upper_slice(upper);
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, events_.get()));
  Replay replay(db_.get(), projection, cf, from, to, progress, ReplayLog::kWal);
  for (it->Seek(EncodeBe64(from)); it->Valid(); it->Next()) {
    MNEME_TRY(auto env, DecodeEnvelope(std::string_view(it->value().data(), it->value().size())));
    MNEME_RETURN_IF_ERROR(replay.Apply(env));
  }
  if (!it->status().ok()) {
    return tl::unexpected(FromRocks(it->status(), "replay read"));
  }
  return replay.Finish();
}

Status RocksEventStore::Rebuild(const std::string& name, const ProgressFn& progress) {
  domain::Projection* projection = nullptr;
  {
    std::lock_guard lock(projections_mu_);
    auto it = projections_.find(name);
    if (it == projections_.end()) {
      return MakeError(Code::kNotFound, "no projection named " + name);
    }
    projection = it->second.projection;
  }
  if (!open_) {
    return MakeError(Code::kUnavailable, "store is closed");
  }
  const std::string cf_name =
      name + ".r" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  MNEME_TRY(auto cf, CreateCf(cf_name));
  // Replay what is committed now, while appends continue.
  const uint64_t target = head_.load();
  MNEME_RETURN_IF_ERROR(ReplayInto(*projection, cf.get(), 1, target, progress));
  // Catch up and swap on the writer thread, where no append can interleave.
  Status outcome;
  RunOnWriter([&] {
    auto caught_up = ReplayInto(*projection, cf.get(), target + 1, head_.load(), {});
    if (!caught_up) {
      outcome = caught_up;
      return;
    }
    rocksdb::WriteOptions wo;
    wo.sync = true;
    auto s = db_->Put(wo, meta_.get(), ProjectionMetaKey(name), cf_name);
    if (!s.ok()) {
      outcome = tl::unexpected(FromRocks(s, "record rebuilt projection"));
      return;
    }
    CfPtr old;
    {
      std::lock_guard lock(projections_mu_);
      old = projections_[name].cf;
      projections_[name].cf = cf;
    }
    db_->DropColumnFamily(old.get()).PermitUncheckedError();
  });
  if (!outcome) {
    db_->DropColumnFamily(cf.get()).PermitUncheckedError();
  }
  return outcome;
}

Status RocksEventStore::CompactDeleted() {
  if (!open_) {
    return MakeError(Code::kUnavailable, "store is closed");
  }
  std::vector<CfPtr> families = {events_, streams_, unique_, keys_, meta_};
  {
    std::lock_guard lock(projections_mu_);
    for (auto& [name, lp] : projections_) {
      families.push_back(lp.cf);
    }
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  for (auto& f : families) {
    handles.push_back(f.get());
  }
  rocksdb::FlushOptions flush;
  flush.wait = true;
  auto s = db_->Flush(flush, handles);
  if (!s.ok()) {
    return tl::unexpected(FromRocks(s, "flush"));
  }
  rocksdb::CompactRangeOptions compact;
  compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  compact.exclusive_manual_compaction = false;
  for (auto* h : handles) {
    s = db_->CompactRange(compact, h, nullptr, nullptr);
    if (!s.ok()) {
      return tl::unexpected(FromRocks(s, "compact " + h->GetName()));
    }
  }
  // Retire write-ahead logs whose contents are now in compacted files.
  s = db_->FlushWAL(true);
  if (!s.ok()) {
    return tl::unexpected(FromRocks(s, "sync"));
  }
  return OkStatus();
}

Status RocksEventStore::Healthy() const {
  if (!open_) {
    return MakeError(Code::kUnavailable, "store is closed");
  }
  if (write_failed_) {
    return MakeError(Code::kUnavailable, "the last write to the store failed");
  }
  uint64_t bg_errors = 0;
  if (db_->GetIntProperty("rocksdb.background-errors", &bg_errors) && bg_errors > 0) {
    return MakeError(Code::kUnavailable, "the store reported background errors");
  }
  return OkStatus();
}

}  // namespace mneme::infra::store
