// Catalog: custom domains (catalog.h, "Custom domains"): the admin calls,
// the verifier's side (due domains, recording attempts) and the apply path
// of domain mutations, which keeps domains_, holders_, due_ and the /ask
// index in line with the store on every replica.
#include <cstdio>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "service/domain/domain_name.h"
#include "service/origin/origin.h"
#include "service/store/catalog_impl.h"

namespace corsd::store {
namespace {

using corsd::v1::CustomDomain;

constexpr uint32_t kDefaultDomainPage = 100;
constexpr uint32_t kMaxDomainPage = 1000;

// The origin or wildcard entry a verified domain grants:
// "https://<host>", or "https://*.<parent>" for "*.<parent>".
std::pair<EntryKind, std::string> GrantedOrigin(absl::string_view host) {
  return {
      absl::StartsWith(host, "*.") ? EntryKind::kWildcard : EntryKind::kOrigin,
      absl::StrCat("https://", host)};
}

Mutation PutDomainMutation(const CustomDomain& record) {
  Mutation m;
  m.type = Mutation::Type::kPutDomain;
  m.tenant = record.tenant();
  m.value = record.host();
  m.data = record.SerializeAsString();
  return m;
}

Mutation EntryMutation(bool add, EntryKind kind, absl::string_view tenant,
                       absl::string_view value) {
  Mutation m;
  m.type = add ? Mutation::Type::kAddEntry : Mutation::Type::kRemoveEntry;
  m.kind = kind;
  m.tenant = std::string(tenant);
  m.value = std::string(value);
  return m;
}

std::string FormatTime(int64_t unix_ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMillis(unix_ms),
                          absl::UTCTimeZone());
}

absl::Status Refused(absl::string_view what, absl::string_view field,
                     absl::string_view value, absl::string_view message) {
  ErrorList errors;
  errors.Add(0, field, value, message);
  return errors.ToStatus(what);
}

}  // namespace

int64_t CatalogImpl::NowMs() const {
  if (options_.now_ms) return options_.now_ms();
  return absl::ToUnixMillis(absl::Now());
}

absl::Status CatalogImpl::LoadDomainsLocked(
    std::vector<std::pair<DomainKey, std::string>> records) {
  absl::btree_set<std::string> hosts;
  for (auto& [key, bytes] : records) {
    CustomDomain record;
    if (!record.ParseFromString(bytes) || record.tenant() != key.first ||
        record.host() != key.second) {
      return absl::DataLossError(
          absl::StrCat("stored custom domain \"", key.second, "\" of tenant \"",
                       key.first, "\" is not a valid corsd.v1.CustomDomain"));
    }
    hosts.insert(record.host());
    PutDomainStateLocked(std::move(record));
  }
  std::vector<domain::DomainIndex::Change> index;
  for (const std::string& host : hosts)
    index.push_back(IndexChangeLocked(host));
  domain_index_.Apply(index);
  return absl::OkStatus();
}

domain::DomainIndex::Change CatalogImpl::IndexChangeLocked(
    const std::string& host) const {
  bool approved = false;
  bool routed_by_grant = false;
  if (auto h = holders_.find(host); h != holders_.end()) {
    for (const std::string& tenant : h->second) {
      auto it = domains_.find({tenant, host});
      if (it == domains_.end()) continue;
      approved = approved || domain::AskApproves(it->second);
      routed_by_grant = routed_by_grant || it->second.granted_api_host();
    }
  }
  // A failing domain still in its grace routes (its API-host grant), but
  // /ask must not approve it.
  return {host, approved, !approved && routed_by_grant};
}

void CatalogImpl::PutDomainStateLocked(CustomDomain record) {
  DomainKey key{record.tenant(), record.host()};
  if (auto it = domains_.find(key); it != domains_.end()) {
    due_.erase({it->second.next_attempt_unix_ms(), key.first, key.second});
    --domain_counts_.by_state[it->second.state() % 6];
  }
  ++domain_counts_.by_state[record.state() % 6];
  if (record.next_attempt_unix_ms() != 0 &&
      record.state() != corsd::v1::DOMAIN_STATE_REMOVED &&
      record.method() != corsd::v1::DOMAIN_METHOD_OPERATOR) {
    due_.insert({record.next_attempt_unix_ms(), key.first, key.second});
  }
  holders_[key.second].insert(key.first);
  domains_[key] = std::move(record);
}

