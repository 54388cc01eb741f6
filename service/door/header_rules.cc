#include "service/door/header_rules.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace corsd::door {

void JoinedValue::Add(absl::string_view value) {
  ++count_;
  if (count_ == 1) {
    first_ = value;
    return;
  }
  if (joined_ == nullptr) {
    storage_->push_back(
        std::make_unique<std::string>(first_.data(), first_.size()));
    joined_ = storage_->back().get();
  }
  joined_->push_back(',');
  joined_->append(value.data(), value.size());
}

absl::string_view JoinedValue::value() const {
  if (joined_ != nullptr) return absl::string_view(*joined_);
  return first_;
}

std::string ShownValue(absl::string_view value) {
  constexpr size_t kShown = 64;
  std::string out = "\"";
  for (size_t i = 0; i < value.size() && i < kShown; ++i) {
    const unsigned char c = static_cast<unsigned char>(value[i]);
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      absl::StrAppendFormat(&out, "\\x%02x", c);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (value.size() > kShown) out.append("...");
  out.push_back('"');
  return out;
}

bool HasForbiddenByte(absl::string_view value) {
  // One compare for the common byte (every printable one is above CR).
  for (const char c : value) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u <= '\r' && (u == '\r' || u == '\n' || u == '\0')) return true;
  }
  return false;
}

absl::Status ForbiddenByteError(absl::string_view what,
                                absl::string_view value) {
  return absl::InvalidArgumentError(
      absl::StrCat(what, " is ", ShownValue(value),
                   "; expected no CR, LF or NUL byte in a header value"));
}

absl::Status CheckHeaderValue(absl::string_view name, absl::string_view value,
                              size_t limit) {
  if (value.size() > limit) {
    return absl::ResourceExhaustedError(
        absl::StrCat("header ", name, " is ", value.size(),
                     " bytes; expected at most ", limit));
  }
  if (HasForbiddenByte(value)) {
    return ForbiddenByteError(absl::StrCat("header ", name), value);
  }
  return absl::OkStatus();
}

}  // namespace corsd::door
