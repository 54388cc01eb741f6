#include "service/http/transport.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "h2o.h"

namespace corsd::http {
namespace {

static_assert(kMaxTransportHeaders == H2O_MAX_HEADERS,
              "kMaxTransportHeaders mirrors h2o's parser limit");

struct ListenAddress {
  std::string host;  // as getaddrinfo wants it (IPv6 without brackets)
  int port = 0;
};

absl::StatusOr<ListenAddress> ParseListen(absl::string_view listen) {
  const auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("http listen address \"", listen, "\" ", why,
                     "; expected HOST:PORT (IPv6 as [ADDR]:PORT)"));
  };
  const size_t colon = listen.rfind(':');
  if (colon == absl::string_view::npos) return bad("has no port");
  absl::string_view host = listen.substr(0, colon);
  const absl::string_view port_text = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != absl::string_view::npos) {
    return bad("has an unbracketed IPv6 host");
  }
  if (host.empty()) return bad("has no host");
  int port = 0;
  if (!absl::SimpleAtoi(port_text, &port) || port < 0 || port > 65535) {
    return bad(absl::StrCat("has port \"", port_text, "\" (not 0-65535)"));
  }
  return ListenAddress{std::string(host), port};
}

// Binds and listens on `address`; returns the non-blocking fd and sets
// *bound_port. Only SO_REUSEADDR (restart without waiting out TIME_WAIT):
// SO_REUSEPORT would let a second process bind the same port and silently
// take half the requests.
absl::StatusOr<int> Listen(const ListenAddress& address,
                           absl::string_view listen, int* bound_port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* result = nullptr;
  const std::string port = absl::StrCat(address.port);
  if (getaddrinfo(address.host.c_str(), port.c_str(), &hints, &result) != 0 ||
      result == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("http listen address \"", listen,
                     "\" has a host that does not resolve"));
  }
  int fd = -1;
  for (addrinfo* ai = result; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                ai->ai_protocol);
    if (fd < 0) continue;
    int yes = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
        ::listen(fd, SOMAXCONN) != 0) {
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(result);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("http listen address \"", listen,
                     "\" cannot be bound (in use, or not a local address)"));
  }
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  *bound_port = ss.ss_family == AF_INET6
                    ? ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port)
                    : ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  return fd;
}

absl::string_view View(h2o_iovec_t v) {
  return absl::string_view(v.base, v.len);
}

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 421:
      return "Misdirected Request";
    case 431:
      return "Request Header Fields Too Large";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

}  // namespace

absl::string_view Exchange::method() const { return View(req_->input.method); }
absl::string_view Exchange::target() const { return View(req_->input.path); }
absl::string_view Exchange::path() const {
  const size_t q = req_->input.query_at;
  return q == SIZE_MAX ? target() : target().substr(0, q);
}
absl::string_view Exchange::query() const {
  const size_t q = req_->input.query_at;
  return q == SIZE_MAX ? absl::string_view() : target().substr(q + 1);
}

absl::Span<const HeaderField> Exchange::headers() {
  if (!fields_read_) {
    fields_read_ = true;
    bool has_host = false;
    for (size_t i = 0;
         i < req_->headers.size && field_count_ < kMaxTransportHeaders; ++i) {
      const h2o_header_t& h = req_->headers.entries[i];
      const absl::string_view name(h.name->base, h.name->len);
      has_host = has_host || name == "host";
      fields_[field_count_++] = HeaderField{name, View(h.value)};
    }
    // An HTTP/1.0 request may have no Host; its authority stands in.
    if (!has_host && req_->input.authority.len > 0) {
      fields_[field_count_++] =
          HeaderField{"host", View(req_->input.authority)};
    }
  }
  return absl::Span<const HeaderField>(fields_, field_count_);
}

void Exchange::AddHeader(absl::string_view name, absl::string_view value) {
  // Copied into the request's pool: a value may be a view that dies before
  // h2o writes the answer (a table entry under a ReadGuard).
  const h2o_iovec_t n = h2o_strdup(&req_->pool, name.data(), name.size());
  const h2o_iovec_t v = h2o_strdup(&req_->pool, value.data(), value.size());
  h2o_add_header_by_str(&req_->pool, &req_->res.headers, n.base, n.len, 1,
                        nullptr, v.base, v.len);
}