void CatalogImpl::EraseDomainStateLocked(const DomainKey& key) {
  auto it = domains_.find(key);
  if (it == domains_.end()) return;
  due_.erase({it->second.next_attempt_unix_ms(), key.first, key.second});
  --domain_counts_.by_state[it->second.state() % 6];
  domains_.erase(it);
  auto h = holders_.find(key.second);
  if (h != holders_.end()) {
    h->second.erase(key.first);
    if (h->second.empty()) holders_.erase(h);
  }
}

void CatalogImpl::ApplyDomainLocked(const Mutation& m) {
  std::vector<std::string> touched;
  switch (m.type) {
    case Mutation::Type::kPutDomain: {
      CustomDomain record;
      if (!record.ParseFromString(m.data) || record.tenant() != m.tenant ||
          record.host() != m.value) {
        // Written by a corsd that validated it; a mismatch means the store
        // and memory disagree (as ApplyLocked's table refusal).
        std::fprintf(stderr,
                     "corsd: FATAL: a committed custom domain record for "
                     "\"%s\" does not parse\n",
                     m.value.c_str());
        std::abort();
      }
      PutDomainStateLocked(std::move(record));
      touched.push_back(m.value);
      break;
    }
    case Mutation::Type::kRemoveDomain:
      EraseDomainStateLocked({m.tenant, m.value});
      touched.push_back(m.value);
      break;
    case Mutation::Type::kDeleteTenant: {
      auto it = domains_.lower_bound({m.tenant, ""});
      std::vector<DomainKey> gone;
      for (; it != domains_.end() && it->first.first == m.tenant; ++it) {
        gone.push_back(it->first);
      }
      for (const DomainKey& key : gone) {
        EraseDomainStateLocked(key);
        touched.push_back(key.second);
      }
      break;
    }
    default:
      return;
  }
  std::vector<domain::DomainIndex::Change> changes;
  for (const std::string& host : touched) {
    changes.push_back(IndexChangeLocked(host));
  }
  domain_index_.Apply(changes);
}

bool CatalogImpl::HasEntryLocked(absl::string_view tenant, EntryKind kind,
                                 absl::string_view value) const {
  if (kind == EntryKind::kOrigin) {
    origin::OriginParts parts;
    if (origin::CheckOriginHeader(value, &parts) !=
        origin::HeaderCheck::kCanonical) {
      return false;
    }
    table::EpochManager::ReadGuard guard(epochs_);
    const table::TenantId id = table_->FindTenant(tenant);
    return id != table::kNoTenant &&
           table_->Lookup(id, parts) == table::Match::kExact;
  }
  // Wildcards: a listing from just before `value`.
  std::string before(value);
  before.back() = static_cast<char>(before.back() - 1);
  before.append(8, '\xff');
  for (const std::string& v :
       table_->ListEntries(tenant, table::Op::Kind::kAddWildcard, before, 4)) {
    if (v == value) return true;
  }
  return false;
}

std::string CatalogImpl::OtherHolderLocked(absl::string_view tenant,
                                           absl::string_view host) const {
  if (auto h = holders_.find(std::string(host)); h != holders_.end()) {
    for (const std::string& other : h->second) {
      if (other == tenant) continue;
      auto it = domains_.find({other, std::string(host)});
      if (it != domains_.end() && domain::GrantsActive(it->second)) {
        return other;
      }
    }
  }
  if (absl::StartsWith(host, "*.")) return "";
  const std::string owner = ApiHostOwner(host);
  return owner == tenant ? "" : owner;
}

