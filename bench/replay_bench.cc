// Replay of 1,000,000 events: read the whole log, decode each envelope and
// fold it into a projection (a Rebuild of stream_stats_v1 into a fresh column
// family). Prints events/s for a plain read+decode pass and for the rebuild.
//   replay_bench [--events N] [--dir PATH]
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "infra/store/rocks_event_store.h"
#include "projections/stream_stats.h"

using namespace mneme;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  uint64_t total = 1'000'000;
  std::string dir = std::filesystem::temp_directory_path() / "mneme-replay-bench";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--events") {
      total = std::stoull(argv[i + 1]);
    } else if (a == "--dir") {
      dir = argv[i + 1];
    }
  }
  std::filesystem::remove_all(dir);
  projections::StreamStats stats;
  infra::store::StoreOptions o;
  o.path = dir;
  auto store = infra::store::RocksEventStore::Open(o, {&stats});
  if (!store) {
    std::fprintf(stderr, "open: %s\n", store.error().ToString().c_str());
    return 1;
  }
  const std::string payload = R"({"traits":"sealed-bytes-of-about-a-hundred-characters-0123456789012345678901234567890123456789"})";
  std::fprintf(stderr, "writing %llu events\n", static_cast<unsigned long long>(total));
  uint64_t written = 0;
  uint64_t batch_no = 0;
  while (written < total) {
    domain::AppendRequest r;
    r.stream = "identity-" + std::to_string(batch_no++ % 10000);
    for (int i = 0; i < 500 && written < total; ++i, ++written) {
      domain::NewEvent e;
      e.type = i % 3 ? "identity.traits_updated" : "session.issued";
      e.actor = "admin";
      e.request_id = "bench";
      e.data = payload;
      r.events.push_back(std::move(e));
    }
    auto res = (*store)->Append(std::move(r));
    if (!res) {
      std::fprintf(stderr, "append: %s\n", res.error().ToString().c_str());
      return 1;
    }
    if (written % 100000 == 0) {
      std::fprintf(stderr, "  written %llu/%llu\n", static_cast<unsigned long long>(written),
                   static_cast<unsigned long long>(total));
    }
  }

  auto t0 = Clock::now();
  uint64_t read = 0;
  uint64_t from = 1;
  while (true) {
    auto chunk = (*store)->ReadAll(GlobalPosition(from), 10000);
    if (!chunk || chunk->empty()) {
      break;
    }
    read += chunk->size();
    from = chunk->back().position.value() + 1;
  }
  double read_s = std::chrono::duration<double>(Clock::now() - t0).count();

  t0 = Clock::now();
  uint64_t last_report = 0;
  auto rebuilt = (*store)->Rebuild(stats.Name(), [&](uint64_t done, uint64_t all) {
    if (done - last_report >= 100000 || done == all) {
      std::fprintf(stderr, "  rebuild %llu/%llu\n", static_cast<unsigned long long>(done),
                   static_cast<unsigned long long>(all));
      last_report = done;
    }
  });
  double rebuild_s = std::chrono::duration<double>(Clock::now() - t0).count();
  if (!rebuilt) {
    std::fprintf(stderr, "rebuild: %s\n", rebuilt.error().ToString().c_str());
    return 1;
  }
  std::printf("%-28s %10s %12s\n", "pass", "events", "events/s");
  std::printf("%-28s %10llu %12.0f\n", "read+decode (ReadAll)", static_cast<unsigned long long>(read),
              read / read_s);
  std::printf("%-28s %10llu %12.0f\n", "rebuild stream_stats_v1", static_cast<unsigned long long>(total),
              total / rebuild_s);
  (*store)->Close();
  std::filesystem::remove_all(dir);
}
