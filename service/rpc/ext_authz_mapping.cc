#include "service/rpc/ext_authz_mapping.h"

#include <iterator>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "service/decision/reason.h"
#include "service/door/header_rules.h"
#include "service/rpc/limits.h"

namespace corsd::rpc {
namespace {

using envoy::service::auth::v3::AttributeContext;

// google.rpc.Code PERMISSION_DENIED: Envoy denies and sends denied_response.
constexpr int kPermissionDenied = 7;

absl::string_view View(const std::string& s) {
  return absl::string_view(s.data(), s.size());
}

// The headers of one request, in whichever form Envoy sent them.
class HeaderReader {
 public:
  HeaderReader(const AttributeContext::HttpRequest& http, CheckInput* input)
      : http_(http), input_(input) {}

  // Checks the header count and sizes (the limits of the file comment).
  absl::Status CheckLimits() const {
    const bool raw = UseHeaderMap();
    const size_t count =
        raw ? static_cast<size_t>(http_.header_map().headers_size())
            : static_cast<size_t>(http_.headers_size());
    if (count > kMaxCheckHeaders) {
      return absl::InvalidArgumentError(absl::StrCat(
          "attributes.request.http.headers has ", count,
          " headers; the limit is ", kMaxCheckHeaders, " headers"));
    }
    auto check_one = [](absl::string_view key,
                        absl::string_view value) -> absl::Status {
      const size_t value_size = value.size();
      if (key.size() + value_size > kMaxCheckHeaderBytes) {
        return absl::InvalidArgumentError(absl::StrCat(
            "header \"", key.substr(0, 64), "\" is ", key.size() + value_size,
            " bytes (name + value); the limit is ", kMaxCheckHeaderBytes,
            " bytes per header"));
      }
      if (door::HasForbiddenByte(value)) {
        return door::ForbiddenByteError(
            absl::StrCat("header \"", key.substr(0, 64), "\""), value);
      }
      if (key == "origin" && value_size > kMaxOriginBytes) {
        return absl::InvalidArgumentError(
            absl::StrCat("header \"origin\" is ", value_size,
                         " bytes; the limit is ", kMaxOriginBytes, " bytes"));
      }
      return absl::OkStatus();
    };
    if (raw) {
      for (const auto& h : http_.header_map().headers()) {
        const std::string& value =
            h.raw_value().empty() ? h.value() : h.raw_value();
        if (absl::Status s = check_one(View(h.key()), View(value)); !s.ok()) {
          return s;
        }
      }
    } else {
      for (const auto& [key, value] : http_.headers()) {
        if (absl::Status s = check_one(View(key), View(value)); !s.ok()) {
          return s;
        }
      }
    }
    return absl::OkStatus();
  }

  // The value of header `key` (lowercase); false when absent.
  bool Find(absl::string_view key, absl::string_view* value) {
    if (!UseHeaderMap()) {
      // Heterogeneous lookup: no std::string built per header read.
      auto it = http_.headers().find(std::string_view(key.data(), key.size()));
      if (it == http_.headers().end()) return false;
      *value = View(it->second);
      return true;
    }
    door::JoinedValue joined(&input_->joined);
    for (const auto& h : http_.header_map().headers()) {
      if (h.key() != key) continue;
      joined.Add(View(h.raw_value().empty() ? h.value() : h.raw_value()));
    }
    if (!joined.present()) return false;
    *value = joined.value();
    return true;
  }

  absl::string_view FindOrEmpty(absl::string_view key) {
    absl::string_view v;
    return Find(key, &v) ? v : absl::string_view();
  }

 private:
  bool UseHeaderMap() const {
    return http_.headers().empty() && http_.header_map().headers_size() > 0;
  }

