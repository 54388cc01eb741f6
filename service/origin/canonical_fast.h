// The full-parse entry points of origin.h split in two: a fast path for the
// shapes admin input almost always has, and the general path (the WHATWG
// state machine of url_parser.cc) for everything else. Internal to
// service/origin: the public API is origin.h (CanonicalizeOrigin and
// CanonicalizeAdminOrigin call the fast path and fall back to the general
// one). Both halves are declared here so the differential test
// (canonical_fast_test.cc) and the fuzz target can run them side by side.
//
// Contract of the fast path: for every input it either declines (returns
// std::nullopt) or returns exactly what the general path returns -- the same
// string, or an error with the same code and the same message. It handles:
//   * input of at most kMaxUrlBytes that is valid UTF-8, with surrounding C0
//     controls and spaces (trimmed, as the general path does);
//   * scheme http, https, ws, wss or ftp in any case, then exactly "//" and
//     a character that is not '/' or '\';
//   * no tab, LF or CR before the end of the authority (the general path
//     removes them first);
//   * for CanonicalizeOrigin: userinfo of any content (the host follows the
//     last '@'), and any path, query and fragment (they never change the
//     origin nor fail); for CanonicalizeAdminOrigin: no '@', and nothing or
//     a single "/" after the authority;
//   * a non-empty host that is: ASCII without '%' (lowercased; a forbidden
//     domain code point is the general path's error; a numeric last label is
//     parsed as IPv4 without allocating: its error is the general path's
//     too), or bracketed IPv6 that parses, or non-ASCII without '%' that ICU
//     converts cleanly (DomainToAsciiInto) to a domain with no forbidden
//     code point and no numeric last label;
//   * an optional port of decimal digits (out of range: the general path's
//     error); for admin input not an explicit port 0.
// Anything else (percent-encoded hosts, other schemes, blob:, backslashes
// and extra slashes, IDNA errors, admin refusals, ...) declines.
//
// Cost: one allocation for a result longer than std::string's inline
// capacity (the result, reserved once), none for a shorter one; an error
// costs absl::Status's own two (its rep and its message). IDN hosts add
// ICU's internal mallocs (uidna_nameToASCII_UTF8).
//
// Thread safety: pure functions of their input, like origin.h.
#ifndef CORSD_SERVICE_ORIGIN_CANONICAL_FAST_H_
#define CORSD_SERVICE_ORIGIN_CANONICAL_FAST_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace corsd::origin::internal {

// Which entry point the fast path stands in for.
enum class CanonicalMode : bool {
  kOrigin = false,  // CanonicalizeOrigin
  kAdmin = true,    // CanonicalizeAdminOrigin
};

// The fast path: std::nullopt when it declines, else exactly the general
// path's answer for `input` in `mode` (see the contract above).
std::optional<absl::StatusOr<std::string>> CanonicalizeOriginFast(
    absl::string_view input, CanonicalMode mode);

// The general path: CanonicalizeOrigin's and CanonicalizeAdminOrigin's
// answers (same contracts, origin.h) computed by the full WHATWG parser
// only, with no fast path and no header-check shortcut.
absl::StatusOr<std::string> CanonicalizeOriginGeneral(absl::string_view input);
absl::StatusOr<std::string> CanonicalizeAdminOriginGeneral(
    absl::string_view input);

}  // namespace corsd::origin::internal

#endif  // CORSD_SERVICE_ORIGIN_CANONICAL_FAST_H_
