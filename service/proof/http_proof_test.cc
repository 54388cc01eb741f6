// ProveHttp against a real HTTP server on loopback: a scripted server in this
// file answers each path with raw bytes (well-formed, malformed, oversized,
// redirecting, silent), and a fixed Resolver maps test hosts to 127.0.0.1 or
// to the addresses the SSRF rule must refuse. Every outcome is checked with
// its reason, and no reason or seen value ever holds the token.
#include "service/proof/http_proof.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "service/domain/proof.h"

namespace corsd::proof {
namespace {

using domain::ProofOutcome;
using domain::ProofResult;

constexpr absl::string_view kToken = "tok-3f9a_Z.0123456789abcdefXYZ";
const std::string kChallenge =
    absl::StrCat("/.well-known/corsd-challenge/", kToken);

// What the server does for one path once it has read the request head.
struct Script {
  std::string response;    // raw bytes sent
  bool keep_open = false;  // then wait for the client to close, not close
};

// A one-thread HTTP server on 127.0.0.1 (a free port): serves connections
// one at a time, reads each request head, answers with the path's script
// ("404, Content-Length: 0" for unknown paths) and closes. Records every
// request head.
class ScriptedServer {
 public:
  ScriptedServer() {
    listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(a);
    if (bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
        listen(listener_, 16) != 0 ||
        getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &length) != 0 ||
        pipe2(stop_, O_CLOEXEC) != 0) {
      ADD_FAILURE() << "cannot start the test server";
      return;
    }
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }

  ~ScriptedServer() {
    if (thread_.joinable()) {
      const char c = 0;
      EXPECT_EQ(write(stop_[1], &c, 1), 1);
      thread_.join();
    }
    close(listener_);
    close(stop_[0]);
    close(stop_[1]);
  }

  int port() const { return port_; }

  void Set(const std::string& path, Script script) {
    std::lock_guard<std::mutex> lock(mu_);
    scripts_[path] = std::move(script);
  }

  int connections() const {
    // Relaxed: read after the client is done; only the count matters.
    return connections_.load(std::memory_order_relaxed);
  }

  std::vector<std::string> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  // Waits for `fd` to be readable; false when the server is stopping.
  bool WaitReadable(int fd) {
    pollfd p[2] = {{.fd = fd, .events = POLLIN, .revents = 0},
                   {.fd = stop_[0], .events = POLLIN, .revents = 0}};
    while (poll(p, 2, -1) < 0) {
    }
    return p[1].revents == 0;
  }

  void Serve() {
    while (WaitReadable(listener_)) {
      const int fd = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      connections_.fetch_add(1, std::memory_order_relaxed);
      Handle(fd);
      close(fd);
    }
  }

  void Handle(int fd) {
    std::string request;
    char buffer[4096];
    while (request.find("\r\n\r\n") == std::string::npos &&
           request.size() < 65536) {
      if (!WaitReadable(fd)) return;
      const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
      if (n <= 0) return;
      request.append(buffer, static_cast<size_t>(n));
    }
    const size_t start = request.find(' ') + 1;
    const std::string path =
        request.substr(start, request.find(' ', start) - start);
    Script script{"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"};
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(request);
      if (auto it = scripts_.find(path); it != scripts_.end()) {
        script = it->second;
      }
    }
    absl::string_view rest = script.response;
    while (!rest.empty()) {
      const ssize_t n = send(fd, rest.data(), rest.size(), MSG_NOSIGNAL);
      if (n <= 0) return;  // the client gave up (over a limit): fine
      rest.remove_prefix(static_cast<size_t>(n));
    }
    if (script.keep_open) {
      // Until the client closes (or the server stops).
      while (WaitReadable(fd) && recv(fd, buffer, sizeof(buffer), 0) > 0) {
      }
    } else {
      shutdown(fd, SHUT_WR);
    }
  }

  int listener_ = -1;
  int stop_[2] = {-1, -1};
  int port_ = 0;
  std::thread thread_;
  std::atomic<int> connections_{0};
  mutable std::mutex mu_;
  std::map<std::string, Script> scripts_;
  std::vector<std::string> requests_;
};

