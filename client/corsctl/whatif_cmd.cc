#include "client/corsctl/whatif_cmd.h"

#include <fstream>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/corsctl/commands.h"
#include "client/corsctl/domains_cmd.h"
#include "client/corsctl/policy_text.h"
#include "google/protobuf/util/json_util.h"

namespace corsd::corsctl {

namespace {

constexpr char kUsage[] =
    R"(usage: corsctl what-if --tenant T [--policy FILE] [--add-origin O]...
           [--rm-origin O]... [--add-wildcard W]... [--rm-wildcard W]...
           [--log DECISION_LOG_FILE] [--json]

Asks corsd which of the tenant's recent request shapes would change outcome
under the proposed change, without applying it. corsd replays the shapes it
recorded for the tenant (--whatif-shapes-per-tenant) plus those read from
--log (a corsd --decision-log file) on the live configuration and on a
shadow with the change, and prints every shape whose outcome flips (allowed
<-> refused, with counts, reason and rule before and after), then the other
changes (status or reason only). The change is validated as a write would
be: a bad origin or policy is refused, naming the field.

--policy FILE is a corsd.v1.Policy in protobuf JSON (as `tenant put --file`
reads it), replacing the tenant's policy.

Exit status: 0 nothing flips; 1 something flips; 2 usage error; 3 the call
failed or was refused.
)";

// A flat JSON object's members: string values decoded (\u00XX is the byte
// XX, as the decision log writes them), numbers as their text, null as
// nullopt. `cut` when a string held \u2026 (the log's cut mark).
struct FlatObject {
  std::map<std::string, std::optional<std::string>> members;
  bool cut = false;
};

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Parses a JSON string at line[*i] (the opening quote); false on error.
bool ParseString(absl::string_view line, size_t* i, std::string* out,
                 bool* cut) {
  if (*i >= line.size() || line[*i] != '"') return false;
  ++*i;
  while (*i < line.size()) {
    const char c = line[(*i)++];
    if (c == '"') return true;
    if (c != '\\') {
      out->push_back(c);
      continue;
    }
    if (*i >= line.size()) return false;
    const char e = line[(*i)++];
    switch (e) {
      case '"':
      case '\\':
      case '/':
        out->push_back(e);
        break;
      case 'n':
        out->push_back('\n');
        break;
      case 't':
        out->push_back('\t');
        break;
      case 'r':
        out->push_back('\r');
        break;
      case 'u': {
        if (*i + 4 > line.size()) return false;
        int v = 0;
        for (int k = 0; k < 4; ++k) {
          const int d = HexDigit(line[*i + k]);
          if (d < 0) return false;
          v = v * 16 + d;
        }
        *i += 4;
        if (v == 0x2026) {
          *cut = true;
        } else if (v <= 0xff) {
          out->push_back(static_cast<char>(v));
        } else {
          return false;  // the log writes no other escape
        }
        break;
      }
      default:
        return false;
    }
  }
  return false;
}

std::optional<FlatObject> ParseFlatObject(absl::string_view line) {
  FlatObject obj;
  size_t i = 0;
  auto skip_ws = [&] {
    while (i < line.size() &&
           (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) {
      ++i;
    }
  };
  skip_ws();
  if (i >= line.size() || line[i] != '{') return std::nullopt;
  ++i;
  skip_ws();
  if (i < line.size() && line[i] == '}') return obj;
  for (;;) {
    skip_ws();
    std::string key;
    bool key_cut = false;
    if (!ParseString(line, &i, &key, &key_cut)) return std::nullopt;
    skip_ws();
    if (i >= line.size() || line[i] != ':') return std::nullopt;
    ++i;
    skip_ws();
    if (i >= line.size()) return std::nullopt;
    if (line[i] == '"') {
      std::string value;
      if (!ParseString(line, &i, &value, &obj.cut)) return std::nullopt;
      obj.members[key] = std::move(value);
    } else if (absl::StartsWith(line.substr(i), "null")) {
      obj.members[key] = std::nullopt;
      i += 4;
    } else {
      const size_t start = i;
      while (i < line.size() && line[i] != ',' && line[i] != '}' &&
             line[i] != ' ') {
        ++i;
      }
      if (i == start) return std::nullopt;
      obj.members[key] = std::string(line.substr(start, i - start));
    }
    skip_ws();
    if (i >= line.size()) return std::nullopt;
    if (line[i] == '}') return obj;
    if (line[i] != ',') return std::nullopt;
    ++i;
  }
}

// The member's string, or nullopt when absent or null.
std::optional<std::string> Member(const FlatObject& obj, const char* key) {
  auto it = obj.members.find(key);
  if (it == obj.members.end()) return std::nullopt;
  return it->second;
}

// Reasons a log line cannot be replayed from what the log keeps: preflight
// rules (the log has no Access-Control-Request-* values) and WebSocket
// (no Upgrade).
bool NeedsMissingHeaders(absl::string_view reason) {
  for (absl::string_view prefix : {"REASON_R6_", "REASON_R7_", "REASON_R8_",
                                   "REASON_R12_", "REASON_R13_"}) {
    if (absl::StartsWith(reason, prefix)) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<LogShapes> ReadDecisionLog(std::istream& in,
                                          absl::string_view name,
                                          absl::string_view tenant) {
  LogShapes out;
  // (door, method, has_origin, origin, path) -> index in out.shapes.
  std::map<std::tuple<std::string, std::string, bool, std::string, std::string>,
           size_t>
      index;
  uint64_t bytes = 0;
  std::string line;
  while (std::getline(in, line)) {
    ++out.lines;
    bytes += line.size() + 1;
    if (bytes > kMaxLogBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("--log \"", name, "\": larger than ", kMaxLogBytes,
                       " bytes (line ", out.lines, ")"));
    }
    if (line.size() > kMaxLogLineBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("--log \"", name, "\" line ", out.lines, ": ",
                       line.size(), " bytes; expected at most ",
                       kMaxLogLineBytes, " (is it a corsd decision log?)"));
    }
    if (line.empty()) continue;
    std::optional<FlatObject> obj = ParseFlatObject(line);
    const std::optional<std::string> t =
        obj ? Member(*obj, "tenant") : std::nullopt;
    const std::optional<std::string> method =
        obj ? Member(*obj, "method") : std::nullopt;
    if (!obj || !t || !method || !obj->members.contains("origin")) {
      ++out.malformed;
      continue;
    }
    if (*t != tenant) {
      ++out.other_tenant;
      continue;
    }
    const std::optional<std::string> origin = Member(*obj, "origin");
    const std::string reason = Member(*obj, "reason").value_or("");
    if (obj->cut || NeedsMissingHeaders(reason) ||
        (*method == "OPTIONS" && origin.has_value())) {
      ++out.skipped;
      continue;
    }
    std::string door = Member(*obj, "door").value_or("");
    if (door != "decide" && door != "ext_authz" && door != "http") door = "";
    std::string path = Member(*obj, "path_class").value_or("default");
    if (path == "default" || path.empty()) path = "/";
    auto key = std::make_tuple(door, *method, origin.has_value(),
                               origin.value_or(""), path);
    auto [it, inserted] = index.emplace(key, out.shapes.size());
    if (inserted) {
      if (out.shapes.size() >= kMaxLogShapes) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--log \"", name, "\" line ", out.lines, ": more than ",
            kMaxLogShapes, " distinct shapes for tenant \"", tenant,
            "\" (the server replays at most that many)"));
      }
      corsd::v1::ObservedShape& s = out.shapes.emplace_back();
      s.mutable_shape()->set_door(door);
      s.mutable_shape()->set_method(*method);
      s.mutable_shape()->set_has_origin(origin.has_value());
      s.mutable_shape()->set_origin(origin.value_or(""));
      s.mutable_shape()->set_path(path);
    }
    corsd::v1::ObservedShape& s = out.shapes[it->second];
    s.set_count(s.count() + 1);
    ++out.used;
  }
  return out;
}

