// Public suffix checks over libpsl. See public_suffix.h.
#include "service/table/public_suffix.h"

#include <libpsl.h>

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace corsd::table {
namespace {

// The list, loaded once (C++ guarantees thread-safe initialization of a
// function-local static). Never freed: it lives as long as the process.
const psl_ctx_t* List() {
  static const psl_ctx_t* const list = [] {
    const psl_ctx_t* latest = psl_latest(nullptr);
    return latest != nullptr ? latest : psl_builtin();
  }();
  return list;
}

}  // namespace

bool IsPublicSuffix(absl::string_view domain) {
  if (absl::EndsWith(domain, ".")) domain.remove_suffix(1);
  if (domain.empty()) return false;
  const psl_ctx_t* list = List();
  if (list == nullptr) return domain.find('.') == absl::string_view::npos;
  const std::string copy(domain);  // libpsl wants a NUL-terminated string
  return psl_is_public_suffix2(list, copy.c_str(), PSL_TYPE_ANY) != 0;
}

absl::Status CheckWildcardDomain(absl::string_view domain,
                                 absl::string_view value) {
  absl::string_view bare = domain;
  if (absl::EndsWith(bare, ".")) bare.remove_suffix(1);
  if (bare.find('.') == absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "wildcard \"", value, "\" covers the top-level domain \"", domain,
        "\"; expected a wildcard under a registrable domain"));
  }
  if (IsPublicSuffix(bare)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "wildcard \"", value, "\" covers the public suffix \"", domain,
        "\" (every site under it would match); expected a wildcard under a "
        "registrable domain, e.g. *.example.",
        domain));
  }
  return absl::OkStatus();
}

}  // namespace corsd::table
