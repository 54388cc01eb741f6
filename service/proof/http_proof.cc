#include "service/proof/http_proof.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "service/proof/address_policy.h"
#include "service/proof/http_response.h"

namespace corsd::proof {
namespace {

using domain::ProofOutcome;
using domain::ProofResult;

constexpr absl::string_view kTokenMark = "<token>";
constexpr size_t kMaxTokenBytes = 512;
constexpr size_t kMaxHostBytes = 253;
// A refused Location is shown cut to this many bytes.
constexpr size_t kMaxLocationShown = 128;
// The resolver's detail is shown cut to this many bytes.
constexpr size_t kMaxDetailShown = 200;
// Interim (1xx) answers skipped before the final one; more is kBadResponse.
constexpr int kMaxInterimResponses = 8;
constexpr size_t kReadChunk = 4096;

// Closes the socket it owns.
class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  Socket(Socket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Socket& operator=(Socket&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() { Reset(); }

  int fd() const { return fd_; }

 private:
  void Reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  int fd_ = -1;
};

std::string ErrnoText(int error) {
  char buffer[128];
  // GNU strerror_r: returns the message (maybe not in `buffer`).
  return strerror_r(error, buffer, sizeof(buffer));
}

std::string AddressText(const dns::IpAddress& address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(address.v6 ? AF_INET6 : AF_INET, address.bytes.data(), text,
                sizeof(text)) == nullptr) {
    return "(unprintable address)";
  }
  return text;
}

std::string EndpointText(const dns::IpAddress& address, int port) {
  if (address.v6) return absl::StrCat("[", AddressText(address), "]:", port);
  return absl::StrCat(AddressText(address), ":", port);
}

bool IsHostByte(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' ||
         c == '_' || c == '.';
}

// Why `host` is not a host name ProveHttp asks about, or "" when it is.
std::string HostProblem(absl::string_view host) {
  if (host.empty() || host.size() > kMaxHostBytes) {
    return absl::StrCat("host name must be 1-", kMaxHostBytes, " bytes, got ",
                        host.size());
  }
  for (const char c : host) {
    if (!IsHostByte(c)) {
      return absl::StrCat("host ", QuoteForMessage(host),
                          " holds a byte other than letters, digits, '-', "
                          "'_' and '.'");
    }
  }
  const std::vector<absl::string_view> labels = absl::StrSplit(host, '.');
  for (const absl::string_view label : labels) {
    if (label.empty()) {
      return absl::StrCat("host ", QuoteForMessage(host),
                          " has an empty label");
    }
  }
  // An IPv4 literal (or what a URL parser would take for one): the last
  // label is a decimal or 0x-hex number.
  absl::string_view last = labels.back();
  if (absl::StartsWithIgnoreCase(last, "0x")) last.remove_prefix(2);
  bool numeric = true;
  for (const char c : last) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) numeric = false;
  }
  if (numeric &&
      (labels.back().size() != last.size() || absl::c_all_of(last, [](char c) {
         return absl::ascii_isdigit(static_cast<unsigned char>(c));
       }))) {
    return absl::StrCat("host ", QuoteForMessage(host),
                        " is an IP address, not a host name");
  }
  return "";
}

bool IsUnreserved(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

std::string PercentEncode(absl::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (const char ch : s) {
    if (IsUnreserved(ch)) {
      out.push_back(ch);
      continue;
    }
    const auto c = static_cast<unsigned char>(ch);
    out.push_back('%');
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xF]);
  }
  return out;
}

// The milliseconds poll() may wait before `deadline`: at least 1 while any
// time is left (rounded up), 0 once it has passed.
int PollMillis(absl::Time deadline) {
  const absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  const int64_t ms =
      absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1)));
  return static_cast<int>(std::min<int64_t>(ms, 1 << 30));
}

enum class Io { kOk, kTimeout, kClosed, kError };

// Waits until `fd` is ready for `events` or `deadline` passes.
Io WaitFor(int fd, short events, absl::Time deadline, int* error) {
  for (;;) {
    const int ms = PollMillis(deadline);
    if (ms == 0) return Io::kTimeout;
    pollfd p{.fd = fd, .events = events, .revents = 0};
    const int n = poll(&p, 1, ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      *error = errno;
      return Io::kError;
    }
    if (n > 0) return Io::kOk;  // ready, or an error the next call reports
  }
}

