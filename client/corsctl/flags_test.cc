#include "client/corsctl/flags.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace corsd::corsctl {
namespace {

struct Parsed {
  bool flag = false;
  std::string name;
  std::vector<std::string> list;
  uint64_t n = 7;
  std::vector<std::string> positional;
};

absl::Status ParseInto(std::vector<std::string> args, Parsed* p,
                       FlagSet* flags) {
  flags->Bool("flag", &p->flag, "a bool");
  flags->String("name", "NAME", &p->name, "a string");
  flags->List("item", "ITEM", &p->list, "a list");
  flags->Uint("n", "N", &p->n, 100, "a number");
  return flags->Parse(args, &p->positional);
}

TEST(FlagSetTest, ParsesEveryFormAndInterleavesPositionals) {
  Parsed p;
  FlagSet flags;
  ASSERT_TRUE(ParseInto({"a", "--flag", "--name", "x", "b", "--item=P,Q",
                         "--item", "R", "--n=42", "--", "--flag"},
                        &p, &flags)
                  .ok());
  EXPECT_TRUE(p.flag);
  EXPECT_EQ(p.name, "x");
  EXPECT_EQ(p.list, (std::vector<std::string>{"P", "Q", "R"}));
  EXPECT_EQ(p.n, 42u);
  EXPECT_EQ(p.positional, (std::vector<std::string>{"a", "b", "--flag"}));
  EXPECT_TRUE(flags.Seen("flag"));
  EXPECT_TRUE(flags.Seen("n"));
}

TEST(FlagSetTest, BoolFalseIsSeen) {
  Parsed p;
  p.flag = true;
  FlagSet flags;
  ASSERT_TRUE(ParseInto({"--flag=false"}, &p, &flags).ok());
  EXPECT_FALSE(p.flag);
  EXPECT_TRUE(flags.Seen("flag"));
  EXPECT_FALSE(flags.Seen("name"));
}

TEST(FlagSetTest, ErrorsNameTheFlagAndValue) {
  struct Case {
    std::vector<std::string> args;
    const char* message;
  };
  const Case cases[] = {
      {{"--nope"}, "unknown flag --nope"},
      {{"--name"}, "flag --name needs a value (NAME)"},
      {{"--flag=yes"}, "flag --flag: value \"yes\" is not a boolean"},
      {{"--n", "101"},
       "flag --n: value \"101\" is not a whole number in [0, 100]"},
      {{"--n", "-1"}, "value \"-1\""},
      {{"--n", "12a"}, "value \"12a\""},
  };
  for (const Case& c : cases) {
    Parsed p;
    FlagSet flags;
    absl::Status status = ParseInto(c.args, &p, &flags);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(std::string(status.message()).find(c.message), std::string::npos)
        << status.message();
  }
}

TEST(FlagSetTest, HelpListsEveryFlag) {
  Parsed p;
  FlagSet flags;
  ASSERT_TRUE(ParseInto({}, &p, &flags).ok());
  std::string help = flags.Help();
  EXPECT_NE(help.find("--flag"), std::string::npos);
  EXPECT_NE(help.find("--name NAME"), std::string::npos);
  EXPECT_NE(help.find("a list (repeatable)"), std::string::npos);
}

}  // namespace
}  // namespace corsd::corsctl
