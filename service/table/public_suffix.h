// Public suffixes (the Public Suffix List, through libpsl): "com", "co.uk",
// "github.io" are suffixes under which unrelated parties register names, so a
// wildcard entry over one ("https://*.github.io") would allow every site
// under it. OriginTable refuses such wildcards when written (R2).
//
// Thread safety: both functions are pure and thread-safe. The list is loaded
// once, on first use, from the system's list (psl_latest(NULL), Debian's
// publicsuffix package), falling back to the list built into libpsl; it is
// never changed afterwards.
#ifndef CORSD_SERVICE_TABLE_PUBLIC_SUFFIX_H_
#define CORSD_SERVICE_TABLE_PUBLIC_SUFFIX_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace corsd::table {

// True when `domain` (canonical: lowercase ASCII, IDN as "xn--" labels; a
// trailing dot is ignored) is a public suffix, ICANN or private section,
// including the implicit "*" rule (any unknown single-label TLD). False for
// the empty string.
bool IsPublicSuffix(absl::string_view domain);

// OK when a wildcard over `domain` may be written; InvalidArgument naming
// `value` (the entry as written, for the message) when `domain` is a public
// suffix or a single label.
absl::Status CheckWildcardDomain(absl::string_view domain,
                                 absl::string_view value);

}  // namespace corsd::table

#endif  // CORSD_SERVICE_TABLE_PUBLIC_SUFFIX_H_
