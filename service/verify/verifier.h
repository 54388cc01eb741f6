// Verifier: the background worker that proves custom domains. It asks the
// Catalog which domains are due, runs their DNS or HTTP proof (service/dns,
// service/proof) and records each outcome through the Catalog, which writes
// the state it leads to (and the grants) durably. Also runs "verify now"
// for the Admin API.
//
// Bounds: at most `concurrency` attempts at once, at most
// `per_tenant_concurrency` of one tenant (a tenant with 10k pending domains
// cannot starve the others). On a shared store a domain is attempted by one
// replica at a time (Catalog::TryLeaseDomain); a replica that finds the
// lease taken leaves the domain alone for `lease_backoff`.
//
// Thread safety / invariants:
//   * Public methods may be called from any thread.
//   * mu_ guards the in-flight sets, the per-tenant counts, the lease
//     backoffs and stop_; workers and the scheduler wait on cv_.
//   * Attempt counters are atomics (relaxed: independent statistics).
//   * Catalog, resolver and clock must outlive the Verifier; Stop (or the
//     destructor) joins every thread before returning.
#ifndef CORSD_SERVICE_VERIFY_VERIFIER_H_
#define CORSD_SERVICE_VERIFY_VERIFIER_H_

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "corsd/v1/admin.pb.h"
#include "service/dns/resolver.h"
#include "service/proof/http_proof.h"
#include "service/store/catalog.h"

namespace corsd::verify {

struct VerifierOptions {
  // Attempts in flight at once (--domain-verify-concurrency), >= 1.
  int concurrency = 16;
  // Attempts of one tenant in flight at once, >= 1.
  int per_tenant_concurrency = 4;
  // How often the scheduler looks for due domains when not woken.
  absl::Duration poll = absl::Milliseconds(500);
  // How long a domain whose lease another replica holds is left alone.
  absl::Duration lease_backoff = absl::Seconds(5);
  // The HTTP proof's port, limits and private-address rule.
  proof::HttpProofOptions http;
};

class Verifier {
 public:
  // `now_ms`: the wall clock in unix milliseconds (the Catalog's own
  // options().now_ms when null). Does not start threads.
  Verifier(store::Catalog* catalog, dns::Resolver* resolver,
           VerifierOptions options);
  ~Verifier();
  Verifier(const Verifier&) = delete;
  Verifier& operator=(const Verifier&) = delete;

  // Starts the scheduler and the workers. Call once.
  void Start();
  // Stops taking work, waits for attempts in flight (each bounded by its
  // proof's timeout) and joins. Idempotent.
  void Stop();
  // Wakes the scheduler (a domain was added, or a test moved the clock).
  void Wake();

  // Runs one attempt for `tenant`'s domain `host` now, on the caller's
  // thread, and returns the record it led to. Errors: NotFound when the
  // tenant has no such domain; FailedPrecondition for an operator or a
  // removed domain (nothing to prove), or when an attempt for it is already
  // in flight; Aborted when another replica holds its lease; the Catalog's
  // write errors.
  absl::StatusOr<corsd::v1::CustomDomain> VerifyNow(absl::string_view tenant,
                                                    absl::string_view host);

  // Attempts made so far by method (DomainMethod number) and outcome
  // (DomainAttempt.Outcome number).
  static constexpr int kMethods = 4;
  static constexpr int kOutcomes = 14;
  uint64_t Attempts(int method, int outcome) const;

 private:
  void SchedulerLoop();
  void WorkerLoop();
  // Leases, proves and records `d`; returns the record or why not.
  absl::StatusOr<corsd::v1::CustomDomain> Attempt(const store::DueDomain& d);
  domain::ProofResult Prove(const store::DueDomain& d);
  int64_t NowMs() const;

  store::Catalog* const catalog_;
  dns::Resolver* const resolver_;
  const VerifierOptions options_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool started_ = false;
  bool woken_ = false;
  std::deque<store::DueDomain> queue_;                // guarded by mu_
  absl::flat_hash_set<std::string> in_flight_;        // hosts; mu_
  absl::flat_hash_map<std::string, int> per_tenant_;  // in flight; mu_
  absl::flat_hash_map<std::string, int64_t> leased_elsewhere_;  // mu_
  std::thread scheduler_;
  std::vector<std::thread> workers_;
  std::array<std::array<std::atomic<uint64_t>, kOutcomes>, kMethods>
      attempts_{};
};

}  // namespace corsd::verify

#endif  // CORSD_SERVICE_VERIFY_VERIFIER_H_
