#include "domain/throttle/client_limiter.h"

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "domain/throttle/login_throttle.h"
#include "tests/support/fake_clock.h"
#include "tests/support/test_support.h"

namespace mneme::domain::throttle {
namespace {

using std::chrono::seconds;

using ::mneme::testing::FakeClock;

constexpr char kIp[] = "203.0.113.7";

int TakeAll(ClientLimiter& limiter, const std::string& client) {
  int allowed = 0;
  while (limiter.Take(client).allowed) {
    ++allowed;
  }
  return allowed;
}

TEST(ClientLimiterTest, BurstThenOneTokenPerSecond) {
  FakeClock clock;
  ClientLimiter limiter(clock);
  EXPECT_EQ(TakeAll(limiter, kIp), 30);
  Decision refused = limiter.Take(kIp);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, seconds(1));
  clock.Advance(std::chrono::milliseconds(400));
  EXPECT_EQ(limiter.Take(kIp).retry_after, seconds(1));  // 0.6 s, rounded up
  clock.Advance(std::chrono::milliseconds(600));
  EXPECT_EQ(TakeAll(limiter, kIp), 1);
  clock.Advance(std::chrono::hours(1));
  EXPECT_EQ(TakeAll(limiter, kIp), 30);  // refills only up to the burst
}

TEST(ClientLimiterTest, RetryAfterFollowsTheRate) {
  FakeClock clock;
  ClientLimiter limiter(clock, ClientLimiterOptions{.burst = 2, .per_second = 0.1});
  EXPECT_EQ(TakeAll(limiter, kIp), 2);
  Decision refused = limiter.Take(kIp);
  EXPECT_EQ(refused.retry_after, seconds(10));
  clock.Advance(refused.retry_after);
  EXPECT_TRUE(limiter.Take(kIp).allowed);
}

// Checklist 22: many wrong passwords across many accounts from one IP. Every
// account is fresh, so only the per-IP limiter can stop it.
TEST(ClientLimiterTest, ManyAccountsFromOneIpAreRefusedWithRetryAfter) {
  FakeClock clock;
  ClientLimiter limiter(clock);
  LoginThrottle throttle(clock);
  const Timestamp start = clock.Now();
  int tried = 0;
  int refusals = 0;
  for (int account = 0; clock.Now().micros - start.micros < 60'000'000;) {
    Decision decision = limiter.Take(kIp);
    if (!decision.allowed) {
      ++refusals;
      ASSERT_GE(decision.retry_after, seconds(1));
      clock.Advance(decision.retry_after);
      continue;
    }
    std::string key = "user" + std::to_string(account++) + "@example.com";
    ASSERT_TRUE(throttle.Check(key).allowed);
    throttle.RecordFailure(key);
    ++tried;
  }
  EXPECT_EQ(refusals, 60);
  EXPECT_EQ(tried, 30 + 59);  // the burst, then one a second (t = 1 .. 59 s)
  EXPECT_TRUE(limiter.Take("198.51.100.1").allowed);  // other clients unaffected
}

TEST(ClientLimiterTest, EvictionIsBoundedAndOnlyForgetsDebt) {
  FakeClock clock;
  ClientLimiter limiter(clock, ClientLimiterOptions{.max_clients = 32});
  EXPECT_EQ(TakeAll(limiter, kIp), 30);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_TRUE(limiter.Take("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256))
                    .allowed);
  }
  EXPECT_LE(limiter.SizeForTest(), 32u);
  EXPECT_EQ(TakeAll(limiter, kIp), 30);  // forgotten: a full bucket, never a refusal
}

TEST(ClientLimiterTest, ConcurrentTakesNeverExceedTheBurst) {
  FakeClock clock;
  ClientLimiter limiter(clock);
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        if (limiter.Take(kIp).allowed) {
          allowed.fetch_add(1);
        }
        (void)limiter.Take("198.51.100." + std::to_string(t));  // contention on other keys
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(allowed.load(), 30);
}

TEST(ClientLimiterTest, ValidateRejectsNonsense) {
  EXPECT_THAT(Validate(ClientLimiterOptions{}), testing::IsOk());
  EXPECT_THAT(Validate(ClientLimiterOptions{.burst = 0.5}),
              testing::HasCode(Code::kInvalidArgument));
  EXPECT_THAT(Validate(ClientLimiterOptions{.per_second = 0}),
              testing::HasCode(Code::kInvalidArgument));
  EXPECT_THAT(Validate(ClientLimiterOptions{.max_clients = 0}),
              testing::HasCode(Code::kInvalidArgument));
}

}  // namespace
}  // namespace mneme::domain::throttle
