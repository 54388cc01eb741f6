// NameSet: exact byte membership grouped by length.
#include "service/policy/name_set.h"

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace corsd::policy {
namespace {

TEST(NameSetTest, InsertAndContains) {
  NameSet s;
  EXPECT_FALSE(s.Contains("PUT"));
  EXPECT_TRUE(s.Insert("PUT"));
  EXPECT_TRUE(s.Insert("GET"));
  EXPECT_TRUE(s.Insert("PATCH"));
  EXPECT_TRUE(s.Insert(""));
  EXPECT_FALSE(s.Insert("PUT"));
  EXPECT_EQ(s.size(), 4u);
  EXPECT_TRUE(s.Contains("PUT"));
  EXPECT_TRUE(s.Contains("GET"));
  EXPECT_TRUE(s.Contains("PATCH"));
  EXPECT_TRUE(s.Contains(""));
  EXPECT_FALSE(s.Contains("put"));
  EXPECT_FALSE(s.Contains("PUTS"));
  EXPECT_FALSE(s.Contains("PU"));
}

TEST(NameSetTest, LengthLimit) {
  NameSet s;
  const std::string at(NameSet::kMaxNameBytes, 'x');
  EXPECT_TRUE(s.Insert(at));
  EXPECT_TRUE(s.Contains(at));
  EXPECT_FALSE(s.Insert(at + "x"));
  EXPECT_FALSE(s.Contains(at + "x"));
}

TEST(NameSetTest, AgreesWithStdSetOnManyNames) {
  NameSet s;
  std::set<std::string> ref;
  for (int i = 0; i < 300; ++i) {
    std::string name(static_cast<size_t>(i * 7919 % 40), 'a');
    name += std::to_string(i % 97);
    EXPECT_EQ(s.Insert(name), ref.insert(name).second) << name;
  }
  EXPECT_EQ(s.size(), ref.size());
  for (int i = 0; i < 600; ++i) {
    std::string name(static_cast<size_t>(i * 7919 % 40), 'a');
    name += std::to_string(i % 131);
    EXPECT_EQ(s.Contains(name), ref.count(name) == 1) << name;
  }
}

}  // namespace
}  // namespace corsd::policy
