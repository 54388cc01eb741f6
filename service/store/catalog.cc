// Catalog: loading, the write path (validate -> commit -> apply), the apply
// path shared with the follower, and the follower of shared stores.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/random/distributions.h"
#include "absl/strings/str_cat.h"
#include "service/store/catalog_impl.h"

namespace corsd::store {
namespace {

// Ops handed to the first OriginTable::BulkLoad call while loading (later
// calls double it), bounding the transient memory of a 10M-entry load to
// about half the entries.
constexpr size_t kLoadChunkOps = size_t{1} << 20;
// Changes fetched per ChangesSince call by the follower.
constexpr size_t kFollowBatch = 256;
constexpr int kFollowPollMs = 200;
// Commits lost to other replicas' writes before giving up with Aborted
// (retryable); each retry first catches up, after a short jittered pause
// that grows with the attempt up to kMaxCommitPauseUs, so two busy replicas
// do not livelock. 30 attempts (pauses up to 15 ms) ran out once in a
// 10-minute soak with two replicas writing 50/s each on a saturated
// machine (bench/soak): a catch-up slower than the other replica's gap
// between commits loses every time until a longer pause opens a gap.
constexpr int kMaxCommitAttempts = 100;
constexpr int kMaxCommitPauseUs = 50000;

int64_t SteadyMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

table::Op::Kind TableKind(EntryKind kind, bool add) {
  switch (kind) {
    case EntryKind::kOrigin:
      return add ? table::Op::Kind::kAddOrigin : table::Op::Kind::kRemoveOrigin;
    case EntryKind::kWildcard:
      return add ? table::Op::Kind::kAddWildcard
                 : table::Op::Kind::kRemoveWildcard;
    case EntryKind::kApiHost:
      return add ? table::Op::Kind::kAddApiHost
                 : table::Op::Kind::kRemoveApiHost;
  }
  return table::Op::Kind::kAddOrigin;
}

// Streams a store snapshot into table ops and compiled policies. Reading
// the store and building the table overlap: a full chunk of ops is handed
// to a loader thread (BulkLoad) while the store fills the next one; at most
// one BulkLoad runs at a time, in store order.
class TableLoader final : public LoadSink {
 public:
  explicit TableLoader(table::OriginTable* table) : table_(table) {}
  ~TableLoader() override { Join(); }

  // A policy byte-equal to an earlier tenant's is not parsed or compiled
  // again (it would validate the same): the tenant keeps only id and bytes
  // (compiled stays null) and LoadAll shares the earlier one's, so startup
  // never holds one compiled copy per tenant.
  absl::Status OnTenant(absl::string_view id,
                        absl::string_view policy_bytes) override {
    PreparedTenant tenant;
    if (seen_.contains(policy_bytes)) {
      tenant.id = std::string(id);
      tenant.policy_bytes = std::string(policy_bytes);
    } else {
      if (absl::Status s = CompileStoredPolicy(id, policy_bytes, &tenant);
          !s.ok()) {
        return s;
      }
      seen_.insert(tenant.policy_bytes);
    }
    ops_.push_back({table::Op::Kind::kAddTenant, std::string(id), ""});
    tenants.push_back(std::move(tenant));
    return absl::OkStatus();
  }

  absl::Status OnEntry(absl::string_view tenant, EntryKind kind,
                       absl::string_view value) override {
    ops_.push_back(
        {TableKind(kind, true), std::string(tenant), std::string(value)});
    if (ops_.size() >= chunk_limit_) return Hand();
    return absl::OkStatus();
  }

  absl::Status OnDomain(absl::string_view tenant, absl::string_view host,
                        absl::string_view record) override {
    domains.push_back(
        {{std::string(tenant), std::string(host)}, std::string(record)});
    return absl::OkStatus();
  }

  // Loads what is left and waits for every BulkLoad.
  absl::Status Finish() {
    if (absl::Status s = Hand(); !s.ok()) return s;
    Join();
    return loaded_;
  }

  std::vector<PreparedTenant> tenants;
  // Custom domain records ((tenant, host), serialized CustomDomain).
  std::vector<std::pair<std::pair<std::string, std::string>, std::string>>
      domains;