std::string DescribeShape(const corsd::v1::RequestShape& s) {
  std::string out = absl::StrCat(
      "[", s.door().empty() ? "log" : s.door(), "] ", Printable(s.method()),
      " ", s.has_origin() ? Printable(s.origin()) : "(no Origin)");
  std::vector<std::string> extra;
  if (!s.host().empty()) extra.push_back("host " + Printable(s.host()));
  if (!s.path().empty()) extra.push_back("path " + Printable(s.path()));
  if (s.has_access_control_request_method()) {
    extra.push_back("preflight " +
                    Printable(s.access_control_request_method()));
  }
  if (s.has_access_control_request_headers()) {
    extra.push_back("headers " + Printable(s.access_control_request_headers()));
  }
  if (s.has_access_control_request_private_network()) {
    extra.push_back("private network " +
                    Printable(s.access_control_request_private_network()));
  }
  if (s.credentials()) extra.push_back("credentials");
  if (!s.upgrade().empty())
    extra.push_back("upgrade " + Printable(s.upgrade()));
  if (!extra.empty())
    absl::StrAppend(&out, " (", absl::StrJoin(extra, ", "), ")");
  return out;
}

std::string DescribeOutcome(const corsd::v1::WhatIfOutcome& o) {
  std::string out = absl::StrCat(o.allowed() ? "allowed" : "refused", " (");
  if (!o.rule().empty()) absl::StrAppend(&out, o.rule(), " ");
  absl::StrAppend(&out, corsd::v1::Reason_Name(o.reason()), ", ",
                  o.action() == corsd::v1::ACTION_CONTINUE
                      ? std::string("continue")
                      : absl::StrCat(o.status()));
  if (o.credentials()) absl::StrAppend(&out, ", credentials");
  absl::StrAppend(&out, ")");
  return out;
}

