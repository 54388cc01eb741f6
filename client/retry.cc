#include "client/retry.h"

#include <algorithm>
#include <cmath>

#include "absl/random/distributions.h"

namespace corsd::client {

absl::Duration BackoffDelay(const RetryPolicy& policy, int failed_attempts,
                            absl::BitGenRef gen) {
  double multiplier = std::max(policy.multiplier, 1.0);
  double jitter = std::clamp(policy.jitter, 0.0, 1.0);
  int exponent = std::clamp(failed_attempts - 1, 0, 62);
  double base = absl::ToDoubleSeconds(policy.initial_backoff) *
                std::pow(multiplier, exponent);
  base = std::min(base, absl::ToDoubleSeconds(policy.max_backoff));
  double factor =
      jitter > 0 ? absl::Uniform(gen, 1.0 - jitter, 1.0 + jitter) : 1.0;
  return absl::Seconds(std::max(base * factor, 0.0));
}

absl::Status RetryUnavailable(const RetryPolicy& policy, absl::Time deadline,
                              absl::FunctionRef<absl::Status()> attempt,
                              absl::FunctionRef<void(absl::Duration)> sleep,
                              absl::FunctionRef<absl::Time()> now,
                              absl::BitGenRef gen) {
  int max_attempts = std::max(policy.max_attempts, 1);
  absl::Status status;
  for (int n = 1;; ++n) {
    status = attempt();
    if (status.code() != absl::StatusCode::kUnavailable) return status;
    if (n >= max_attempts) return status;
    absl::Duration delay = BackoffDelay(policy, n, gen);
    if (now() + delay >= deadline) return status;
    sleep(delay);
  }
}

}  // namespace corsd::client
