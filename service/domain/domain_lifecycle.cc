#include "service/domain/domain_lifecycle.h"

#include <sys/random.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace corsd::domain {
namespace {

using corsd::v1::CustomDomain;
using corsd::v1::DomainAttempt;

int64_t Jittered(absl::Duration base, double jitter, double jitter01) {
  const double factor = 1.0 + jitter * (2.0 * jitter01 - 1.0);
  return static_cast<int64_t>(
      std::llround(absl::ToDoubleMilliseconds(base) * factor));
}

// The backoff before retry number `failures` (1 = first retry).
absl::Duration Backoff(const LifecycleConfig& config, uint32_t failures) {
  absl::Duration delay = config.first_retry;
  for (uint32_t i = 1; i < failures && delay < config.max_retry; ++i) {
    delay *= 2;
  }
  return std::min(delay, config.max_retry);
}

void SetState(CustomDomain* d, corsd::v1::DomainState state, int64_t now_ms) {
  if (d->state() != state) {
    d->set_state(state);
    d->set_state_since_unix_ms(now_ms);
  }
}

}  // namespace

absl::Status ValidateLifecycleConfig(const LifecycleConfig& config) {
  auto positive = [](absl::Duration d) { return d > absl::ZeroDuration(); };
  if (!positive(config.recheck)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--domain-recheck is ", absl::FormatDuration(config.recheck),
        "; expected a positive duration such as 24h"));
  }
  if (!positive(config.grace)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--domain-grace is ", absl::FormatDuration(config.grace),
                     "; expected a positive duration such as 72h"));
  }
  if (!positive(config.first_retry) || config.first_retry > config.max_retry) {
    return absl::InvalidArgumentError(absl::StrCat(
        "domain retry delays are ", absl::FormatDuration(config.first_retry),
        " to ", absl::FormatDuration(config.max_retry),
        "; expected 0 < first <= max"));
  }
  if (!(config.jitter >= 0 && config.jitter < 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "domain retry jitter is ", config.jitter, "; expected [0, 1)"));
  }
  const std::string& p = config.challenge_prefix;
  bool label = !p.empty() && p.size() <= 63;
  for (char c : p) {
    label = label && (absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
                      c == '-' || c == '_');
  }
  if (!label) {
    return absl::InvalidArgumentError(
        absl::StrCat("--domain-challenge-prefix is \"", p.substr(0, 80),
                     "\"; expected one DNS label of 1 to 63 letters, digits, "
                     "'-' or '_' (such as _corsd-challenge)"));
  }
  return absl::OkStatus();
}

CustomDomain NewDomain(absl::string_view tenant, absl::string_view host,
                       corsd::v1::DomainMethod method, std::string token,
                       int64_t now_ms) {
  CustomDomain d;
  d.set_tenant(std::string(tenant));
  d.set_host(std::string(host));
  d.set_method(method);
  d.set_token(std::move(token));
  d.set_created_unix_ms(now_ms);
  d.set_state_since_unix_ms(now_ms);
  if (method == corsd::v1::DOMAIN_METHOD_OPERATOR) {
    d.set_state(corsd::v1::DOMAIN_STATE_VERIFIED);
    d.set_verified_unix_ms(now_ms);
  } else {
    d.set_state(corsd::v1::DOMAIN_STATE_PENDING);
    d.set_next_attempt_unix_ms(now_ms);
  }
  return d;
}

