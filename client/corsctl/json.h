// Minimal JSON output for corsctl --json: quoting, and a builder for one flat
// or nested object with keys in insertion order (scripts read them with jq).
// Output only: corsctl never parses JSON with this (protobuf's JSON parser
// reads policies and dump lines).
//
// Thread safety: a JsonObject is used by one thread.
#ifndef CORSD_CLIENT_CORSCTL_JSON_H_
#define CORSD_CLIENT_CORSCTL_JSON_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace corsd::corsctl {

// `s` as a JSON string literal, quotes included. Control characters and
// bytes that are not valid UTF-8 are escaped as \u00XX (invalid bytes as
// U+FFFD would lose information; \u00XX keeps the byte value visible).
std::string JsonQuote(absl::string_view s);

// Builds {"k": v, ...} in insertion order.
class JsonObject {
 public:
  JsonObject& Add(absl::string_view key, absl::string_view value);
  JsonObject& Add(absl::string_view key, const char* value) {
    return Add(key, absl::string_view(value));
  }
  JsonObject& Add(absl::string_view key, const std::string& value) {
    return Add(key, absl::string_view(value));
  }
  JsonObject& Add(absl::string_view key, uint64_t value);
  JsonObject& Add(absl::string_view key, int64_t value);
  JsonObject& Add(absl::string_view key, int value) {
    return Add(key, static_cast<int64_t>(value));
  }
  JsonObject& Add(absl::string_view key, double value);
  JsonObject& Add(absl::string_view key, bool value);
  // `json` must already be valid JSON (an object, array or literal).
  JsonObject& AddRaw(absl::string_view key, absl::string_view json);
  JsonObject& Add(absl::string_view key, const std::vector<std::string>& list);

  // The object's text, without a trailing newline.
  std::string Build() const { return "{" + body_ + "}"; }

 private:
  void Key(absl::string_view key);
  std::string body_;
};

// A JSON array of strings.
std::string JsonStringArray(const std::vector<std::string>& list);

}  // namespace corsd::corsctl

#endif  // CORSD_CLIENT_CORSCTL_JSON_H_