// Connects to `address`:`port` before `deadline`.
Io Connect(const dns::IpAddress& address, int port, absl::Time deadline,
           Socket* out, int* error) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (address.v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&storage);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(static_cast<uint16_t>(port));
    std::memcpy(&a->sin6_addr, address.bytes.data(), 16);
    length = sizeof(sockaddr_in6);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&storage);
    a->sin_family = AF_INET;
    a->sin_port = htons(static_cast<uint16_t>(port));
    std::memcpy(&a->sin_addr, address.bytes.data(), 4);
    length = sizeof(sockaddr_in);
  }
  Socket s(socket(address.v6 ? AF_INET6 : AF_INET,
                  SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (s.fd() < 0) {
    *error = errno;
    return Io::kError;
  }
  if (connect(s.fd(), reinterpret_cast<const sockaddr*>(&storage), length) !=
      0) {
    if (errno != EINPROGRESS) {
      *error = errno;
      return Io::kError;
    }
    const Io waited = WaitFor(s.fd(), POLLOUT, deadline, error);
    if (waited != Io::kOk) return waited;
    int so_error = 0;
    socklen_t so_length = sizeof(so_error);
    if (getsockopt(s.fd(), SOL_SOCKET, SO_ERROR, &so_error, &so_length) != 0) {
      *error = errno;
      return Io::kError;
    }
    if (so_error != 0) {
      *error = so_error;
      return Io::kError;
    }
  }
  *out = std::move(s);
  return Io::kOk;
}

Io SendAll(int fd, absl::string_view bytes, absl::Time deadline, int* error) {
  while (!bytes.empty()) {
    const ssize_t n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      *error = errno;
      return Io::kError;
    }
    const Io waited = WaitFor(fd, POLLOUT, deadline, error);
    if (waited != Io::kOk) return waited;
  }
  return Io::kOk;
}

// Appends what one read brings (at most kReadChunk bytes) to `*buffer`.
Io ReadSome(int fd, absl::Time deadline, std::string* buffer, int* error) {
  for (;;) {
    char chunk[kReadChunk];
    const ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
    if (n > 0) {
      buffer->append(chunk, static_cast<size_t>(n));
      return Io::kOk;
    }
    if (n == 0) return Io::kClosed;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      *error = errno;
      return Io::kError;
    }
    const Io waited = WaitFor(fd, POLLIN, deadline, error);
    if (waited != Io::kOk) return waited;
  }
}

// The length of the response head at the start of `buffer` (through the
// blank line ending it: LF then LF or CRLF), or 0 while it is unfinished.
size_t HeadLength(absl::string_view buffer) {
  size_t lf = buffer.find('\n');
  while (lf != absl::string_view::npos) {
    const absl::string_view after = buffer.substr(lf + 1);
    if (absl::StartsWith(after, "\n")) return lf + 2;
    if (absl::StartsWith(after, "\r\n")) return lf + 3;
    lf = buffer.find('\n', lf + 1);
  }
  return 0;
}

bool IsFollowedRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 ||
         status == 308;
}

// The request target a redirect to `location` leads to, when it stays on
// `host`:`port`: a path ("/...", not "//...") or "http://<host>[:<port>]..."
// (host in any case, the port 80 when absent). The fragment is dropped.
// Empty when the redirect is not followed.
std::string RedirectTarget(absl::string_view location, absl::string_view host,
                           int port) {
  absl::string_view target;
  if (absl::StartsWith(location, "/") && !absl::StartsWith(location, "//")) {
    target = location;
  } else if (absl::StartsWithIgnoreCase(location, "http://")) {
    const absl::string_view rest = location.substr(7);
    const size_t end = rest.find_first_of("/?#");
    const absl::string_view authority = rest.substr(0, end);
    target = end == absl::string_view::npos ? "" : rest.substr(end);
    absl::string_view authority_host = authority;
    int authority_port = 80;
    if (const size_t colon = authority.rfind(':');
        colon != absl::string_view::npos) {
      authority_host = authority.substr(0, colon);
      const absl::string_view digits = authority.substr(colon + 1);
      if (!digits.empty() &&
          (digits.size() > 5 ||
           !absl::c_all_of(digits,
                           [](char c) {
                             return absl::ascii_isdigit(
                                 static_cast<unsigned char>(c));
                           }) ||
           !absl::SimpleAtoi(digits, &authority_port))) {
        return "";
      }
    }
    if (!absl::EqualsIgnoreCase(authority_host, host) ||
        authority_port != port) {
      return "";
    }
  } else {
    return "";
  }
  target = target.substr(0, target.find('#'));
  std::string out;
  if (target.empty() || target.front() != '/') out = "/";
  absl::StrAppend(&out, target);
  for (const char ch : out) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7F) return "";  // not a request target as is
  }
  return out;
}

