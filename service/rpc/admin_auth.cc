#include "service/rpc/admin_auth.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace corsd::rpc {

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
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(contents, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    if (line.size() > kMaxTokenBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "admin token file line ", line_no, ": token of ", line.size(),
          " bytes; expected at most ", kMaxTokenBytes));
    }
    for (char c : line) {
      if (c < 0x21 || c > 0x7e) {
        return absl::InvalidArgumentError(
            absl::StrCat("admin token file line ", line_no, ": byte 0x",
                         absl::Hex(static_cast<unsigned char>(c)),
                         " in token; expected visible ASCII (0x21..0x7E)"));
      }
    }
    tokens.emplace_back(line);
  }
  if (tokens.empty()) {
    return absl::InvalidArgumentError(
        "admin token file: no token; expected at least one line holding a "
        "token");
  }
  return AdminTokens(std::move(tokens));
}

absl::StatusOr<AdminTokens> AdminTokens::LoadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("--admin-token-file \"", path, "\": cannot be read"));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  absl::StatusOr<AdminTokens> tokens = Parse(buffer.str());
  if (!tokens.ok()) {
    return absl::Status(tokens.status().code(),
                        absl::StrCat("--admin-token-file \"", path,
                                     "\": ", tokens.status().message()));
  }
  return tokens;
}

bool AdminTokens::Check(absl::string_view authorization) const {
  constexpr absl::string_view kBearer = "bearer";
  if (authorization.size() <= kBearer.size() ||
      !absl::EqualsIgnoreCase(authorization.substr(0, kBearer.size()),
                              kBearer) ||
      authorization[kBearer.size()] != ' ') {
    return false;
  }
  absl::string_view presented = authorization.substr(kBearer.size());
  while (!presented.empty() && presented.front() == ' ') {
    presented.remove_prefix(1);
  }
  if (presented.empty()) return false;
  bool any = false;
  // No early exit: every token is compared, so timing does not say which
  // token matched.
  for (const std::string& token : tokens_) {
    any = ConstantTimeEquals(presented, token) | any;
  }
  return any;
}

}  // namespace corsd::rpc