 private:
  // Waits for the previous chunk, then starts loading the current one.
  absl::Status Hand() {
    Join();
    if (!loaded_.ok()) return loaded_;
    if (ops_.empty()) return absl::OkStatus();
    loading_ = std::move(ops_);
    ops_ = std::vector<table::Op>();
    // Chunks double: the table sizes itself for each BulkLoad, so equal
    // chunks would rehash everything loaded so far once per chunk (27% of a
    // 10M-origin startup); doubling keeps total rehash work linear.
    chunk_limit_ *= 2;
    worker_ = std::thread([this] {
      auto result = table_->BulkLoad(loading_);
      if (!result.ok()) {
        loaded_ = absl::DataLossError(
            absl::StrCat("stored entries do not load into the table: ",
                         result.status().message()));
      }
      loading_.clear();
    });
    return absl::OkStatus();
  }
  void Join() {
    if (worker_.joinable()) worker_.join();
  }

  table::OriginTable* const table_;
  absl::flat_hash_set<std::string> seen_;  // policy bytes compiled so far
  size_t chunk_limit_ = kLoadChunkOps;
  std::vector<table::Op> ops_;
  std::vector<table::Op> loading_;  // owned by worker_ while it runs
  std::thread worker_;
  absl::Status loaded_;  // written by worker_, read after Join
};

}  // namespace

absl::StatusOr<std::unique_ptr<Catalog>> Catalog::Open(
    std::unique_ptr<Store> store, table::EpochManager* epochs,
    table::OriginTable* table, policy::PolicyRegistry* registry,
    CatalogOptions options) {
  if (absl::Status s = domain::ValidateLifecycleConfig(options.lifecycle);
      !s.ok()) {
    return s;
  }
  const bool shared = store->Shared();
  auto catalog = std::make_unique<CatalogImpl>(std::move(store), epochs, table,
                                               registry, std::move(options));
  if (absl::Status s = catalog->LoadAll(); !s.ok()) return s;
  if (shared) catalog->StartFollower();
  return std::unique_ptr<Catalog>(std::move(catalog));
}

CatalogImpl::CatalogImpl(std::unique_ptr<Store> store,
                         table::EpochManager* epochs, table::OriginTable* table,
                         policy::PolicyRegistry* registry,
                         CatalogOptions options)
    : store_(std::move(store)),
      epochs_(epochs),
      table_(table),
      registry_(registry),
      options_(std::move(options)),
      domain_index_(epochs) {}

CatalogImpl::~CatalogImpl() {
  stop_.Notify();
  if (follower_.joinable()) follower_.join();
}

absl::Status CatalogImpl::LoadAll() {
  absl::MutexLock lock(&mu_);
  TableLoader loader(table_);
  auto revision = store_->Load(loader);
  if (!revision.ok()) return revision.status();
  if (absl::Status s = loader.Finish(); !s.ok()) return s;
  table::EpochManager::ReadGuard guard(epochs_);
  for (PreparedTenant& t : loader.tenants) {
    const table::TenantId id = table_->FindTenant(t.id);
    if (t.compiled == nullptr) {
      // Byte-equal to an earlier tenant's policy (see TableLoader), which is
      // interned by now: recompile its model (the registry shares the held
      // one and frees this copy at once).
      const auto it = policies_.find(t.policy_bytes);
      if (it == policies_.end()) {
        return absl::InternalError(absl::StrCat(
            "tenant \"", t.id, "\": its policy was not loaded before it"));
      }
      auto compiled = policy::Validate(it->second->model);
      if (!compiled.ok()) {
        return absl::DataLossError(absl::StrCat(
            "stored policy of tenant \"", t.id,
            "\" does not validate: ", compiled.status().message()));
      }
      t.compiled = *std::move(compiled);
    }
    if (absl::Status s = registry_->Set(id, std::move(t.compiled)); !s.ok()) {
      return absl::DataLossError(absl::StrCat(
          "tenant \"", t.id, "\" cannot be registered: ", s.message()));
    }
    PutTenantStateLocked(t.id, t);
  }
  if (absl::Status s = LoadDomainsLocked(std::move(loader.domains)); !s.ok()) {
    return s;
  }
  applied_revision_.store(*revision, std::memory_order_release);
  caught_up_at_ms_.store(SteadyMillis(), std::memory_order_relaxed);
  return absl::OkStatus();
}

void CatalogImpl::PutTenantStateLocked(const std::string& id,
                                       PreparedTenant& tenant) {
  std::shared_ptr<const TenantPolicy> shared;
  if (auto it = policies_.find(tenant.policy_bytes); it != policies_.end()) {
    shared = it->second;
  } else {
    auto made = std::make_shared<TenantPolicy>();
    made->bytes = std::move(tenant.policy_bytes);
    made->proto = std::move(tenant.policy_proto);
    made->model = std::move(tenant.policy);
    made->model.allowed_methods.shrink_to_fit();
    made->model.allowed_headers.shrink_to_fit();
    made->model.exposed_headers.shrink_to_fit();
    made->model.routes.shrink_to_fit();
    shared = made;
    policies_.emplace(absl::string_view(shared->bytes), shared);
  }
  TenantState& state = tenants_[id];
  std::shared_ptr<const TenantPolicy> old = std::move(state.policy);
  state.policy = std::move(shared);
  ReleasePolicyLocked(std::move(old));
}

void CatalogImpl::EraseTenantStateLocked(const std::string& id) {
  auto it = tenants_.find(id);
  if (it == tenants_.end()) return;
  std::shared_ptr<const TenantPolicy> old = std::move(it->second.policy);
  tenants_.erase(it);
  ReleasePolicyLocked(std::move(old));
}

void CatalogImpl::ReleasePolicyLocked(
    std::shared_ptr<const TenantPolicy> policy) {
  if (policy == nullptr) return;
  auto it = policies_.find(absl::string_view(policy->bytes));
  policy.reset();
  // Only the interning map holds it now: no tenant uses it.
  if (it != policies_.end() && it->second.use_count() == 1) {
    policies_.erase(it);
  }
}

std::string CatalogImpl::ApiHostOwner(absl::string_view host) const {
  table::EpochManager::ReadGuard guard(epochs_);
  const table::TenantId id = table_->FindApiHost(host);
  if (id == table::kNoTenant) return "";
  return std::string(table_->TenantName(id));
}

void CatalogImpl::CheckExistingEntriesLocked(const PreparedTenant& tenant,
                                             ErrorList* errors) {
  const auto it = tenants_.find(tenant.id);
  if (it == tenants_.end() || !tenant.policy.production ||
      tenant.policy.allow_dev_origins) {
    return;
  }
  const policy::Policy& old = it->second.policy->model;
  if (old.production && !old.allow_dev_origins) return;  // already checked
  for (EntryKind kind : {EntryKind::kOrigin, EntryKind::kWildcard}) {
    std::string after;
    for (;;) {
      std::vector<std::string> page =
          table_->ListEntries(tenant.id, TableKind(kind, true), after, 10000);
      for (std::string& value : page) {
        PreparedOp op{tenant.index, true, kind, tenant.id, std::move(value)};
        if (absl::Status s = CheckDevOrigin(tenant.policy, op); !s.ok()) {
          errors->Add(tenant.index, "policy.production", op.value,
                      absl::StrCat("tenant \"", tenant.id,
                                   "\" has the dev entry \"", op.value,
                                   "\": remove it first or set "
                                   "allow_dev_origins (R16): ",
                                   s.message()));
          if (errors->total() >= kMaxListedErrors) return;
        }
        after = std::move(op.value);
      }
      if (page.size() < 10000) break;
    }
  }
}

uint64_t CatalogImpl::CheckStateLocked(
    const std::vector<PreparedTenant>& tenants,
    const std::vector<PreparedOp>& ops, ErrorList* errors) {
  absl::flat_hash_map<absl::string_view, const policy::Policy*> put;
  absl::flat_hash_set<absl::string_view> created;
  for (const PreparedTenant& t : tenants) {
    put[t.id] = &t.policy;
    if (!tenants_.contains(t.id)) {
      created.insert(t.id);
    } else {
      CheckExistingEntriesLocked(t, errors);
    }
  }
  // API host owners as the batch changes them ("" = free).
  absl::flat_hash_map<std::string, std::string> host_owner;
  absl::string_view last_tenant;
  const policy::Policy* last_policy = nullptr;
  for (const PreparedOp& op : ops) {
    if (op.tenant != last_tenant || last_policy == nullptr) {
      last_tenant = op.tenant;
      last_policy = nullptr;
      if (auto it = put.find(op.tenant); it != put.end()) {
        last_policy = it->second;
      } else if (auto jt = tenants_.find(op.tenant); jt != tenants_.end()) {
        last_policy = &jt->second.policy->model;
      }
    }
    if (last_policy == nullptr) {
      errors->Add(op.index, "tenant", op.tenant,
                  absl::StrCat("tenant \"", op.tenant,
                               "\" does not exist; create it with PutTenant "
                               "(or earlier in the import) first"));
      continue;
    }
    if (absl::Status s = CheckDevOrigin(*last_policy, op); !s.ok()) {
      errors->Add(op.index, "value", op.value, s.message());
      continue;
    }
    if (op.kind != EntryKind::kApiHost) continue;
    auto [it, inserted] = host_owner.try_emplace(op.value);
    if (inserted) it->second = ApiHostOwner(op.value);
    if (op.add) {
      if (!it->second.empty() && it->second != op.tenant) {
        errors->Add(
            op.index, "value", op.value,
            absl::StrCat("API host \"", op.value, "\" belongs to tenant \"",
                         it->second, "\"; a host routes to one tenant only"));
        continue;
      }
      it->second = op.tenant;
    } else if (it->second == op.tenant) {
      it->second.clear();
    }
  }
  return created.size();
}

absl::StatusOr<CatalogImpl::WriteResult> CatalogImpl::Write(
    absl::string_view what, std::vector<PreparedTenant> tenants,
    const std::vector<PreparedOp>& ops, const std::string& deleted,
    bool dry_run, const std::vector<PreparedDomain>& domains) {
  Batch batch;
  batch.reserve(tenants.size() + ops.size() + 1);
  if (!deleted.empty()) {
    batch.push_back(
        {Mutation::Type::kDeleteTenant, EntryKind::kOrigin, deleted, "", ""});
  }
  for (const PreparedTenant& t : tenants) {
    batch.push_back({Mutation::Type::kPutTenant, EntryKind::kOrigin, t.id,
                     t.policy_bytes, ""});
  }
  for (const PreparedOp& op : ops) {
    batch.push_back(
        {op.add ? Mutation::Type::kAddEntry : Mutation::Type::kRemoveEntry,
         op.kind, op.tenant, op.value, ""});
  }
  for (const PreparedDomain& d : domains) {
    batch.push_back({Mutation::Type::kPutDomain, EntryKind::kOrigin,
                     d.record.tenant(), d.record.host(),
                     d.record.SerializeAsString()});
  }
  std::vector<table::Op> table_ops;
  absl::MutexLock lock(&mu_);
  for (int attempt = 1;; ++attempt) {
    WriteResult result;
    const bool missing = !deleted.empty() && !tenants_.contains(deleted);
    ErrorList errors;
    result.created = CheckStateLocked(tenants, ops, &errors);
    if (!domains.empty()) CheckDomainsLocked(tenants, domains, &errors);
    if (!errors.empty() || missing) {
      // A shared store may hold writes this replica has not followed yet
      // (the tenant created through another replica a moment ago): refuse
      // only against the latest state.
      if (store_->Shared() && attempt < kMaxCommitAttempts) {
        auto head = store_->Revision();
        if (head.ok() &&
            *head > applied_revision_.load(std::memory_order_acquire)) {
          mu_.Unlock();
          absl::Status caught_up = CatchUp();
          mu_.Lock();
          if (!caught_up.ok()) return caught_up;
          continue;
        }
      }
      if (missing) {
        return absl::NotFoundError(
            absl::StrCat("tenant \"", deleted, "\" does not exist"));
      }
      return errors.ToStatus(what);
    }
    // The table's own dry run: what it would refuse is refused here, before
    // the commit (the checks above make this a formality).
    if (table_ops.empty() && !batch.empty()) table_ops = TableOps(batch);
    if (absl::Status s = table_->Validate(table_ops); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, ": refused by the table, nothing changed: ", s.message()));
    }
    if (dry_run) return result;
    auto revision = TryCommitLocked(batch, attempt);
    if (!revision.ok()) return revision.status();
    if (!revision->has_value()) continue;  // caught up: validate again
    absl::flat_hash_map<std::string, PreparedTenant> compiled;
    for (PreparedTenant& t : tenants) compiled[t.id] = std::move(t);
    const table::ApplyResult applied =
        ApplyLocked(batch, table_ops, **revision, std::move(compiled));
    result.revision = **revision;
    result.added = applied.added - result.created;
    result.removed = applied.removed - (deleted.empty() ? 0 : 1);
    return result;
  }
}

