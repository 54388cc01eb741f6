// Retries with exponential backoff and jitter, for calls that failed with
// UNAVAILABLE (the server was not reachable, or shed the call before doing
// anything): the only code that says "nothing happened, try again". Every
// other code is returned at once.
//
// The delay after the n-th failed attempt (n >= 1) is
//   min(max_backoff, initial_backoff * multiplier^(n-1)) * U[1-jitter,
//   1+jitter]
// and no attempt starts past the caller's deadline.
//
// Thread safety: RetryPolicy is a value; RetryUnavailable is reentrant (the
// random generator and sleep function are the caller's).
#ifndef CORSD_CLIENT_RETRY_H_
#define CORSD_CLIENT_RETRY_H_

#include "absl/functional/function_ref.h"
#include "absl/random/bit_gen_ref.h"
#include "absl/status/status.h"
#include "absl/time/time.h"

namespace corsd::client {

struct RetryPolicy {
  // Total attempts, the first included; 1 disables retries. Clamped to >= 1.
  int max_attempts = 4;
  absl::Duration initial_backoff = absl::Milliseconds(50);
  absl::Duration max_backoff = absl::Seconds(2);
  double multiplier = 2.0;  // >= 1
  double jitter = 0.2;      // in [0, 1]
};

// The delay before the next attempt after `failed_attempts` (>= 1) attempts
// failed, with jitter drawn from `gen`.
absl::Duration BackoffDelay(const RetryPolicy& policy, int failed_attempts,
                            absl::BitGenRef gen);

// Runs `attempt` until it returns anything but Unavailable, the attempts run
// out, or the next attempt would start after `deadline`; returns the last
// attempt's status. Between attempts it calls `sleep` with the backoff delay
// (absl::SleepFor in production, a recorder in tests). `now` gives the
// current time.
absl::Status RetryUnavailable(const RetryPolicy& policy, absl::Time deadline,
                              absl::FunctionRef<absl::Status()> attempt,
                              absl::FunctionRef<void(absl::Duration)> sleep,
                              absl::FunctionRef<absl::Time()> now,
                              absl::BitGenRef gen);

}  // namespace corsd::client

#endif  // CORSD_CLIENT_RETRY_H_
