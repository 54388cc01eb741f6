// Catalog: the Admin-message methods, thin shells over the write path
// (CatalogImpl::Write) and the table's listings.
#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "service/origin/origin.h"
#include "service/store/catalog_impl.h"

namespace corsd::store {
namespace {

constexpr uint32_t kDefaultTenantPage = 100;
constexpr uint32_t kMaxTenantPage = 1000;
constexpr uint32_t kDefaultEntryPage = 1000;
constexpr uint32_t kMaxEntryPage = 10000;

class ImportSessionImpl final : public ImportSession {
 public:
  explicit ImportSessionImpl(CatalogImpl* catalog) : catalog_(catalog) {}

  absl::Status Add(const corsd::v1::ImportChunk& chunk) override {
    if (done_) return absl::FailedPreconditionError("import already committed");
    if (!failed_.ok()) return failed_;
    const size_t items =
        chunk.tenants_size() + chunk.ops_size() + chunk.domains_size();
    ErrorList errors;
    if (items > kMaxChunkItems) {
      errors.Add(next_index_, "chunk", absl::StrCat(items, " items"),
                 absl::StrCat("an ImportChunk holds at most ", kMaxChunkItems,
                              " items (tenants + ops + domains)"));
      failed_ = errors.ToStatus("import");
      return failed_;
    }
    dry_run_ = dry_run_ || chunk.dry_run();
    tenants_.reserve(tenants_.size() + chunk.tenants_size());
    for (const corsd::v1::Tenant& tenant : chunk.tenants()) {
      PreparedTenant prepared;
      if (PrepareTenant(next_index_++, tenant, &prepared, &errors)) {
        tenants_.push_back(std::move(prepared));
      }
    }
    ops_.resize(ops_.size() + chunk.ops_size());
    size_t kept = ops_.size() - chunk.ops_size();
    for (const corsd::v1::EntryOp& op : chunk.ops()) {
      if (PrepareOp(next_index_++, op, &ops_[kept], &errors)) ++kept;
    }
    ops_.resize(kept);
    for (const corsd::v1::CustomDomain& domain : chunk.domains()) {
      PreparedDomain prepared;
      if (PrepareDomain(next_index_++, domain, &prepared, &errors)) {
        domains_.push_back(std::move(prepared));
      }
    }
    failed_ = errors.ToStatus("import");
    return failed_;
  }

  absl::StatusOr<corsd::v1::ImportResponse> Commit() override {
    if (done_) return absl::FailedPreconditionError("import already committed");
    done_ = true;
    if (!failed_.ok()) return failed_;
    const uint64_t tenant_count = tenants_.size();
    auto result = catalog_->Write("import", std::move(tenants_), ops_, "",
                                  dry_run_, domains_);
    ops_.clear();
    ops_.shrink_to_fit();
    if (!result.ok()) return result.status();
    corsd::v1::ImportResponse response;
    response.set_tenants(tenant_count);
    response.set_added(result->added);
    response.set_removed(result->removed);
    response.set_revision(result->revision);
    return response;
  }