absl::StatusOr<std::optional<uint64_t>> CatalogImpl::TryCommitLocked(
    const Batch& batch, int attempt) {
  const uint64_t base = applied_revision_.load(std::memory_order_acquire);
  auto revision = store_->Commit(batch, base);
  if (absl::IsAborted(revision.status()) && store_->Shared() &&
      attempt < kMaxCommitAttempts) {
    // Another replica wrote first: apply its changes; the caller validates
    // again.
    const int pause_us = absl::Uniform<int>(
        jitter_, 0, std::min(500 * attempt, kMaxCommitPauseUs));
    mu_.Unlock();
    std::this_thread::sleep_for(std::chrono::microseconds(pause_us));
    absl::Status caught_up = CatchUp();
    mu_.Lock();
    if (!caught_up.ok()) return caught_up;
    return std::optional<uint64_t>();
  }
  if (!revision.ok()) return revision.status();
  return std::optional<uint64_t>(*revision);
}

std::vector<table::Op> CatalogImpl::TableOps(const Batch& batch) {
  std::vector<table::Op> ops;
  ops.reserve(batch.size());
  for (const Mutation& m : batch) {
    switch (m.type) {
      case Mutation::Type::kPutTenant:
        ops.push_back({table::Op::Kind::kAddTenant, m.tenant, ""});
        break;
      case Mutation::Type::kDeleteTenant:
        ops.push_back({table::Op::Kind::kRemoveTenant, m.tenant, ""});
        break;
      case Mutation::Type::kAddEntry:
      case Mutation::Type::kRemoveEntry:
        ops.push_back({TableKind(m.kind, m.type == Mutation::Type::kAddEntry),
                       m.tenant, m.value});
        break;
      case Mutation::Type::kPutDomain:
      case Mutation::Type::kRemoveDomain:
        break;  // not the table's: ApplyDomainLocked
    }
  }
  return ops;
}

