#include "client/corsctl/policy_text.h"

#include <google/protobuf/util/json_util.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace corsd::corsctl {

void AddPolicyFlags(FlagSet* flags, PolicyFlags* p) {
  flags->String("file", "POLICY.json", &p->file,
                "start from this corsd.v1.Policy (protobuf JSON); flags "
                "given override its fields");
  flags->List("allow-method", "METHOD", &p->allow_methods,
              "method allowed beyond GET, HEAD, POST (case-sensitive)");
  flags->List("allow-header", "NAME", &p->allow_headers,
              "request header allowed beyond the safelisted ones (\"*\": any "
              "but authorization, without credentials)");
  flags->List("expose-header", "NAME", &p->expose_headers,
              "response header JavaScript may read");
  flags->Bool("credentials", &p->credentials,
              "answer Access-Control-Allow-Credentials: true (R4)");
  flags->Uint("max-age", "SECONDS", &p->max_age, 0xFFFFFFFFu,
              "Access-Control-Max-Age of allowed preflights (R10; > 86400 "
              "refused, > 7200 warned)");
  flags->Bool("public", &p->is_public,
              "answer * to requests without credentials (R3)");
  flags->Bool("allow-null", &p->allow_null,
              "allow the opaque origin \"null\" (R11)");
  flags->Bool("private-network", &p->private_network,
              "allow Private Network Access preflights (R12)");
  flags->Bool("allow-cross-origin-websocket", &p->allow_cross_origin_websocket,
              "let WebSocket handshakes from refused origins through (R13 "
              "off; browsers apply no CORS to WebSocket: only for endpoints "
              "that check Origin themselves)");
  flags->Bool("enforce-websocket", &p->enforce_websocket,
              "deprecated, no effect: R13 is on unless "
              "--allow-cross-origin-websocket");
  flags->Bool("enforce-unsafe", &p->enforce_unsafe,
              "deny non-safe methods from refused origins (R14)");
  flags->Bool("forward-refused-preflight", &p->forward_refused_preflight,
              "forward refused preflights upstream instead of 403 (R6)");
  flags->Bool("production", &p->production,
              "production tenant: refuse dev origins (R16)");
  flags->Bool("allow-dev-origins", &p->allow_dev_origins,
              "allow dev origins on a production tenant (R16)");
}

absl::StatusOr<corsd::v1::Policy> BuildPolicy(const FlagSet& flags,
                                              const PolicyFlags& p,
                                              std::vector<std::string>* notes) {
  corsd::v1::Policy policy;
  if (!p.file.empty()) {
    std::ifstream in(p.file, std::ios::binary);
    if (!in) {
      std::string message = absl::StrCat("cannot read policy file \"", p.file,
                                         "\": ", std::strerror(errno));
      return errno == ENOENT ? absl::NotFoundError(message)
                             : absl::InternalError(message);
    }
    std::string json;
    char buf[8192];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      json.append(buf, static_cast<size_t>(in.gcount()));
      if (json.size() > kMaxPolicyFileBytes) {
        return absl::InvalidArgumentError(
            absl::StrCat("policy file \"", p.file, "\" is larger than ",
                         kMaxPolicyFileBytes, " bytes"));
      }
    }
    auto status = google::protobuf::util::JsonStringToMessage(json, &policy);
    if (!status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "policy file \"", p.file,
          "\" is not a corsd.v1.Policy in protobuf JSON: ", status.ToString()));
    }
  }
  auto set_list = [&](const char* flag, const std::vector<std::string>& values,
                      google::protobuf::RepeatedPtrField<std::string>* field) {
    if (!flags.Seen(flag)) return;
    field->Clear();
    for (const std::string& v : values) *field->Add() = v;
  };
  set_list("allow-method", p.allow_methods, policy.mutable_allowed_methods());
  set_list("allow-header", p.allow_headers, policy.mutable_allowed_headers());
  set_list("expose-header", p.expose_headers, policy.mutable_exposed_headers());
  if (flags.Seen("credentials")) policy.set_allow_credentials(p.credentials);
  if (flags.Seen("max-age")) {
    policy.set_max_age_seconds(static_cast<uint32_t>(p.max_age));
  }
  if (flags.Seen("public")) policy.set_public_origin(p.is_public);
  if (flags.Seen("allow-null")) policy.set_allow_null_origin(p.allow_null);
  if (flags.Seen("private-network")) {
    policy.set_allow_private_network(p.private_network);
  }
  if (flags.Seen("allow-cross-origin-websocket")) {
    policy.set_allow_cross_origin_websocket(p.allow_cross_origin_websocket);
  }
  if (flags.Seen("enforce-websocket") && notes != nullptr) {
    notes->push_back(
        "--enforce-websocket is deprecated and changes nothing: R13 (deny "
        "WebSocket handshakes from refused origins) is on for every policy "
        "unless --allow-cross-origin-websocket is given");
  }
  if (flags.Seen("enforce-unsafe")) {
    policy.set_enforce_unsafe_methods(p.enforce_unsafe);
  }
  if (flags.Seen("forward-refused-preflight")) {
    policy.set_forward_refused_preflight(p.forward_refused_preflight);
  }
  if (flags.Seen("production")) policy.set_production(p.production);
  if (flags.Seen("allow-dev-origins")) {
    policy.set_allow_dev_origins(p.allow_dev_origins);
  }
  return policy;
}

