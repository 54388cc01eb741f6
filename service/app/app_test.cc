// In-process tests of App: the core and every door start together on free
// ports, health, shutdown, and start errors that name the flag (gRPC
// listeners, HTTP door, store) and leave nothing running.
#include "service/app/app.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace corsd::app {
namespace {

class AppTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/corsd_server_test_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    config_.rpc.listen = "127.0.0.1:0";
    config_.rpc.admin_listen = "127.0.0.1:0";
    config_.core.data_dir = dir_ + "/data";
    config_.rpc.admin_token_file = dir_ + "/tokens";
    std::ofstream(config_.rpc.admin_token_file) << "t0ken\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string dir_;
  AppConfig config_;
};

TEST_F(AppTest, StartsServingOnFreePortsAndShutsDownTwice) {
  absl::StatusOr<std::unique_ptr<App>> server = App::Start(config_);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_GT((*server)->decision_port(), 0);
  EXPECT_GT((*server)->admin_port(), 0);
  EXPECT_NE((*server)->decision_port(), (*server)->admin_port());
  EXPECT_EQ((*server)->decision_address(),
            "127.0.0.1:" + std::to_string((*server)->decision_port()));
  EXPECT_TRUE((*server)->Serving());  // an embedded store is ready at once
  EXPECT_NE((*server)->core().engine(), nullptr);
  EXPECT_NE((*server)->core().catalog(), nullptr);
  EXPECT_EQ((*server)->http_address(), "") << "no HTTP door unless asked";
  (*server)->Shutdown(absl::Milliseconds(100));
  EXPECT_FALSE((*server)->Serving());
  (*server)->Shutdown(absl::Milliseconds(100));  // idempotent
}

TEST_F(AppTest, BadListenAddressNamesTheFlag) {
  config_.rpc.listen = "localhost";
  absl::StatusOr<std::unique_ptr<App>> server = App::Start(config_);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(server.status().message().find("--listen \"localhost\""),
            std::string::npos)
      << server.status();
  config_.rpc.listen = "::1:0";
  server = App::Start(config_);
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.status().message().find("bracketed"), std::string::npos);
}

TEST_F(AppTest, PortInUseIsUnavailable) {
  absl::StatusOr<std::unique_ptr<App>> first = App::Start(config_);
  ASSERT_TRUE(first.ok()) << first.status();
  AppConfig second = config_;
  second.core.data_dir = dir_ + "/data2";
  second.rpc.admin_listen = (*first)->admin_address();
  absl::StatusOr<std::unique_ptr<App>> clash = App::Start(second);
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(clash.status().message().find("--admin-listen"), std::string::npos)
      << clash.status();
}

TEST_F(AppTest, CredentialsAreRequiredAndChecked) {
  config_.rpc.admin_token_file.clear();
  absl::StatusOr<std::unique_ptr<App>> server = App::Start(config_);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  config_.rpc.admin_token_file = dir_ + "/missing";
  server = App::Start(config_);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kNotFound);
  config_.rpc.admin_token_file = dir_ + "/tokens";
  config_.rpc.tls_key = dir_ + "/key.pem";  // key without cert
  server = App::Start(config_);
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.status().message().find("--tls-cert and --tls-key"),
            std::string::npos);
}

TEST_F(AppTest, StartsTheHttpDoorOverTheSameCore) {
  config_.http_listen = "127.0.0.1:0";
  config_.http_threads = 2;
  absl::StatusOr<std::unique_ptr<App>> app = App::Start(config_);
  ASSERT_TRUE(app.ok()) << app.status();
  EXPECT_GT((*app)->http_port(), 0);
  EXPECT_EQ((*app)->http_address(),
            "127.0.0.1:" + std::to_string((*app)->http_port()));
  // A raw /healthz over the door: it answers.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>((*app)->http_port()));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  const std::string req = "GET /healthz HTTP/1.0\r\n\r\n";
  ASSERT_EQ(send(fd, req.data(), req.size(), 0),
            static_cast<ssize_t>(req.size()));
  char buf[256];
  const ssize_t n = recv(fd, buf, sizeof(buf), MSG_WAITALL);
  close(fd);
  ASSERT_GT(n, 12);
  EXPECT_EQ(std::string(buf, 12), "HTTP/1.1 200");
  (*app)->Shutdown(absl::Milliseconds(100));
  EXPECT_FALSE((*app)->Serving());
}

TEST_F(AppTest, HttpDoorErrorsNameTheAddressAndStopTheRest) {
  config_.http_listen = "127.0.0.1";
  absl::StatusOr<std::unique_ptr<App>> app = App::Start(config_);
  ASSERT_FALSE(app.ok());
  EXPECT_EQ(app.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(app.status().message().find("\"127.0.0.1\""), std::string::npos)
      << app.status();
  // Nothing is left holding the store: the same data dir opens again.
  config_.http_listen.clear();
  app = App::Start(config_);
  EXPECT_TRUE(app.ok()) << app.status();
}

TEST_F(AppTest, DataDirThatCannotBeCreatedNamesTheFlag) {
  config_.core.data_dir = dir_ + "/tokens/data";  // under a file
  absl::StatusOr<std::unique_ptr<App>> app = App::Start(config_);
  ASSERT_FALSE(app.ok());
  EXPECT_NE(app.status().message().find("--data-dir"), std::string::npos)
      << app.status();
}

}  // namespace
}  // namespace corsd::app