void CatalogImpl::AppendDomainWriteLocked(CustomDomain next, Batch* batch,
                                          int64_t now_ms) {
  const std::string& tenant = next.tenant();
  const std::string& host = next.host();
  const bool wildcard = absl::StartsWith(host, "*.");
  const bool active = domain::GrantsActive(next);
  if (active) {
    // The takeover: another tenant's hold on the host ends here.
    const std::string other = OtherHolderLocked(tenant, host);
    if (!other.empty()) {
      auto it = domains_.find({other, host});
      if (it != domains_.end()) {
        CustomDomain gone = it->second;
        if (gone.granted_origin()) {
          auto [kind, value] = GrantedOrigin(host);
          batch->push_back(EntryMutation(false, kind, other, value));
        }
        gone.set_granted_api_host(false);
        gone.set_granted_origin(false);
        gone.set_state(corsd::v1::DOMAIN_STATE_REMOVED);
        gone.set_state_since_unix_ms(now_ms);
        gone.set_next_attempt_unix_ms(0);
        gone.set_note(
            absl::StrCat("taken over: another tenant proved control "
                         "of this host at ",
                         FormatTime(now_ms)));
        batch->push_back(PutDomainMutation(gone));
      }
      if (!wildcard && ApiHostOwner(host) == other) {
        batch->push_back(
            EntryMutation(false, EntryKind::kApiHost, other, host));
      }
      next.set_note(absl::StrCat("moved here from a previous holder at ",
                                 FormatTime(now_ms)));
      std::fprintf(stderr,
                   "corsd: domain: %s moved from tenant %s to tenant %s by a "
                   "%s proof\n",
                   host.c_str(), other.c_str(), tenant.c_str(),
                   std::string(domain::MethodName(next.method())).c_str());
    }
    if (!wildcard && !next.granted_api_host() && ApiHostOwner(host) != tenant) {
      batch->push_back(EntryMutation(true, EntryKind::kApiHost, tenant, host));
      next.set_granted_api_host(true);
    }
    bool want_origin = false;
    if (auto t = tenants_.find(tenant); t != tenants_.end()) {
      want_origin = t->second.policy->proto.custom_domain_origins();
    }
    auto [kind, value] = GrantedOrigin(host);
    if (want_origin && !next.granted_origin() &&
        !HasEntryLocked(tenant, kind, value)) {
      batch->push_back(EntryMutation(true, kind, tenant, value));
      next.set_granted_origin(true);
    } else if (!want_origin && next.granted_origin()) {
      batch->push_back(EntryMutation(false, kind, tenant, value));
      next.set_granted_origin(false);
    }
  } else {
    if (next.granted_api_host()) {
      batch->push_back(EntryMutation(false, EntryKind::kApiHost, tenant, host));
      next.set_granted_api_host(false);
    }
    if (next.granted_origin()) {
      auto [kind, value] = GrantedOrigin(host);
      batch->push_back(EntryMutation(false, kind, tenant, value));
      next.set_granted_origin(false);
    }
  }
  batch->push_back(PutDomainMutation(next));
}

absl::StatusOr<uint64_t> CatalogImpl::CommitBuiltLocked(
    absl::string_view what,
    const std::function<absl::StatusOr<Batch>()>& build) {
  for (int attempt = 1;; ++attempt) {
    absl::StatusOr<Batch> batch = build();
    if (!batch.ok()) return batch.status();
    const std::vector<table::Op> ops = TableOps(*batch);
    if (absl::Status s = table_->Validate(ops); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, ": refused by the table, nothing changed: ", s.message()));
    }
    auto revision = TryCommitLocked(*batch, attempt);
    if (!revision.ok()) return revision.status();
    if (!revision->has_value()) continue;  // caught up: build again
    ApplyLocked(*batch, ops, **revision, {});
    return **revision;
  }
}

void CatalogImpl::CheckDomainsLocked(const std::vector<PreparedTenant>& tenants,
                                     const std::vector<PreparedDomain>& domains,
                                     ErrorList* errors) {
  absl::flat_hash_set<std::string> created;
  for (const PreparedTenant& t : tenants) created.insert(t.id);
  absl::flat_hash_map<std::string, std::string> active_in_batch;
  for (const PreparedDomain& d : domains) {
    const CustomDomain& r = d.record;
    if (!tenants_.contains(r.tenant()) && !created.contains(r.tenant())) {
      errors->Add(d.index, "domains.tenant", r.tenant(),
                  absl::StrCat("tenant \"", r.tenant(),
                               "\" does not exist; import it first"));
      continue;
    }
    if (!domain::GrantsActive(r)) continue;
    auto [it, inserted] = active_in_batch.try_emplace(r.host(), r.tenant());
    const bool clash = (!inserted && it->second != r.tenant()) ||
                       !OtherHolderLocked(r.tenant(), r.host()).empty();
    if (clash) {
      errors->Add(d.index, "domains.host", r.host(),
                  "is held by another tenant; expected a host no other "
                  "tenant holds (a proof moves a held host, an import "
                  "cannot)");
    }
  }
}

