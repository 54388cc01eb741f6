#include "service/dns/cares_resolver.h"

#include <ares.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "service/dns/dns_answer.h"

namespace corsd::dns {

struct CaresResolver::Channel {
  Channel() = default;
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;
  // Pending queries' callbacks run here with ARES_EDESTRUCTION: whatever
  // they write to must outlive the Channel.
  ~Channel() {
    if (channel != nullptr) ares_destroy(channel);
  }
  ares_channel channel = nullptr;
};

namespace {

constexpr int kMaxTries = 8;
constexpr size_t kMaxNameBytes = 253;

// One question's result, written by OnAnswer on the thread driving the
// channel.
struct Pending {
  bool done = false;
  int status = ARES_SUCCESS;
  std::string message;
};

void OnAnswer(void* arg, int status, int /*timeouts*/, unsigned char* abuf,
              int alen) {
  Pending* pending = static_cast<Pending*>(arg);
  if (pending->done) return;
  pending->done = true;
  pending->status = status;
  if (abuf != nullptr && alen > 0) {
    pending->message.assign(reinterpret_cast<const char*>(abuf),
                            static_cast<size_t>(alen));
  }
}

absl::Status BadServer(absl::string_view value, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "--dns-resolver \"", absl::CHexEscape(value),
      "\" is not HOST:PORT, [IPV6]:PORT or HOST with an IP address host and "
      "a port 1-65535: ",
      why));
}

// The server of `text` (CaresOptions::server), or nullopt for "" (the
// system's servers).
absl::StatusOr<std::optional<ares_addr_port_node>> ParseServer(
    absl::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text.size() > kMaxServerTextBytes) {
    return BadServer(
        absl::StrCat(text.substr(0, kMaxServerTextBytes), "..."),
        absl::StrCat("longer than ", kMaxServerTextBytes, " bytes"));
  }
  absl::string_view host = text;
  std::optional<absl::string_view> port_text;
  bool v6_only = false;
  if (absl::ConsumePrefix(&host, "[")) {
    const size_t close = host.find(']');
    if (close == absl::string_view::npos) {
      return BadServer(text, "no \"]\" closes the IPv6 address");
    }
    absl::string_view rest = host.substr(close + 1);
    host = host.substr(0, close);
    v6_only = true;
    if (!rest.empty()) {
      if (!absl::ConsumePrefix(&rest, ":")) {
        return BadServer(text, "only \":PORT\" may follow \"]\"");
      }
      port_text = rest;
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    const size_t colon = text.find(':');
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }

  if (host.find('\0') != absl::string_view::npos) {
    return BadServer(text, "the host holds a NUL byte");
  }
  ares_addr_port_node node;
  std::memset(&node, 0, sizeof(node));
  node.next = nullptr;
  const std::string host_string(host);
  if (!v6_only &&
      inet_pton(AF_INET, host_string.c_str(), &node.addr.addr4) == 1) {
    node.family = AF_INET;
  } else if (inet_pton(AF_INET6, host_string.c_str(), &node.addr.addr6) == 1) {
    node.family = AF_INET6;
  } else {
    return BadServer(text, absl::StrCat("\"", absl::CHexEscape(host),
                                        v6_only ? "\" is not an IPv6 address"
                                                : "\" is not an IP address"));
  }

  int port = 53;
  if (port_text.has_value()) {
    const bool digits =
        !port_text->empty() && port_text->size() <= 5 &&
        std::all_of(port_text->begin(), port_text->end(),
                    [](char c) { return absl::ascii_isdigit(c); });
    if (!digits || !absl::SimpleAtoi(*port_text, &port) || port < 1 ||
        port > 65535) {
      return BadServer(text,
                       absl::StrCat("port \"", absl::CHexEscape(*port_text),
                                    "\" is not 1-65535"));
    }
  }
  node.udp_port = port;
  node.tcp_port = port;
  return node;
}

std::string ServerText(const std::optional<ares_addr_port_node>& server) {
  if (!server.has_value()) return "the system resolver";
  char text[INET6_ADDRSTRLEN] = {};
  if (server->family == AF_INET) {
    inet_ntop(AF_INET, &server->addr.addr4, text, sizeof(text));
    return absl::StrCat(text, ":", server->udp_port);
  }
  inet_ntop(AF_INET6, &server->addr.addr6, text, sizeof(text));
  return absl::StrCat("[", text, "]:", server->udp_port);
}

