// Crash safety: a child appends in a loop and reports every acknowledged
// position through a pipe; we SIGKILL it at random moments, 20 times, and
// after each reopen every acknowledged event is there and positions are
// gapless.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <set>
#include <thread>

#include "infra/store/rocks_event_store.h"
#include "tests/support/test_support.h"

namespace mneme::infra::store {
namespace {

TEST(CrashTest, AcknowledgedEventsSurviveSigkill) {
  mneme::testing::TempDir dir;
  std::mt19937 rng(std::random_device{}());
  std::set<uint64_t> acked;
  uint64_t total_acked = 0;
  for (int round = 0; round < 20; ++round) {
    const auto child = mneme::testing::SpawnWithStdoutPipe(MNEME_CRASH_CHILD, dir.str());
    ASSERT_GE(child.pid, 0);
    const pid_t pid = child.pid;
    const int out = child.read_fd;
    fcntl(out, F_SETFL, O_NONBLOCK);
    const auto kill_at = std::chrono::steady_clock::now() +
                         std::chrono::milliseconds(100 + rng() % 400);
    std::string buffer;
    auto drain = [&] {
      char chunk[4096];
      ssize_t n;
      while ((n = read(out, chunk, sizeof(chunk))) > 0) {
        buffer.append(chunk, static_cast<size_t>(n));
      }
    };
    while (std::chrono::steady_clock::now() < kill_at) {
      drain();
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited early with " << WEXITSTATUS(status);
    fcntl(out, F_SETFL, 0);
    drain();
    close(out);
    uint64_t round_acked = 0;
    for (size_t i = 0; i + 8 <= buffer.size(); i += 8) {
      uint64_t pos;
      std::memcpy(&pos, buffer.data() + i, 8);
      acked.insert(pos);
      ++round_acked;
    }
    total_acked += round_acked;

    StoreOptions o;
    o.path = dir.str();
    auto store = RocksEventStore::Open(o, {});
    ASSERT_TRUE(store.has_value()) << store.error().ToString();
    const uint64_t head = (*store)->Head().value();
    ASSERT_GE(head, acked.empty() ? 0 : *acked.rbegin());
    auto all = (*store)->ReadAll(GlobalPosition(1), head + 10);
    ASSERT_TRUE(all.has_value());
    ASSERT_EQ(all->size(), head) << "round " << round;
    for (uint64_t i = 0; i < head; ++i) {
      ASSERT_EQ((*all)[i].position.value(), i + 1) << "gap at round " << round;
    }
    for (uint64_t pos : acked) {
      ASSERT_LE(pos, head) << "acknowledged position " << pos << " lost in round " << round;
    }
    // Per-stream versions stay contiguous.
    for (int t = 0; t < 4; ++t) {
      auto stream = (*store)->ReadStream("crash-" + std::to_string(t), StreamVersion(1));
      for (size_t v = 0; v < stream->size(); ++v) {
        ASSERT_EQ((*stream)[v].version.value(), v + 1);
      }
    }
  }
  EXPECT_GT(total_acked, 100u) << "the child should have acknowledged appends";
}

}  // namespace
}  // namespace mneme::infra::store
