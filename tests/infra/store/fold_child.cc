// Helper for migrate_resume_test: folds the test projection into a store's
// log (as mneme-migrate does) and writes one byte to stdout per committed
// chunk, until done or killed. Usage: fold_child DIR
#include <unistd.h>

#include <cstdio>

#include "infra/store/rocks_event_store.h"
#include "tests/support/test_support.h"

int main(int argc, char** argv) {
  using namespace mneme;
  if (argc != 2) {
    return 2;
  }
  mneme::testing::CountingProjection counts;
  infra::store::StoreOptions o;
  o.path = argv[1];
  o.catch_up_on_open = false;
  auto store = infra::store::RocksEventStore::Open(o, {&counts});
  if (!store) {
    std::fprintf(stderr, "open: %s\n", store.error().ToString().c_str());
    return 1;
  }
  auto done = (*store)->CatchUpProjections([](const std::string&, uint64_t, uint64_t) {
    if (write(STDOUT_FILENO, "c", 1) != 1) {
      _exit(1);
    }
  });
  return done ? 0 : 1;
}
