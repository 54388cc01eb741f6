#include "service/domain/domain_name.h"

#include <string>

#include "gtest/gtest.h"

namespace corsd::domain {
namespace {

struct Accepted {
  std::string input;
  std::string host;
  std::string parent;
  bool wildcard;
};

class DomainNameAcceptTest : public testing::TestWithParam<Accepted> {};

TEST_P(DomainNameAcceptTest, Canonicalizes) {
  const Accepted& c = GetParam();
  absl::StatusOr<DomainName> name = ParseDomainName(c.input);
  ASSERT_TRUE(name.ok()) << c.input << ": " << name.status();
  EXPECT_EQ(name->host, c.host);
  EXPECT_EQ(name->parent, c.parent);
  EXPECT_EQ(name->wildcard, c.wildcard);
  // A fixed point.
  absl::StatusOr<DomainName> again = ParseDomainName(name->host);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->host, name->host);
}

INSTANTIATE_TEST_SUITE_P(
    Table, DomainNameAcceptTest,
    testing::Values(
        Accepted{"shop.customer.com", "shop.customer.com", "shop.customer.com",
                 false},
        Accepted{"  Shop.Customer.COM.", "shop.customer.com",
                 "shop.customer.com", false},
        Accepted{"customer.com", "customer.com", "customer.com", false},
        Accepted{"bücher.de", "xn--bcher-kva.de", "xn--bcher-kva.de", false},
        Accepted{"*.shop.customer.com", "*.shop.customer.com",
                 "shop.customer.com", true},
        Accepted{"*.customer.co.uk", "*.customer.co.uk", "customer.co.uk",
                 true},
        Accepted{"a-b.example.test", "a-b.example.test", "a-b.example.test",
                 false}));

struct Refused {
  std::string input;
  std::string says;  // a piece of the message
};

class DomainNameRefuseTest : public testing::TestWithParam<Refused> {};

TEST_P(DomainNameRefuseTest, NamesValueAndExpectation) {
  const Refused& c = GetParam();
  absl::StatusOr<DomainName> name = ParseDomainName(c.input);
  ASSERT_FALSE(name.ok()) << c.input << " -> " << name->host;
  EXPECT_EQ(name.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(name.status().message().find(c.says), std::string::npos)
      << name.status();
  EXPECT_NE(name.status().message().find("expected"), std::string::npos)
      << name.status();
}

INSTANTIATE_TEST_SUITE_P(
    Table, DomainNameRefuseTest,
    testing::Values(
        Refused{"", "is empty"}, Refused{"127.0.0.1", "IP address"},
        Refused{"0x7f.1", "IP address"}, Refused{"[::1]", "IP address"},
        Refused{"::1", "IP address"}, Refused{"com", "public suffix"},
        Refused{"co.uk", "public suffix"},
        Refused{"github.io", "public suffix"},
        Refused{"localhost", "public suffix"},
        Refused{"*.com", "wildcard over the public suffix"},
        Refused{"*.github.io", "wildcard over the public suffix"},
        Refused{"a.*.example.com", "'*'"}, Refused{"*example.com", "'*'"},
        Refused{"https://shop.example.com", "contains ':'"},
        Refused{"shop.example.com:443", "contains ':'"},
        Refused{"shop.example.com/x", "contains '/'"},
        Refused{"user@shop.example.com", "contains '@'"},
        Refused{"shop_1.example.com", "letters, digits"},
        Refused{"-shop.example.com", "letters, digits"},
        Refused{std::string(64, 'a') + ".example.com", "label of 64 bytes"},
        Refused{std::string(60, 'a') + "." + std::string(60, 'b') + "." +
                    std::string(60, 'c') + "." + std::string(60, 'd') +
                    ".example.com",
                "bytes after IDNA"},
        Refused{"exa%mple.com", "not a valid host name"}));

TEST(DomainNameTest, LongValuesAreShownCut) {
  const std::string long_name(2000, 'a');
  absl::StatusOr<DomainName> name = ParseDomainName(long_name);
  ASSERT_FALSE(name.ok());
  EXPECT_LT(name.status().message().size(), 300u);
}

TEST(DomainNameTest, AskedHostSkipsSuffixRulesButNotSyntax) {
  EXPECT_EQ(*CanonicalizeAskedHost("Shop.Example.COM"), "shop.example.com");
  EXPECT_EQ(*CanonicalizeAskedHost("com"), "com");
  EXPECT_FALSE(CanonicalizeAskedHost("*.example.com").ok());
  EXPECT_FALSE(CanonicalizeAskedHost("10.0.0.1").ok());
  EXPECT_FALSE(CanonicalizeAskedHost("a b.com").ok());
}

TEST(DomainNameTest, CoveringWildcard) {
  EXPECT_EQ(CoveringWildcard("a.shop.example.com"), "*.shop.example.com");
  EXPECT_EQ(CoveringWildcard("shop.example.com"), "*.example.com");
  EXPECT_EQ(CoveringWildcard("example.com"), "");
  EXPECT_EQ(CoveringWildcard("com"), "");
}

}  // namespace
}  // namespace corsd::domain