std::string WhatIfText(absl::string_view tenant,
                       const corsd::v1::WhatIfResponse& r) {
  std::string out = absl::StrCat(
      "what-if for tenant ", tenant, ": ", r.shapes(), " shape(s) (",
      r.decisions(), " decision(s)) replayed; ", r.flips(), " flip(s), ",
      r.changes_size() - static_cast<int>(r.flips()), " other change(s)\n");
  auto section = [&](bool flips, absl::string_view title) {
    bool any = false;
    for (const corsd::v1::WhatIfChange& c : r.changes()) {
      if (c.flips() != flips) continue;
      if (!any) absl::StrAppend(&out, "\n", title, "\n");
      any = true;
      absl::StrAppend(&out, "  x", c.shape().count(), "  ",
                      DescribeShape(c.shape().shape()), "\n",
                      "      before: ", DescribeOutcome(c.before()), "\n",
                      "      after:  ", DescribeOutcome(c.after()), "\n");
    }
  };
  section(true, "Flips (allowed <-> refused):");
  section(false, "Other changes (status or reason only):");
  if (!r.recording()) {
    absl::StrAppend(
        &out,
        "\nnote: corsd records no shapes "
        "(--whatif-shapes-per-tenant 0): only --log was replayed\n");
  } else if (r.dropped_shapes() > 0) {
    absl::StrAppend(&out, "\nnote: corsd dropped ", r.dropped_shapes(),
                    " decision(s) whose shape it had no room to keep (all "
                    "tenants, since start): their outcome was not checked\n");
  }
  return out;
}

int RunWhatIf(const Invocation& inv) {
  FlagSet flags;
  GlobalOptions options;
  AddGlobalFlags(&flags, &options);
  std::string tenant, policy_file, log_file;
  std::vector<std::string> add_origins, rm_origins, add_wildcards, rm_wildcards;
  flags.String("tenant", "T", &tenant, "the tenant to replay (required)");
  flags.String("policy", "FILE", &policy_file,
               "proposed policy: a corsd.v1.Policy in protobuf JSON");
  flags.List("add-origin", "O", &add_origins, "proposed origin to add");
  flags.List("rm-origin", "O", &rm_origins, "proposed origin to remove");
  flags.List("add-wildcard", "W", &add_wildcards,
             "proposed wildcard (scheme://*.domain) to add");
  flags.List("rm-wildcard", "W", &rm_wildcards, "proposed wildcard to remove");
  flags.String("log", "FILE", &log_file,
               "also replay the tenant's lines of this corsd decision log");
  std::vector<std::string> positional;
  const int rc = ParseCommandLine(inv, kUsage, &flags, &options, &positional);
  if (rc < 0) return kExitOk;
  if (rc != kExitOk) return rc;
  if (!positional.empty()) {
    return UsageError(inv, absl::StrCat("what-if takes no argument (got \"",
                                        Printable(positional[0]), "\")"));
  }
  if (tenant.empty()) return UsageError(inv, "what-if needs --tenant T");

  auto fail = [&](const absl::Status& status) {
    auto label = [](uint64_t) { return std::string("what-if"); };
    ReportFailure(inv, options, status, label);
    return kExitWhatIfFailed;
  };
  corsd::v1::WhatIfRequest request;
  request.set_tenant(tenant);
  if (!policy_file.empty()) {
    PolicyFlags policy_flags;
    policy_flags.file = policy_file;
    absl::StatusOr<corsd::v1::Policy> policy =
        BuildPolicy(FlagSet(), policy_flags);
    if (!policy.ok()) return fail(policy.status());
    *request.mutable_policy() = *std::move(policy);
  }
  for (const std::string& v : add_origins) request.add_add_origins(v);
  for (const std::string& v : rm_origins) request.add_remove_origins(v);
  for (const std::string& v : add_wildcards) request.add_add_wildcards(v);
  for (const std::string& v : rm_wildcards) request.add_remove_wildcards(v);
  if (!log_file.empty()) {
    std::ifstream in(log_file, std::ios::binary);
    if (!in) {
      return fail(absl::NotFoundError(
          absl::StrCat("--log \"", log_file, "\": cannot be read")));
    }
    absl::StatusOr<LogShapes> log = ReadDecisionLog(in, log_file, tenant);
    if (!log.ok()) return fail(log.status());
    for (corsd::v1::ObservedShape& s : log->shapes) {
      *request.add_shapes() = std::move(s);
    }
    *inv.err << "corsctl: --log " << log_file << ": " << log->lines
             << " line(s), " << log->used << " of tenant " << tenant << " in "
             << request.shapes_size() << " shape(s); " << log->skipped
             << " skipped (preflight, WebSocket or cut values), "
             << log->malformed << " not decision-log lines\n";
  }
  auto admin = ConnectAdmin(options);
  if (!admin.ok()) return fail(admin.status());
  absl::StatusOr<corsd::v1::WhatIfResponse> response =
      (*admin)->WhatIf(request);
  if (!response.ok()) return fail(response.status());
  if (options.json) {
    // Every field, zeros and false included, so scripts can read "flips".
    google::protobuf::util::JsonPrintOptions print;
    print.preserve_proto_field_names = true;
    print.always_print_primitive_fields = true;
    std::string json;
    if (!google::protobuf::util::MessageToJsonString(*response, &json, print)
             .ok()) {
      json = ProtoJson(*response);
    }
    *inv.out << json << "\n";
  } else {
    *inv.out << WhatIfText(tenant, *response);
  }
  return response->flips() > 0 ? kExitFlips : kExitOk;
}

}  // namespace corsd::corsctl
