#include "service/verify/verifier.h"

#include <cstdio>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "service/dns/dns_proof.h"
#include "service/domain/domain_lifecycle.h"
#include "service/domain/domain_name.h"

namespace corsd::verify {

Verifier::Verifier(store::Catalog* catalog, dns::Resolver* resolver,
                   VerifierOptions options)
    : catalog_(catalog), resolver_(resolver), options_(std::move(options)) {}

Verifier::~Verifier() { Stop(); }

int64_t Verifier::NowMs() const {
  if (catalog_->options().now_ms) return catalog_->options().now_ms();
  return absl::ToUnixMillis(absl::Now());
}

void Verifier::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_) return;
  started_ = true;
  scheduler_ = std::thread([this] { SchedulerLoop(); });
  for (int i = 0; i < std::max(1, options_.concurrency); ++i) {
    workers_.emplace_back([this] { WorkerLoop(); });
  }
}

void Verifier::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (scheduler_.joinable()) scheduler_.join();
  for (std::thread& t : workers_) {
    if (t.joinable()) t.join();
  }
  workers_.clear();
}

void Verifier::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

uint64_t Verifier::Attempts(int method, int outcome) const {
  if (method < 0 || method >= kMethods || outcome < 0 || outcome >= kOutcomes) {
    return 0;
  }
  // relaxed: a statistic.
  return attempts_[method][outcome].load(std::memory_order_relaxed);
}

void Verifier::SchedulerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    const int free =
        std::max(1, options_.concurrency) - static_cast<int>(in_flight_.size());
    if (free > 0) {
      const int64_t now = NowMs();
      lock.unlock();
      // The skip callback runs under the Catalog's mutex: it only reads a
      // snapshot of our state taken here.
      absl::flat_hash_set<std::string> busy;
      absl::flat_hash_map<std::string, int> tenants;
      {
        std::lock_guard<std::mutex> peek(mu_);
        busy = in_flight_;
        tenants = per_tenant_;
        for (auto it = leased_elsewhere_.begin();
             it != leased_elsewhere_.end();) {
          if (it->second <= now) {
            leased_elsewhere_.erase(it++);
          } else {
            busy.insert(it->first);
            ++it;
          }
        }
      }
      std::vector<store::DueDomain> due = catalog_->DueDomains(
          now, static_cast<size_t>(free), [&](const store::DueDomain& d) {
            if (busy.contains(d.host)) return true;
            int& n = tenants[d.tenant];
            if (n >= options_.per_tenant_concurrency) return true;
            ++n;
            return false;
          });
      lock.lock();
      for (store::DueDomain& d : due) {
        if (in_flight_.contains(d.host)) continue;
        in_flight_.insert(d.host);
        ++per_tenant_[d.tenant];
        queue_.push_back(std::move(d));
      }
      if (!due.empty()) cv_.notify_all();
    }
    cv_.wait_for(lock, absl::ToChronoMilliseconds(options_.poll),
                 [this] { return stop_ || woken_; });
    woken_ = false;
  }
}

void Verifier::WorkerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    store::DueDomain d = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    absl::StatusOr<corsd::v1::CustomDomain> result = Attempt(d);
    if (!result.ok() && !absl::IsFailedPrecondition(result.status()) &&
        !absl::IsAborted(result.status())) {
      std::fprintf(stderr, "corsd: domain: attempt for %s failed: %s\n",
                   d.host.c_str(),
                   std::string(result.status().message()).c_str());
    }
    lock.lock();
    in_flight_.erase(d.host);
    if (--per_tenant_[d.tenant] <= 0) per_tenant_.erase(d.tenant);
    if (absl::IsAborted(result.status())) {
      leased_elsewhere_[d.host] =
          NowMs() + absl::ToInt64Milliseconds(options_.lease_backoff);
    }
    woken_ = true;  // a slot is free
    cv_.notify_all();
  }
}

domain::ProofResult Verifier::Prove(const store::DueDomain& d) {
  absl::string_view host = d.host;
  if (absl::StartsWith(host, "*.")) host.remove_prefix(2);
  if (d.method == corsd::v1::DOMAIN_METHOD_HTTP) {
    return proof::ProveHttp(*resolver_, options_.http, host, d.token);
  }
  return dns::ProveDns(
      *resolver_,
      domain::ChallengeDnsName(catalog_->options().lifecycle.challenge_prefix,
                               d.host),
      d.token);
}

absl::StatusOr<corsd::v1::CustomDomain> Verifier::Attempt(
    const store::DueDomain& d) {
  absl::StatusOr<std::unique_ptr<store::Store::Lease>> lease =
      catalog_->TryLeaseDomain(d.host);
  if (!lease.ok()) return lease.status();
  if (*lease == nullptr) {
    return absl::AbortedError(
        absl::StrCat("another replica is verifying \"", d.host, "\""));
  }
  const domain::ProofResult result = Prove(d);
  const int method = static_cast<int>(d.method);
  const int outcome = static_cast<int>(result.outcome);
  if (method >= 0 && method < kMethods && outcome >= 0 && outcome < kOutcomes) {
    // relaxed: a statistic.
    attempts_[method][outcome].fetch_add(1, std::memory_order_relaxed);
  }
  thread_local absl::BitGen gen;
  return catalog_->RecordAttempt(d, result, absl::Uniform<double>(gen, 0, 1));
}

absl::StatusOr<corsd::v1::CustomDomain> Verifier::VerifyNow(
    absl::string_view tenant, absl::string_view host) {
  corsd::v1::DomainRequest request;
  request.set_tenant(std::string(tenant));
  request.set_host(std::string(host));
  absl::StatusOr<corsd::v1::DomainInfo> info = catalog_->GetDomain(request);
  if (!info.ok()) return info.status();
  const corsd::v1::CustomDomain& record = info->domain();
  if (record.method() == corsd::v1::DOMAIN_METHOD_OPERATOR ||
      record.state() == corsd::v1::DOMAIN_STATE_REMOVED) {
    return absl::FailedPreconditionError(
        absl::StrCat("custom domain \"", record.host(), "\" is ",
                     domain::StateName(record.state()), " by ",
                     domain::MethodName(record.method()),
                     "; expected a dns or http domain that is not removed"));
  }
  store::DueDomain d{record.tenant(), record.host(), record.token(),
                     record.method()};
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (in_flight_.contains(d.host)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "an attempt for \"", d.host, "\" is in flight; try again shortly"));
    }
    in_flight_.insert(d.host);
  }
  absl::StatusOr<corsd::v1::CustomDomain> result = Attempt(d);
  {
    std::lock_guard<std::mutex> lock(mu_);
    in_flight_.erase(d.host);
  }
  return result;
}

}  // namespace corsd::verify
