#include "service/door/decision_id.h"

#include <sys/random.h>
#include <time.h>
#include <unistd.h>

namespace corsd::door {

DecisionIdText FormatDecisionId(uint64_t id) {
  static constexpr char kHex[] = "0123456789abcdef";
  DecisionIdText out;
  for (size_t i = 0; i < kDecisionIdChars; ++i) {
    out.chars[kDecisionIdChars - 1 - i] = kHex[(id >> (4 * i)) & 0xf];
  }
  return out;
}

bool ParseDecisionId(absl::string_view text, uint64_t* id) {
  if (text.size() != kDecisionIdChars) return false;
  uint64_t value = 0;
  for (const char c : text) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    } else {
      return false;
    }
    value = (value << 4) | static_cast<uint64_t>(digit);
  }
  *id = value;
  return true;
}

uint64_t DecisionIds::RandomPrefix() {
  uint64_t prefix = 0;
  if (getrandom(&prefix, sizeof(prefix), 0) ==
      static_cast<ssize_t>(sizeof(prefix))) {
    return prefix;
  }
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return Mix(static_cast<uint64_t>(now.tv_sec) * 1000000000ULL +
             static_cast<uint64_t>(now.tv_nsec)) ^
         Mix(static_cast<uint64_t>(getpid()));
}

}  // namespace corsd::door
