// NameSet: an immutable set of short byte strings (a policy's methods or
// header names), looked up on the decision hot path.
//
// Names are grouped by length; a lookup reads the group of its length and
// compares bytes only there. For policy-sized sets (a handful, at most a few
// hundred names of at most kMaxNameBytes) this beats hashing: no hash to
// compute, usually zero or one memcmp. Measured in bench_decision
// (BM_DecidePreflight).
//
// Thread safety: Insert only while building (single thread); Contains is
// const and safe from any number of threads once the set is published.
#ifndef CORSD_SERVICE_POLICY_NAME_SET_H_
#define CORSD_SERVICE_POLICY_NAME_SET_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace corsd::policy {

class NameSet {
 public:
  // Longest name the set holds; Insert refuses longer ones.
  static constexpr size_t kMaxNameBytes = 256;

  NameSet() { first_.fill(0); }

  // Adds `name` (compared byte for byte). Returns false, changing nothing,
  // when it is already present or longer than kMaxNameBytes. O(n) per call.
  bool Insert(absl::string_view name);

  // Exact byte comparison. Never allocates.
  bool Contains(absl::string_view name) const {
    if (name.size() > kMaxNameBytes) return false;
    for (uint16_t i = first_[name.size()]; i < first_[name.size() + 1]; ++i) {
      if (names_[i] == name) return true;
    }
    return false;
  }

  size_t size() const { return names_.size(); }

 private:
  // Sorted by length; names of length L are names_[first_[L] .. first_[L+1]).
  std::vector<std::string> names_;
  std::array<uint16_t, kMaxNameBytes + 2> first_;
};

}  // namespace corsd::policy

#endif  // CORSD_SERVICE_POLICY_NAME_SET_H_
