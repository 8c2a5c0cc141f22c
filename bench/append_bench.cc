// Append throughput and latency of the RocksDB event store, synced, with 1, 16
// and 64 concurrent appenders, each appending one event per call. Prints
// events/s, p50/p99 latency and fsyncs/s (synced group-commit writes), which
// shows how many appends one fsync carries.
//   append_bench [--seconds N] [--dir PATH]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "infra/store/rocks_event_store.h"
#include "projections/stream_stats.h"

using namespace mneme;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  double seconds = 5;
  std::string base = std::filesystem::temp_directory_path() / "mneme-append-bench";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--seconds") {
      seconds = std::stod(argv[i + 1]);
    } else if (a == "--dir") {
      base = argv[i + 1];
    }
  }
  std::printf("%-10s %12s %10s %10s %10s %14s\n", "appenders", "events/s", "p50_ms", "p99_ms",
              "fsyncs/s", "events/fsync");
  for (int appenders : {1, 16, 64}) {
    std::filesystem::remove_all(base);
    projections::StreamStats stats;
    infra::store::StoreOptions o;
    o.path = base;
    auto store = infra::store::RocksEventStore::Open(o, {&stats});
    if (!store) {
      std::fprintf(stderr, "open: %s\n", store.error().ToString().c_str());
      return 1;
    }
    std::atomic<bool> stop{false};
    std::vector<std::vector<double>> latencies(appenders);
    std::vector<std::thread> threads;
    const std::string payload = R"({"traits":"sealed-bytes-of-about-a-hundred-characters-0123456789012345678901234567890123456789"})";
    const uint64_t fsyncs_before = (*store)->SyncedWritesForTest();
    auto t0 = Clock::now();
    for (int t = 0; t < appenders; ++t) {
      threads.emplace_back([&, t] {
        for (uint64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
          domain::AppendRequest r;
          r.stream = "identity-" + std::to_string(t) + "-" + std::to_string(i % 100);
          domain::NewEvent e;
          e.type = "identity.traits_updated";
          e.actor = "admin";
          e.request_id = "bench";
          e.data = payload;
          r.events.push_back(std::move(e));
          auto s = Clock::now();
          auto res = (*store)->Append(std::move(r));
          auto d = std::chrono::duration<double, std::milli>(Clock::now() - s).count();
          if (!res) {
            std::fprintf(stderr, "append: %s\n", res.error().ToString().c_str());
            std::exit(1);
          }
          latencies[t].push_back(d);
        }
      });
    }
    for (int s = 0; s < static_cast<int>(seconds); ++s) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      std::fprintf(stderr, "  appenders=%d progress %d/%.0fs head=%llu\n", appenders, s + 1,
                   seconds, static_cast<unsigned long long>((*store)->Head().value()));
    }
    stop = true;
    for (auto& th : threads) {
      th.join();
    }
    double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    std::vector<double> all;
    for (auto& l : latencies) {
      all.insert(all.end(), l.begin(), l.end());
    }
    std::sort(all.begin(), all.end());
    const double events = static_cast<double>(all.size());
    const double fsyncs = static_cast<double>((*store)->SyncedWritesForTest() - fsyncs_before);
    std::printf("%-10d %12.0f %10.3f %10.3f %10.0f %14.1f\n", appenders, events / elapsed,
                all[all.size() / 2], all[static_cast<size_t>(all.size() * 0.99)],
                fsyncs / elapsed, events / fsyncs);
    std::fflush(stdout);
    (*store)->Close();
  }
  std::filesystem::remove_all(base);
}
