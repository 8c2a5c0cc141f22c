#include "domain/throttle/login_throttle.h"

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "domain/throttle/client_limiter.h"
#include "tests/support/fake_clock.h"
#include "tests/support/test_support.h"

namespace mneme::domain::throttle {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

using ::mneme::testing::FakeClock;

constexpr char kAccount[] = "victim@example.com";

// Fails `n` attempts that are all allowed right away.
void FailNow(LoginThrottle& throttle, const std::string& key, int n) {
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(throttle.Check(key).allowed) << "attempt " << i + 1;
    throttle.RecordFailure(key);
  }
}

TEST(LoginThrottleTest, FirstFiveFailuresAreFreeThenTheBackOffDoubles) {
  FakeClock clock;
  LoginThrottle throttle(clock);
  FailNow(throttle, kAccount, 5);
  ASSERT_TRUE(throttle.Check(kAccount).allowed);  // the 6th attempt
  throttle.RecordFailure(kAccount);
  Decision refused = throttle.Check(kAccount);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, seconds(2));
  clock.Advance(std::chrono::milliseconds(1500));
  EXPECT_EQ(throttle.Check(kAccount).retry_after, seconds(1));  // rounded up
  clock.Advance(std::chrono::milliseconds(500));
  ASSERT_TRUE(throttle.Check(kAccount).allowed);
  throttle.RecordFailure(kAccount);
  EXPECT_EQ(throttle.Check(kAccount).retry_after, seconds(4));
}

TEST(LoginThrottleTest, DelayScheduleIsCappedAtMaxDelay) {
  FakeClock clock;
  LoginThrottle throttle(clock);
  EXPECT_EQ(throttle.DelayAfter(5), seconds(0));
  EXPECT_EQ(throttle.DelayAfter(6), seconds(2));
  EXPECT_EQ(throttle.DelayAfter(14), seconds(512));
  EXPECT_EQ(throttle.DelayAfter(15), minutes(15));
  EXPECT_EQ(throttle.DelayAfter(99), minutes(15));
  EXPECT_EQ(throttle.DelayAfter(100), minutes(15));
  EXPECT_EQ(throttle.DelayAfter(1'000'000), minutes(15));

  LoginThrottleOptions long_max;
  long_max.max_delay = hours(24);
  LoginThrottle patient(clock, long_max);
  EXPECT_EQ(patient.DelayAfter(50), hours(24));   // 2^45 s, capped
  EXPECT_EQ(patient.DelayAfter(100), hours(24));  // hard limit
}

// Checklist 21: 101 consecutive wrong passwords for one account from many
// IPs, each retried as soon as allowed. Schedule: failures 1-6 at t=0, then
// +2, +4, ... +512 s (failure 15 at 1022 s), then every 900 s: failures 16
// and 17 at 1922 and 2822 s, the 18th only at 3722 s.
TEST(LoginThrottleTest, OneAccountFromManyIpsGetsSeventeenFailuresInTheFirstHour) {
  FakeClock clock;
  LoginThrottle throttle(clock);
  ClientLimiter limiter(clock);
  const Timestamp start = clock.Now();
  auto elapsed = [&] { return seconds((clock.Now().micros - start.micros) / 1'000'000); };

  int failures = 0;
  int failures_in_first_hour = 0;
  seconds time_of_100th{0};
  for (int attempt = 0; attempt < 101; ++attempt) {
    // A fresh IP every time: the per-IP limiter never stands in the way.
    std::string ip = "10.0." + std::to_string(attempt / 256) + "." + std::to_string(attempt % 256);
    ASSERT_TRUE(limiter.Take(ip).allowed);
    Decision decision = throttle.Check(kAccount);
    if (!decision.allowed) {
      ASSERT_GE(decision.retry_after, seconds(1));
      clock.Advance(decision.retry_after);
      decision = throttle.Check(kAccount);
      ASSERT_TRUE(decision.allowed) << "refused again after waiting retry_after";
    }
    throttle.RecordFailure(kAccount);
    ++failures;
    if (elapsed() < hours(1)) {
      ++failures_in_first_hour;
    }
    if (failures == 100) {
      time_of_100th = elapsed();
    }
  }
  EXPECT_EQ(failures_in_first_hour, 17);
  EXPECT_EQ(time_of_100th, seconds(1022 + 900 * 85));  // about 21.5 hours
  EXPECT_EQ(elapsed(), seconds(1022 + 900 * 86));      // the 101st

  // No permanent lockout: the owner waits out the back-off and gets in.
  Decision refused = throttle.Check(kAccount);
  ASSERT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, minutes(15));
  clock.Advance(refused.retry_after);
  ASSERT_TRUE(throttle.Check(kAccount).allowed);
  throttle.RecordSuccess(kAccount);
  FailNow(throttle, kAccount, 6);  // the count started over
}