void Exchange::Respond(int status, absl::string_view body,
                       absl::string_view content_type) {
  req_->res.status = status;
  req_->res.reason = ReasonPhrase(status);
  h2o_add_header(&req_->pool, &req_->res.headers, H2O_TOKEN_CACHE_CONTROL,
                 nullptr, H2O_STRLIT("no-store"));
  if (!body.empty()) {
    h2o_add_header(&req_->pool, &req_->res.headers, H2O_TOKEN_CONTENT_TYPE,
                   nullptr, content_type.data(), content_type.size());
  }
  req_->res.content_length = body.size();
  h2o_send_inline(req_, body.data(), body.size());
}

int Exchange::status() const { return req_->res.status; }

struct Transport::Impl {
  // One event loop: its own h2o context, its own registration of the
  // listening socket. Touched by the loop's thread only, except `thread`
  // (joined by Shutdown) and the context (disposed after the join).
  struct Loop {
    Impl* impl = nullptr;
    h2o_evloop_t* evloop = nullptr;
    h2o_context_t ctx{};
    h2o_accept_ctx_t accept_ctx{};
    h2o_socket_t* listener = nullptr;
    std::thread thread;
  };
  // The h2o handler with its transport (h2o allocates it with this size).
  struct H2oHandler {
    h2o_handler_t super;
    Impl* impl;
  };

  TransportOptions options;
  Handler handler;
  h2o_globalconf_t config{};
  int listen_fd = -1;
  std::string bound_host;
  int port = 0;
  std::vector<std::unique_ptr<Loop>> loops;
  // Set by Shutdown; each loop reads it between polls. Release/acquire:
  // nothing else is published through it, but every loop must see it.
  std::atomic<bool> stopping{false};
  std::once_flag shutdown_once;

  ~Impl() {
    if (listen_fd >= 0) close(listen_fd);
    h2o_config_dispose(&config);
  }

  static int OnRequest(h2o_handler_t* self, h2o_req_t* req) {
    Exchange exchange(req);
    reinterpret_cast<H2oHandler*>(self)->impl->handler(exchange);
    return 0;
  }

  static void OnAccept(h2o_socket_t* listener, const char* err) {
    if (err != nullptr) return;
    Loop* loop = static_cast<Loop*>(listener->data);
    // A bounded batch per wake-up, so one loop does not starve its own
    // connections while the others sleep.
    for (int i = 0; i < 16; ++i) {
      h2o_socket_t* sock = h2o_evloop_socket_accept(listener);
      if (sock == nullptr) return;
      int yes = 1;
      setsockopt(h2o_socket_get_fd(sock), IPPROTO_TCP, TCP_NODELAY, &yes,
                 sizeof(yes));
      h2o_accept(&loop->accept_ctx, sock);
    }
  }

  void Run(Loop* loop) {
    while (!stopping.load(std::memory_order_acquire)) {
      h2o_evloop_run(loop->evloop, 50);
    }
    // Drain: no new connections; idle keep-alive ones are closed at once,
    // the others after the answer they are writing.
    h2o_socket_read_stop(loop->listener);
    h2o_socket_close(loop->listener);
    loop->listener = nullptr;
    h2o_context_request_shutdown(&loop->ctx);
    const auto deadline = std::chrono::steady_clock::now() +
                          absl::ToChronoMilliseconds(options.drain_timeout);
    while (!h2o_linklist_is_empty(&loop->ctx.http1._conns) &&
           std::chrono::steady_clock::now() < deadline) {
      h2o_evloop_run(loop->evloop, 10);
    }
    // A few more turns so closed sockets are released by the loop.
    for (int i = 0; i < 3; ++i) h2o_evloop_run(loop->evloop, 0);
    // request_shutdown arms HTTP/2's graceful-shutdown timer even with no
    // HTTP/2 connection; h2o_context_dispose asserts every timer unlinked.
    if (h2o_timeout_is_linked(&loop->ctx.http2._graceful_shutdown_timeout)) {
      h2o_timeout_unlink(&loop->ctx.http2._graceful_shutdown_timeout);
    }
  }
};

