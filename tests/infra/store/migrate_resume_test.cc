// Folding a projection (what mneme-migrate does) survives SIGKILL: each chunk
// commits rows with the checkpoint, the next run resumes from it, and the
// result equals an uninterrupted rebuild.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "infra/store/rocks_event_store.h"
#include "tests/support/test_support.h"

namespace mneme::infra::store {
namespace {

TEST(MigrateResumeTest, KilledFoldResumesToTheSameRows) {
  mneme::testing::TempDir dir;
  StoreOptions o;
  o.path = dir.str();
  {
    auto bare = RocksEventStore::Open(o, {});
    ASSERT_TRUE(bare.has_value());
    for (int batch = 0; batch < 300; ++batch) {
      domain::AppendRequest r;
      r.stream = "s-" + std::to_string(batch % 37);
      for (int i = 0; i < 1000; ++i) {
        domain::NewEvent e;
        e.type = "t." + std::to_string(i % 5);
        e.data = "{}";
        r.events.push_back(e);
      }
      ASSERT_TRUE((*bare)->Append(std::move(r)).has_value());
    }
  }
  const auto child = mneme::testing::SpawnWithStdoutPipe(MNEME_FOLD_CHILD, dir.str());
  ASSERT_GE(child.pid, 0);
  const pid_t pid = child.pid;
  const int out = child.read_fd;
  char c;
  for (int chunks = 0; chunks < 5; ++chunks) {
    ASSERT_EQ(read(out, &c, 1), 1) << "the child should commit chunks";
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  close(out);
  ASSERT_TRUE(WIFSIGNALED(status)) << "killed mid-fold";

  mneme::testing::CountingProjection counts;
  o.catch_up_on_open = false;
  auto store = RocksEventStore::Open(o, {&counts});
  ASSERT_TRUE(store.has_value());
  auto partial = (*store)->Checkpoint(counts.Name());
  EXPECT_GT(partial->value(), 0u) << "committed chunks survive the kill";
  EXPECT_LT(partial->value(), 300000u);
  ASSERT_TRUE((*store)->CatchUpProjections().has_value());
  EXPECT_EQ((*store)->Checkpoint(counts.Name())->value(), 300000u);
  auto resumed = (*store)->ScanRows(counts.Name(), "", "", 1000000);
  ASSERT_TRUE((*store)->Rebuild(counts.Name()).has_value());
  EXPECT_EQ(*(*store)->ScanRows(counts.Name(), "", "", 1000000), *resumed);
  EXPECT_EQ(*(*store)->GetRow(counts.Name(), "type/t.0"), std::optional<std::string>("60000"));
}

}  // namespace
}  // namespace mneme::infra::store