// One proof: the arguments, the deadline and the address checked.
class Prover {
 public:
  Prover(const HttpProofOptions& options, absl::string_view host,
         absl::string_view token)
      : options_(options),
        host_(host),
        token_(token),
        encoded_token_(PercentEncode(token)),
        deadline_(absl::Now() + options.timeout) {}

  ProofResult Run(dns::Resolver& resolver) {
    if (const std::string problem = HostProblem(host_); !problem.empty()) {
      return Result(ProofOutcome::kConnectFailed,
                    absl::StrCat("not attempted: ", problem));
    }
    if (token_.empty() || token_.size() > kMaxTokenBytes) {
      return Result(
          ProofOutcome::kConnectFailed,
          absl::StrCat("not attempted: the token must be 1-", kMaxTokenBytes,
                       " bytes, got ", token_.size()));
    }
    if (ProofResult r; !Resolve(resolver, &r)) return r;

    std::string target = absl::StrCat(options_.path_prefix, encoded_token_);
    for (int redirects = 0;; ++redirects) {
      url_ = absl::StrCat(
          "http://", host_,
          options_.port == 80 ? "" : absl::StrCat(":", options_.port),
          Scrub(target));
      HttpResponseHead head;
      std::string buffer;
      Socket socket;
      if (ProofResult r; !Exchange(target, &socket, &head, &buffer, &r)) {
        return r;
      }
      if (IsFollowedRedirect(head.status) && !head.location.empty()) {
        const std::string next =
            RedirectTarget(head.location, host_, options_.port);
        if (next.empty()) {
          return Result(
              ProofOutcome::kRedirectRefused,
              absl::StrCat(
                  "GET ", url_, " redirected (", head.status, ") to ",
                  QuoteForMessage(Scrub(head.location), kMaxLocationShown),
                  ": only a path or an http:// URL on the same host "
                  "and port is followed"));
        }
        if (redirects == options_.max_redirects) {
          return Result(
              ProofOutcome::kRedirectRefused,
              absl::StrCat(
                  "GET ", url_, " redirected (", head.status, ") to ",
                  QuoteForMessage(Scrub(head.location), kMaxLocationShown),
                  " after ", redirects, " redirects already: at most ",
                  options_.max_redirects, " are followed"));
        }
        target = next;
        continue;
      }
      if (head.status != 200) {
        return Result(ProofOutcome::kHttpStatus,
                      absl::StrCat("GET ", url_, " answered ", head.status));
      }
      std::string body;
      if (ProofResult r; !ReadBody(socket.fd(), head, &buffer, &body, &r)) {
        return r;
      }
      return Judge(body);
    }
  }

 private:
  ProofResult Result(ProofOutcome outcome, std::string reason,
                     std::vector<std::string> seen = {}) const {
    ProofResult r;
    r.outcome = outcome;
    r.reason = std::move(reason);
    r.seen = std::move(seen);
    return r;
  }

  // `text` (untrusted, or built from an untrusted path) with the token,
  // raw or percent-encoded, replaced by "<token>".
  std::string Scrub(absl::string_view text) const {
    std::string out = absl::StrReplaceAll(text, {{token_, kTokenMark}});
    if (encoded_token_ != token_) {
      out = absl::StrReplaceAll(out, {{encoded_token_, kTokenMark}});
    }
    return out;
  }

  std::string Detail(absl::string_view detail) const {
    std::string out = Scrub(detail.substr(0, kMaxDetailShown));
    if (detail.size() > kMaxDetailShown) out += "...";
    return out.empty() ? "no detail" : out;
  }

