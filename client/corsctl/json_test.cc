#include "client/corsctl/json.h"

#include "gtest/gtest.h"

namespace corsd::corsctl {
namespace {

TEST(JsonQuoteTest, EscapesControlQuotesAndInvalidUtf8) {
  EXPECT_EQ(JsonQuote("plain"), "\"plain\"");
  EXPECT_EQ(JsonQuote("a\"b\\c\n\t"), "\"a\\\"b\\\\c\\n\\t\"");
  EXPECT_EQ(JsonQuote(std::string("\x01", 1)), "\"\\u0001\"");
  EXPECT_EQ(JsonQuote("b\xC3\xBC"), "\"b\xC3\xBC\"");  // valid UTF-8 kept
  EXPECT_EQ(JsonQuote("\xFF"), "\"\\u00ff\"");
  EXPECT_EQ(JsonQuote("\xC3"), "\"\\u00c3\"");  // truncated sequence
}

TEST(JsonObjectTest, KeepsInsertionOrder) {
  JsonObject o;
  o.Add("s", "x").Add("n", uint64_t{3}).Add("i", -2).Add("b", true);
  o.Add("l", std::vector<std::string>{"a", "b"}).AddRaw("r", "{}");
  EXPECT_EQ(o.Build(),
            R"({"s":"x","n":3,"i":-2,"b":true,"l":["a","b"],"r":{}})");
}

}  // namespace
}  // namespace corsd::corsctl
