// libFuzzer target for the canonicalizer (built with -DCORSD_FUZZ=ON).
// Feeds the input to every entry point of origin.h and aborts when a
// contract does not hold:
//   * CheckOriginHeader(v) == kCanonical implies CanonicalizeOrigin(v) == v,
//     with parts that are views of v describing it;
//   * a tuple origin from CanonicalizeOrigin is a fixed point: parsing it
//     again gives it back, and the header check accepts it (unless it is
//     longer than kMaxOriginBytes or has port 0, refused by contract);
//   * CanonicalizeAdminOrigin, when it accepts, agrees with CanonicalizeOrigin;
//   * ParseWildcard's Serialize() and CanonicalizeHost's output are fixed
//     points;
//   * the full parse's fast path (canonical_fast.h), when it answers, gives
//     exactly the general path's answer (string, or status code and
//     message), in both modes, and the public entries give the general
//     path's answer.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "service/origin/canonical_fast.h"
#include "service/origin/origin.h"

namespace {

using namespace corsd::origin;  // NOLINT: a fuzz driver, one namespace

void Check(bool ok, const char* what, absl::string_view input) {
  if (ok) return;
  std::fprintf(stderr, "contract broken: %s; input \"%.*s\"\n", what,
               static_cast<int>(input.size()), input.data());
  std::abort();
}

bool Same(const absl::StatusOr<std::string>& a,
          const absl::StatusOr<std::string>& b) {
  if (a.ok() != b.ok()) return false;
  return a.ok() ? *a == *b : a.status() == b.status();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view v(reinterpret_cast<const char*>(data), size);

  OriginParts parts;
  const HeaderCheck check = CheckOriginHeader(v, &parts);
  absl::StatusOr<std::string> full = CanonicalizeOrigin(v);
  if (check == HeaderCheck::kCanonical) {
    Check(full.ok() && *full == v, "kCanonical but full parse differs", v);
    Check(parts.serialized == v, "parts.serialized is not the value", v);
    Check(absl::StartsWith(
              v, absl::StrCat(SchemeName(parts.scheme), "://", parts.host)),
          "parts do not describe the value", v);
    Check(parts.port != DefaultPort(parts.scheme), "default port kept", v);
    IsDevHost(parts.host);
  }

  if (full.ok() && *full != "null") {
    absl::StatusOr<std::string> again = CanonicalizeOrigin(*full);
    Check(again.ok() && *again == *full, "origin is not a fixed point", v);
    const bool port0 = absl::EndsWith(*full, ":0");
    if (full->size() <= kMaxOriginBytes && !port0) {
      OriginParts p;
      Check(CheckOriginHeader(*full, &p) == HeaderCheck::kCanonical,
            "header check refuses a canonical origin", v);
    }
  }

  absl::StatusOr<std::string> admin = CanonicalizeAdminOrigin(v);
  if (admin.ok()) {
    Check(full.ok() && *full == *admin, "admin and full parse differ", v);
  }

  namespace in = corsd::origin::internal;
  const absl::StatusOr<std::string> general = in::CanonicalizeOriginGeneral(v);
  const absl::StatusOr<std::string> admin_general =
      in::CanonicalizeAdminOriginGeneral(v);
  Check(Same(full, general), "CanonicalizeOrigin differs from general path", v);
  Check(Same(admin, admin_general),
        "CanonicalizeAdminOrigin differs from general path", v);
  if (auto fast = in::CanonicalizeOriginFast(v, in::CanonicalMode::kOrigin)) {
    Check(Same(*fast, general), "fast path differs from general path", v);
  }
  if (auto fast = in::CanonicalizeOriginFast(v, in::CanonicalMode::kAdmin)) {
    Check(Same(*fast, admin_general),
          "fast path (admin) differs from general path", v);
  }

  absl::StatusOr<Wildcard> wildcard = ParseWildcard(v);
  if (wildcard.ok()) {
    absl::StatusOr<Wildcard> again = ParseWildcard(wildcard->Serialize());
    Check(again.ok() && again->Serialize() == wildcard->Serialize(),
          "wildcard is not a fixed point", v);
  }

  absl::StatusOr<std::string> host = CanonicalizeHost(v);
  if (host.ok()) {
    absl::StatusOr<std::string> again = CanonicalizeHost(*host);
    Check(again.ok() && *again == *host, "host is not a fixed point", v);
    IsDevHost(*host);
  }
  return 0;
}
