#include "service/rpc/admin_auth.h"

#include <openssl/sha.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "service/store/validation.h"

namespace corsd::rpc {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

bool ValidIdByte(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' ||
         c == '_' || c == ':' || c == '-';
}

// Parses the fields after the token on one line into `identity`.
absl::Status ParseFields(int line_no, absl::string_view token,
                         const std::vector<absl::string_view>& fields,
                         AdminIdentity* identity) {
  const auto bad = [line_no](absl::string_view field, absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("admin token file line ", line_no, ": ", field, " ", why));
  };
  bool has_id = false;
  bool has_tenants = false;
  for (absl::string_view field : fields) {
    const size_t eq = field.find('=');
    if (eq == absl::string_view::npos) {
      return bad("field",
                 "without '='; expected the token first, then "
                 "id=ID or tenants=T1,T2 (no space inside a token)");
    }
    const absl::string_view key = field.substr(0, eq);
    const absl::string_view value = field.substr(eq + 1);
    if (key == "id") {
      if (has_id) return bad("id=", "given twice");
      has_id = true;
      if (value.empty() || value.size() > kMaxTokenIdBytes ||
          !std::all_of(value.begin(), value.end(), ValidIdByte)) {
        return bad("id=",
                   absl::StrCat("\"", absl::CHexEscape(value.substr(0, 80)),
                                "\": expected 1..", kMaxTokenIdBytes,
                                " bytes of [A-Za-z0-9._:-]"));
      }
      identity->id = std::string(value);
    } else if (key == "tenants") {
      if (has_tenants) return bad("tenants=", "given twice");
      has_tenants = true;
      if (value.empty()) {
        return bad("tenants=",
                   "is empty; expected T1,T2,... or \"*\" (every "
                   "tenant)");
      }
      if (value == "*") {
        identity->all_tenants = true;
        continue;
      }
      identity->all_tenants = false;
      std::set<std::string> tenants;
      size_t item = 0;
      for (absl::string_view tenant : absl::StrSplit(value, ',')) {
        ++item;
        if (tenant.empty()) {
          return bad("tenants=", absl::StrCat("item ", item,
                                              " is empty; expected a tenant "
                                              "id"));
        }
        if (absl::Status s = store::ValidateTenantId(tenant); !s.ok()) {
          return bad("tenants=",
                     absl::StrCat("item ", item, ": ", s.message()));
        }
        tenants.emplace(tenant);
        if (tenants.size() > kMaxScopeTenants) {
          return bad("tenants=", absl::StrCat("lists more than ",
                                              kMaxScopeTenants, " tenants"));
        }
      }
      identity->tenants.assign(tenants.begin(), tenants.end());
    } else {
      return bad(
          absl::StrCat("key \"", absl::CHexEscape(key.substr(0, 80)), "\""),
          "is unknown; expected id or tenants");
    }
  }
  if (!has_id) identity->id = TokenFingerprint(token);
  return absl::OkStatus();
}

}  // namespace

bool AdminIdentity::Allows(absl::string_view tenant) const {
  if (all_tenants) return true;
  return std::binary_search(
      tenants.begin(), tenants.end(), tenant,
      [](absl::string_view a, absl::string_view b) { return a < b; });
}

std::string AdminIdentity::ScopeText() const {
  if (all_tenants) return "every tenant";
  constexpr size_t kShown = 10;
  std::string text = absl::StrCat(
      tenants.size() == 1 ? "tenant " : "tenants ",
      absl::StrJoin(tenants.begin(),
                    tenants.begin() + std::min(kShown, tenants.size()), ", "));
  if (tenants.size() > kShown) {
    absl::StrAppend(&text, " and ", tenants.size() - kShown, " more");
  }
  return text;
}

std::string TokenFingerprint(absl::string_view token) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(),
         digest);
  return absl::StrCat("sha256:",
                      absl::BytesToHexString(absl::string_view(
                          reinterpret_cast<const char*>(digest), 6)));
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  // Volatile so the compiler cannot turn the loop into an early exit.
  volatile unsigned char diff = a.size() == b.size() ? 0 : 1;
  const size_t bn = b.size();
  for (size_t i = 0; i < a.size(); ++i) {
    const unsigned char bc =
        bn == 0 ? 0 : static_cast<unsigned char>(b[i % bn]);
    diff = diff | (static_cast<unsigned char>(a[i]) ^ bc);
  }
  return diff == 0;
}