  const AttributeContext::HttpRequest& http_;
  CheckInput* input_;
};

}  // namespace

absl::Status ReadCheckRequest(
    const envoy::service::auth::v3::CheckRequest& check,
    absl::string_view tenant_header, CheckInput* out) {
  const AttributeContext& attrs = check.attributes();
  const AttributeContext::HttpRequest& http = attrs.request().http();
  out->request = decision::Request{};
  out->tenant = door::TenantSources{};
  out->joined.clear();

  HeaderReader headers(http, out);
  if (absl::Status s = headers.CheckLimits(); !s.ok()) return s;

  const auto& ext = attrs.context_extensions();
  if (auto it = ext.find(std::string_view("tenant")); it != ext.end()) {
    if (it->second.size() > kMaxContextExtensionBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "attributes.context_extensions[\"tenant\"] is ", it->second.size(),
          " bytes; the limit is ", kMaxContextExtensionBytes, " bytes"));
    }
    out->tenant.named = View(it->second);
  }
  if (!tenant_header.empty()) {
    out->tenant.header = headers.FindOrEmpty(tenant_header);
  }

  decision::Request& r = out->request;
  r.method = !http.method().empty() ? View(http.method())
                                    : headers.FindOrEmpty(":method");
  r.scheme = !http.scheme().empty() ? View(http.scheme())
                                    : headers.FindOrEmpty(":scheme");
  if (!http.host().empty()) {
    r.host = View(http.host());
  } else if (!headers.Find(":authority", &r.host)) {
    r.host = headers.FindOrEmpty("host");
  }
  r.path =
      !http.path().empty() ? View(http.path()) : headers.FindOrEmpty(":path");
  r.has_origin = headers.Find("origin", &r.origin);
  r.has_access_control_request_method = headers.Find(
      "access-control-request-method", &r.access_control_request_method);
  r.has_access_control_request_headers = headers.Find(
      "access-control-request-headers", &r.access_control_request_headers);
  r.has_access_control_request_private_network =
      headers.Find("access-control-request-private-network",
                   &r.access_control_request_private_network);
  r.upgrade = headers.FindOrEmpty("upgrade");
  r.connection = headers.FindOrEmpty("connection");
  absl::string_view unused;
  const bool has_cookie = headers.Find("cookie", &unused);
  r.credentials = door::CarriesCredentials(
      has_cookie, headers.Find("authorization", &unused));
  return absl::OkStatus();
}

void FillCheckResponse(const decision::Decision& decision,
                       envoy::service::auth::v3::CheckResponse* out,
                       absl::string_view decision_id) {
  out->Clear();
  {
    auto* fields = out->mutable_dynamic_metadata()->mutable_fields();
    const absl::string_view values[] = {decision::ReasonName(decision.reason),
                                        decision::RuleOf(decision.reason),
                                        decision.tenant_name, decision_id};
    static_assert(std::size(values) == std::size(kDynamicMetadataKeys));
    for (size_t i = 0; i < std::size(values); ++i) {
      if (kDynamicMetadataKeys[i] == "decision_id" && decision_id.empty()) {
        continue;
      }
      (*fields)[std::string(kDynamicMetadataKeys[i])].set_string_value(
          values[i].data(), values[i].size());
    }
  }
  if (decision.action == decision::Action::kAnswer) {
    out->mutable_status()->set_code(kPermissionDenied);
    const absl::string_view reason = decision::ReasonName(decision.reason);
    out->mutable_status()->set_message(reason.data(), reason.size());
    auto* denied = out->mutable_denied_response();
    denied->mutable_status()->set_code(
        static_cast<envoy::type::v3::StatusCode>(decision.status));
    for (const decision::ResponseHeader& h : decision.Headers()) {
      auto* header = denied->add_headers()->mutable_header();
      header->set_key(h.name.data(), h.name.size());
      header->set_value(h.value.data(), h.value.size());
    }
    return;
  }
  out->mutable_status()->set_code(0);
  auto* ok = out->mutable_ok_response();
  for (const decision::ResponseHeader& h : decision.Headers()) {
    auto* option = ok->add_response_headers_to_add();
    option->mutable_header()->set_key(h.name.data(), h.name.size());
    option->mutable_header()->set_value(h.value.data(), h.value.size());
    option->mutable_append()->set_value(h.append);
  }
}

}  // namespace corsd::rpc
