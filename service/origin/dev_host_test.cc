// IsDevHost (R16) on canonical hosts.
#include "gtest/gtest.h"
#include "service/origin/origin.h"

namespace corsd::origin {
namespace {

class DevHostTest
    : public ::testing::TestWithParam<std::pair<const char*, bool>> {};

TEST_P(DevHostTest, Classifies) {
  EXPECT_EQ(IsDevHost(GetParam().first), GetParam().second) << GetParam().first;
}

INSTANTIATE_TEST_SUITE_P(
    Table, DevHostTest,
    ::testing::Values(
        std::make_pair("localhost", true), std::make_pair("localhost.", true),
        std::make_pair("app.localhost", true),
        std::make_pair("a.b.localhost", true),
        std::make_pair("notlocalhost", false),
        std::make_pair("localhost.com", false),
        std::make_pair("example.com", false), std::make_pair("127.0.0.1", true),
        std::make_pair("127.255.0.9", true),
        std::make_pair("126.255.255.255", false),
        std::make_pair("128.0.0.0", false), std::make_pair("0.0.0.0", true),
        std::make_pair("10.0.0.1", true), std::make_pair("11.0.0.1", false),
        std::make_pair("172.15.255.255", false),
        std::make_pair("172.16.0.0", true),
        std::make_pair("172.31.255.255", true),
        std::make_pair("172.32.0.0", false),
        std::make_pair("192.168.1.1", true),
        std::make_pair("192.169.0.1", false),
        std::make_pair("169.254.0.1", true),
        std::make_pair("169.253.0.1", false), std::make_pair("8.8.8.8", false),
        std::make_pair("[::1]", true), std::make_pair("[::]", true),
        std::make_pair("[::2]", false), std::make_pair("[fc00::1]", true),
        std::make_pair("[fdff::1]", true), std::make_pair("[fe00::1]", false),
        std::make_pair("[fe80::1]", true), std::make_pair("[febf::1]", true),
        std::make_pair("[fec0::1]", false),
        std::make_pair("[2001:db8::1]", false),
        std::make_pair("[::ffff:7f00:1]", true),
        std::make_pair("[::ffff:808:808]", false), std::make_pair("", false),
        std::make_pair("[", false)));

}  // namespace
}  // namespace corsd::origin