absl::StatusOr<AdminTokens> AdminTokens::Parse(absl::string_view contents) {
  std::vector<std::string> tokens;
  std::vector<AdminIdentity> identities;
  absl::flat_hash_set<std::string> seen_tokens;
  absl::flat_hash_set<std::string> seen_ids;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(contents, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    const absl::string_view token = fields.front();
    fields.erase(fields.begin());
    if (token.size() > kMaxTokenBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "admin token file line ", line_no, ": token of ", token.size(),
          " bytes; expected at most ", kMaxTokenBytes));
    }
    for (char c : line) {
      if (IsSpace(c)) continue;
      if (c < 0x21 || c > 0x7e) {
        return absl::InvalidArgumentError(
            absl::StrCat("admin token file line ", line_no, ": byte 0x",
                         absl::Hex(static_cast<unsigned char>(c)),
                         "; expected visible ASCII (0x21..0x7E)"));
      }
    }
    AdminIdentity identity;
    if (absl::Status s = ParseFields(line_no, token, fields, &identity);
        !s.ok()) {
      return s;
    }
    if (!seen_tokens.insert(std::string(token)).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "admin token file line ", line_no,
          ": token repeats an earlier line's; expected each token once"));
    }
    if (!seen_ids.insert(identity.id).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("admin token file line ", line_no, ": id=\"",
                       identity.id, "\" repeats an earlier line's id"));
    }
    if (tokens.size() == kMaxTokens) {
      return absl::InvalidArgumentError(absl::StrCat("admin token file line ",
                                                     line_no, ": more than ",
                                                     kMaxTokens, " tokens"));
    }
    tokens.emplace_back(token);
    identities.push_back(std::move(identity));
  }
  if (tokens.empty()) {
    return absl::InvalidArgumentError(
        "admin token file: no token; expected at least one line holding a "
        "token");
  }
  return AdminTokens(std::move(tokens), std::move(identities));
}

absl::StatusOr<AdminTokens> AdminTokens::LoadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("--admin-token-file \"", path, "\": cannot be read"));
  }
  std::string contents(kMaxTokenFileBytes + 1, '\0');
  in.read(contents.data(), static_cast<std::streamsize>(contents.size()));
  contents.resize(static_cast<size_t>(in.gcount()));
  if (contents.size() > kMaxTokenFileBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("--admin-token-file \"", path, "\": larger than ",
                     kMaxTokenFileBytes, " bytes"));
  }
  absl::StatusOr<AdminTokens> tokens = Parse(contents);
  if (!tokens.ok()) {
    return absl::Status(tokens.status().code(),
                        absl::StrCat("--admin-token-file \"", path,
                                     "\": ", tokens.status().message()));
  }
  return tokens;
}

std::optional<AdminIdentity> AdminTokens::Authenticate(
    absl::string_view authorization) const {
  constexpr absl::string_view kBearer = "bearer";
  if (authorization.size() <= kBearer.size() ||
      !absl::EqualsIgnoreCase(authorization.substr(0, kBearer.size()),
                              kBearer) ||
      authorization[kBearer.size()] != ' ') {
    return std::nullopt;
  }
  absl::string_view presented = authorization.substr(kBearer.size());
  while (!presented.empty() && presented.front() == ' ') {
    presented.remove_prefix(1);
  }
  if (presented.empty()) return std::nullopt;
  // No early exit: every token is compared, so timing does not say which
  // token matched (tokens are distinct, so at most one does).
  size_t match = tokens_.size();
  for (size_t i = 0; i < tokens_.size(); ++i) {
    const bool equal = ConstantTimeEquals(presented, tokens_[i]);
    match = equal ? i : match;
  }
  if (match == tokens_.size()) return std::nullopt;
  return identities_[match];
}

bool AdminTokens::Check(absl::string_view authorization) const {
  return Authenticate(authorization).has_value();
}

AdminTokenStore::AdminTokenStore(AdminTokens initial)
    : AdminTokenStore(std::move(initial), std::string()) {}

AdminTokenStore::AdminTokenStore(AdminTokens initial, std::string path)
    : path_(std::move(path)),
      current_(std::make_shared<const AdminTokens>(std::move(initial))) {}

std::shared_ptr<const AdminTokens> AdminTokenStore::Current() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

void AdminTokenStore::Replace(AdminTokens tokens) {
  auto next = std::make_shared<const AdminTokens>(std::move(tokens));
  absl::MutexLock lock(&mu_);
  current_.swap(next);
  // The old set (now in `next`) is released after the lock, by the last
  // caller still holding it.
}

absl::Status AdminTokenStore::ReloadFile() {
  if (path_.empty()) {
    return absl::FailedPreconditionError(
        "admin tokens: no --admin-token-file to reload from");
  }
  absl::StatusOr<AdminTokens> tokens = AdminTokens::LoadFile(path_);
  if (!tokens.ok()) {
    return absl::Status(
        tokens.status().code(),
        absl::StrCat(tokens.status().message(), " (old tokens kept)"));
  }
  Replace(*std::move(tokens));
  return absl::OkStatus();
}

}  // namespace corsd::rpc