  std::string TimeoutText() const {
    return absl::FormatDuration(options_.timeout);
  }

  // Looks `host_` up and checks every address. False with `*result` set
  // when the proof ends here.
  bool Resolve(dns::Resolver& resolver, ProofResult* result) {
    dns::AddressAnswer answer = resolver.LookupAddresses(host_);
    switch (answer.error) {
      case dns::DnsError::kNone:
        break;
      case dns::DnsError::kNxDomain:
        *result =
            Result(ProofOutcome::kNxDomain,
                   absl::StrCat("host ", host_, " does not exist (NXDOMAIN)"));
        return false;
      case dns::DnsError::kTimeout:
        *result = Result(ProofOutcome::kTimeout,
                         absl::StrCat("looking up the addresses of ", host_,
                                      " timed out: ", Detail(answer.detail)));
        return false;
      case dns::DnsError::kFailure:
        *result = Result(ProofOutcome::kResolverError,
                         absl::StrCat("looking up the addresses of ", host_,
                                      " failed: ", Detail(answer.detail)));
        return false;
    }
    if (answer.addresses.empty()) {
      *result =
          Result(ProofOutcome::kConnectFailed,
                 absl::StrCat("host ", host_, " has no A or AAAA record"));
      return false;
    }
    if (!options_.allow_private) {
      for (const dns::IpAddress& a : answer.addresses) {
        std::string range;
        if (!IsPublicAddress(a, &range)) {
          *result = Result(
              ProofOutcome::kPrivateTarget,
              absl::StrCat("host ", host_, " resolves to ", AddressText(a),
                           ", in ", range,
                           ": not a public address, nothing was fetched"));
          return false;
        }
      }
    }
    if (absl::Now() >= deadline_) {
      *result =
          Result(ProofOutcome::kTimeout,
                 absl::StrCat("looking up the addresses of ", host_,
                              " took longer than the proof's ", TimeoutText()));
      return false;
    }
    addresses_ = std::move(answer.addresses);
    return true;
  }

  // Connects to the first checked address that accepts, sends the request
  // for `target` and reads the final response head. The bytes read after
  // the head stay in `*buffer`.
  bool Exchange(absl::string_view target, Socket* socket,
                HttpResponseHead* head, std::string* buffer,
                ProofResult* result) {
    if (!ConnectAny(socket, result)) return false;
    int error = 0;
    switch (SendAll(socket->fd(),
                    BuildProofRequest(host_, options_.port, target), deadline_,
                    &error)) {
      case Io::kOk:
        break;
      case Io::kTimeout:
        *result = TimedOut("sending the request");
        return false;
      case Io::kClosed:
      case Io::kError:
        *result = Result(ProofOutcome::kConnectFailed,
                         absl::StrCat("GET ", url_,
                                      ": sending the request "
                                      "failed: ",
                                      ErrnoText(error)));
        return false;
    }
    for (int interim = 0;; ++interim) {
      if (!ReadHead(socket->fd(), buffer, head, result)) return false;
      if (head->status >= 200) return true;
      if (head->status == 101) {
        *result = Result(ProofOutcome::kBadResponse,
                         absl::StrCat("GET ", url_,
                                      " answered 101 Switching Protocols, "
                                      "which was not asked for"));
        return false;
      }
      if (interim == kMaxInterimResponses) {
        *result = Result(
            ProofOutcome::kBadResponse,
            absl::StrCat("GET ", url_, " sent more than ", kMaxInterimResponses,
                         " interim (1xx) responses"));
        return false;
      }
    }
  }

