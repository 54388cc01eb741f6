#include "service/store/validation.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "service/domain/domain_name.h"
#include "service/origin/origin.h"
#include "service/policy/policy_proto.h"
#include "service/store/catalog.h"
#include "service/table/public_suffix.h"

namespace corsd::store {
namespace {

constexpr size_t kMaxTenantIdBytes = 128;
constexpr size_t kMaxErrorValueBytes = 256;

}  // namespace

void ErrorList::Add(uint64_t index, absl::string_view field,
                    absl::string_view value, absl::string_view message) {
  errors_.set_total(errors_.total() + 1);
  if (static_cast<size_t>(errors_.errors_size()) >= kMaxListedErrors) return;
  corsd::v1::ItemError* e = errors_.add_errors();
  e->set_index(index);
  e->set_field(std::string(field));
  e->set_value(std::string(value.substr(0, kMaxErrorValueBytes)));
  e->set_message(std::string(message));
}

absl::Status ErrorList::ToStatus(absl::string_view what) const {
  if (empty()) return absl::OkStatus();
  const corsd::v1::ItemError& first = errors_.errors(0);
  absl::Status status = absl::InvalidArgumentError(absl::StrCat(
      what, ": ", errors_.total(),
      " item(s) refused, nothing changed; first: "
      "item ",
      first.index(), " field ", first.field(), ": ", first.message()));
  status.SetPayload(kBatchErrorsTypeUrl,
                    absl::Cord(errors_.SerializeAsString()));
  return status;
}

corsd::v1::BatchErrors GetBatchErrors(const absl::Status& status) {
  corsd::v1::BatchErrors errors;
  if (auto payload = status.GetPayload(kBatchErrorsTypeUrl)) {
    errors.ParseFromString(std::string(*payload));
  }
  return errors;
}

absl::Status ValidateTenantId(absl::string_view id) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tenant id \"", id.substr(0, kMaxErrorValueBytes), "\" ", why,
        "; expected 1..128 bytes of [a-z0-9._-] starting "
        "with a letter or digit"));
  };
  if (id.empty()) return bad("is empty");
  if (id.size() > kMaxTenantIdBytes) {
    return bad(absl::StrCat("is ", id.size(), " bytes long"));
  }
  for (size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (alnum) continue;
    if (i == 0) return bad("does not start with a letter or digit");
    if (c != '.' && c != '_' && c != '-') {
      return bad(absl::StrCat("has a forbidden character at byte ", i));
    }
  }
  return absl::OkStatus();
}

namespace {

bool CompilePolicy(const corsd::v1::Policy& proto, PreparedTenant* out,
                   std::string* error) {
  auto model = policy::FromProto(proto);
  if (!model.ok()) {
    *error = std::string(model.status().message());
    return false;
  }
  auto compiled = policy::Validate(*model);
  if (!compiled.ok()) {
    *error = std::string(compiled.status().message());
    return false;
  }
  out->policy = *std::move(model);
  out->compiled = std::move(compiled).value();
  return true;
}

}  // namespace

bool PrepareTenant(uint64_t index, const corsd::v1::Tenant& tenant,
                   PreparedTenant* out, ErrorList* errors) {
  if (absl::Status s = ValidateTenantId(tenant.id()); !s.ok()) {
    errors->Add(index, "id", tenant.id(), s.message());
    return false;
  }
  std::string error;
  if (!CompilePolicy(tenant.policy(), out, &error)) {
    errors->Add(
        index, "policy", tenant.id(),
        absl::StrCat("policy of tenant \"", tenant.id(), "\": ", error));
    return false;
  }
  out->index = index;
  out->id = tenant.id();
  out->policy_proto = tenant.policy();
  out->policy_bytes = tenant.policy().SerializeAsString();
  return true;
}

absl::Status CompileStoredPolicy(absl::string_view tenant,
                                 absl::string_view policy_bytes,
                                 PreparedTenant* out) {
  out->id = std::string(tenant);
  out->policy_bytes = std::string(policy_bytes);
  if (!out->policy_proto.ParseFromString(out->policy_bytes)) {
    return absl::DataLossError(absl::StrCat(
        "stored policy of tenant \"", tenant, "\" (", policy_bytes.size(),
        " bytes) is not a corsd.v1.Policy message"));
  }
  std::string error;
  if (!CompilePolicy(out->policy_proto, out, &error)) {
    return absl::DataLossError(absl::StrCat(
        "stored policy of tenant \"", tenant, "\" does not validate: ", error));
  }
  return absl::OkStatus();
}