table::ApplyResult CatalogImpl::ApplyLocked(
    const Batch& batch, const std::vector<table::Op>& ops, uint64_t revision,
    absl::flat_hash_map<std::string, PreparedTenant> compiled) {
  std::vector<table::TenantId> removed_ids;
  {
    table::EpochManager::ReadGuard guard(epochs_);
    for (const Mutation& m : batch) {
      if (m.type == Mutation::Type::kDeleteTenant) {
        removed_ids.push_back(table_->FindTenant(m.tenant));
      }
    }
  }
  auto result = table_->Apply(ops);
  if (!result.ok()) {
    // Validation ran the table's rules; a refusal here means memory and the
    // durable store disagree. Restarting reloads the store.
    std::fprintf(stderr,
                 "corsd: FATAL: revision %llu is durable but the table refused "
                 "it: %s\n",
                 static_cast<unsigned long long>(revision),
                 std::string(result.status().message()).c_str());
    std::abort();
  }
  for (const Mutation& m : batch) {
    if (m.type == Mutation::Type::kDeleteTenant) {
      EraseTenantStateLocked(m.tenant);
    }
    if (m.type == Mutation::Type::kDeleteTenant ||
        m.type == Mutation::Type::kPutDomain ||
        m.type == Mutation::Type::kRemoveDomain) {
      ApplyDomainLocked(m);
    }
  }
  for (table::TenantId id : removed_ids) {
    if (id != table::kNoTenant) registry_->Remove(id);
  }
  {
    table::EpochManager::ReadGuard guard(epochs_);
    for (auto& [id, tenant] : compiled) {
      const table::TenantId tid = table_->FindTenant(id);
      if (absl::Status s = registry_->Set(tid, std::move(tenant.compiled));
          !s.ok()) {
        std::fprintf(stderr, "corsd: FATAL: policy of tenant %s: %s\n",
                     id.c_str(), std::string(s.message()).c_str());
        std::abort();
      }
      PutTenantStateLocked(id, tenant);
    }
  }
  applied_revision_.store(revision, std::memory_order_release);
  epochs_->Reclaim();
  return *result;
}

