// In-process tests of Server (start, ports, health flag, shutdown, start
// errors) and of ServerOptions validation.
#include "service/rpc/server.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "service/rpc/server_options.h"

namespace corsd::rpc {
namespace {

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/corsd_server_test_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    config_.listen = "127.0.0.1:0";
    config_.admin_listen = "127.0.0.1:0";
    config_.data_dir = dir_ + "/data";
    config_.admin_token_file = dir_ + "/tokens";
    std::ofstream(config_.admin_token_file) << "t0ken\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string dir_;
  ServerConfig config_;
};

TEST_F(ServerTest, StartsServingOnFreePortsAndShutsDownTwice) {
  absl::StatusOr<std::unique_ptr<Server>> server = Server::Start(config_);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_GT((*server)->decision_port(), 0);
  EXPECT_GT((*server)->admin_port(), 0);
  EXPECT_NE((*server)->decision_port(), (*server)->admin_port());
  EXPECT_EQ((*server)->decision_address(),
            "127.0.0.1:" + std::to_string((*server)->decision_port()));
  EXPECT_TRUE((*server)->Serving());  // an embedded store is ready at once
  EXPECT_NE((*server)->engine(), nullptr);
  EXPECT_NE((*server)->catalog(), nullptr);
  (*server)->Shutdown(absl::Milliseconds(100));
  EXPECT_FALSE((*server)->Serving());
  (*server)->Shutdown(absl::Milliseconds(100));  // idempotent
  (*server)->Wait();                             // returns after Shutdown
}

TEST_F(ServerTest, BadListenAddressNamesTheFlag) {
  config_.listen = "localhost";
  absl::StatusOr<std::unique_ptr<Server>> server = Server::Start(config_);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(server.status().message().find("--listen \"localhost\""),
            std::string::npos)
      << server.status();
  config_.listen = "::1:0";
  server = Server::Start(config_);
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.status().message().find("bracketed"), std::string::npos);
}

TEST_F(ServerTest, PortInUseIsUnavailable) {
  absl::StatusOr<std::unique_ptr<Server>> first = Server::Start(config_);
  ASSERT_TRUE(first.ok()) << first.status();
  ServerConfig second = config_;
  second.data_dir = dir_ + "/data2";
  second.admin_listen = (*first)->admin_address();
  absl::StatusOr<std::unique_ptr<Server>> clash = Server::Start(second);
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(clash.status().message().find("--admin-listen"), std::string::npos)
      << clash.status();
}

TEST_F(ServerTest, CredentialsAreRequiredAndChecked) {
  config_.admin_token_file.clear();
  absl::StatusOr<std::unique_ptr<Server>> server = Server::Start(config_);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  config_.admin_token_file = dir_ + "/missing";
  server = Server::Start(config_);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kNotFound);
  config_.admin_token_file = dir_ + "/tokens";
  config_.tls_key = dir_ + "/key.pem";  // key without cert
  server = Server::Start(config_);
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.status().message().find("--tls-cert and --tls-key"),
            std::string::npos);
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