bool PrepareOp(uint64_t index, const corsd::v1::EntryOp& op, PreparedOp* out,
               ErrorList* errors) {
  using corsd::v1::EntryKind;
  using corsd::v1::EntryOp;
  if (op.op() != EntryOp::OP_ADD && op.op() != EntryOp::OP_REMOVE) {
    errors->Add(index, "op", EntryOp::Op_Name(op.op()),
                "expected OP_ADD or OP_REMOVE");
    return false;
  }
  if (op.kind() != corsd::v1::ENTRY_KIND_ORIGIN &&
      op.kind() != corsd::v1::ENTRY_KIND_WILDCARD &&
      op.kind() != corsd::v1::ENTRY_KIND_API_HOST) {
    errors->Add(index, "kind", absl::StrCat(op.kind()),
                "expected ENTRY_KIND_ORIGIN, ENTRY_KIND_WILDCARD or "
                "ENTRY_KIND_API_HOST");
    return false;
  }
  if (absl::Status s = ValidateTenantId(op.tenant()); !s.ok()) {
    errors->Add(index, "tenant", op.tenant(), s.message());
    return false;
  }
  if (op.value().size() > kMaxValueBytes) {
    errors->Add(index, "value", op.value(),
                absl::StrCat("value is ", op.value().size(), " bytes; at most ",
                             kMaxValueBytes, " allowed"));
    return false;
  }
  out->index = index;
  out->add = op.op() == EntryOp::OP_ADD;
  out->kind = static_cast<store::EntryKind>(op.kind());
  out->tenant = op.tenant();
  switch (op.kind()) {
    case corsd::v1::ENTRY_KIND_ORIGIN: {
      auto canonical = origin::CanonicalizeAdminOrigin(op.value());
      if (!canonical.ok()) {
        errors->Add(index, "value", op.value(), canonical.status().message());
        return false;
      }
      out->value = *std::move(canonical);
      return true;
    }
    case corsd::v1::ENTRY_KIND_WILDCARD: {
      auto wildcard = origin::ParseWildcard(op.value());
      if (!wildcard.ok()) {
        errors->Add(index, "value", op.value(), wildcard.status().message());
        return false;
      }
      // The table's own rule (R2: no wildcard over a public suffix), so the
      // table cannot refuse what validation accepted. Removals are not
      // checked: removing what cannot exist is a no-op.
      if (out->add) {
        if (absl::Status s =
                table::CheckWildcardDomain(wildcard->domain, op.value());
            !s.ok()) {
          errors->Add(index, "value", op.value(), s.message());
          return false;
        }
      }
      out->value = wildcard->Serialize();
      return true;
    }
    case corsd::v1::ENTRY_KIND_API_HOST: {
      auto host = origin::CanonicalizeHost(op.value());
      if (!host.ok()) {
        errors->Add(index, "value", op.value(), host.status().message());
        return false;
      }
      out->value = *std::move(host);
      return true;
    }
    default:
      return false;  // unreachable: kind checked above
  }
}

absl::Status CheckDevOrigin(const policy::Policy& policy,
                            const PreparedOp& op) {
  if (!op.add || !policy.production || policy.allow_dev_origins) {
    return absl::OkStatus();
  }
  if (op.kind == EntryKind::kOrigin) {
    return policy::ValidateOriginForTenant(policy, op.value);
  }
  if (op.kind == EntryKind::kWildcard) {
    auto wildcard = origin::ParseWildcard(op.value);
    if (!wildcard.ok()) return wildcard.status();
    return policy::ValidateWildcardForTenant(policy, *wildcard);
  }
  return absl::OkStatus();
}

bool PrepareDomain(uint64_t index, const corsd::v1::CustomDomain& domain,
                   PreparedDomain* out, ErrorList* errors) {
  if (domain.ByteSizeLong() > kMaxImportedDomainBytes) {
    errors->Add(
        index, "domains", domain.host(),
        absl::StrCat("the record is ", domain.ByteSizeLong(),
                     " bytes; expected at most ", kMaxImportedDomainBytes));
    return false;
  }
  if (absl::Status s = ValidateTenantId(domain.tenant()); !s.ok()) {
    errors->Add(index, "domains.tenant", domain.tenant(), s.message());
    return false;
  }
  absl::StatusOr<domain::DomainName> name =
      domain::ParseDomainName(domain.host());
  if (!name.ok()) {
    errors->Add(index, "domains.host", domain.host(), name.status().message());
    return false;
  }
  if (name->host != domain.host()) {
    errors->Add(index, "domains.host", domain.host(),
                absl::StrCat("expected the canonical form \"", name->host,
                             "\" (as Export writes it)"));
    return false;
  }
  const corsd::v1::DomainMethod method = domain.method();
  if (method != corsd::v1::DOMAIN_METHOD_DNS &&
      method != corsd::v1::DOMAIN_METHOD_HTTP &&
      method != corsd::v1::DOMAIN_METHOD_OPERATOR) {
    errors->Add(index, "domains.method", absl::StrCat(static_cast<int>(method)),
                "expected DOMAIN_METHOD_DNS, DOMAIN_METHOD_HTTP or "
                "DOMAIN_METHOD_OPERATOR");
    return false;
  }
  if (domain.state() < corsd::v1::DOMAIN_STATE_PENDING ||
      domain.state() > corsd::v1::DOMAIN_STATE_REMOVED) {
    errors->Add(index, "domains.state",
                absl::StrCat(static_cast<int>(domain.state())),
                "expected a DomainState from PENDING to REMOVED");
    return false;
  }
  if (method != corsd::v1::DOMAIN_METHOD_OPERATOR) {
    const std::string& token = domain.token();
    bool ok = !token.empty() && token.size() <= 128;
    for (char c : token) {
      ok = ok && (absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
                  c == '-' || c == '_');
    }
    if (!ok) {
      errors->Add(index, "domains.token", token,
                  "expected 1 to 128 bytes of letters, digits, '-' or '_'");
      return false;
    }
  }
  out->index = index;
  out->record = domain;
  return true;
}

// Page tokens: "v1:" + the last item of the previous page, web-safe base64.
std::string MakePageToken(absl::string_view last) {
  return absl::WebSafeBase64Escape(absl::StrCat("v1:", last));
}

absl::StatusOr<std::string> ParsePageToken(absl::string_view token) {
  std::string raw;
  if (token.empty()) return raw;
  if (!absl::WebSafeBase64Unescape(token, &raw) ||
      !absl::StartsWith(raw, "v1:")) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_token \"", token.substr(0, 64),
                     "\" is malformed; expected a next_page_token from a "
                     "previous response"));
  }
  return raw.substr(3);
}

absl::StatusOr<uint32_t> PageSize(uint32_t requested, uint32_t default_size,
                                  uint32_t max_size) {
  if (requested == 0) return default_size;
  if (requested > max_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size ", requested, " is too large; expected 1..",
                     max_size, " (0 means ", default_size, ")"));
  }
  return requested;
}

}  // namespace corsd::store
