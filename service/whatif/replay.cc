#include "service/whatif/replay.h"

#include <algorithm>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "service/decision/reason.h"
#include "service/door/decision_observer.h"
#include "service/policy/policy_registry.h"
#include "service/store/validation.h"
#include "service/table/origin_table.h"

namespace corsd::whatif {
namespace {

using corsd::v1::EntryKind;
using corsd::v1::EntryOp;

absl::Status TooLong(absl::string_view field, size_t size, size_t bound) {
  return absl::InvalidArgumentError(absl::StrCat(
      field, ": ", size, " bytes; expected at most ", bound, " bytes"));
}

// The request's entry changes as EntryOps, in the documented item order
// (after the policy).
std::vector<EntryOp> ChangeOps(const corsd::v1::WhatIfRequest& request) {
  std::vector<EntryOp> ops;
  auto add = [&](const auto& values, EntryOp::Op op, EntryKind kind) {
    for (const std::string& value : values) {
      EntryOp& e = ops.emplace_back();
      e.set_op(op);
      e.set_kind(kind);
      e.set_tenant(request.tenant());
      e.set_value(value);
    }
  };
  add(request.add_origins(), EntryOp::OP_ADD, corsd::v1::ENTRY_KIND_ORIGIN);
  add(request.remove_origins(), EntryOp::OP_REMOVE,
      corsd::v1::ENTRY_KIND_ORIGIN);
  add(request.add_wildcards(), EntryOp::OP_ADD, corsd::v1::ENTRY_KIND_WILDCARD);
  add(request.remove_wildcards(), EntryOp::OP_REMOVE,
      corsd::v1::ENTRY_KIND_WILDCARD);
  return ops;
}

// "policy", "add_origins[2]", ... for a BatchErrors index.
std::string ItemLabel(const corsd::v1::WhatIfRequest& request, uint64_t index) {
  if (request.has_policy()) {
    if (index == 0) return "policy";
    --index;
  }
  const std::pair<const char*, int> lists[] = {
      {"add_origins", request.add_origins_size()},
      {"remove_origins", request.remove_origins_size()},
      {"add_wildcards", request.add_wildcards_size()},
      {"remove_wildcards", request.remove_wildcards_size()}};
  for (const auto& [name, size] : lists) {
    if (index < static_cast<uint64_t>(size)) {
      return absl::StrCat(name, "[", index, "]");
    }
    index -= static_cast<uint64_t>(size);
  }
  return absl::StrCat("item ", index);
}

// The dry-run import's refusal, worded for a what-if, same payload.
absl::Status Refused(const corsd::v1::WhatIfRequest& request,
                     const absl::Status& status) {
  const corsd::v1::BatchErrors errors = store::GetBatchErrors(status);
  if (errors.errors_size() == 0) return status;
  const corsd::v1::ItemError& first = errors.errors(0);
  absl::Status out = absl::InvalidArgumentError(absl::StrCat(
      "what-if: the proposed change is refused as a write would be (",
      errors.total(),
      " item(s)), nothing changed; first: ", ItemLabel(request, first.index()),
      " field ", first.field(), " \"", first.value(), "\": ", first.message()));
  out.SetPayload(store::kBatchErrorsTypeUrl,
                 absl::Cord(errors.SerializeAsString()));
  return out;
}

// Every value of one kind of the tenant, following page tokens.
absl::Status ListAll(store::Catalog* catalog, const std::string& tenant,
                     EntryKind kind, table::Op::Kind op,
                     std::vector<table::Op>* out) {
  corsd::v1::ListEntriesRequest list;
  list.set_tenant(tenant);
  list.set_kind(kind);
  list.set_page_size(10000);
  for (;;) {
    absl::StatusOr<corsd::v1::ListEntriesResponse> page =
        catalog->ListEntries(list);
    if (!page.ok()) return page.status();
    for (const std::string& v : page->values()) {
      out->push_back(table::Op{op, tenant, v});
    }
    if (page->next_page_token().empty()) return absl::OkStatus();
    list.set_page_token(page->next_page_token());
  }
}

corsd::v1::WhatIfOutcome Outcome(const decision::Decision& d) {
  corsd::v1::WhatIfOutcome o;
  o.set_action(static_cast<corsd::v1::Action>(d.action));
  o.set_status(d.status);
  o.set_reason(static_cast<corsd::v1::Reason>(d.reason));
  o.set_rule(std::string(decision::RuleOf(d.reason)));
  o.set_allowed(!door::IsRefusal(d.reason));
  for (const decision::ResponseHeader& h : d.Headers()) {
    if (h.name == "access-control-allow-credentials" && h.value == "true") {
      o.set_credentials(true);
    }
  }
  return o;
}

struct Replayed {
  Shape shape;
  uint64_t count = 0;
  int64_t last_seen_unix_ms = 0;
  bool recorded = false;
  bool given = false;
};

}  // namespace

void ShapeToProto(const Shape& s, corsd::v1::RequestShape* out) {
  out->set_door(std::string(DoorName(s.door)));
  out->set_method(s.method);
  out->set_origin(s.origin);
  out->set_has_origin(s.has_origin);
  out->set_host(s.host);
  out->set_path(s.path);
  out->set_access_control_request_method(s.request_method);
  out->set_has_access_control_request_method(s.has_request_method);
  out->set_access_control_request_headers(s.request_headers);
  out->set_has_access_control_request_headers(s.has_request_headers);
  out->set_access_control_request_private_network(s.private_network);
  out->set_has_access_control_request_private_network(s.has_private_network);
  out->set_upgrade(s.upgrade);
  out->set_connection(s.connection);
  out->set_credentials(s.credentials);
}

absl::StatusOr<Shape> ShapeFromProto(const corsd::v1::RequestShape& p,
                                     absl::string_view field) {
  const Door door = DoorOf(p.door());
  if (door == Door::kOther && !p.door().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ".door: \"", p.door().substr(0, 64),
        "\"; expected \"decide\", \"ext_authz\", \"http\" or \"\""));
  }
  const std::tuple<const char*, const std::string&, size_t> fields[] = {
      {"method", p.method(), kMaxShapeMethodBytes},
      {"origin", p.origin(), kMaxShapeOriginBytes},
      {"host", p.host(), kMaxShapeHostBytes},
      {"path", p.path(), policy::kMaxPathPrefixBytes + 1024},
      {"access_control_request_method", p.access_control_request_method(),
       kMaxShapeRequestMethodBytes},
      {"access_control_request_headers", p.access_control_request_headers(),
       kMaxShapeRequestHeadersBytes},
      {"access_control_request_private_network",
       p.access_control_request_private_network(),
       kMaxShapePrivateNetworkBytes},
      {"upgrade", p.upgrade(), kMaxShapeUpgradeBytes},
      {"connection", p.connection(), kMaxShapeConnectionBytes}};
  for (const auto& [name, value, bound] : fields) {
    if (value.size() > bound) {
      return TooLong(absl::StrCat(field, ".", name), value.size(), bound);
    }
  }
  Shape s;
  s.door = door;
  s.method = p.method();
  s.origin = p.origin();
  s.has_origin = p.has_origin();
  s.host = p.host();
  s.path = std::string(ShapePath(p.path()));
  s.request_method = p.access_control_request_method();
  s.has_request_method = p.has_access_control_request_method();
  s.request_headers = p.access_control_request_headers();
  s.has_request_headers = p.has_access_control_request_headers();
  s.private_network = p.access_control_request_private_network();
  s.has_private_network = p.has_access_control_request_private_network();
  s.upgrade = p.upgrade();
  s.connection = p.connection();
  s.credentials = p.credentials();
  return s;
}