 private:
  CatalogImpl* const catalog_;
  std::vector<PreparedTenant> tenants_;
  std::vector<PreparedOp> ops_;
  std::vector<PreparedDomain> domains_;
  uint64_t next_index_ = 0;
  bool dry_run_ = false;
  bool done_ = false;
  absl::Status failed_;
};

}  // namespace

absl::StatusOr<corsd::v1::PutTenantResponse> CatalogImpl::PutTenant(
    const corsd::v1::PutTenantRequest& request) {
  ErrorList errors;
  PreparedTenant prepared;
  if (!PrepareTenant(0, request.tenant(), &prepared, &errors)) {
    return errors.ToStatus("PutTenant");
  }
  corsd::v1::PutTenantResponse response;
  for (const std::string& w : prepared.compiled->warnings()) {
    response.add_warnings(w);
  }
  const bool wants_origins = prepared.policy_proto.custom_domain_origins();
  bool had_origins = false;
  {
    absl::MutexLock lock(&mu_);
    if (auto it = tenants_.find(prepared.id); it != tenants_.end()) {
      had_origins = it->second.policy->proto.custom_domain_origins();
    }
  }
  const std::string id = prepared.id;
  std::vector<PreparedTenant> tenants;
  tenants.push_back(std::move(prepared));
  auto result =
      Write("PutTenant", std::move(tenants), {}, "", request.dry_run());
  if (!result.ok()) return result.status();
  response.set_revision(result->revision);
  response.set_created(result->created == 1);
  if (!request.dry_run() && wants_origins != had_origins) {
    // The verified domains' origin grants follow the policy at once (a
    // second durable batch; were it lost, the next attempt of each domain
    // would write the same).
    auto regranted = RefreshDomainGrants(id);
    if (!regranted.ok()) return regranted.status();
    if (*regranted != 0) response.set_revision(*regranted);
  }
  return response;
}

absl::StatusOr<corsd::v1::TenantInfo> CatalogImpl::GetTenant(
    const corsd::v1::GetTenantRequest& request) {
  corsd::v1::TenantInfo info;
  {
    absl::MutexLock lock(&mu_);
    auto it = tenants_.find(request.id());
    if (it == tenants_.end()) {
      return absl::NotFoundError(absl::StrCat(
          "tenant \"", absl::string_view(request.id()).substr(0, 256),
          "\" does not exist"));
    }
    info.mutable_tenant()->set_id(it->first);
    *info.mutable_tenant()->mutable_policy() = it->second.policy->proto;
  }
  const table::TableStats stats = table_->TenantStats(request.id());
  info.set_origins(stats.origins);
  info.set_wildcards(stats.wildcards);
  info.set_api_hosts(stats.api_hosts);
  return info;
}

absl::StatusOr<corsd::v1::ListTenantsResponse> CatalogImpl::ListTenants(
    const corsd::v1::ListTenantsRequest& request) {
  auto size = PageSize(request.page_size(), kDefaultTenantPage, kMaxTenantPage);
  if (!size.ok()) return size.status();
  auto after = ParsePageToken(request.page_token());
  if (!after.ok()) return after.status();
  corsd::v1::ListTenantsResponse response;
  std::vector<std::string> ids;
  {
    absl::MutexLock lock(&mu_);
    auto it = request.page_token().empty() ? tenants_.begin()
                                           : tenants_.upper_bound(*after);
    for (; it != tenants_.end() && response.tenants_size() < int(*size); ++it) {
      corsd::v1::TenantInfo* info = response.add_tenants();
      info->mutable_tenant()->set_id(it->first);
      *info->mutable_tenant()->mutable_policy() = it->second.policy->proto;
    }
    if (it != tenants_.end() && response.tenants_size() > 0) {
      response.set_next_page_token(MakePageToken(
          response.tenants(response.tenants_size() - 1).tenant().id()));
    }
  }
  for (corsd::v1::TenantInfo& info : *response.mutable_tenants()) {
    const table::TableStats stats = table_->TenantStats(info.tenant().id());
    info.set_origins(stats.origins);
    info.set_wildcards(stats.wildcards);
    info.set_api_hosts(stats.api_hosts);
  }
  return response;
}

absl::StatusOr<corsd::v1::DeleteTenantResponse> CatalogImpl::DeleteTenant(
    const corsd::v1::DeleteTenantRequest& request) {
  if (absl::Status s = ValidateTenantId(request.id()); !s.ok()) return s;
  auto result = Write("DeleteTenant", {}, {}, request.id(), false);
  if (!result.ok()) return result.status();
  corsd::v1::DeleteTenantResponse response;
  response.set_revision(result->revision);
  return response;
}

absl::StatusOr<corsd::v1::WriteEntriesResponse> CatalogImpl::WriteEntries(
    const corsd::v1::WriteEntriesRequest& request) {
  ErrorList errors;
  if (static_cast<size_t>(request.ops_size()) > kMaxBatchOps) {
    errors.Add(0, "ops", absl::StrCat(request.ops_size(), " ops"),
               absl::StrCat("a WriteEntries batch holds at most ", kMaxBatchOps,
                            " ops"));
    return errors.ToStatus("WriteEntries");
  }
  std::vector<PreparedOp> ops(request.ops_size());
  size_t kept = 0;
  for (int i = 0; i < request.ops_size(); ++i) {
    if (PrepareOp(i, request.ops(i), &ops[kept], &errors)) ++kept;
  }
  if (!errors.empty()) return errors.ToStatus("WriteEntries");
  auto result = Write("WriteEntries", {}, ops, "", request.dry_run());
  if (!result.ok()) return result.status();
  corsd::v1::WriteEntriesResponse response;
  response.set_revision(result->revision);
  response.set_added(result->added);
  response.set_removed(result->removed);
  return response;
}

absl::StatusOr<corsd::v1::ListEntriesResponse> CatalogImpl::ListEntries(
    const corsd::v1::ListEntriesRequest& request) {
  auto size = PageSize(request.page_size(), kDefaultEntryPage, kMaxEntryPage);
  if (!size.ok()) return size.status();
  auto after = ParsePageToken(request.page_token());
  if (!after.ok()) return after.status();
  table::Op::Kind kind;
  switch (request.kind()) {
    case corsd::v1::ENTRY_KIND_ORIGIN:
      kind = table::Op::Kind::kAddOrigin;
      break;
    case corsd::v1::ENTRY_KIND_WILDCARD:
      kind = table::Op::Kind::kAddWildcard;
      break;
    case corsd::v1::ENTRY_KIND_API_HOST:
      kind = table::Op::Kind::kAddApiHost;
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "kind ", request.kind(),
          " is not listable; expected ENTRY_KIND_ORIGIN, ENTRY_KIND_WILDCARD "
          "or ENTRY_KIND_API_HOST"));
  }
  {
    absl::MutexLock lock(&mu_);
    if (!tenants_.contains(request.tenant())) {
      return absl::NotFoundError(absl::StrCat(
          "tenant \"", absl::string_view(request.tenant()).substr(0, 256),
          "\" does not exist"));
    }
  }
  std::vector<std::string> values =
      table_->ListEntries(request.tenant(), kind, *after, *size + 1);
  corsd::v1::ListEntriesResponse response;
  const bool more = values.size() > *size;
  if (more) values.resize(*size);
  if (more) response.set_next_page_token(MakePageToken(values.back()));
  for (std::string& v : values) response.add_values(std::move(v));
  return response;
}

