// In-process tests of ServerOptions validation and of what Server::Start
// refuses before binding anything. Starting the listeners over a real core is
// tested through service/app (app_test) and the integration tests.
#include "service/rpc/server.h"

#include <string>

#include "gtest/gtest.h"
#include "service/rpc/server_options.h"

namespace corsd::rpc {
namespace {

TEST(ServerStartTest, RefusesAMissingCore) {
  ServerConfig config;
  config.listen = "127.0.0.1:0";
  config.admin_listen = "127.0.0.1:0";
  absl::StatusOr<std::unique_ptr<Server>> server =
      Server::Start(config, ServerCore{});
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(server.status().message().find("engine=null"), std::string::npos)
      << server.status();
}

TEST(ServerOptionsTest, DefaultsAreValid) {
  EXPECT_TRUE(ValidateServerOptions(ServerOptions{}).ok());
}

TEST(ServerOptionsTest, OutOfRangeNamesFieldValueAndRange) {
  ServerOptions o;
  o.max_concurrent_streams = 0;
  absl::Status s = ValidateServerOptions(o);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "server option max_concurrent_streams = 0: expected 1..1000000");
  o = ServerOptions{};
  o.max_receive_message_bytes = 10;
  EXPECT_NE(
      ValidateServerOptions(o).message().find("max_receive_message_bytes = 10"),
      std::string::npos);
  o = ServerOptions{};
  o.threads = -1;
  EXPECT_FALSE(ValidateServerOptions(o).ok());
}

}  // namespace
}  // namespace corsd::rpc