  bool ConnectAny(Socket* socket, ProofResult* result) {
    std::vector<std::string> failures;
    bool timed_out = false;
    for (size_t i = 0; i < addresses_.size(); ++i) {
      const absl::Time now = absl::Now();
      if (now >= deadline_) {
        timed_out = true;
        failures.push_back(absl::StrCat(addresses_.size() - i,
                                        " more not tried: no time left"));
        break;
      }
      // Each address gets an equal share of the time left; the last all of
      // it, so one silent address does not use up the others' time.
      const absl::Time attempt_deadline =
          i + 1 == addresses_.size()
              ? deadline_
              : now + (deadline_ - now) /
                          static_cast<int64_t>(addresses_.size() - i);
      int error = 0;
      const std::string endpoint = EndpointText(addresses_[i], options_.port);
      switch (Connect(addresses_[i], options_.port, attempt_deadline, socket,
                      &error)) {
        case Io::kOk:
          return true;
        case Io::kTimeout:
          timed_out = true;
          failures.push_back(
              absl::StrCat(endpoint, ": no answer in ",
                           absl::FormatDuration(attempt_deadline - now)));
          break;
        case Io::kClosed:
        case Io::kError:
          failures.push_back(absl::StrCat(endpoint, ": ", ErrnoText(error)));
          break;
      }
    }
    const std::string tried = absl::StrJoin(failures, "; ");
    if (timed_out) {
      *result =
          Result(ProofOutcome::kTimeout,
                 absl::StrCat("GET ", url_, ": timed out after ", TimeoutText(),
                              " in connect (", tried, ")"));
    } else {
      *result = Result(
          ProofOutcome::kConnectFailed,
          absl::StrCat("GET ", url_, ": no address accepted a connection (",
                       tried, ")"));
    }
    return false;
  }

  ProofResult TimedOut(absl::string_view phase) const {
    return Result(ProofOutcome::kTimeout,
                  absl::StrCat("GET ", url_, ": timed out after ",
                               TimeoutText(), " waiting for the ", phase));
  }

  ProofResult ReadFailed(absl::string_view phase, Io io, int error) const {
    if (io == Io::kTimeout) return TimedOut(phase);
    if (io == Io::kClosed) {
      return Result(ProofOutcome::kBadResponse,
                    absl::StrCat("GET ", url_,
                                 ": the connection closed before the end of "
                                 "the ",
                                 phase));
    }
    return Result(ProofOutcome::kBadResponse,
                  absl::StrCat("GET ", url_, ": reading the ", phase,
                               " failed: ", ErrnoText(error)));
  }

  // Reads and parses one response head from the start of `*buffer`,
  // reading more as needed; removes it from `*buffer`.
  bool ReadHead(int fd, std::string* buffer, HttpResponseHead* head,
                ProofResult* result) {
    size_t length = HeadLength(*buffer);
    while (length == 0) {
      if (buffer->size() > options_.max_head_bytes) break;
      int error = 0;
      const Io io = ReadSome(fd, deadline_, buffer, &error);
      if (io == Io::kClosed && buffer->empty()) {
        *result = Result(ProofOutcome::kBadResponse,
                         absl::StrCat("GET ", url_,
                                      ": the connection closed without a "
                                      "response"));
        return false;
      }
      if (io != Io::kOk) {
        *result = ReadFailed("response head", io, error);
        return false;
      }
      length = HeadLength(*buffer);
    }
    if (length == 0 || length > options_.max_head_bytes) {
      *result = Result(ProofOutcome::kTooLarge,
                       absl::StrCat("GET ", url_, ": response head over ",
                                    options_.max_head_bytes, " bytes"));
      return false;
    }
    absl::StatusOr<HttpResponseHead> parsed =
        ParseResponseHead(absl::string_view(*buffer).substr(0, length));
    if (!parsed.ok()) {
      *result = Result(ProofOutcome::kBadResponse,
                       absl::StrCat("GET ", url_, ": malformed response: ",
                                    Scrub(parsed.status().message())));
      return false;
    }
    *head = *std::move(parsed);
    buffer->erase(0, length);
    return true;
  }

