#include "service/dns/dns_proof.h"

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "service/dns/resolver.h"
#include "service/domain/proof.h"

namespace corsd::dns {
namespace {

using domain::ProofOutcome;
using domain::ProofResult;

constexpr absl::string_view kTokenMark = "<token>";
constexpr absl::string_view kCut = "...";

absl::string_view TrimSpaces(absl::string_view value) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  return value;
}

// `byte` as printable ASCII: itself, \" \\ or \xNN.
std::string Printable(unsigned char byte) {
  if (byte == '"') return "\\\"";
  if (byte == '\\') return "\\\\";
  if (byte >= 0x20 && byte < 0x7f)
    return std::string(1, static_cast<char>(byte));
  constexpr char kHex[] = "0123456789abcdef";
  return {'\\', 'x', kHex[byte >> 4], kHex[byte & 0xf]};
}

std::string Escaped(absl::string_view text) {
  std::string out;
  for (char c : text) out += Printable(static_cast<unsigned char>(c));
  return out;
}

// `value` with the token masked, made printable and cut to
// kMaxSeenValueBytes (whole escapes only; cut values end in "...").
std::string SeenValue(absl::string_view value, absl::string_view token) {
  const std::string masked =
      token.empty() ? std::string(value)
                    : absl::StrReplaceAll(value, {{token, kTokenMark}});
  std::string full = Escaped(masked);
  if (full.size() <= domain::kMaxSeenValueBytes) return full;
  std::string out;
  for (char c : masked) {
    const std::string piece = Printable(static_cast<unsigned char>(c));
    if (out.size() + piece.size() > domain::kMaxSeenValueBytes - kCut.size()) {
      break;
    }
    out += piece;
  }
  absl::StrAppend(&out, kCut);
  return out;
}

}  // namespace

std::string ChallengeName(absl::string_view prefix, absl::string_view host) {
  absl::ConsumePrefix(&host, "*.");
  return absl::StrCat(prefix, ".", host);
}

domain::ProofResult ProveDns(Resolver& resolver,
                             absl::string_view challenge_name,
                             absl::string_view token) {
  const TxtAnswer answer = resolver.LookupTxt(challenge_name);
  const std::string name = Escaped(challenge_name);
  ProofResult result;
  switch (answer.error) {
    case DnsError::kNxDomain:
      result.outcome = ProofOutcome::kNxDomain;
      result.reason =
          absl::StrCat("TXT ", name, ": the name does not exist (NXDOMAIN)");
      return result;
    case DnsError::kTimeout:
      result.outcome = ProofOutcome::kTimeout;
      result.reason = absl::StrCat("TXT ", name, ": no answer in time (",
                                   Escaped(answer.detail), ")");
      return result;
    case DnsError::kFailure:
      result.outcome = ProofOutcome::kResolverError;
      result.reason = absl::StrCat("TXT ", name, ": the resolver failed (",
                                   Escaped(answer.detail), ")");
      return result;
    case DnsError::kNone:
      break;
  }
  if (answer.values.empty()) {
    result.outcome = ProofOutcome::kNoRecord;
    result.reason =
        absl::StrCat("TXT ", name, ": the name exists but has no TXT record");
    return result;
  }
  if (!token.empty()) {
    for (const std::string& value : answer.values) {
      if (TrimSpaces(value) == token) {
        result.outcome = ProofOutcome::kProven;
        result.reason =
            absl::StrCat("TXT ", name, " holds this domain's token");
        return result;
      }
    }
  }
  result.outcome = ProofOutcome::kWrongValue;
  for (const std::string& value : answer.values) {
    if (result.seen.size() == domain::kMaxSeenValues) break;
    result.seen.push_back(SeenValue(value, token));
  }
  const size_t count = answer.values.size();
  std::string seen = absl::StrJoin(
      result.seen, ", ", [](std::string* out, const std::string& value) {
        absl::StrAppend(out, "\"", value, "\"");
      });
  if (count > result.seen.size()) {
    absl::StrAppend(&seen, ", and ", count - result.seen.size(), " more");
  }
  result.reason = absl::StrCat(
      "TXT ", name, " has ", count, count == 1 ? " value" : " values",
      ", none is this domain's token (seen: ", seen, ")");
  return result;
}

}  // namespace corsd::dns