absl::Status CatalogImpl::ApplyChangeLocked(const Change& change) {
  absl::flat_hash_map<std::string, PreparedTenant> compiled;
  for (const Mutation& m : change.batch) {
    if (m.type != Mutation::Type::kPutTenant) continue;
    PreparedTenant t;
    if (absl::Status s = CompileStoredPolicy(m.tenant, m.value, &t); !s.ok()) {
      return s;
    }
    compiled[m.tenant] = std::move(t);
  }
  const std::vector<table::Op> ops = TableOps(change.batch);
  if (absl::Status s = table_->Validate(ops); !s.ok()) {
    return absl::DataLossError(absl::StrCat("change ", change.revision,
                                            " does not apply: ", s.message()));
  }
  ApplyLocked(change.batch, ops, change.revision, std::move(compiled));
  return absl::OkStatus();
}

absl::Status CatalogImpl::CatchUp() {
  for (;;) {
    const int64_t started = SteadyMillis();
    const uint64_t from = applied_revision_.load(std::memory_order_acquire);
    auto changes = store_->ChangesSince(from, kFollowBatch);
    if (!changes.ok()) return changes.status();
    {
      absl::MutexLock lock(&mu_);
      for (const Change& change : *changes) {
        const uint64_t applied =
            applied_revision_.load(std::memory_order_acquire);
        if (change.revision <= applied) continue;  // a local write did it
        if (change.revision != applied + 1) {
          return absl::DataLossError(
              absl::StrCat("change log gap: applied revision ", applied,
                           ", next is ", change.revision));
        }
        if (absl::Status s = ApplyChangeLocked(change); !s.ok()) return s;
      }
    }
    if (changes->size() < kFollowBatch) {
      caught_up_at_ms_.store(started, std::memory_order_relaxed);
      return absl::OkStatus();
    }
  }
}

