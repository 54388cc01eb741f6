// The HTTP door over raw sockets: the exact bytes a client sends reach the
// decision (nothing decoded or normalized), pipelined requests are answered
// in order, nothing of one request leaks into the next on a kept-alive
// connection, oversized and malformed heads are refused, and a slow client
// is cut off by the header timeout.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "service/decision/engine.h"
#include "service/http/http_server.h"
#include "service/policy/policy.h"
#include "service/policy/policy_registry.h"
#include "service/table/epoch.h"
#include "service/table/origin_table.h"

namespace corsd::http {
namespace {

using table::Op;

// A blocking loopback connection with a read deadline.
class Conn {
 public:
  explicit Conn(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  }
  ~Conn() { close(fd_); }
  bool connected() const { return connected_; }

  bool Send(absl::string_view bytes) {
    size_t off = 0;
    while (off < bytes.size()) {
      const ssize_t n =
          send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }

  // Reads until `responses` whole responses (Content-Length framed) are in
  // the buffer, the peer closes, or `timeout` passes. Returns them.
  std::vector<std::string> Read(
      size_t responses,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(3000)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::vector<std::string> out;
    while (out.size() < responses) {
      if (TakeOne(&out)) continue;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char buf[8192];
      const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      buf_.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

  // True when the peer has closed (reads EOF within `timeout`).
  bool PeerClosed(std::chrono::milliseconds timeout) {
    if (closed_) return true;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
    char c;
    return recv(fd_, &c, 1, MSG_PEEK) == 0;
  }

 private:
  bool TakeOne(std::vector<std::string>* out) {
    const size_t end = buf_.find("\r\n\r\n");
    if (end == std::string::npos) return false;
    size_t length = 0;
    for (absl::string_view line : absl::StrSplit(buf_.substr(0, end), "\r\n")) {
      if (absl::StartsWithIgnoreCase(line, "content-length:")) {
        length = std::stoul(std::string(line.substr(15)));
      }
    }
    if (buf_.size() < end + 4 + length) return false;
    out->push_back(buf_.substr(0, end + 4 + length));
    buf_.erase(0, end + 4 + length);
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
  std::string buf_;
};

int Status(const std::string& response) {
  if (response.size() < 12) return 0;
  return std::stoi(response.substr(9, 3));
}

// The value of header `name` in `response` (first one), or "<absent>".
std::string HeaderOf(const std::string& response, absl::string_view name) {
  const size_t end = response.find("\r\n\r\n");
  for (absl::string_view line :
       absl::StrSplit(absl::string_view(response).substr(0, end), "\r\n")) {
    const size_t colon = line.find(':');
    if (colon != absl::string_view::npos &&
        absl::EqualsIgnoreCase(line.substr(0, colon), name)) {
      absl::string_view v = line.substr(colon + 1);
      while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      return std::string(v);
    }
  }
  return "<absent>";
}

std::string AuthRequest(absl::string_view origin_line,
                        absl::string_view extra = "") {
  return absl::StrCat(
      "GET /auth HTTP/1.1\r\nHost: corsd\r\n", "X-Original-Method: GET\r\n",
      "X-Original-Host: api.acme.com\r\n", origin_line, extra, "\r\n");
}

class HttpWireTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(
        table_
            .Apply({
                {Op::Kind::kAddTenant, "acme", ""},
                {Op::Kind::kAddOrigin, "acme", "https://app.example.com"},
                {Op::Kind::kAddApiHost, "acme", "api.acme.com"},
            })
            .ok());
    policy::Policy p;
    p.allow_credentials = true;
    p.enforce_unsafe_methods = true;
    auto compiled = policy::Validate(p);
    ASSERT_TRUE(compiled.ok());
    table::TenantId id;
    {
      table::EpochManager::ReadGuard guard(&epochs_);
      id = table_.FindTenant("acme");
    }
    ASSERT_TRUE(registry_.Set(id, *std::move(compiled)).ok());
    HttpServerOptions options;
    options.io_timeout = absl::Milliseconds(400);
    options.max_header_value_bytes = 1024;
    auto server = HttpServer::Start(
        options, {.engine = &engine_, .table = &table_, .epochs = &epochs_});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  table::EpochManager epochs_;
  table::OriginTable table_{&epochs_};
  policy::PolicyRegistry registry_{&epochs_};
  decision::Engine engine_{&table_, &registry_};
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpWireTest, TheExactOriginMatches) {
  Conn c(server_->port());
  ASSERT_TRUE(c.Send(AuthRequest("Origin: https://app.example.com\r\n")));
  const auto r = c.Read(1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(Status(r[0]), 200);
  EXPECT_EQ(HeaderOf(r[0], "access-control-allow-origin"),
            "https://app.example.com");
}

// Percent-encoded, uppercase, padded inside, overlong, repeated and
// comma-joined Origin headers reach the decision as sent and never match.
class HttpWireOriginTest : public HttpWireTest,
                           public ::testing::WithParamInterface<std::string> {};

TEST_P(HttpWireOriginTest, NeverMatches) {
  Conn c(server_->port());
  ASSERT_TRUE(c.Send(AuthRequest(GetParam())));
  const auto r = c.Read(1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(Status(r[0]), 200) << r[0];
  EXPECT_EQ(HeaderOf(r[0], "access-control-allow-origin"), "<absent>") << r[0];
  // NOT_ALLOWED or NOT_CANONICAL: refused either way.
  EXPECT_TRUE(absl::StartsWith(HeaderOf(r[0], "x-corsd-reason"),
                               "REASON_R2_ORIGIN_NOT_"))
      << r[0];
}

INSTANTIATE_TEST_SUITE_P(
    Variants, HttpWireOriginTest,
    ::testing::Values(
        "Origin: https://app%2Eexample.com\r\n",
        "Origin: https://app.example.com%2F\r\n",
        "Origin: HTTPS://APP.EXAMPLE.COM\r\n",
        "Origin: https://App.example.com\r\n",
        "Origin: https://app.example.com:443\r\n",
        "Origin: https://app.example.com/\r\n",
        "Origin: https:// app.example.com\r\n",
        "Origin: https://app.example.com\t.\r\n",
        "Origin: https://app.example.com" + std::string(1000, 'x') + "\r\n",
        "Origin: https://app.example.com\r\nOrigin: "
        "https://app.example.com\r\n",
        "Origin: https://app.example.com, https://app.example.com\r\n",
        "Origin: https://app.example.com,null\r\n"));

TEST_F(HttpWireTest, PipelinedRequestsAreAnsweredInOrder) {
  Conn c(server_->port());
  const std::string refused = AuthRequest("Origin: https://evil.test\r\n");
  const std::string allowed =
      AuthRequest("Origin: https://app.example.com\r\n");
  const std::string health = "GET /healthz HTTP/1.1\r\nHost: corsd\r\n\r\n";
  ASSERT_TRUE(c.Send(allowed + refused + health + allowed));
  const auto r = c.Read(4);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(HeaderOf(r[0], "access-control-allow-origin"),
            "https://app.example.com");
  EXPECT_EQ(HeaderOf(r[1], "access-control-allow-origin"), "<absent>");
  EXPECT_TRUE(absl::EndsWith(r[2], "ok\n")) << r[2];
  EXPECT_EQ(HeaderOf(r[3], "access-control-allow-origin"),
            "https://app.example.com");
}

TEST_F(HttpWireTest, NothingLeaksIntoTheNextRequestOnAConnection) {
  Conn c(server_->port());
  ASSERT_TRUE(c.Send(AuthRequest("Origin: https://app.example.com\r\n",
                                 "Cookie: s=1\r\nX-Corsd-Tenant: acme\r\n")));
  ASSERT_TRUE(c.Send(AuthRequest("")));
  const auto r = c.Read(2);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(HeaderOf(r[0], "access-control-allow-credentials"), "true");
  EXPECT_EQ(HeaderOf(r[1], "access-control-allow-origin"), "<absent>");
  EXPECT_EQ(HeaderOf(r[1], "access-control-allow-credentials"), "<absent>");
  EXPECT_EQ(HeaderOf(r[1], "x-corsd-reason"), "REASON_R1_NO_ORIGIN");
}

TEST_F(HttpWireTest, OversizedValueIs431AndTheConnectionStaysUsable) {
  Conn c(server_->port());
  ASSERT_TRUE(c.Send(AuthRequest(
      absl::StrCat("Origin: https://", std::string(1100, 'a'), ".com\r\n"))));
  ASSERT_TRUE(c.Send(AuthRequest("Origin: https://app.example.com\r\n")));
  const auto r = c.Read(2);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(Status(r[0]), 431);
  EXPECT_TRUE(absl::StrContains(
      r[0], "header Origin is 1112 bytes; expected at most 1024"))
      << r[0];
  EXPECT_EQ(Status(r[1]), 200);
}

TEST_F(HttpWireTest, AnOversizedRequestLineIs431AndTheConnectionStaysUsable) {
  Conn c(server_->port());
  ASSERT_TRUE(c.Send(absl::StrCat(
      "OPTIONS /preflight/", std::string(10, 'a'), "?", std::string(2000, 'q'),
      " HTTP/1.1\r\nHost: corsd\r\nOrigin: https://app.example.com\r\n"
      "Access-Control-Request-Method: GET\r\n\r\n")));
  ASSERT_TRUE(c.Send(AuthRequest("Origin: https://app.example.com\r\n")));
  const auto r = c.Read(2);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(Status(r[0]), 431) << r[0];
  EXPECT_TRUE(absl::StrContains(
      r[0], "request target is 2022 bytes; expected at most 1024"))
      << r[0];
  EXPECT_EQ(Status(r[1]), 200);
}

TEST_F(HttpWireTest, AnOversizedHeaderBlockIs431AndTheConnectionStaysUsable) {
  Conn c(server_->port());
  std::string filler;
  for (int i = 0; i < 80; ++i) {
    absl::StrAppend(&filler, "X-Filler-", i, ": ", std::string(1000, 'f'),
                    "\r\n");
  }
  ASSERT_TRUE(
      c.Send(AuthRequest("Origin: https://app.example.com\r\n", filler)));
  ASSERT_TRUE(c.Send(AuthRequest("Origin: https://app.example.com\r\n")));
  const auto r = c.Read(2);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(Status(r[0]), 431) << r[0].substr(0, 300);
  EXPECT_TRUE(absl::StrContains(r[0], "request header block is")) << r[0];
  EXPECT_EQ(Status(r[1]), 200);
}

TEST_F(HttpWireTest, NulInAHeaderIsRefusedAndTheConnectionClosed) {
  Conn c(server_->port());
  ASSERT_TRUE(c.Send(AuthRequest(
      std::string("Origin: https://app.example.com\0.evil\r\n", 39))));
  const auto r = c.Read(1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(Status(r[0]), 400) << r[0];
  EXPECT_TRUE(c.PeerClosed(std::chrono::milliseconds(2000)));
}

TEST_F(HttpWireTest, AHugeHeadIsRefusedAndClosedCleanly) {
  Conn c(server_->port());
  std::string head = "GET /auth HTTP/1.1\r\nHost: corsd\r\n";
  for (int i = 0; i < 120; ++i)
    absl::StrAppend(&head, "X-Filler-", i, ": 1\r\n");
  ASSERT_TRUE(c.Send(absl::StrCat(head, "\r\n")));
  const auto r = c.Read(1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(Status(r[0]) == 400 || Status(r[0]) == 431) << r[0];
  EXPECT_TRUE(c.PeerClosed(std::chrono::milliseconds(2000)));
  // The server still answers others.
  Conn next(server_->port());
  ASSERT_TRUE(next.Send(AuthRequest("Origin: https://app.example.com\r\n")));
  ASSERT_EQ(next.Read(1).size(), 1u);
}

TEST_F(HttpWireTest, ASlowClientIsCutOffAndHoldsNobodyUp) {
  Conn slow(server_->port());
  ASSERT_TRUE(slow.Send("GET /auth HTTP/1.1\r\nHost: corsd\r\nX-Orig"));
  // Meanwhile another client is served at once.
  Conn other(server_->port());
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(other.Send(AuthRequest("Origin: https://app.example.com\r\n")));
  ASSERT_EQ(other.Read(1).size(), 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  // The slow one is closed after io_timeout (400 ms), well before 3 s.
  EXPECT_TRUE(slow.PeerClosed(std::chrono::milliseconds(3000)));
}

TEST_F(HttpWireTest, CrLfCannotSmuggleAHeaderIntoTheAnswer) {
  Conn c(server_->port());
  // A bare LF ends the line: "X-Evil" is a header of its own, never part of
  // the Origin value, and never echoed.
  ASSERT_TRUE(
      c.Send(AuthRequest("Origin: https://app.example.com\nX-Evil: 1\r\n")));
  const auto r = c.Read(1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(HeaderOf(r[0], "x-evil"), "<absent>");
}

}  // namespace
}  // namespace corsd::http
