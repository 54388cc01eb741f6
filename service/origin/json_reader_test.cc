// The test-only JSON reader: values, escapes, surrogates, errors.
#include "service/origin/testing/json_reader.h"

#include "gtest/gtest.h"

namespace corsd::origin::testing {
namespace {

TEST(JsonReaderTest, ReadsValues) {
  absl::StatusOr<JsonValue> v = ParseJson(
      R"( [ "c", {"input": "a\tb", "base": null, "failure": true,
                  "n": -1.5e2, "list": [], "o": {}} ] )");
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_TRUE(v->is_array());
  ASSERT_EQ(v->items().size(), 2u);
  EXPECT_EQ(v->items()[0].string_value(), "c");
  const JsonValue& o = v->items()[1];
  ASSERT_TRUE(o.is_object());
  EXPECT_EQ(o.Find("input")->string_value(), "a\tb");
  EXPECT_TRUE(o.Find("base")->is_null());
  EXPECT_TRUE(o.Find("failure")->bool_value());
  EXPECT_EQ(o.Find("n")->number_value(), -150);
  EXPECT_TRUE(o.Find("list")->is_array());
  EXPECT_TRUE(o.Find("o")->is_object());
  EXPECT_EQ(o.Find("absent"), nullptr);
}

TEST(JsonReaderTest, DecodesUnicodeEscapes) {
  absl::StatusOr<JsonValue> v =
      ParseJson(R"(["\u00fc\u4e2d\ud83d\ude00\ud800x\udc00\u0000"])");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->items()[0].string_value(),
            std::string("\xC3\xBC\xE4\xB8\xAD\xF0\x9F\x98\x80"
                        "\xEF\xBF\xBDx\xEF\xBF\xBD",
                        16) +
                std::string(1, '\0'));
}

TEST(JsonReaderTest, RejectsMalformedInputNamingTheOffset) {
  for (const char* bad : {"", "[", "[1,]", "{\"a\" 1}", "\"abc", "[1] x", "tru",
                          "\"\\q\"", "\"\\u12\"", "{1: 2}"}) {
    absl::StatusOr<JsonValue> v = ParseJson(bad);
    ASSERT_FALSE(v.ok()) << bad;
    EXPECT_NE(v.status().message().find("JSON at byte"), std::string::npos);
  }
}

TEST(JsonReaderTest, MissingFileIsNotFound) {
  EXPECT_TRUE(
      absl::IsNotFound(ReadJsonFile("/nonexistent/corsd/file.json").status()));
}

}  // namespace
}  // namespace corsd::origin::testing