namespace {

std::string YesNo(bool b) { return b ? "yes" : "no"; }

std::string ListOr(const google::protobuf::RepeatedPtrField<std::string>& l,
                   absl::string_view none) {
  return l.empty() ? std::string(none) : absl::StrJoin(l, " ");
}

void Describe(const corsd::v1::Policy& p, absl::string_view indent,
              std::vector<std::string>* out) {
  out->push_back(absl::StrCat(indent, "methods: GET HEAD POST",
                              p.allowed_methods().empty() ? "" : " ",
                              absl::StrJoin(p.allowed_methods(), " ")));
  out->push_back(absl::StrCat(
      indent,
      "allowed headers: ", ListOr(p.allowed_headers(), "(safelisted only)")));
  out->push_back(absl::StrCat(
      indent, "exposed headers: ", ListOr(p.exposed_headers(), "(none)")));
  out->push_back(absl::StrCat(indent,
                              "credentials: ", YesNo(p.allow_credentials()),
                              "  public (*): ", YesNo(p.public_origin()),
                              "  null origin: ", YesNo(p.allow_null_origin())));
  out->push_back(absl::StrCat(indent, "max-age: ",
                              p.max_age_seconds() == 0
                                  ? std::string("(not sent)")
                                  : absl::StrCat(p.max_age_seconds(), " s")));
  out->push_back(absl::StrCat(
      indent, "private network: ", YesNo(p.allow_private_network()),
      "  websocket from refused origins: ",
      p.allow_cross_origin_websocket() ? "allowed (R13 off)" : "denied (R13)",
      "  enforce unsafe methods: ", YesNo(p.enforce_unsafe_methods()),
      "  forward refused preflights: ", YesNo(p.forward_refused_preflight())));
  out->push_back(
      absl::StrCat(indent, "production: ", YesNo(p.production()),
                   "  dev origins allowed: ", YesNo(p.allow_dev_origins())));
}

}  // namespace

std::vector<std::string> DescribePolicy(const corsd::v1::Policy& policy) {
  std::vector<std::string> out;
  Describe(policy, "", &out);
  for (const corsd::v1::RouteClass& route : policy.routes()) {
    out.push_back(absl::StrCat("route ", route.path_prefix(), ":"));
    Describe(route.policy(), "  ", &out);
  }
  return out;
}

}  // namespace corsd::corsctl