// Maps host names to fixed answers; unknown names are NXDOMAIN.
class FixedResolver : public dns::Resolver {
 public:
  void Set(const std::string& host, dns::AddressAnswer answer) {
    std::lock_guard<std::mutex> lock(mu_);
    answers_[host] = std::move(answer);
  }
  void Set(const std::string& host, const std::vector<std::string>& ips) {
    dns::AddressAnswer answer;
    for (const std::string& ip : ips) {
      dns::IpAddress a;
      if (inet_pton(AF_INET, ip.c_str(), a.bytes.data()) != 1) {
        a.v6 = true;
        EXPECT_EQ(inet_pton(AF_INET6, ip.c_str(), a.bytes.data()), 1) << ip;
      }
      answer.addresses.push_back(a);
    }
    Set(host, std::move(answer));
  }

  dns::TxtAnswer LookupTxt(absl::string_view name) override {
    ADD_FAILURE() << "the HTTP prover asked for TXT " << name;
    dns::TxtAnswer answer;
    answer.error = dns::DnsError::kFailure;
    return answer;
  }

  dns::AddressAnswer LookupAddresses(absl::string_view host) override {
    // Relaxed: a count read after the proofs are done.
    lookups_.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard<std::mutex> lock(mu_);
    auto it = answers_.find(std::string(host));
    if (it != answers_.end()) return it->second;
    dns::AddressAnswer nx;
    nx.error = dns::DnsError::kNxDomain;
    return nx;
  }

  int lookups() const { return lookups_.load(std::memory_order_relaxed); }

 private:
  std::mutex mu_;
  std::map<std::string, dns::AddressAnswer> answers_;
  std::atomic<int> lookups_{0};
};

std::string Ok(absl::string_view body) {
  return absl::StrCat("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n",
                      "Content-Length: ", body.size(), "\r\n\r\n", body);
}

std::string Redirect(int status, absl::string_view location) {
  return absl::StrCat("HTTP/1.1 ", status, " Moved\r\nLocation: ", location,
                      "\r\nContent-Length: 0\r\n\r\n");
}

std::string Chunked(const std::vector<std::string>& chunks) {
  std::string out = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (const std::string& c : chunks) {
    absl::StrAppend(&out, absl::Hex(c.size()), "\r\n", c, "\r\n");
  }
  return out + "0\r\n\r\n";
}

// What holds for every result: a reason, no token, bounded seen values.
void CheckResult(const ProofResult& r, absl::string_view token = kToken) {
  EXPECT_FALSE(r.reason.empty());
  EXPECT_FALSE(absl::StrContains(r.reason, token)) << r.reason;
  EXPECT_LE(r.seen.size(), domain::kMaxSeenValues);
  for (const std::string& s : r.seen) {
    EXPECT_FALSE(absl::StrContains(s, token)) << s;
    EXPECT_LE(s.size(), domain::kMaxSeenValueBytes);
  }
}

class ProofTest : public testing::Test {
 protected:
  ProofTest() { resolver_.Set("proof.test", {"127.0.0.1"}); }

  HttpProofOptions Options() const {
    HttpProofOptions o;
    o.port = server_.port();
    o.allow_private = true;
    return o;
  }

  // "http://proof.test:<port>" + path
  std::string Url(absl::string_view path) const {
    return absl::StrCat("http://proof.test:", server_.port(), path);
  }

  ProofResult Prove(const HttpProofOptions& options,
                    absl::string_view host = "proof.test") {
    ProofResult r = ProveHttp(resolver_, options, host, kToken);
    CheckResult(r);
    return r;
  }

  ScriptedServer server_;
  FixedResolver resolver_;
};

// One scripted exchange: paths and their scripts ("{token}" and "{port}"
// replaced), the outcome, a part of the reason, and the seen values.
struct ServerCase {
  ServerCase(const char* name,
             std::vector<std::pair<std::string, Script>> scripts,
             ProofOutcome outcome, std::string reason_part,
             std::vector<std::string> seen = {},
             absl::Duration timeout = absl::Seconds(5), int connections = 1)
      : name(name),
        scripts(std::move(scripts)),
        outcome(outcome),
        reason_part(std::move(reason_part)),
        seen(std::move(seen)),
        timeout(timeout),
        connections(connections) {}

