#include "service/rpc/decide_mapping.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "service/decision/reason.h"
#include "service/door/header_rules.h"
#include "service/rpc/limits.h"

namespace corsd::rpc {
namespace {

absl::string_view View(const std::string& s) {
  return absl::string_view(s.data(), s.size());
}

absl::Status TooLong(absl::string_view prefix, absl::string_view infix,
                     absl::string_view field, size_t size, size_t limit) {
  return absl::InvalidArgumentError(
      absl::StrCat(prefix, infix, ".", field, " is ", size,
                   " bytes; the limit is ", limit, " bytes"));
}

// ToEngineRequest for an HttpRequest named `prefix` + `infix` in errors;
// the name is formatted only for an error, so the hot path builds no string.
absl::Status Convert(const corsd::v1::HttpRequest& r, absl::string_view prefix,
                     absl::string_view infix, decision::Request* out) {
  struct Field {
    const char* name;
    const std::string& value;
    size_t limit;
  };
  const Field fields[] = {
      {"method", r.method(), kMaxFieldBytes},
      {"scheme", r.scheme(), kMaxFieldBytes},
      {"host", r.host(), kMaxFieldBytes},
      {"path", r.path(), kMaxFieldBytes},
      {"origin", r.origin(), kMaxOriginBytes},
      {"access_control_request_method", r.access_control_request_method(),
       kMaxFieldBytes},
      {"access_control_request_headers", r.access_control_request_headers(),
       kMaxFieldBytes},
      {"access_control_request_private_network",
       r.access_control_request_private_network(), kMaxFieldBytes},
      {"upgrade", r.upgrade(), kMaxFieldBytes},
      {"connection", r.connection(), kMaxFieldBytes},
  };
  for (const Field& f : fields) {
    if (f.value.size() > f.limit) {
      return TooLong(prefix, infix, f.name, f.value.size(), f.limit);
    }
    if (door::HasForbiddenByte(View(f.value))) {
      return door::ForbiddenByteError(absl::StrCat(prefix, infix, ".", f.name),
                                      View(f.value));
    }
  }
  *out = decision::Request{};
  out->method = View(r.method());
  out->scheme = View(r.scheme());
  out->host = View(r.host());
  out->path = View(r.path());
  out->has_origin = r.has_origin();
  out->origin = View(r.origin());
  out->has_access_control_request_method =
      r.has_access_control_request_method();
  out->access_control_request_method = View(r.access_control_request_method());
  out->has_access_control_request_headers =
      r.has_access_control_request_headers();
  out->access_control_request_headers =
      View(r.access_control_request_headers());
  out->has_access_control_request_private_network =
      r.has_access_control_request_private_network();
  out->access_control_request_private_network =
      View(r.access_control_request_private_network());
  out->upgrade = View(r.upgrade());
  out->connection = View(r.connection());
  out->credentials = r.credentials();
  return absl::OkStatus();
}

}  // namespace

absl::Status ToEngineRequest(const corsd::v1::HttpRequest& r,
                             absl::string_view prefix, decision::Request* out) {
  return Convert(r, prefix, "", out);
}

absl::Status ToEngineRequest(const corsd::v1::DecideRequest& request,
                             absl::string_view prefix, decision::Request* out) {
  if (request.tenant().size() > kMaxFieldBytes) {
    return TooLong(prefix, "", "tenant", request.tenant().size(),
                   kMaxFieldBytes);
  }
  return Convert(request.request(), prefix, ".request", out);
}

void FillDecision(const DecisionDeps& deps, const door::DecideResult& result,
                  const decision::Request& request,
                  const decision::Decision& decision, bool explain, uint64_t id,
                  corsd::v1::Decision* out) {
  out->Clear();
  out->set_action(static_cast<corsd::v1::Action>(decision.action));
  out->set_status(decision.status);
  for (const decision::ResponseHeader& h : decision.Headers()) {
    corsd::v1::Header* header = out->add_headers();
    header->set_name(h.name.data(), h.name.size());
    header->set_value(h.value.data(), h.value.size());
    header->set_append(h.append);
  }
  out->set_reason(static_cast<corsd::v1::Reason>(decision.reason));
  const absl::string_view rule = decision::RuleOf(decision.reason);
  out->set_rule(rule.data(), rule.size());
  out->set_tenant(decision.tenant_name.data(), decision.tenant_name.size());
  out->set_id(id);
  if (result.id != 0) {
    const door::DecisionIdText text = door::FormatDecisionId(result.id);
    out->set_decision_id(text.chars.data(), text.chars.size());
  }
  if (explain) {
    out->set_message(deps.engine->Explain(result.asked, request, decision));
  }
}

}  // namespace corsd::rpc