std::string NewToken() {
  unsigned char bytes[17];
  size_t got = 0;
  while (got < sizeof(bytes)) {
    const ssize_t n = getrandom(bytes + got, sizeof(bytes) - got, 0);
    if (n < 0) std::abort();  // no kernel randomness: nothing safe to issue
    got += static_cast<size_t>(n);
  }
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  std::string token;
  token.reserve(26);
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char b : bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5 && token.size() < 26) {
      token.push_back(kAlphabet[(acc >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  return token;
}

CustomDomain AfterAttempt(const CustomDomain& record, const ProofResult& result,
                          int64_t now_ms, const LifecycleConfig& config,
                          double jitter01) {
  CustomDomain d = record;
  if (d.state() == corsd::v1::DOMAIN_STATE_REMOVED ||
      d.method() == corsd::v1::DOMAIN_METHOD_OPERATOR) {
    return d;
  }
  DomainAttempt attempt;
  attempt.set_at_unix_ms(now_ms);
  attempt.set_method(d.method());
  attempt.set_outcome(OutcomeProto(result.outcome));
  attempt.set_reason(result.reason);
  for (const std::string& s : result.seen) {
    if (attempt.seen_size() >= static_cast<int>(kMaxSeenValues)) break;
    attempt.add_seen(s.substr(0, kMaxSeenValueBytes));
  }
  auto* attempts = d.mutable_attempts();
  attempts->Add(std::move(attempt));
  // Newest first: rotate the new one to the front.
  for (int i = attempts->size() - 1; i > 0; --i)
    attempts->SwapElements(i, i - 1);
  while (attempts->size() > static_cast<int>(config.max_attempts_kept)) {
    attempts->RemoveLast();
  }

  if (result.outcome == ProofOutcome::kProven) {
    SetState(&d, corsd::v1::DOMAIN_STATE_VERIFIED, now_ms);
    d.set_verified_unix_ms(now_ms);
    d.set_consecutive_failures(0);
    d.set_failing_since_unix_ms(0);
    d.set_next_attempt_unix_ms(
        now_ms + Jittered(config.recheck, config.jitter, jitter01));
    return d;
  }
  d.set_consecutive_failures(d.consecutive_failures() + 1);
  if (d.failing_since_unix_ms() == 0) d.set_failing_since_unix_ms(now_ms);
  if (d.state() == corsd::v1::DOMAIN_STATE_SUSPENDED) {
    d.set_next_attempt_unix_ms(
        now_ms + Jittered(config.max_retry, config.jitter, jitter01));
    return d;
  }
  const bool was_verified = d.verified_unix_ms() != 0;
  if (was_verified && now_ms - d.failing_since_unix_ms() >=
                          absl::ToInt64Milliseconds(config.grace)) {
    SetState(&d, corsd::v1::DOMAIN_STATE_SUSPENDED, now_ms);
    d.set_next_attempt_unix_ms(
        now_ms + Jittered(config.max_retry, config.jitter, jitter01));
    return d;
  }
  SetState(&d, corsd::v1::DOMAIN_STATE_FAILING, now_ms);
  absl::Duration delay = Backoff(config, d.consecutive_failures());
  if (was_verified) {
    // Never wait past the end of the grace to find out.
    const absl::Duration left =
        absl::Milliseconds(d.failing_since_unix_ms() +
                           absl::ToInt64Milliseconds(config.grace) - now_ms);
    delay = std::max(std::min(delay, left), absl::Milliseconds(1));
  }
  d.set_next_attempt_unix_ms(now_ms + Jittered(delay, config.jitter, jitter01));
  return d;
}

bool GrantsActive(const CustomDomain& record) {
  switch (record.state()) {
    case corsd::v1::DOMAIN_STATE_VERIFIED:
      return true;
    case corsd::v1::DOMAIN_STATE_FAILING:
      return record.verified_unix_ms() != 0;
    default:
      return false;
  }
}

std::string ChallengeDnsName(absl::string_view prefix, absl::string_view host) {
  if (absl::StartsWith(host, "*.")) host.remove_prefix(2);
  return absl::StrCat(prefix, ".", host);
}

std::string ChallengeUrl(absl::string_view host, absl::string_view token,
                         int http_port) {
  if (absl::StartsWith(host, "*.")) host.remove_prefix(2);
  return absl::StrCat("http://", host,
                      http_port == 80 ? "" : absl::StrCat(":", http_port),
                      "/.well-known/corsd-challenge/", token);
}

std::vector<std::string> Instructions(const CustomDomain& record,
                                      const LifecycleConfig& config,
                                      int http_port) {
  switch (record.method()) {
    case corsd::v1::DOMAIN_METHOD_DNS:
      return {
          absl::StrCat("Create a TXT record ",
                       ChallengeDnsName(config.challenge_prefix, record.host()),
                       " with the value ", record.token()),
          "Keep it in place: corsd re-checks it and suspends the domain "
          "when it is gone."};
    case corsd::v1::DOMAIN_METHOD_HTTP:
      return {
          absl::StrCat(
              "Serve ", ChallengeUrl(record.host(), record.token(), http_port),
              " over plain HTTP with status 200 and the body ", record.token()),
          "No redirect to another host; keep it served: corsd re-checks "
          "it and suspends the domain when it is gone."};
    case corsd::v1::DOMAIN_METHOD_OPERATOR:
      return {"Nothing to publish: the operator vouched for this host."};
    default:
      return {};
  }
}

corsd::v1::DomainAttempt::Outcome OutcomeProto(ProofOutcome outcome) {
  return static_cast<DomainAttempt::Outcome>(static_cast<int>(outcome));
}

absl::string_view OutcomeName(DomainAttempt::Outcome outcome) {
  const std::string& name = DomainAttempt::Outcome_Name(outcome);
  absl::string_view view(name);
  if (absl::StartsWith(view, "OUTCOME_")) view.remove_prefix(8);
  return view;
}

absl::string_view StateName(corsd::v1::DomainState state) {
  switch (state) {
    case corsd::v1::DOMAIN_STATE_PENDING:
      return "pending";
    case corsd::v1::DOMAIN_STATE_VERIFIED:
      return "verified";
    case corsd::v1::DOMAIN_STATE_FAILING:
      return "failing";
    case corsd::v1::DOMAIN_STATE_SUSPENDED:
      return "suspended";
    case corsd::v1::DOMAIN_STATE_REMOVED:
      return "removed";
    default:
      return "unspecified";
  }
}

absl::string_view MethodName(corsd::v1::DomainMethod method) {
  switch (method) {
    case corsd::v1::DOMAIN_METHOD_DNS:
      return "dns";
    case corsd::v1::DOMAIN_METHOD_HTTP:
      return "http";
    case corsd::v1::DOMAIN_METHOD_OPERATOR:
      return "operator";
    default:
      return "unspecified";
  }
}

}  // namespace corsd::domain