absl::StatusOr<uint64_t> CatalogImpl::RefreshDomainGrants(
    const std::string& tenant) {
  const int64_t now = NowMs();
  absl::MutexLock lock(&mu_);
  bool empty = false;
  auto build = [&]() -> absl::StatusOr<Batch> {
    Batch batch;
    for (auto it = domains_.lower_bound({tenant, ""});
         it != domains_.end() && it->first.first == tenant; ++it) {
      if (!domain::GrantsActive(it->second)) continue;
      Batch one;
      AppendDomainWriteLocked(it->second, &one, now);
      if (one.size() > 1) {  // more than the record itself: a grant changed
        for (Mutation& m : one) batch.push_back(std::move(m));
      }
    }
    empty = batch.empty();
    return batch;
  };
  if (absl::StatusOr<Batch> first = build(); !first.ok() || empty) {
    return first.ok() ? absl::StatusOr<uint64_t>(0) : first.status();
  }
  return CommitBuiltLocked("PutTenant (custom domain origins)", build);
}

absl::StatusOr<corsd::v1::DomainInfo> CatalogImpl::AddDomain(
    const corsd::v1::AddDomainRequest& request) {
  constexpr absl::string_view kWhat = "AddDomain";
  if (absl::Status s = ValidateTenantId(request.tenant()); !s.ok()) {
    return Refused(kWhat, "tenant", request.tenant(), s.message());
  }
  corsd::v1::DomainMethod method = request.method();
  if (method == corsd::v1::DOMAIN_METHOD_UNSPECIFIED) {
    method = corsd::v1::DOMAIN_METHOD_DNS;
  }
  if (!corsd::v1::DomainMethod_IsValid(method)) {
    return Refused(kWhat, "method", absl::StrCat(static_cast<int>(method)),
                   "expected DOMAIN_METHOD_DNS, DOMAIN_METHOD_HTTP or "
                   "DOMAIN_METHOD_OPERATOR");
  }
  absl::StatusOr<domain::DomainName> name =
      domain::ParseDomainName(request.host());
  if (!name.ok()) {
    return Refused(kWhat, "host", request.host(), name.status().message());
  }
  const int64_t now = NowMs();
  corsd::v1::DomainInfo info;
  absl::MutexLock lock(&mu_);
  bool unchanged = false;
  const bool dry_run = request.dry_run();
  auto build = [&]() -> absl::StatusOr<Batch> {
    unchanged = false;
    if (!tenants_.contains(request.tenant())) {
      return absl::NotFoundError(
          absl::StrCat("tenant \"", request.tenant(),
                       "\" does not exist; create it with PutTenant first"));
    }
    const DomainKey key{request.tenant(), name->host};
    if (auto it = domains_.find(key);
        it != domains_.end() &&
        it->second.state() != corsd::v1::DOMAIN_STATE_REMOVED) {
      *info.mutable_domain() = it->second;
      unchanged = true;
      return Batch();
    }
    size_t held = 0;
    for (auto it = domains_.lower_bound({request.tenant(), ""});
         it != domains_.end() && it->first.first == request.tenant(); ++it) {
      ++held;
    }
    if (held >= options_.max_domains_per_tenant) {
      return Refused(
          kWhat, "host", name->host,
          absl::StrCat("tenant \"", request.tenant(), "\" has ", held,
                       " custom domains; expected at most ",
                       options_.max_domains_per_tenant, " (remove one first)"));
    }
    if (name->wildcard) {
      auto parent = domains_.find({request.tenant(), name->parent});
      const bool proven =
          (parent != domains_.end() && domain::AskApproves(parent->second)) ||
          ApiHostOwner(name->parent) == request.tenant();
      if (!proven) {
        return Refused(
            kWhat, "host", name->host,
            absl::StrCat("is a wildcard whose parent \"", name->parent,
                         "\" is not a verified domain of tenant \"",
                         request.tenant(),
                         "\"; expected the parent added and verified first"));
      }
    }
    if (method == corsd::v1::DOMAIN_METHOD_OPERATOR &&
        !OtherHolderLocked(request.tenant(), name->host).empty()) {
      return Refused(kWhat, "host", name->host,
                     "is held by another tenant; expected a DNS or HTTP "
                     "proof to claim it (an operator add cannot move a "
                     "host)");
    }
    CustomDomain record = domain::NewDomain(request.tenant(), name->host,
                                            method, domain::NewToken(), now);
    Batch batch;
    AppendDomainWriteLocked(record, &batch, now);
    // The record as written (grant flags set) is the batch's last mutation.
    info.mutable_domain()->ParseFromString(batch.back().data);
    if (dry_run) {
      unchanged = true;
      return Batch();
    }
    return batch;
  };
  // The first build validates; an unchanged or dry-run answer commits
  // nothing.
  absl::StatusOr<Batch> first = build();
  if (!first.ok()) return first.status();
  if (unchanged) {
    for (std::string& line : domain::Instructions(
             info.domain(), options_.lifecycle, options_.http_proof_port)) {
      info.add_instructions(std::move(line));
    }
    return info;
  }
  auto revision = CommitBuiltLocked(kWhat, build);
  if (!revision.ok()) return revision.status();
  info.set_revision(*revision);
  for (std::string& line : domain::Instructions(
           info.domain(), options_.lifecycle, options_.http_proof_port)) {
    info.add_instructions(std::move(line));
  }
  return info;
}