  const char* name;
  std::vector<std::pair<std::string, Script>> scripts;
  ProofOutcome outcome;
  std::string reason_part;
  std::vector<std::string> seen;
  absl::Duration timeout;
  int connections;
};

std::ostream& operator<<(std::ostream& os, const ServerCase& c) {
  return os << c.name;
}

class ServerCaseTest : public ProofTest,
                       public testing::WithParamInterface<ServerCase> {};

TEST_P(ServerCaseTest, Outcome) {
  const ServerCase& c = GetParam();
  const auto fill = [&](absl::string_view s) {
    return absl::StrReplaceAll(
        s, {{"{token}", kToken}, {"{port}", absl::StrCat(server_.port())}});
  };
  for (const auto& [path, script] : c.scripts) {
    server_.Set(fill(path), {fill(script.response), script.keep_open});
  }
  HttpProofOptions options = Options();
  options.timeout = c.timeout;
  const absl::Time start = absl::Now();
  const ProofResult r = Prove(options);
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(r.outcome, c.outcome) << r.reason;
  EXPECT_NE(r.reason.find(fill(c.reason_part)), std::string::npos) << r.reason;
  EXPECT_EQ(r.seen, c.seen);
  EXPECT_EQ(server_.connections(), c.connections);
  EXPECT_LT(took, c.timeout + absl::Seconds(1));
  EXPECT_EQ(resolver_.lookups(), 1);  // once, whatever the redirects
}

const std::string kUrl =
    "http://proof.test:{port}/.well-known/corsd-challenge/<token>";

INSTANTIATE_TEST_SUITE_P(
    Proven, ServerCaseTest,
    testing::Values(
        ServerCase{"ContentLength",
                   {{kChallenge, {Ok(kToken)}}},
                   ProofOutcome::kProven,
                   "GET " + kUrl + " answered 200 with the token"},
        ServerCase{"TrailingWhitespace",
                   {{kChallenge, {Ok(absl::StrCat(kToken, " \t\r\n\n"))}}},
                   ProofOutcome::kProven,
                   "with the token"},
        ServerCase{"UntilClose",
                   {{kChallenge,
                     {absl::StrCat("HTTP/1.0 200 OK\r\n\r\n", kToken, "\n")}}},
                   ProofOutcome::kProven,
                   "with the token"},
        ServerCase{"BareLfHead",
                   {{kChallenge,
                     {absl::StrCat("HTTP/1.1 200 OK\nContent-Length: ",
                                   kToken.size(), "\n\n", kToken)}}},
                   ProofOutcome::kProven,
                   "with the token"},
        ServerCase{"Chunked",
                   {{kChallenge,
                     {Chunked({std::string(kToken.substr(0, 5)),
                               std::string(kToken.substr(5)), "\r\n"})}}},
                   ProofOutcome::kProven,
                   "with the token"},
        // The body is complete before the server closes: no waiting.
        ServerCase{"ChunkedKeptOpen",
                   {{kChallenge, {Chunked({std::string(kToken)}), true}}},
                   ProofOutcome::kProven,
                   "with the token"},
        ServerCase{"ContentLengthKeptOpen",
                   {{kChallenge, {Ok(kToken), true}}},
                   ProofOutcome::kProven,
                   "with the token"},
        ServerCase{"AfterInterimResponses",
                   {{kChallenge,
                     {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints"
                      "\r\nLink: </a.css>; rel=preload\r\n\r\n" +
                      Ok(kToken)}}},
                   ProofOutcome::kProven,
                   "with the token"},
        ServerCase{"RedirectToPath",
                   {{kChallenge, {Redirect(301, "/moved/{token}")}},
                    {"/moved/{token}", {Ok(kToken)}}},
                   ProofOutcome::kProven,
                   "GET http://proof.test:{port}/moved/<token> answered 200",
                   {},
                   absl::Seconds(5),
                   2},
        ServerCase{"RedirectToSameHostUrl",
                   {{kChallenge,
                     {Redirect(302, "HTTP://PROOF.test:{port}/abs?x=1#frag")}},
                    {"/abs?x=1", {Ok(kToken)}}},
                   ProofOutcome::kProven,
                   "/abs?x=1 answered 200",
                   {},
                   absl::Seconds(5),
                   2},
        ServerCase{"TwoRedirects",
                   {{kChallenge, {Redirect(307, "/one")}},
                    {"/one", {Redirect(308, "/two")}},
                    {"/two", {Ok(kToken)}}},
                   ProofOutcome::kProven,
                   "/two answered 200",
                   {},
                   absl::Seconds(5),
                   3}),
    [](const testing::TestParamInfo<ServerCase>& info) {
      return std::string(info.param.name);
    });