void CatalogImpl::StartFollower() {
  caught_up_at_ms_.store(SteadyMillis(), std::memory_order_relaxed);
  follower_ = std::thread([this] { FollowLoop(); });
}

void CatalogImpl::FollowLoop() {
  int backoff_ms = 50;
  while (!stop_.HasBeenNotified()) {
    absl::Status s = CatchUp();
    if (s.ok()) s = store_->WaitForChange(kFollowPollMs);
    if (s.ok()) {
      connected_.store(true, std::memory_order_relaxed);
      backoff_ms = 50;
      continue;
    }
    connected_.store(false, std::memory_order_relaxed);
    {
      absl::MutexLock lock(&reason_mu_);
      follower_error_ = std::string(s.message());
    }
    stop_.WaitForNotificationWithTimeout(absl::Milliseconds(backoff_ms));
    backoff_ms = std::min(backoff_ms * 2, 2000);
  }
}

bool CatalogImpl::Ready() const {
  if (!store_->Shared()) return true;
  return connected_.load(std::memory_order_relaxed) &&
         LagMillis() <= kMaxLagMillis;
}

std::string CatalogImpl::NotReadyReason() const {
  if (Ready()) return "";
  std::string error;
  {
    absl::MutexLock lock(&reason_mu_);
    error = follower_error_;
  }
  if (!connected_.load(std::memory_order_relaxed)) {
    return absl::StrCat("store ", store_->Describe(),
                        " unreachable, retrying: ", error);
  }
  return absl::StrCat("following ", store_->Describe(), ": ", LagMillis(),
                      " ms behind (bound ", kMaxLagMillis, " ms)");
}

uint64_t CatalogImpl::LagMillis() const {
  if (!store_->Shared()) return 0;
  const int64_t lag =
      SteadyMillis() - caught_up_at_ms_.load(std::memory_order_relaxed);
  return lag > 0 ? static_cast<uint64_t>(lag) : 0;
}

uint64_t CatalogImpl::AppliedRevision() const {
  return applied_revision_.load(std::memory_order_acquire);
}

}  // namespace corsd::store