// Runs `channel` on this thread until every one of `pending` is done or
// `deadline` passes (then the queries are cancelled: ARES_ECANCELLED).
// A failing poll() also cancels them, `*poll_error` then says why.
void Drive(ares_channel channel, absl::Time deadline,
           absl::Span<Pending* const> pending, std::string* poll_error) {
  auto all_done = [&] {
    return std::all_of(pending.begin(), pending.end(),
                       [](const Pending* p) { return p->done; });
  };
  while (!all_done()) {
    ares_socket_t sockets[ARES_GETSOCK_MAXNUM];
    const int bits = ares_getsock(channel, sockets, ARES_GETSOCK_MAXNUM);
    pollfd fds[ARES_GETSOCK_MAXNUM];
    nfds_t count = 0;
    for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
      short events = 0;
      if (ARES_GETSOCK_READABLE(bits, i)) events |= POLLIN;
      if (ARES_GETSOCK_WRITABLE(bits, i)) events |= POLLOUT;
      if (events == 0) continue;
      fds[count].fd = sockets[i];
      fds[count].events = events;
      fds[count].revents = 0;
      ++count;
    }
    const absl::Time now = absl::Now();
    if (now >= deadline) {
      ares_cancel(channel);
      return;
    }
    timeval max_wait = absl::ToTimeval(deadline - now);
    timeval storage;
    const timeval* wait = ares_timeout(channel, &max_wait, &storage);
    const int wait_ms = static_cast<int>(std::min<int64_t>(
        wait->tv_sec * 1000 + (wait->tv_usec + 999) / 1000, 60 * 1000));
    const int ready = poll(fds, count, wait_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      *poll_error = absl::StrCat("poll: ", std::strerror(errno));
      ares_cancel(channel);
      return;
    }
    if (ready == 0) {
      ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
      continue;
    }
    for (nfds_t i = 0; i < count; ++i) {
      const short revents = fds[i].revents;
      if (revents == 0) continue;
      const bool readable = (revents & (POLLIN | POLLERR | POLLHUP)) != 0;
      const bool writable = (revents & (POLLOUT | POLLERR | POLLHUP)) != 0;
      ares_process_fd(channel, readable ? fds[i].fd : ARES_SOCKET_BAD,
                      writable ? fds[i].fd : ARES_SOCKET_BAD);
    }
  }
}

// Why `name` cannot be asked at all, or "".
std::string BadName(absl::string_view name) {
  if (name.empty()) return "an empty name is not a host name";
  if (name.size() > kMaxNameBytes) {
    return absl::StrCat("a name of ", name.size(), " bytes is over ",
                        kMaxNameBytes);
  }
  if (name.find('\0') != absl::string_view::npos) {
    return "a name with a NUL byte is not a host name";
  }
  return std::string();
}