INSTANTIATE_TEST_SUITE_P(
    NotProven, ServerCaseTest,
    testing::Values(
        ServerCase{"WrongBody",
                   {{kChallenge, {Ok("wrong\n")}}},
                   ProofOutcome::kBodyMismatch,
                   "GET " + kUrl +
                       " answered 200 with a body of 6 bytes that is not the "
                       "token",
                   {"wrong\n"}},
        ServerCase{"LeadingSpace",
                   {{kChallenge, {Ok(absl::StrCat(" ", kToken))}}},
                   ProofOutcome::kBodyMismatch,
                   "not the token",
                   {" <token>"}},
        ServerCase{"TokenAndMore",
                   {{kChallenge, {Ok(absl::StrCat(kToken, "\nmore"))}}},
                   ProofOutcome::kBodyMismatch,
                   "not the token",
                   {"<token>\nmore"}},
        ServerCase{"EmptyBody",
                   {{kChallenge, {Ok("")}}},
                   ProofOutcome::kBodyMismatch,
                   "answered 200 with an empty body"},
        ServerCase{"LongWrongBody",
                   {{kChallenge, {Ok(std::string(300, 'a'))}}},
                   ProofOutcome::kBodyMismatch,
                   "body of 300 bytes",
                   {std::string(125, 'a') + "..."}},
        ServerCase{"NotFound",
                   {},
                   ProofOutcome::kHttpStatus,
                   "GET " + kUrl + " answered 404"},
        ServerCase{
            "ServerError",
            {{kChallenge, {"HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n"}}},
            ProofOutcome::kHttpStatus,
            "answered 500"},
        ServerCase{
            "RedirectWithoutLocation",
            {{kChallenge, {"HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n"}}},
            ProofOutcome::kHttpStatus,
            "answered 302"},
        ServerCase{
            "RedirectOtherHost",
            {{kChallenge, {Redirect(302, "http://other.test:{port}/{token}")}}},
            ProofOutcome::kRedirectRefused,
            "GET " + kUrl +
                " redirected (302) to "
                "\"http://other.test:{port}/<token>\": only a path or "
                "an http:// URL on the same host and port is followed"},
        ServerCase{"RedirectOtherPort",
                   {{kChallenge, {Redirect(301, "http://proof.test:1/x")}}},
                   ProofOutcome::kRedirectRefused,
                   "\"http://proof.test:1/x\""},
        ServerCase{"RedirectDefaultPort",
                   {{kChallenge, {Redirect(301, "http://proof.test/x")}}},
                   ProofOutcome::kRedirectRefused,
                   "\"http://proof.test/x\""},
        ServerCase{
            "RedirectHttps",
            {{kChallenge, {Redirect(301, "https://proof.test:{port}/x")}}},
            ProofOutcome::kRedirectRefused,
            "\"https://proof.test:{port}/x\""},
        ServerCase{"RedirectSchemeRelative",
                   {{kChallenge, {Redirect(301, "//other.test/x")}}},
                   ProofOutcome::kRedirectRefused,
                   "\"//other.test/x\""},
        ServerCase{"RedirectRelativePath",
                   {{kChallenge, {Redirect(301, "moved")}}},
                   ProofOutcome::kRedirectRefused,
                   "\"moved\""},
        ServerCase{"RedirectUserinfo",
                   {{kChallenge,
                     {Redirect(301, "http://proof.test@other.test:{port}/")}}},
                   ProofOutcome::kRedirectRefused,
                   "\"http://proof.test@other.test:{port}/\""},
        ServerCase{
            "RedirectLongLocationCut",
            {{kChallenge,
              {Redirect(301, "http://other.test/" + std::string(300, 'x'))}}},
            ProofOutcome::kRedirectRefused,
            "\"http://other.test/" + std::string(110, 'x') + "...\""},
        ServerCase{"RedirectLoop",
                   {{kChallenge, {Redirect(302, "/loop")}},
                    {"/loop", {Redirect(302, "/loop")}}},
                   ProofOutcome::kRedirectRefused,
                   "GET http://proof.test:{port}/loop redirected (302) to "
                   "\"/loop\" after 2 redirects already: at most 2 are "
                   "followed",
                   {},
                   absl::Seconds(5),
                   3},
        ServerCase{"HugeHead",
                   {{kChallenge,
                     {"HTTP/1.1 200 OK\r\nX-Big: " + std::string(10000, 'h') +
                      "\r\n\r\n" + std::string(kToken)}}},
                   ProofOutcome::kTooLarge,
                   "response head over 8192 bytes"},
        ServerCase{"HugeContentLength",
                   {{kChallenge, {Ok(std::string(100000, 'b'))}}},
                   ProofOutcome::kTooLarge,
                   "body of 100000 bytes (Content-Length) over 4096"},
        ServerCase{"HugeBodyUntilClose",
                   {{kChallenge,
                     {"HTTP/1.0 200 OK\r\n\r\n" + std::string(10000, 'b')}}},
                   ProofOutcome::kTooLarge,
                   "body over 4096 bytes"},
        ServerCase{"HugeChunk",
                   {{kChallenge, {Chunked({std::string(5000, 'c')})}}},
                   ProofOutcome::kTooLarge,
                   "body over 4096 bytes"},
        ServerCase{
            "TinyChunksFraming",
            {{kChallenge, {Chunked(std::vector<std::string>(3000, "c"))}}},
            ProofOutcome::kTooLarge,
            "chunked body over 12288 bytes with its framing"},
        ServerCase{"NotHttp",
                   {{kChallenge, {"SSH-2.0-OpenSSH_9.2\r\n\r\n"}}},
                   ProofOutcome::kBadResponse,
                   "GET " + kUrl +
                       ": malformed response: status line "
                       "\"SSH-2.0-OpenSSH_9.2\" is not"},
        ServerCase{"MalformedChunked",
                   {{kChallenge,
                     {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "zz\r\n"}}},
                   ProofOutcome::kBadResponse,
                   "malformed chunked body: chunk size line \"zz\""},
        ServerCase{"ObsFold",
                   {{kChallenge,
                     {"HTTP/1.1 200 OK\r\nX-A: b\r\n c\r\n\r\n" +
                      std::string(kToken)}}},
                   ProofOutcome::kBadResponse,
                   "obsolete line folding"},
        ServerCase{"ClosedWithoutResponse",
                   {{kChallenge, {""}}},
                   ProofOutcome::kBadResponse,
                   "the connection closed without a response"},
        ServerCase{"TruncatedHead",
                   {{kChallenge, {"HTTP/1.1 200 OK\r\nContent-Le"}}},
                   ProofOutcome::kBadResponse,
                   "the connection closed before the end of the response "
                   "head"},
        ServerCase{"TruncatedBody",
                   {{kChallenge,
                     {"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc"}}},
                   ProofOutcome::kBadResponse,
                   "the connection closed after 3 of 100 body bytes"},
        ServerCase{"TruncatedChunked",
                   {{kChallenge,
                     {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "5\r\nab"}}},
                   ProofOutcome::kBadResponse,
                   "the connection closed before the end of the body"},
        ServerCase{
            "SwitchingProtocols",
            {{kChallenge,
              {"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n"}}},
            ProofOutcome::kBadResponse,
            "answered 101 Switching Protocols"},
        ServerCase{"NeverAnswers",
                   {{kChallenge, {"", true}}},
                   ProofOutcome::kTimeout,
                   "GET " + kUrl +
                       ": timed out after 300ms waiting for the response head",
                   {},
                   absl::Milliseconds(300)},
        ServerCase{
            "BodyNeverEnds",
            {{kChallenge,
              {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", true}}},
            ProofOutcome::kTimeout,
            "timed out after 300ms waiting for the body",
            {},
            absl::Milliseconds(300)},
        // One deadline for all hops: the second hop gets what is left.
        ServerCase{
            "SecondHopNeverAnswers",
            {{kChallenge, {Redirect(302, "/slow")}}, {"/slow", {"", true}}},
            ProofOutcome::kTimeout,
            "GET http://proof.test:{port}/slow: timed out after 300ms "
            "waiting for the response head",
            {},
            absl::Milliseconds(300),
            2}),
    [](const testing::TestParamInfo<ServerCase>& info) {
      return std::string(info.param.name);
    });

TEST_F(ProofTest, SendsExactlyTheDocumentedRequest) {
  server_.Set(kChallenge, {Ok(kToken)});
  ASSERT_EQ(Prove(Options()).outcome, ProofOutcome::kProven);
  ASSERT_EQ(server_.requests().size(), 1u);
  EXPECT_EQ(server_.requests()[0],
            absl::StrCat("GET ", kChallenge,
                         " HTTP/1.1\r\nHost: proof.test:", server_.port(),
                         "\r\nUser-Agent: corsd-domain-verifier\r\n"
                         "Accept: text/plain\r\nConnection: close\r\n\r\n"));
}

TEST(BuildProofRequestTest, PortEightyIsLeftOut) {
  EXPECT_EQ(BuildProofRequest("shop.example.com", 80, "/p"),
            "GET /p HTTP/1.1\r\nHost: shop.example.com\r\nUser-Agent: "
            "corsd-domain-verifier\r\nAccept: text/plain\r\nConnection: "
            "close\r\n\r\n");
  EXPECT_EQ(BuildProofRequest("shop.example.com", 8080, "/p"),
            "GET /p HTTP/1.1\r\nHost: shop.example.com:8080\r\nUser-Agent: "
            "corsd-domain-verifier\r\nAccept: text/plain\r\nConnection: "
            "close\r\n\r\n");
}

TEST_F(ProofTest, TokenIsPercentEncodedInThePath) {
  const std::string token = "a b/c?d%e";
  server_.Set("/.well-known/corsd-challenge/a%20b%2Fc%3Fd%25e", {Ok(token)});
  const ProofResult r = ProveHttp(resolver_, Options(), "proof.test", token);
  CheckResult(r, token);
  CheckResult(r, "a%20b%2Fc%3Fd%25e");
  EXPECT_EQ(r.outcome, ProofOutcome::kProven) << r.reason;
}

TEST_F(ProofTest, LoopbackIsRefusedWithoutConnecting) {
  server_.Set(kChallenge, {Ok(kToken)});
  HttpProofOptions options = Options();
  options.allow_private = false;
  const ProofResult r = Prove(options);
  EXPECT_EQ(r.outcome, ProofOutcome::kPrivateTarget);
  EXPECT_EQ(r.reason,
            "host proof.test resolves to 127.0.0.1, in loopback 127.0.0.0/8: "
            "not a public address, nothing was fetched");
  EXPECT_EQ(server_.connections(), 0);
  // The same server, allowed: proven.
  EXPECT_EQ(Prove(Options()).outcome, ProofOutcome::kProven);
  EXPECT_EQ(server_.connections(), 1);
}

struct SsrfCase {
  std::vector<std::string> addresses;
  std::string reason_part;
};

std::ostream& operator<<(std::ostream& os, const SsrfCase& c) {
  return os << c.addresses.back();
}

class SsrfTest : public ProofTest,
                 public testing::WithParamInterface<SsrfCase> {};

// Any refused address refuses the host, even after a public one: nothing is
// connected to (the public ones here would not answer anyway).
TEST_P(SsrfTest, AnyNonPublicAddressRefusesTheHost) {
  resolver_.Set("customer.test", GetParam().addresses);
  HttpProofOptions options = Options();
  options.allow_private = false;
  options.timeout = absl::Milliseconds(500);
  const ProofResult r = Prove(options, "customer.test");
  EXPECT_EQ(r.outcome, ProofOutcome::kPrivateTarget) << r.reason;
  EXPECT_NE(r.reason.find(GetParam().reason_part), std::string::npos)
      << r.reason;
  EXPECT_EQ(server_.connections(), 0);
}

INSTANTIATE_TEST_SUITE_P(
    Addresses, SsrfTest,
    testing::Values(
        SsrfCase{{"10.1.2.3"}, "resolves to 10.1.2.3, in private 10.0.0.0/8"},
        SsrfCase{{"8.8.8.8", "169.254.169.254"},
                 "169.254.169.254, in link-local 169.254.0.0/16"},
        SsrfCase{{"2606:4700::1111", "::1"}, "::1, in loopback ::1"},
        SsrfCase{{"1.1.1.1", "::ffff:127.0.0.1"},
                 "::ffff:127.0.0.1, in IPv4-mapped ::ffff:0:0/96 carrying "
                 "loopback 127.0.0.0/8"},
        SsrfCase{{"64:ff9b::a00:1"},
                 "in NAT64 64:ff9b::/96 carrying private 10.0.0.0/8"},
        SsrfCase{{"100.100.100.100"}, "in CGNAT 100.64.0.0/10"},
        SsrfCase{{"fd00::1"}, "in unique local fc00::/7"},
        SsrfCase{{"0.0.0.0"}, "in unspecified 0.0.0.0/8"}));

TEST_F(ProofTest, DnsAnswersBecomeOutcomes) {
  dns::AddressAnswer slow;
  slow.error = dns::DnsError::kTimeout;
  slow.detail = "no answer in 2s";
  resolver_.Set("slow.test", slow);
  dns::AddressAnswer broken;
  broken.error = dns::DnsError::kFailure;
  broken.detail = "SERVFAIL from 192.0.2.53";
  resolver_.Set("broken.test", broken);
  resolver_.Set("empty.test", dns::AddressAnswer{});
  struct {
    const char* host;
    ProofOutcome outcome;
    std::string reason;
  } cases[] = {
      {"missing.test", ProofOutcome::kNxDomain,
       "host missing.test does not exist (NXDOMAIN)"},
      {"slow.test", ProofOutcome::kTimeout,
       "looking up the addresses of slow.test timed out: no answer in 2s"},
      {"broken.test", ProofOutcome::kResolverError,
       "looking up the addresses of broken.test failed: SERVFAIL from "
       "192.0.2.53"},
      {"empty.test", ProofOutcome::kConnectFailed,
       "host empty.test has no A or AAAA record"},
  };
  for (const auto& c : cases) {
    const ProofResult r = Prove(Options(), c.host);
    EXPECT_EQ(r.outcome, c.outcome) << c.host;
    EXPECT_EQ(r.reason, c.reason);
    EXPECT_TRUE(r.seen.empty());
  }
  EXPECT_EQ(server_.connections(), 0);
}

TEST_F(ProofTest, RefusedArgumentsAreNotLookedUp) {
  struct {
    std::string host;
    std::string token;
    std::string reason_part;
  } cases[] = {
      {"proof.test", "", "the token must be 1-512 bytes, got 0"},
      {"proof.test", std::string(513, 't'),
       "the token must be 1-512 bytes, got 513"},
      {"", "t", "host name must be 1-253 bytes, got 0"},
      {std::string(254, 'a'), "t", "host name must be 1-253 bytes, got 254"},
      {"127.0.0.1", "t", "is an IP address"},
      {"shop.0x7f", "t", "is an IP address"},
      {"a..b", "t", "has an empty label"},
      {".a", "t", "has an empty label"},
      {"a b", "t", "holds a byte other than"},
      {"a:80", "t", "holds a byte other than"},
      {"a/b", "t", "holds a byte other than"},
  };
  for (const auto& c : cases) {
    const ProofResult r = ProveHttp(resolver_, Options(), c.host, c.token);
    EXPECT_EQ(r.outcome, ProofOutcome::kConnectFailed) << c.host;
    EXPECT_TRUE(r.reason.starts_with("not attempted: ")) << r.reason;
    EXPECT_NE(r.reason.find(c.reason_part), std::string::npos) << r.reason;
  }
  EXPECT_EQ(resolver_.lookups(), 0);
  EXPECT_EQ(server_.connections(), 0);
  // Host names that look numeric in a middle label are host names.
  resolver_.Set("1.2.3.example", {"127.0.0.1"});
  server_.Set(kChallenge, {Ok(kToken)});
  EXPECT_EQ(Prove(Options(), "1.2.3.example").outcome, ProofOutcome::kProven);
}

// A port with a bound socket that does not listen: connections are refused.
class ClosedPort {
 public:
  ClosedPort() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(a);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    EXPECT_EQ(getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &length), 0);
    port_ = ntohs(a.sin_port);
  }
  ~ClosedPort() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST_F(ProofTest, ConnectionRefused) {
  ClosedPort closed;
  HttpProofOptions options = Options();
  options.port = closed.port();
  const ProofResult r = Prove(options);
  EXPECT_EQ(r.outcome, ProofOutcome::kConnectFailed);
  EXPECT_EQ(r.reason,
            absl::StrCat("GET http://proof.test:", closed.port(),
                         "/.well-known/corsd-challenge/<token>: no address "
                         "accepted a connection (127.0.0.1:",
                         closed.port(), ": Connection refused)"));
}

// Addresses are tried in order: the first refuses (nothing listens on
// 127.0.0.2 nor on ::1), the next one answers.
TEST_F(ProofTest, TriesEveryAddressInOrder) {
  resolver_.Set("multi.test", {"127.0.0.2", "::1", "127.0.0.1"});
  server_.Set(kChallenge, {Ok(kToken)});
  const ProofResult r = Prove(Options(), "multi.test");
  EXPECT_EQ(r.outcome, ProofOutcome::kProven) << r.reason;
  EXPECT_EQ(server_.connections(), 1);
}

TEST_F(ProofTest, EveryAddressRefusedIsListed) {
  ClosedPort closed;
  resolver_.Set("multi.test", {"127.0.0.2", "127.0.0.1"});
  HttpProofOptions options = Options();
  options.port = closed.port();
  const ProofResult r = Prove(options, "multi.test");
  EXPECT_EQ(r.outcome, ProofOutcome::kConnectFailed);
  EXPECT_NE(r.reason.find(absl::StrCat("(127.0.0.2:", closed.port(),
                                       ": Connection refused; 127.0.0.1:",
                                       closed.port(), ": Connection refused)")),
            std::string::npos)
      << r.reason;
}

// A listener whose accept queue is full drops new SYNs: connect hangs.
TEST_F(ProofTest, ConnectTimesOut) {
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(a);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  ASSERT_EQ(listen(listener, 0), 0);
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&a), &length), 0);
  // Fill the queue (backlog 0 holds one) and then some; never accepted.
  std::vector<int> fillers;
  for (int i = 0; i < 3; ++i) {
    const int fd =
        socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    fillers.push_back(fd);
  }
  absl::SleepFor(absl::Milliseconds(50));
  HttpProofOptions options = Options();
  options.port = ntohs(a.sin_port);
  options.timeout = absl::Milliseconds(300);
  const absl::Time start = absl::Now();
  const ProofResult r = Prove(options);
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(r.outcome, ProofOutcome::kTimeout) << r.reason;
  EXPECT_NE(r.reason.find("timed out after 300ms in connect (127.0.0.1:"),
            std::string::npos)
      << r.reason;
  EXPECT_GE(took, absl::Milliseconds(290));
  EXPECT_LT(took, absl::Milliseconds(1300));
  for (const int fd : fillers) close(fd);
  close(listener);
}

// No shared state: proofs run at once (under TSan in CI).
TEST_F(ProofTest, ConcurrentProofs) {
  server_.Set(kChallenge, {Ok(kToken)});
  server_.Set("/.well-known/corsd-challenge/other", {Ok("wrong")});
  const HttpProofOptions options = Options();
  std::vector<ProofResult> results(8);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] {
      results[i] = ProveHttp(resolver_, options, "proof.test",
                             i % 2 == 0 ? kToken : "other");
    });
  }
  for (std::thread& t : threads) t.join();
  for (size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(results[i].outcome,
              i % 2 == 0 ? ProofOutcome::kProven : ProofOutcome::kBodyMismatch)
        << results[i].reason;
  }
  EXPECT_EQ(server_.connections(), 8);
}

}  // namespace
}  // namespace corsd::proof