absl::StatusOr<std::unique_ptr<Transport>> Transport::Start(
    const TransportOptions& options, Handler handler) {
  absl::StatusOr<ListenAddress> address = ParseListen(options.listen);
  if (!address.ok()) return address.status();
  if (options.threads < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "http threads is ", options.threads, "; expected at least 1"));
  }
  if (options.io_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "http io_timeout is ", absl::FormatDuration(options.io_timeout),
        "; expected a positive duration"));
  }
  if (!handler) {
    return absl::InvalidArgumentError("http transport: handler is empty");
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->handler = std::move(handler);
  Impl* self = impl.get();

  h2o_config_init(&impl->config);
  impl->config.server_name = h2o_iovec_init(H2O_STRLIT("corsd"));
  impl->config.max_request_entity_size = options.max_request_body_bytes;
  impl->config.http1.req_timeout =
      static_cast<uint64_t>(absl::ToInt64Milliseconds(options.io_timeout));
  impl->config.http1.upgrade_to_http2 = 0;
  h2o_hostconf_t* host = h2o_config_register_host(
      &impl->config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
  h2o_pathconf_t* pathconf = h2o_config_register_path(host, "/", 0);
  auto* h = reinterpret_cast<Impl::H2oHandler*>(
      h2o_create_handler(pathconf, sizeof(Impl::H2oHandler)));
  h->super.on_req = &Impl::OnRequest;
  h->impl = self;

  absl::StatusOr<int> fd = Listen(*address, options.listen, &impl->port);
  if (!fd.ok()) return fd.status();
  impl->listen_fd = *fd;
  impl->bound_host = address->host;

  for (int i = 0; i < options.threads; ++i) {
    auto loop = std::make_unique<Impl::Loop>();
    loop->impl = self;
    loop->evloop = h2o_evloop_create();
    h2o_context_init(&loop->ctx, loop->evloop, &impl->config);
    loop->accept_ctx.ctx = &loop->ctx;
    loop->accept_ctx.hosts = impl->config.hosts;
    const int own_fd = fcntl(impl->listen_fd, F_DUPFD_CLOEXEC, 0);
    loop->listener = h2o_evloop_socket_create(loop->evloop, own_fd,
                                              H2O_SOCKET_FLAG_DONT_READ);
    loop->listener->data = loop.get();
    h2o_socket_read_start(loop->listener, &Impl::OnAccept);
    impl->loops.push_back(std::move(loop));
  }
  for (auto& loop : impl->loops) {
    Impl::Loop* l = loop.get();
    l->thread = std::thread([self, l] { self->Run(l); });
  }
  return std::unique_ptr<Transport>(new Transport(std::move(impl)));
}

Transport::Transport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Transport::~Transport() { Shutdown(); }

int Transport::port() const { return impl_->port; }

std::string Transport::address() const {
  if (impl_->bound_host.find(':') != std::string::npos) {
    return absl::StrCat("[", impl_->bound_host, "]:", impl_->port);
  }
  return absl::StrCat(impl_->bound_host, ":", impl_->port);
}

void Transport::Shutdown() {
  std::call_once(impl_->shutdown_once, [this] {
    impl_->stopping.store(true, std::memory_order_release);
    for (auto& loop : impl_->loops) {
      if (loop->thread.joinable()) loop->thread.join();
    }
    for (auto& loop : impl_->loops) {
      if (h2o_linklist_is_empty(&loop->ctx.http1._conns)) {
        h2o_context_dispose(&loop->ctx);
        h2o_evloop_destroy(loop->evloop);
      }
      // Else a connection outlived drain_timeout: its loop and context are
      // left (a bounded leak at exit) rather than freed under it.
    }
  });
}

}  // namespace corsd::http
