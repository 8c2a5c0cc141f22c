// Helper for crash_test: appends in a loop from 4 threads and writes each
// acknowledged position (8 bytes, host order) and its payload counter to
// stdout, until it is killed. Usage: store_crash_child DIR
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

#include "infra/store/rocks_event_store.h"

int main(int argc, char** argv) {
  using namespace mneme;
  if (argc != 2) {
    return 2;
  }
  infra::store::StoreOptions o;
  o.path = argv[1];
  auto store = infra::store::RocksEventStore::Open(o, {});
  if (!store) {
    std::fprintf(stderr, "open: %s\n", store.error().ToString().c_str());
    return 1;
  }
  std::mutex out_mu;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t i = 0;; ++i) {
        domain::AppendRequest r;
        r.stream = "crash-" + std::to_string(t);
        domain::NewEvent e;
        e.type = "test.crash";
        e.data = "{\"n\":" + std::to_string(i) + "}";
        r.events.push_back(e);
        auto res = (*store)->Append(std::move(r));
        if (!res) {
          std::fprintf(stderr, "append: %s\n", res.error().ToString().c_str());
          _exit(1);
        }
        uint64_t pos = res->first_position.value();
        std::lock_guard lock(out_mu);
        if (write(STDOUT_FILENO, &pos, sizeof(pos)) != sizeof(pos)) {
          _exit(1);
        }
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
}