absl::StatusOr<corsd::v1::DomainInfo> CatalogImpl::GetDomain(
    const corsd::v1::DomainRequest& request) {
  absl::StatusOr<domain::DomainName> name =
      domain::ParseDomainName(request.host());
  const std::string host = name.ok() ? name->host : request.host();
  corsd::v1::DomainInfo info;
  {
    absl::MutexLock lock(&mu_);
    auto it = domains_.find({request.tenant(), host});
    if (it == domains_.end()) {
      return absl::NotFoundError(absl::StrCat("tenant \"", request.tenant(),
                                              "\" has no custom domain \"",
                                              host.substr(0, 256), "\""));
    }
    *info.mutable_domain() = it->second;
  }
  for (std::string& line : domain::Instructions(
           info.domain(), options_.lifecycle, options_.http_proof_port)) {
    info.add_instructions(std::move(line));
  }
  return info;
}

absl::StatusOr<corsd::v1::ListDomainsResponse> CatalogImpl::ListDomains(
    const corsd::v1::ListDomainsRequest& request) {
  auto size = PageSize(request.page_size(), kDefaultDomainPage, kMaxDomainPage);
  if (!size.ok()) return size.status();
  auto after = ParsePageToken(request.page_token());
  if (!after.ok()) return after.status();
  // The token holds "tenant\0host" of the last item.
  DomainKey from;
  if (!after->empty()) {
    const size_t nul = after->find('\0');
    if (nul == std::string::npos) {
      return absl::InvalidArgumentError(
          "page_token is malformed; expected a next_page_token from a "
          "previous ListDomains response");
    }
    from = {after->substr(0, nul), after->substr(nul + 1)};
  }
  corsd::v1::ListDomainsResponse response;
  absl::MutexLock lock(&mu_);
  if (!request.tenant().empty() && !tenants_.contains(request.tenant())) {
    return absl::NotFoundError(
        absl::StrCat("tenant \"", request.tenant(), "\" does not exist"));
  }
  auto it = after->empty()
                ? (request.tenant().empty()
                       ? domains_.begin()
                       : domains_.lower_bound({request.tenant(), ""}))
                : domains_.upper_bound(from);
  for (; it != domains_.end(); ++it) {
    if (!request.tenant().empty() && it->first.first != request.tenant()) break;
    if (request.state() != corsd::v1::DOMAIN_STATE_UNSPECIFIED &&
        it->second.state() != request.state()) {
      continue;
    }
    if (response.domains_size() == static_cast<int>(*size)) {
      const CustomDomain& last = response.domains(response.domains_size() - 1);
      response.set_next_page_token(MakePageToken(
          absl::StrCat(last.tenant(), std::string(1, '\0'), last.host())));
      break;
    }
    *response.add_domains() = it->second;
  }
  return response;
}