absl::StatusOr<corsd::v1::WhatIfResponse> WhatIf::Run(
    const corsd::v1::WhatIfRequest& request) const {
  // 1. Bounds.
  if (absl::Status s = store::ValidateTenantId(request.tenant()); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("tenant: ", s.message()));
  }
  const size_t changes = static_cast<size_t>(request.add_origins_size()) +
                         request.remove_origins_size() +
                         request.add_wildcards_size() +
                         request.remove_wildcards_size();
  if (changes > kMaxWhatIfEntryChanges) {
    return absl::InvalidArgumentError(absl::StrCat(
        "add_origins + remove_origins + add_wildcards + remove_wildcards: ",
        changes, " values; expected at most ", kMaxWhatIfEntryChanges));
  }
  if (static_cast<size_t>(request.shapes_size()) > kMaxWhatIfShapes) {
    return absl::InvalidArgumentError(
        absl::StrCat("shapes: ", request.shapes_size(),
                     " shapes; expected at most ", kMaxWhatIfShapes));
  }
  std::vector<Replayed> shapes;
  absl::flat_hash_map<uint64_t, size_t> by_fp;
  for (int i = 0; i < request.shapes_size(); ++i) {
    absl::StatusOr<Shape> shape = ShapeFromProto(
        request.shapes(i).shape(), absl::StrCat("shapes[", i, "].shape"));
    if (!shape.ok()) return shape.status();
    const uint64_t count = std::max<uint64_t>(1, request.shapes(i).count());
    auto [it, inserted] = by_fp.emplace(shape->Fingerprint(), shapes.size());
    if (inserted) {
      shapes.push_back({*std::move(shape), count, 0, false, true});
    } else {
      shapes[it->second].count += count;
    }
  }

  // 2. The tenant.
  corsd::v1::GetTenantRequest get;
  get.set_id(request.tenant());
  absl::StatusOr<corsd::v1::TenantInfo> info = deps_.catalog->GetTenant(get);
  if (!info.ok()) return info.status();

  // 3. The change, validated as a write: one dry-run import.
  const std::vector<EntryOp> ops = ChangeOps(request);
  {
    corsd::v1::ImportChunk chunk;
    chunk.set_dry_run(true);
    if (request.has_policy()) {
      corsd::v1::Tenant* t = chunk.add_tenants();
      t->set_id(request.tenant());
      *t->mutable_policy() = request.policy();
    }
    for (const EntryOp& op : ops) *chunk.add_ops() = op;
    std::unique_ptr<store::ImportSession> session =
        deps_.catalog->BeginImport();
    absl::Status added = session->Add(chunk);
    if (!added.ok()) return Refused(request, added);
    absl::StatusOr<corsd::v1::ImportResponse> committed = session->Commit();
    if (!committed.ok()) return Refused(request, committed.status());
  }

  // 4. The shadow.
  std::vector<table::Op> table_ops = {
      {table::Op::Kind::kAddTenant, request.tenant(), ""}};
  const std::tuple<EntryKind, table::Op::Kind> kinds[] = {
      {corsd::v1::ENTRY_KIND_ORIGIN, table::Op::Kind::kAddOrigin},
      {corsd::v1::ENTRY_KIND_WILDCARD, table::Op::Kind::kAddWildcard},
      {corsd::v1::ENTRY_KIND_API_HOST, table::Op::Kind::kAddApiHost}};
  for (const auto& [kind, op] : kinds) {
    if (absl::Status s =
            ListAll(deps_.catalog, request.tenant(), kind, op, &table_ops);
        !s.ok()) {
      return s;
    }
  }
  store::ErrorList errors;
  for (size_t i = 0; i < ops.size(); ++i) {
    store::PreparedOp prepared;
    if (!store::PrepareOp(i, ops[i], &prepared, &errors)) {
      return errors.ToStatus("what-if");  // validated above: not reached
    }
    const bool origin = ops[i].kind() == corsd::v1::ENTRY_KIND_ORIGIN;
    const table::Op::Kind kind =
        origin ? (prepared.add ? table::Op::Kind::kAddOrigin
                               : table::Op::Kind::kRemoveOrigin)
               : (prepared.add ? table::Op::Kind::kAddWildcard
                               : table::Op::Kind::kRemoveWildcard);
    table_ops.push_back({kind, request.tenant(), prepared.value});
  }
  corsd::v1::Tenant proposed;
  proposed.set_id(request.tenant());
  *proposed.mutable_policy() =
      request.has_policy() ? request.policy() : info->tenant().policy();
  store::PreparedTenant compiled;
  if (!store::PrepareTenant(0, proposed, &compiled, &errors)) {
    return errors.ToStatus("what-if");  // validated above: not reached
  }
  table::EpochManager shadow_epochs;
  table::OriginTable shadow_table(&shadow_epochs);
  policy::PolicyRegistry shadow_registry(&shadow_epochs);
  decision::Engine shadow_engine(&shadow_table, &shadow_registry,
                                 deps_.engine_options);
  if (absl::StatusOr<table::ApplyResult> applied =
          shadow_table.Apply(table_ops);
      !applied.ok()) {
    return absl::InternalError(
        absl::StrCat("what-if: the shadow table refused the tenant's entries: ",
                     applied.status().message()));
  }
  table::TenantId shadow_id;
  {
    table::EpochManager::ReadGuard guard(&shadow_epochs);
    shadow_id = shadow_table.FindTenant(request.tenant());
  }
  if (absl::Status s =
          shadow_registry.Set(shadow_id, std::move(compiled.compiled));
      !s.ok()) {
    return absl::InternalError(
        absl::StrCat("what-if: shadow policy: ", s.message()));
  }

  // 5. The shapes, decided twice.
  corsd::v1::WhatIfResponse response;
  if (deps_.recorder != nullptr) {
    deps_.recorder->Flush();
    for (RecordedShape& r : deps_.recorder->Snapshot(request.tenant())) {
      auto [it, inserted] = by_fp.emplace(r.shape.Fingerprint(), shapes.size());
      if (inserted) {
        shapes.push_back(
            {std::move(r.shape), r.count, r.last_seen_unix_ms, true, false});
      } else {
        Replayed& s = shapes[it->second];
        s.count += r.count;
        s.last_seen_unix_ms = r.last_seen_unix_ms;
        s.recorded = true;
      }
    }
    response.set_recording(true);
    response.set_dropped_shapes(deps_.recorder->Stats().Dropped());
  }
  auto before = std::make_unique<decision::Decision>();
  auto after = std::make_unique<decision::Decision>();
  uint64_t decisions = 0;
  for (const Replayed& s : shapes) {
    decisions += s.count;
    const decision::Request r = s.shape.ToRequest();
    corsd::v1::WhatIfOutcome was, will;
    {
      table::EpochManager::ReadGuard guard(deps_.epochs);
      deps_.engine->Decide(request.tenant(), r, before.get());
      was = Outcome(*before);
    }
    {
      table::EpochManager::ReadGuard guard(&shadow_epochs);
      shadow_engine.Decide(request.tenant(), r, after.get());
      will = Outcome(*after);
    }
    if (was.action() == will.action() && was.status() == will.status() &&
        was.reason() == will.reason() &&
        was.credentials() == will.credentials()) {
      continue;
    }
    corsd::v1::WhatIfChange* change = response.add_changes();
    ShapeToProto(s.shape, change->mutable_shape()->mutable_shape());
    change->mutable_shape()->set_count(s.count);
    change->mutable_shape()->set_last_seen_unix_ms(s.last_seen_unix_ms);
    *change->mutable_before() = std::move(was);
    *change->mutable_after() = std::move(will);
    change->set_flips(
        change->before().allowed() != change->after().allowed() ||
        (s.shape.credentials &&
         change->before().credentials() != change->after().credentials()));
    change->set_source(s.recorded && s.given ? "both"
                       : s.recorded          ? "recorded"
                                             : "request");
  }
  std::stable_sort(
      response.mutable_changes()->begin(), response.mutable_changes()->end(),
      [](const corsd::v1::WhatIfChange& a, const corsd::v1::WhatIfChange& b) {
        if (a.flips() != b.flips()) return a.flips();
        return a.shape().count() > b.shape().count();
      });
  uint64_t flips = 0;
  for (const corsd::v1::WhatIfChange& c : response.changes()) {
    if (c.flips()) ++flips;
  }
  response.set_shapes(shapes.size());
  response.set_decisions(decisions);
  response.set_flips(flips);
  return response;
}

}  // namespace corsd::whatif