std::unique_ptr<ImportSession> CatalogImpl::BeginImport() {
  return std::make_unique<ImportSessionImpl>(this);
}

namespace {

// Turns a store snapshot into ExportChunks of at most kExportChunkItems.
class ExportSink final : public LoadSink {
 public:
  explicit ExportSink(
      absl::FunctionRef<bool(const corsd::v1::ExportChunk&)> sink)
      : sink_(sink) {}

  absl::Status OnTenant(absl::string_view id,
                        absl::string_view policy_bytes) override {
    corsd::v1::Tenant* tenant = chunk_.add_tenants();
    tenant->set_id(std::string(id));
    if (!tenant->mutable_policy()->ParseFromArray(
            policy_bytes.data(), static_cast<int>(policy_bytes.size()))) {
      return absl::DataLossError(absl::StrCat("stored policy of tenant \"", id,
                                              "\" is not a corsd.v1.Policy"));
    }
    return MaybeFlush();
  }

  absl::Status OnDomain(absl::string_view tenant, absl::string_view host,
                        absl::string_view record) override {
    corsd::v1::CustomDomain* domain = chunk_.add_domains();
    if (!domain->ParseFromArray(record.data(),
                                static_cast<int>(record.size()))) {
      return absl::DataLossError(
          absl::StrCat("stored custom domain \"", host, "\" of tenant \"",
                       tenant, "\" is not a corsd.v1.CustomDomain"));
    }
    return MaybeFlush();
  }

  absl::Status OnEntry(absl::string_view tenant, EntryKind kind,
                       absl::string_view value) override {
    corsd::v1::EntryOp* op = chunk_.add_ops();
    op->set_op(corsd::v1::EntryOp::OP_ADD);
    op->set_kind(static_cast<corsd::v1::EntryKind>(kind));
    op->set_tenant(std::string(tenant));
    op->set_value(std::string(value));
    return MaybeFlush();
  }

  absl::Status Flush() {
    if (chunk_.tenants_size() + chunk_.ops_size() + chunk_.domains_size() ==
        0) {
      return absl::OkStatus();
    }
    const bool go_on = sink_(chunk_);
    chunk_.Clear();
    if (!go_on) return absl::CancelledError("export stopped by the receiver");
    return absl::OkStatus();
  }

 private:
  absl::Status MaybeFlush() {
    if (static_cast<size_t>(chunk_.tenants_size() + chunk_.ops_size() +
                            chunk_.domains_size()) < kExportChunkItems) {
      return absl::OkStatus();
    }
    return Flush();
  }

  absl::FunctionRef<bool(const corsd::v1::ExportChunk&)> sink_;
  corsd::v1::ExportChunk chunk_;
};

}  // namespace

absl::Status CatalogImpl::Export(
    absl::FunctionRef<bool(const corsd::v1::ExportChunk&)> sink) {
  ExportSink exporter(sink);
  auto revision = store_->Load(exporter);
  if (!revision.ok()) return revision.status();
  return exporter.Flush();
}

corsd::v1::StatsResponse CatalogImpl::Stats() {
  const table::TableStats stats = table_->Stats();
  corsd::v1::StatsResponse response;
  response.set_tenants(stats.tenants);
  response.set_origins(stats.origins);
  response.set_wildcards(stats.wildcards);
  response.set_api_hosts(stats.api_hosts);
  response.set_revision(AppliedRevision());
  response.set_table_bytes(stats.bytes);
  return response;
}

absl::StatusOr<corsd::v1::LookupOriginResponse> CatalogImpl::LookupOrigin(
    const corsd::v1::LookupOriginRequest& request) {
  auto canonical = origin::CanonicalizeAdminOrigin(request.origin());
  if (!canonical.ok()) return canonical.status();
  origin::OriginParts parts;
  if (origin::CheckOriginHeader(*canonical, &parts) !=
      origin::HeaderCheck::kCanonical) {
    return absl::InvalidArgumentError(absl::StrCat(
        "origin \"", absl::string_view(request.origin()).substr(0, 256),
        "\" has no tuple origin to look up"));
  }
  corsd::v1::LookupOriginResponse response;
  std::vector<std::string> owners;
  {
    table::EpochManager::ReadGuard guard(epochs_);
    table_->ForEachOwner(parts, [&](table::TenantId id, table::Match) {
      owners.emplace_back(table_->TenantName(id));
    });
  }
  std::sort(owners.begin(), owners.end());
  response.set_canonical(*canonical);
  for (std::string& o : owners) response.add_tenants(std::move(o));
  return response;
}

}  // namespace corsd::store
