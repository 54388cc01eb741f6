// A small JSON reader for tests that read conformance data (WPT's
// urltestdata.json, toascii.json, IdnaTestV2.json). Test-only: it favours
// clarity over speed and keeps objects as ordered key/value lists.
//
// Strings are returned as UTF-8. "\uXXXX" escapes are decoded, surrogate
// pairs joined; a lone surrogate becomes U+FFFD, as a browser does when it
// turns a JS string into the USVString the URL parser takes.
#ifndef CORSD_SERVICE_ORIGIN_TESTING_JSON_READER_H_
#define CORSD_SERVICE_ORIGIN_TESTING_JSON_READER_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace corsd::origin::testing {

// One JSON value. Copyable; not thread-safe to mutate, safe to read.
class JsonValue {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

  JsonValue() = default;
  static JsonValue Bool(bool b);
  static JsonValue Number(double d);
  static JsonValue String(std::string s);
  static JsonValue Array(std::vector<JsonValue> items);
  static JsonValue Object(std::vector<std::pair<std::string, JsonValue>> m);

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_object() const { return type_ == Type::kObject; }
  bool is_array() const { return type_ == Type::kArray; }
  // Value accessors; each returns a default (false, 0, "", empty) when the
  // value has another type.
  bool bool_value() const { return type_ == Type::kBool && bool_; }
  double number_value() const { return number_; }
  const std::string& string_value() const { return string_; }
  const std::vector<JsonValue>& items() const { return items_; }
  const std::vector<std::pair<std::string, JsonValue>>& members() const {
    return members_;
  }
  // The member named `key` of an object, or nullptr when absent or when
  // this is not an object. The pointer is valid while *this is.
  const JsonValue* Find(absl::string_view key) const;

 private:
  Type type_ = Type::kNull;
  bool bool_ = false;
  double number_ = 0;
  std::string string_;
  std::vector<JsonValue> items_;
  std::vector<std::pair<std::string, JsonValue>> members_;
};

// Parses one JSON document (RFC 8259). InvalidArgument naming the byte
// offset and what was expected on malformed input or trailing garbage.
absl::StatusOr<JsonValue> ParseJson(absl::string_view text);

// Reads and parses the file at `path`. NotFound when it cannot be opened.
absl::StatusOr<JsonValue> ReadJsonFile(const std::string& path);

// A test input in printable form for failure messages: control bytes
// (< 0x20, 0x7f) as \xNN, everything else as is.
std::string Printable(absl::string_view s);

}  // namespace corsd::origin::testing

#endif  // CORSD_SERVICE_ORIGIN_TESTING_JSON_READER_H_
