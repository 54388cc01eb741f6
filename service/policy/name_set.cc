#include "service/policy/name_set.h"

#include <algorithm>

namespace corsd::policy {

bool NameSet::Insert(absl::string_view name) {
  if (name.size() > kMaxNameBytes || Contains(name)) return false;
  // Keep names_ sorted by length: insert after the last name of this length.
  const uint16_t at = first_[name.size() + 1];
  names_.insert(names_.begin() + at, std::string(name));
  for (size_t len = name.size() + 1; len < first_.size(); ++len) ++first_[len];
  return true;
}

}  // namespace corsd::policy