  // Reads the body of a 200 answer after the bytes already in `*buffer`.
  bool ReadBody(int fd, const HttpResponseHead& head, std::string* buffer,
                std::string* body, ProofResult* result) {
    int error = 0;
    if (head.chunked) {
      // Chunk framing gets max_head_bytes of room beyond the body.
      const size_t raw_limit =
          options_.max_body_bytes + options_.max_head_bytes;
      for (;;) {
        absl::StatusOr<std::string> decoded =
            DecodeChunked(*buffer, options_.max_body_bytes);
        if (decoded.ok()) {
          *body = *std::move(decoded);
          return true;
        }
        if (decoded.status().code() == absl::StatusCode::kResourceExhausted) {
          *result = Result(ProofOutcome::kTooLarge,
                           absl::StrCat("GET ", url_, ": body over ",
                                        options_.max_body_bytes, " bytes"));
          return false;
        }
        if (decoded.status().code() != absl::StatusCode::kOutOfRange) {
          *result =
              Result(ProofOutcome::kBadResponse,
                     absl::StrCat("GET ", url_, ": malformed chunked body: ",
                                  Scrub(decoded.status().message())));
          return false;
        }
        if (buffer->size() > raw_limit) {
          *result = Result(ProofOutcome::kTooLarge,
                           absl::StrCat("GET ", url_, ": chunked body over ",
                                        raw_limit, " bytes with its framing"));
          return false;
        }
        const Io io = ReadSome(fd, deadline_, buffer, &error);
        if (io != Io::kOk) {
          *result = ReadFailed("body", io, error);
          return false;
        }
      }
    }
    if (head.content_length.has_value()) {
      const uint64_t length = *head.content_length;
      if (length > options_.max_body_bytes) {
        *result = Result(ProofOutcome::kTooLarge,
                         absl::StrCat("GET ", url_, ": body of ", length,
                                      " bytes (Content-Length) over ",
                                      options_.max_body_bytes));
        return false;
      }
      while (buffer->size() < length) {
        const Io io = ReadSome(fd, deadline_, buffer, &error);
        if (io == Io::kClosed) {
          *result = Result(
              ProofOutcome::kBadResponse,
              absl::StrCat("GET ", url_, ": the connection closed after ",
                           buffer->size(), " of ", length, " body bytes"));
          return false;
        }
        if (io != Io::kOk) {
          *result = ReadFailed("body", io, error);
          return false;
        }
      }
      *body = buffer->substr(0, static_cast<size_t>(length));
      return true;
    }
    // Neither: the body ends when the server closes.
    for (;;) {
      if (buffer->size() > options_.max_body_bytes) {
        *result = Result(ProofOutcome::kTooLarge,
                         absl::StrCat("GET ", url_, ": body over ",
                                      options_.max_body_bytes, " bytes"));
        return false;
      }
      const Io io = ReadSome(fd, deadline_, buffer, &error);
      if (io == Io::kClosed) break;
      if (io != Io::kOk) {
        *result = ReadFailed("body", io, error);
        return false;
      }
    }
    *body = std::move(*buffer);
    return true;
  }

  ProofResult Judge(absl::string_view body) const {
    absl::string_view trimmed = body;
    while (!trimmed.empty() && absl::string_view(" \t\r\n").find(
                                   trimmed.back()) != absl::string_view::npos) {
      trimmed.remove_suffix(1);
    }
    if (trimmed == token_) {
      return Result(ProofOutcome::kProven,
                    absl::StrCat("GET ", url_, " answered 200 with the token"));
    }
    if (body.empty()) {
      return Result(ProofOutcome::kBodyMismatch,
                    absl::StrCat("GET ", url_,
                                 " answered 200 with an empty body, not the "
                                 "token"));
    }
    std::string seen = Scrub(body);
    if (seen.size() > domain::kMaxSeenValueBytes) {
      seen.resize(domain::kMaxSeenValueBytes - 3);
      seen += "...";
    }
    return Result(ProofOutcome::kBodyMismatch,
                  absl::StrCat("GET ", url_, " answered 200 with a body of ",
                               body.size(), " bytes that is not the token"),
                  {std::move(seen)});
  }

  const HttpProofOptions& options_;
  const absl::string_view host_;
  const absl::string_view token_;
  const std::string encoded_token_;
  const absl::Time deadline_;
  std::vector<dns::IpAddress> addresses_;  // resolved and checked
  std::string url_;  // the URL of the current hop, token marked
};

}  // namespace

std::string BuildProofRequest(absl::string_view host, int port,
                              absl::string_view path) {
  return absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: ", host,
                      port == 80 ? "" : absl::StrCat(":", port),
                      "\r\nUser-Agent: corsd-domain-verifier\r\n"
                      "Accept: text/plain\r\nConnection: close\r\n\r\n");
}

domain::ProofResult ProveHttp(dns::Resolver& resolver,
                              const HttpProofOptions& options,
                              absl::string_view host, absl::string_view token) {
  return Prover(options, host, token).Run(resolver);
}

}  // namespace corsd::proof