TEST(LoginThrottleTest, SuccessResetsTheCount) {
  FakeClock clock;
  LoginThrottle throttle(clock);
  FailNow(throttle, kAccount, 5);
  ASSERT_TRUE(throttle.Check(kAccount).allowed);
  throttle.RecordSuccess(kAccount);
  FailNow(throttle, kAccount, 6);
  EXPECT_FALSE(throttle.Check(kAccount).allowed);
}

TEST(LoginThrottleTest, KeysAreIndependentAndUnknownOnesAreThrottledAlike) {
  FakeClock clock;
  LoginThrottle throttle(clock);
  FailNow(throttle, "known@example.com", 6);
  FailNow(throttle, "nobody-has-this@example.com", 6);
  Decision known = throttle.Check("known@example.com");
  Decision unknown = throttle.Check("nobody-has-this@example.com");
  EXPECT_FALSE(known.allowed);
  EXPECT_EQ(known.allowed, unknown.allowed);
  EXPECT_EQ(known.retry_after, unknown.retry_after);
  EXPECT_TRUE(throttle.Check("someone-else@example.com").allowed);
}

TEST(LoginThrottleTest, CountExpiresAfterAWindowWithoutFailures) {
  FakeClock clock;
  LoginThrottle throttle(clock);
  FailNow(throttle, kAccount, 6);
  clock.Advance(minutes(59));
  ASSERT_TRUE(throttle.Check(kAccount).allowed);  // back-off over, count kept
  throttle.RecordFailure(kAccount);
  EXPECT_EQ(throttle.Check(kAccount).retry_after, seconds(4));
  clock.Advance(hours(1));
  FailNow(throttle, kAccount, 6);  // forgotten: free failures again
}

TEST(LoginThrottleTest, ConcurrentAttemptsCannotRunPastTheSchedule) {
  FakeClock clock;
  LoginThrottle throttle(clock);
  int allowed = 0;
  for (int i = 0; i < 200; ++i) {
    allowed += throttle.Check(kAccount).allowed ? 1 : 0;
  }
  EXPECT_EQ(allowed, 6);  // the 5 free ones and the first that costs a delay
  for (int i = 0; i < 6; ++i) {
    throttle.RecordFailure(kAccount);
  }
  EXPECT_EQ(throttle.Check(kAccount).retry_after, seconds(2));
}

TEST(LoginThrottleTest, ConcurrentThreadsGetSixAttempts) {
  FakeClock clock;
  LoginThrottle throttle(clock);
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        if (throttle.Check(kAccount).allowed) {
          allowed.fetch_add(1);
          throttle.RecordFailure(kAccount);
        }
        throttle.RecordFailure("other-" + std::to_string(t) + "-" + std::to_string(i));
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(allowed.load(), 6);
}

TEST(LoginThrottleTest, AnUnrecordedAttemptLapses) {
  FakeClock clock;
  LoginThrottle throttle(clock);
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(throttle.Check(kAccount).allowed);
  }
  EXPECT_FALSE(throttle.Check(kAccount).allowed);
  clock.Advance(seconds(30));  // attempt_timeout
  FailNow(throttle, kAccount, 6);
  EXPECT_FALSE(throttle.Check(kAccount).allowed);
}

TEST(LoginThrottleTest, EvictionIsBoundedAndOnlyForgetsFailures) {
  FakeClock clock;
  LoginThrottleOptions options;
  options.max_keys = 32;  // 2 per shard
  LoginThrottle throttle(clock, options);
  FailNow(throttle, kAccount, 6);
  ASSERT_FALSE(throttle.Check(kAccount).allowed);
  for (int i = 0; i < 1000; ++i) {
    clock.Advance(std::chrono::milliseconds(1));
    throttle.RecordFailure("user" + std::to_string(i) + "@example.com");
  }
  EXPECT_LE(throttle.SizeForTest(), 32u);
  // Forgotten, so allowed again with free failures: never a lockout.
  EXPECT_TRUE(throttle.Check(kAccount).allowed);
}

TEST(LoginThrottleTest, ValidateRejectsNonsense) {
  EXPECT_THAT(Validate(LoginThrottleOptions{}), testing::IsOk());
  LoginThrottleOptions o;
  o.free_failures = -1;
  EXPECT_THAT(Validate(o), testing::HasCode(Code::kInvalidArgument));
  o = {};
  o.hard_limit = 5;
  EXPECT_THAT(Validate(o), testing::HasCode(Code::kInvalidArgument));
  o = {};
  o.base_delay = seconds(0);
  EXPECT_THAT(Validate(o), testing::HasCode(Code::kInvalidArgument));
  o = {};
  o.max_delay = std::chrono::milliseconds(10);
  EXPECT_THAT(Validate(o), testing::HasCode(Code::kInvalidArgument));
  o = {};
  o.max_keys = 0;
  EXPECT_THAT(Validate(o), testing::HasCode(Code::kInvalidArgument));
}

}  // namespace
}  // namespace mneme::domain::throttle
