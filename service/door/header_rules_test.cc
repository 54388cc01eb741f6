// The shared header rules: joining repeats, refusing CR/LF/NUL and oversized
// values (naming the header), and the credentials rule.
#include "service/door/header_rules.h"

#include <string>

#include "gtest/gtest.h"

namespace corsd::door {
namespace {

TEST(JoinedValueTest, AbsentSingleAndRepeated) {
  JoinStorage storage;
  JoinedValue none(&storage);
  EXPECT_FALSE(none.present());
  EXPECT_EQ(none.value(), "");

  const std::string a = "https://a.example";
  JoinedValue one(&storage);
  one.Add(a);
  EXPECT_TRUE(one.present());
  EXPECT_EQ(one.value().data(), a.data()) << "a single value is not copied";
  EXPECT_TRUE(storage.empty());

  JoinedValue three(&storage);
  three.Add("a");
  three.Add("b");
  three.Add("c");
  EXPECT_EQ(three.count(), 3u);
  EXPECT_EQ(three.value(), "a,b,c");
  EXPECT_EQ(storage.size(), 1u);
}

TEST(JoinedValueTest, ValuesStayValidWhileOthersAreJoined) {
  JoinStorage storage;
  JoinedValue first(&storage);
  first.Add("x");
  first.Add("y");
  const absl::string_view kept = first.value();
  for (int i = 0; i < 100; ++i) {
    JoinedValue other(&storage);
    other.Add("p");
    other.Add("q");
  }
  EXPECT_EQ(kept, "x,y");
}

struct BadValue {
  std::string name;
  std::string value;
  std::string want;  // substring of the message
  absl::StatusCode code = absl::StatusCode::kInvalidArgument;
};

class CheckHeaderValueTest : public ::testing::TestWithParam<BadValue> {};

TEST_P(CheckHeaderValueTest, RefusesNamingTheHeader) {
  const BadValue& c = GetParam();
  const absl::Status s = CheckHeaderValue("Origin", c.value, 16);
  ASSERT_EQ(s.code(), c.code);
  EXPECT_NE(s.message().find("header Origin"), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find(c.want), std::string::npos) << s.message();
}

INSTANTIATE_TEST_SUITE_P(
    Bad, CheckHeaderValueTest,
    ::testing::Values(
        BadValue{"CR", std::string("https://a\r.x"), "\\x0d"},
        BadValue{"LF", std::string("https://a\n.x"), "no CR, LF or NUL"},
        BadValue{"NUL", std::string("https://a\0.x", 12), "\\x00"},
        BadValue{"TooLong", std::string(17, 'a'),
                 "17 bytes; expected at most 16",
                 absl::StatusCode::kResourceExhausted}),
    [](const auto& info) { return info.param.name; });

TEST(CheckHeaderValueTest, AcceptsAtTheLimitAndTabs) {
  EXPECT_TRUE(CheckHeaderValue("Origin", std::string(16, 'a'), 16).ok());
  EXPECT_TRUE(CheckHeaderValue("Origin", "a\tb", 16).ok());
  EXPECT_TRUE(CheckHeaderValue("Origin", "", 16).ok());
}

TEST(ShownValueTest, CutsAndEscapes) {
  EXPECT_EQ(ShownValue("abc"), "\"abc\"");
  EXPECT_EQ(ShownValue(std::string("a\x01\"", 3)), "\"a\\x01\\x22\"");
  EXPECT_EQ(ShownValue(std::string(70, 'z')),
            "\"" + std::string(64, 'z') + "...\"");
}

TEST(CarriesCredentialsTest, CookieOrAuthorization) {
  EXPECT_FALSE(CarriesCredentials(false, false));
  EXPECT_TRUE(CarriesCredentials(true, false));
  EXPECT_TRUE(CarriesCredentials(false, true));
  EXPECT_TRUE(CarriesCredentials(true, true));
}

}  // namespace
}  // namespace corsd::door
