// WPT conformance: the full parse agrees with web-platform-tests'
// urltestdata.json (every entry without a base) and toascii.json (every
// entry), read from CORSD_SHARED_DIR "/testdata/wpt". No exclusions.
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "service/origin/origin.h"
#include "service/origin/testing/json_reader.h"

namespace corsd::origin {
namespace {

using testing::JsonValue;

const std::string kWptDir = std::string(CORSD_SHARED_DIR) + "/testdata/wpt";

// Loads `file` from the WPT dir (NotFound when absent).
absl::StatusOr<JsonValue> LoadWpt(absl::string_view file) {
  return testing::ReadJsonFile(absl::StrCat(kWptDir, "/", file));
}

// The data is required: a missing file fails the test (it would otherwise
// pass without checking anything).
#define LOAD_WPT(var, file)                                                 \
  absl::StatusOr<JsonValue> var = LoadWpt(file);                            \
  ASSERT_TRUE(var.ok()) << var.status()                                     \
                        << " (the WPT data: ../shared/testdata beside the " \
                           "clone, see its README.md)";                     \
  ASSERT_TRUE(var->is_array())

TEST(WptUrlTestData, EveryEntryWithoutBaseAgrees) {
  LOAD_WPT(data, "urltestdata.json");
  int checked_origin = 0, checked_failure = 0;
  for (const JsonValue& entry : data->items()) {
    if (!entry.is_object()) continue;  // comment strings
    const JsonValue* base = entry.Find("base");
    if (base != nullptr && !base->is_null()) continue;
    const std::string& input = entry.Find("input")->string_value();
    absl::StatusOr<std::string> got = CanonicalizeOrigin(input);
    const JsonValue* failure = entry.Find("failure");
    if (failure != nullptr && failure->bool_value()) {
      ++checked_failure;
      EXPECT_FALSE(got.ok())
          << "input \"" << testing::Printable(input) << "\" must fail, got "
          << testing::Printable(*got);
      continue;
    }
    // Every other entry parses; those with "origin" say to what.
    EXPECT_TRUE(got.ok()) << "input \"" << testing::Printable(input)
                          << "\" must parse: " << got.status();
    if (const JsonValue* origin = entry.Find("origin")) {
      ++checked_origin;
      if (got.ok()) {
        EXPECT_EQ(*got, origin->string_value())
            << "input \"" << testing::Printable(input) << "\"";
      }
    }
  }
  // The data set pinned in ../shared (ada-url 308110b2) has exactly these
  // counts; fewer means entries were silently skipped.
  EXPECT_GE(checked_origin, 250);
  EXPECT_GE(checked_failure, 205);
}

TEST(WptToAscii, EveryEntryAgrees) {
  LOAD_WPT(data, "toascii.json");
  int checked = 0;
  for (const JsonValue& entry : data->items()) {
    if (!entry.is_object()) continue;
    const std::string& input = entry.Find("input")->string_value();
    const JsonValue* output = entry.Find("output");
    ASSERT_NE(output, nullptr)
        << "entry without output: " << testing::Printable(input);
    absl::StatusOr<std::string> got =
        CanonicalizeOrigin(absl::StrCat("https://", input));
    ++checked;
    if (output->is_null()) {
      EXPECT_FALSE(got.ok())
          << "host \"" << testing::Printable(input) << "\" must fail, got "
          << testing::Printable(*got);
    } else if (!got.ok()) {
      ADD_FAILURE() << "host \"" << testing::Printable(input)
                    << "\" must give \"" << output->string_value()
                    << "\": " << got.status();
    } else {
      EXPECT_EQ(*got, absl::StrCat("https://", output->string_value()))
          << "host \"" << testing::Printable(input) << "\"";
    }
  }
  EXPECT_GE(checked, 87);
}

}  // namespace
}  // namespace corsd::origin
