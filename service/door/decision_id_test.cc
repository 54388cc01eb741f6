// Decision ids: the 16-hex-digit form, its parse, and the id source's
// promises (never 0, distinct, Mix(prefix + n)).
#include "service/door/decision_id.h"

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace corsd::door {
namespace {

TEST(DecisionIdTest, FormatsSixteenLowercaseHexDigits) {
  EXPECT_EQ(FormatDecisionId(0).view(), "0000000000000000");
  EXPECT_EQ(FormatDecisionId(0x0123456789abcdefULL).view(), "0123456789abcdef");
  EXPECT_EQ(FormatDecisionId(~0ULL).view(), "ffffffffffffffff");
}

TEST(DecisionIdTest, ParseIsTheInverseAndRefusesEverythingElse) {
  uint64_t id = 0;
  ASSERT_TRUE(ParseDecisionId("0123456789ABCDEF", &id));
  EXPECT_EQ(id, 0x0123456789abcdefULL);
  for (const uint64_t v : {1ULL, 0xdeadbeefULL, ~0ULL, 1ULL << 63}) {
    uint64_t back = 0;
    ASSERT_TRUE(ParseDecisionId(FormatDecisionId(v).view(), &back));
    EXPECT_EQ(back, v);
  }
  id = 7;
  for (const char* bad :
       {"", "0123456789abcde", "0123456789abcdef0", "0123456789abcdeg",
        "-123456789abcdef", " 123456789abcdef"}) {
    EXPECT_FALSE(ParseDecisionId(bad, &id)) << bad;
    EXPECT_EQ(id, 7u) << "untouched on failure";
  }
}

TEST(DecisionIdTest, MixIsABijectionThatKeepsZero) {
  EXPECT_EQ(DecisionIds::Mix(0), 0u);
  std::set<uint64_t> seen;
  for (uint64_t x = 1; x <= 10000; ++x) {
    const uint64_t m = DecisionIds::Mix(x);
    EXPECT_NE(m, 0u);
    EXPECT_TRUE(seen.insert(m).second) << x;
  }
}

TEST(DecisionIdTest, NextIsMixOfPrefixPlusCounterAndNeverZero) {
  DecisionIds ids(1000);
  EXPECT_EQ(ids.Next(), DecisionIds::Mix(1000));
  EXPECT_EQ(ids.Next(), DecisionIds::Mix(1001));
  // The one counter value that would give prefix + n == 0 is skipped.
  DecisionIds wrapping(~0ULL - 1);  // n = 2 gives 0
  EXPECT_EQ(wrapping.Next(), DecisionIds::Mix(~0ULL - 1));
  EXPECT_EQ(wrapping.Next(), DecisionIds::Mix(~0ULL));
  EXPECT_EQ(wrapping.Next(), DecisionIds::Mix(1));
}

TEST(DecisionIdTest, RandomPrefixesDiffer) {
  // Two draws of 64 random bits are equal with probability 2^-64.
  EXPECT_NE(DecisionIds::RandomPrefix(), DecisionIds::RandomPrefix());
}

TEST(DecisionIdTest, TwoProcessesWithRandomPrefixesDoNotShareIds) {
  DecisionIds a(DecisionIds::RandomPrefix());
  DecisionIds b(DecisionIds::RandomPrefix());
  std::set<uint64_t> seen;
  for (int i = 0; i < 20000; ++i) {
    EXPECT_TRUE(seen.insert(a.Next()).second);
    EXPECT_TRUE(seen.insert(b.Next()).second);
  }
}

}  // namespace
}  // namespace corsd::door
