#include "client/retry.h"

#include <vector>

#include "absl/random/random.h"
#include "gtest/gtest.h"

namespace corsd::client {
namespace {

TEST(BackoffDelayTest, GrowsExponentiallyUpToTheCapWithinJitter) {
  RetryPolicy policy;
  policy.initial_backoff = absl::Milliseconds(100);
  policy.max_backoff = absl::Milliseconds(1000);
  policy.multiplier = 2;
  policy.jitter = 0.2;
  absl::BitGen gen;
  const double expected_ms[] = {100, 200, 400, 800, 1000, 1000};
  for (int n = 1; n <= 6; ++n) {
    for (int k = 0; k < 200; ++k) {
      double ms = absl::ToDoubleMilliseconds(BackoffDelay(policy, n, gen));
      EXPECT_GE(ms, expected_ms[n - 1] * 0.8 - 1e-9) << n;
      EXPECT_LE(ms, expected_ms[n - 1] * 1.2 + 1e-9) << n;
    }
  }
}

TEST(BackoffDelayTest, JitterSpreadsDelays) {
  RetryPolicy policy;
  absl::BitGen gen;
  absl::Duration first = BackoffDelay(policy, 1, gen);
  bool differs = false;
  for (int k = 0; k < 50 && !differs; ++k) {
    differs = BackoffDelay(policy, 1, gen) != first;
  }
  EXPECT_TRUE(differs) << "jitter 0.2 should vary the delay";
  policy.jitter = 0;
  EXPECT_EQ(BackoffDelay(policy, 1, gen), policy.initial_backoff);
}

struct Recorder {
  std::vector<absl::Duration> sleeps;
  absl::Time now = absl::UnixEpoch();
};

absl::Status RunRetry(const RetryPolicy& policy,
                      std::vector<absl::Status> results, int* calls,
                      Recorder* rec, absl::Duration budget = absl::Hours(1)) {
  absl::BitGen gen;
  *calls = 0;
  return RetryUnavailable(
      policy, rec->now + budget,
      [&] {
        absl::Status s = results[std::min<size_t>(*calls, results.size() - 1)];
        ++*calls;
        return s;
      },
      [&](absl::Duration d) {
        rec->sleeps.push_back(d);
        rec->now += d;
      },
      [&] { return rec->now; }, gen);
}

TEST(RetryUnavailableTest, RetriesUnavailableUntilSuccess) {
  RetryPolicy policy;
  policy.max_attempts = 5;
  Recorder rec;
  int calls = 0;
  absl::Status status =
      RunRetry(policy,
               {absl::UnavailableError("a"), absl::UnavailableError("b"),
                absl::OkStatus()},
               &calls, &rec);
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(rec.sleeps.size(), 2u);
}

TEST(RetryUnavailableTest, OtherCodesAreNotRetried) {
  for (absl::Status failure :
       {absl::InvalidArgumentError("x"), absl::DeadlineExceededError("x"),
        absl::InternalError("x"), absl::UnauthenticatedError("x")}) {
    Recorder rec;
    int calls = 0;
    absl::Status status = RunRetry(RetryPolicy(), {failure}, &calls, &rec);
    EXPECT_EQ(status.code(), failure.code());
    EXPECT_EQ(calls, 1);
    EXPECT_TRUE(rec.sleeps.empty());
  }
}

TEST(RetryUnavailableTest, AttemptsAreBounded) {
  RetryPolicy policy;
  policy.max_attempts = 3;
  Recorder rec;
  int calls = 0;
  absl::Status status =
      RunRetry(policy, {absl::UnavailableError("down")}, &calls, &rec);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(status.message(), "down");
  EXPECT_EQ(calls, 3);
  policy.max_attempts = 0;  // clamped to one attempt
  EXPECT_FALSE(
      RunRetry(policy, {absl::UnavailableError("down")}, &calls, &rec).ok());
  EXPECT_EQ(calls, 1);
}

TEST(RetryUnavailableTest, NoAttemptStartsPastTheDeadline) {
  RetryPolicy policy;
  policy.max_attempts = 100;
  policy.initial_backoff = absl::Milliseconds(100);
  policy.jitter = 0;
  Recorder rec;
  int calls = 0;
  absl::Status status = RunRetry(policy, {absl::UnavailableError("down")},
                                 &calls, &rec, absl::Milliseconds(350));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  // Sleeps 100 + 200 = 300 ms fit; the next (400 ms) would pass 350 ms.
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(rec.sleeps.size(), 2u);
}

}  // namespace
}  // namespace corsd::client