// The error of a question that got no answer to read: status is not
// ARES_SUCCESS.
DnsError ErrorOf(int status) {
  switch (status) {
    case ARES_ENODATA:
      return DnsError::kNone;
    case ARES_ENOTFOUND:
      return DnsError::kNxDomain;
    case ARES_ETIMEOUT:
    case ARES_ECANCELLED:
      return DnsError::kTimeout;
    default:
      return DnsError::kFailure;
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<CaresResolver>> CaresResolver::Create(
    const CaresOptions& options) {
  absl::StatusOr<std::optional<ares_addr_port_node>> server =
      ParseServer(options.server);
  if (!server.ok()) return server.status();
  if (options.timeout < absl::Milliseconds(1) ||
      options.timeout > absl::Seconds(60)) {
    return absl::InvalidArgumentError(
        absl::StrCat("DNS timeout ", absl::FormatDuration(options.timeout),
                     " is not 1ms to 60s"));
  }
  if (options.tries < 1 || options.tries > kMaxTries) {
    return absl::InvalidArgumentError(
        absl::StrCat("DNS tries ", options.tries, " is not 1 to ", kMaxTries));
  }

  // c-ares wants this once per process before any channel (a no-op on
  // Linux today, but documented as required).
  static std::once_flag library_once;
  static int library_status = ARES_SUCCESS;
  std::call_once(library_once,
                 [] { library_status = ares_library_init(ARES_LIB_INIT_ALL); });
  if (library_status != ARES_SUCCESS) {
    return absl::InternalError(
        absl::StrCat("ares_library_init: ", ares_strerror(library_status)));
  }

  // Rounds of tries wait timeout, 2*timeout, 4*timeout...: the first gets
  // the share that makes the sum fit options.timeout.
  const int64_t total_ms = absl::ToInt64Milliseconds(options.timeout);
  const int64_t first_ms =
      std::max<int64_t>(1, total_ms / ((int64_t{1} << options.tries) - 1));

  ares_options ares;
  std::memset(&ares, 0, sizeof(ares));
  // Names are asked as given (no search domains, ndots irrelevant); EDNS
  // so that a large TXT set rarely needs the TCP retry.
  ares.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_EDNS;
  ares.timeout = static_cast<int>(first_ms);
  ares.tries = options.tries;
  ares.ednspsz = 1232;
  char lookups[] = "b";  // DNS only, never /etc/hosts
  ares.lookups = lookups;
  const int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
                   ARES_OPT_EDNSPSZ | ARES_OPT_LOOKUPS;

  auto channel = std::make_unique<Channel>();
  int status = ares_init_options(&channel->channel, &ares, mask);
  if (status != ARES_SUCCESS) {
    channel->channel = nullptr;
    return absl::InternalError(
        absl::StrCat("ares_init_options: ", ares_strerror(status)));
  }
  if (server->has_value()) {
    status = ares_set_servers_ports(channel->channel, &server->value());
    if (status != ARES_SUCCESS) {
      return absl::InternalError(
          absl::StrCat("ares_set_servers_ports: ", ares_strerror(status)));
    }
  }
  return std::unique_ptr<CaresResolver>(new CaresResolver(
      std::move(channel), options.timeout, ServerText(*server)));
}

CaresResolver::CaresResolver(std::unique_ptr<Channel> template_channel,
                             absl::Duration timeout, std::string server)
    : template_(std::move(template_channel)),
      timeout_(timeout),
      server_(std::move(server)) {}

CaresResolver::~CaresResolver() = default;

absl::StatusOr<std::unique_ptr<CaresResolver::Channel>>
CaresResolver::NewChannel() {
  auto channel = std::make_unique<Channel>();
  int status;
  {
    absl::MutexLock lock(&mu_);
    status = ares_dup(&channel->channel, template_->channel);
  }
  if (status != ARES_SUCCESS) {
    channel->channel = nullptr;
    return absl::InternalError(
        absl::StrCat("ares_dup: ", ares_strerror(status)));
  }
  return channel;
}

std::string CaresResolver::Detail(int status) const {
  if (ErrorOf(status) == DnsError::kTimeout) {
    return absl::StrCat("no answer from ", server_, " within ",
                        absl::FormatDuration(timeout_));
  }
  return absl::StrCat(ares_strerror(status), " (asking ", server_, ")");
}

TxtAnswer CaresResolver::LookupTxt(absl::string_view name) {
  TxtAnswer answer;
  if (std::string bad = BadName(name); !bad.empty()) {
    answer.error = DnsError::kFailure;
    answer.detail = std::move(bad);
    return answer;
  }
  Pending pending;  // outlives the channel, whose destructor may call back
  std::string poll_error;
  {
    absl::StatusOr<std::unique_ptr<Channel>> channel = NewChannel();
    if (!channel.ok()) {
      answer.error = DnsError::kFailure;
      answer.detail = std::string(channel.status().message());
      return answer;
    }
    const absl::Time deadline = absl::Now() + timeout_;
    const std::string query(name);
    ares_query((*channel)->channel, query.c_str(), kClassIn, kTypeTxt,
               &OnAnswer, &pending);
    Pending* const all[] = {&pending};
    Drive((*channel)->channel, deadline, all, &poll_error);
  }
  if (!poll_error.empty()) {
    answer.error = DnsError::kFailure;
    answer.detail = std::move(poll_error);
    return answer;
  }
  if (pending.status != ARES_SUCCESS) {
    answer.error = ErrorOf(pending.status);
    if (answer.error != DnsError::kNone) {
      answer.detail = Detail(pending.status);
    }
    return answer;
  }
  absl::StatusOr<AnswerRecords> records = ExtractAnswer(
      absl::MakeConstSpan(
          reinterpret_cast<const unsigned char*>(pending.message.data()),
          pending.message.size()),
      kTypeTxt, kMaxTxtValues);
  if (!records.ok()) {
    answer.error = DnsError::kFailure;
    answer.detail = std::string(records.status().message());
    return answer;
  }
  for (const std::string& rdata : records->rdata) {
    absl::StatusOr<std::string> text = TxtRecordText(rdata, kMaxTxtValueBytes);
    if (!text.ok()) {
      answer.error = DnsError::kFailure;
      answer.detail = std::string(text.status().message());
      answer.values.clear();
      return answer;
    }
    answer.values.push_back(*std::move(text));
  }
  return answer;
}

AddressAnswer CaresResolver::LookupAddresses(absl::string_view host) {
  AddressAnswer answer;
  if (std::string bad = BadName(host); !bad.empty()) {
    answer.error = DnsError::kFailure;
    answer.detail = std::move(bad);
    return answer;
  }
  Pending a;  // both outlive the channel, whose destructor may call back
  Pending aaaa;
  std::string poll_error;
  {
    absl::StatusOr<std::unique_ptr<Channel>> channel = NewChannel();
    if (!channel.ok()) {
      answer.error = DnsError::kFailure;
      answer.detail = std::string(channel.status().message());
      return answer;
    }
    const absl::Time deadline = absl::Now() + timeout_;
    const std::string query(host);
    ares_query((*channel)->channel, query.c_str(), kClassIn, kTypeA, &OnAnswer,
               &a);
    ares_query((*channel)->channel, query.c_str(), kClassIn, kTypeAaaa,
               &OnAnswer, &aaaa);
    Pending* const all[] = {&a, &aaaa};
    Drive((*channel)->channel, deadline, all, &poll_error);
  }
  if (!poll_error.empty()) {
    answer.error = DnsError::kFailure;
    answer.detail = std::move(poll_error);
    return answer;
  }

  // Each question's error (kNone: answered, maybe without addresses).
  struct Outcome {
    DnsError error = DnsError::kNone;
    std::string detail;
  };
  auto read = [&](const Pending& pending, uint16_t type, size_t bytes,
                  bool v6) {
    Outcome outcome;
    if (pending.status != ARES_SUCCESS) {
      outcome.error = ErrorOf(pending.status);
      if (outcome.error != DnsError::kNone) {
        outcome.detail = Detail(pending.status);
      }
      return outcome;
    }
    absl::StatusOr<AnswerRecords> records = ExtractAnswer(
        absl::MakeConstSpan(
            reinterpret_cast<const unsigned char*>(pending.message.data()),
            pending.message.size()),
        type, kMaxAddresses);
    if (!records.ok()) {
      outcome.error = DnsError::kFailure;
      outcome.detail = std::string(records.status().message());
      return outcome;
    }
    for (const std::string& rdata : records->rdata) {
      if (rdata.size() != bytes) {
        outcome.error = DnsError::kFailure;
        outcome.detail =
            absl::StrCat("malformed DNS answer: an ", v6 ? "AAAA" : "A",
                         " record of ", rdata.size(), " bytes");
        return outcome;
      }
    }
    for (const std::string& rdata : records->rdata) {
      if (answer.addresses.size() == kMaxAddresses) break;
      IpAddress address;
      address.v6 = v6;
      std::memcpy(address.bytes.data(), rdata.data(), bytes);
      answer.addresses.push_back(address);
    }
    return outcome;
  };
  const Outcome v4 = read(a, kTypeA, 4, false);
  const Outcome v6 = read(aaaa, kTypeAaaa, 16, true);
  if (!answer.addresses.empty()) return answer;
  if (v4.error == DnsError::kNxDomain || v6.error == DnsError::kNxDomain) {
    answer.error = DnsError::kNxDomain;
    return answer;
  }
  for (const Outcome* outcome : {&v4, &v6}) {
    if (outcome->error != DnsError::kNone) {
      answer.error = outcome->error;
      answer.detail = outcome->detail;
      return answer;
    }
  }
  return answer;
}

}  // namespace corsd::dns