absl::StatusOr<corsd::v1::RemoveDomainResponse> CatalogImpl::RemoveDomain(
    const corsd::v1::DomainRequest& request) {
  absl::StatusOr<domain::DomainName> name =
      domain::ParseDomainName(request.host());
  const std::string host = name.ok() ? name->host : request.host();
  absl::MutexLock lock(&mu_);
  auto build = [&]() -> absl::StatusOr<Batch> {
    auto it = domains_.find({request.tenant(), host});
    if (it == domains_.end()) {
      return absl::NotFoundError(absl::StrCat("tenant \"", request.tenant(),
                                              "\" has no custom domain \"",
                                              host.substr(0, 256), "\""));
    }
    Batch batch;
    const CustomDomain& record = it->second;
    if (record.granted_api_host()) {
      batch.push_back(
          EntryMutation(false, EntryKind::kApiHost, record.tenant(), host));
    }
    if (record.granted_origin()) {
      auto [kind, value] = GrantedOrigin(host);
      batch.push_back(EntryMutation(false, kind, record.tenant(), value));
    }
    Mutation remove;
    remove.type = Mutation::Type::kRemoveDomain;
    remove.tenant = record.tenant();
    remove.value = host;
    batch.push_back(std::move(remove));
    return batch;
  };
  auto revision = CommitBuiltLocked("RemoveDomain", build);
  if (!revision.ok()) return revision.status();
  corsd::v1::RemoveDomainResponse response;
  response.set_revision(*revision);
  return response;
}

std::vector<DueDomain> CatalogImpl::DueDomains(
    int64_t now_ms, size_t limit,
    const std::function<bool(const DueDomain&)>& skip) {
  std::vector<DueDomain> due;
  absl::MutexLock lock(&mu_);
  for (const auto& [next, tenant, host] : due_) {
    if (next > now_ms || due.size() >= limit) break;
    auto it = domains_.find({tenant, host});
    if (it == domains_.end()) continue;
    DueDomain d{tenant, host, it->second.token(), it->second.method()};
    if (skip && skip(d)) continue;
    due.push_back(std::move(d));
  }
  return due;
}

absl::StatusOr<CustomDomain> CatalogImpl::RecordAttempt(
    const DueDomain& domain, const domain::ProofResult& result,
    double jitter01) {
  const int64_t now = NowMs();
  CustomDomain written;
  absl::MutexLock lock(&mu_);
  auto build = [&]() -> absl::StatusOr<Batch> {
    auto it = domains_.find({domain.tenant, domain.host});
    if (it == domains_.end() || it->second.token() != domain.token ||
        it->second.state() == corsd::v1::DOMAIN_STATE_REMOVED) {
      return absl::FailedPreconditionError(absl::StrCat(
          "custom domain \"", domain.host, "\" of tenant \"", domain.tenant,
          "\" was removed or re-issued during the attempt; result dropped"));
    }
    written = domain::AfterAttempt(it->second, result, now, options_.lifecycle,
                                   jitter01);
    Batch batch;
    AppendDomainWriteLocked(written, &batch, now);
    written.ParseFromString(batch.back().data);
    return batch;
  };
  auto revision = CommitBuiltLocked("RecordAttempt", build);
  if (!revision.ok()) return revision.status();
  return written;
}

absl::StatusOr<std::unique_ptr<Store::Lease>> CatalogImpl::TryLeaseDomain(
    absl::string_view host) {
  return store_->TryLease(absl::StrCat("corsd-domain:", host));
}

DomainCounts CatalogImpl::CountDomains() const {
  absl::MutexLock lock(&mu_);
  return domain_counts_;
}

}  // namespace corsd::store
