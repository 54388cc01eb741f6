#include "service/domain/domain_index.h"

#include "gtest/gtest.h"

namespace corsd::domain {
namespace {

using Match = DomainIndex::Match;

TEST(DomainIndexTest, ExactAndOneLabelUnderAWildcard) {
  table::EpochManager epochs;
  DomainIndex index(&epochs);
  index.Apply({{"shop.customer.com", true}, {"*.cdn.customer.com", true}});
  EXPECT_EQ(index.size(), 2u);
  EXPECT_EQ(index.Lookup("shop.customer.com"), Match::kExact);
  EXPECT_EQ(index.Lookup("a.cdn.customer.com"), Match::kWildcard);
  // The wildcard covers one label, never its parent or deeper names.
  EXPECT_EQ(index.Lookup("cdn.customer.com"), Match::kNone);
  EXPECT_EQ(index.Lookup("b.a.cdn.customer.com"), Match::kNone);
  EXPECT_EQ(index.Lookup("customer.com"), Match::kNone);
  EXPECT_EQ(index.Lookup("x.shop.customer.com"), Match::kNone);
  EXPECT_EQ(index.Lookup("com"), Match::kNone);
  EXPECT_EQ(index.Lookup(""), Match::kNone);
}

TEST(DomainIndexTest, RemoveAndNoOps) {
  table::EpochManager epochs;
  DomainIndex index(&epochs);
  index.Apply({{"a.example.com", true}, {"a.example.com", true}});
  EXPECT_EQ(index.size(), 1u);
  index.Apply({{"b.example.com", false}});
  EXPECT_EQ(index.size(), 1u);
  index.Apply({{"a.example.com", false}, {"*.example.com", true}});
  EXPECT_EQ(index.size(), 1u);
  EXPECT_EQ(index.Lookup("a.example.com"), Match::kWildcard);
  index.Apply({{"*.example.com", false}});
  EXPECT_EQ(index.Lookup("a.example.com"), Match::kNone);
  EXPECT_EQ(index.size(), 0u);
}

TEST(DomainIndexTest, WithheldHostsAreToldApart) {
  table::EpochManager epochs;
  DomainIndex index(&epochs);
  index.Apply({{"failing.example.com", false, true}});
  EXPECT_EQ(index.Lookup("failing.example.com"), Match::kWithheld);
  EXPECT_EQ(index.size(), 0u);
  index.Apply({{"failing.example.com", true, false}});
  EXPECT_EQ(index.Lookup("failing.example.com"), Match::kExact);
  index.Apply({{"failing.example.com", false, false}});
  EXPECT_EQ(index.Lookup("failing.example.com"), Match::kNone);
}

TEST(DomainIndexTest, ManyHostsAcrossShards) {
  table::EpochManager epochs;
  DomainIndex index(&epochs);
  std::vector<DomainIndex::Change> changes;
  for (int i = 0; i < 5000; ++i) {
    changes.push_back({"h" + std::to_string(i) + ".example.com", true});
  }
  index.Apply(changes);
  EXPECT_EQ(index.size(), 5000u);
  for (int i = 0; i < 5000; i += 97) {
    EXPECT_EQ(index.Lookup("h" + std::to_string(i) + ".example.com"),
              Match::kExact);
  }
  EXPECT_EQ(index.Lookup("h5000.example.com"), Match::kNone);
}

}  // namespace
}  // namespace corsd::domain
