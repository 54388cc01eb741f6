// UTS 46 in depth: every entry of WPT's IdnaTestV2.json (from Unicode's
// IdnaTestV2.txt, non-transitional ToASCII as the URL standard uses it),
// run the way WPT's IdnaTestV2.window.js does: "https://" + input + "/x"
// must have host `output`, or fail to parse where `output` is null.
//
// One documented difference: a code point unassigned in the installed ICU's
// Unicode version (Debian 12: ICU 72, Unicode 15.0) is refused, even where
// the data (a newer Unicode) says it is valid. Origin headers carry ASCII
// ("xn--" labels), so this only affects admin input, which gets an error
// and can be written in its "xn--" form. The test asserts that refusal for
// those entries and that they stay few.
#include <unicode/uchar.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "service/origin/origin.h"
#include "service/origin/testing/json_reader.h"

namespace corsd::origin {
namespace {

using testing::JsonValue;

// True when `utf8` holds a code point the installed ICU does not know.
bool HasCodePointUnknownToIcu(absl::string_view utf8) {
  for (size_t i = 0; i < utf8.size();) {
    const unsigned char c = static_cast<unsigned char>(utf8[i]);
    const size_t len = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
    if (i + len > utf8.size()) return false;
    UChar32 cp = len == 1 ? c : (c & (0x7f >> len));
    for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (utf8[i + k] & 0x3f);
    // Noncharacters are unassigned too, but disallowed in every version.
    if (u_charType(cp) == U_UNASSIGNED && (cp & 0xfffe) != 0xfffe &&
        !(cp >= 0xfdd0 && cp <= 0xfdef)) {
      return true;
    }
    i += len;
  }
  return false;
}

TEST(WptIdnaTestV2, EveryEntryAgrees) {
  const std::string path =
      std::string(CORSD_SHARED_DIR) + "/testdata/wpt/IdnaTestV2.json";
  absl::StatusOr<JsonValue> data = testing::ReadJsonFile(path);
  // Required: a missing file fails (the data is ../shared/testdata).
  ASSERT_TRUE(data.ok()) << data.status();
  int checked = 0, newer_unicode = 0;
  for (const JsonValue& entry : data->items()) {
    if (!entry.is_object()) continue;
    const std::string& input = entry.Find("input")->string_value();
    // WPT skips the empty input: "https:///x" is not about IDNA.
    if (input.empty()) continue;
    const JsonValue* output = entry.Find("output");
    ASSERT_NE(output, nullptr)
        << "entry without output: " << testing::Printable(input);
    absl::StatusOr<std::string> got =
        CanonicalizeOrigin(absl::StrCat("https://", input, "/x"));
    ++checked;
    if (!output->is_null() && HasCodePointUnknownToIcu(input)) {
      ++newer_unicode;
      EXPECT_FALSE(got.ok()) << "host \"" << testing::Printable(input)
                             << "\" has a code point newer than ICU's "
                                "Unicode: expected a refusal, got "
                             << testing::Printable(*got);
    } else if (output->is_null()) {
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
  EXPECT_GT(checked, 2000);
  EXPECT_LE(newer_unicode, 10) << "many entries need a newer Unicode than "
                                  "ICU's: regenerate uts46_updates.inc?";
}

}  // namespace
}  // namespace corsd::origin
