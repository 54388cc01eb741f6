// Transport: the HTTP/1.1 server the HTTP door runs on, and only that. It
// owns the listening socket and the event loops (h2o's, Debian
// libh2o-evloop-dev: one loop per thread, all accepting on one socket) and
// hands each request to a Handler as an Exchange: the request's bytes as
// received, and a way to answer. It knows nothing of corsd's endpoints;
// http_server.h routes over it, and bench/'s null server answers over it,
// so both are measured on the same transport.
//
// What h2o does for every request before a Handler sees it: keep-alive,
// pipelined requests answered in order, the request head bounded (100
// headers, 400 and close beyond), a request not complete within
// io_timeout closed, the body bounded by max_request_body_bytes (413).
// Header values reach the Handler byte for byte (h2o trims only the
// optional whitespace around a value, which HTTP says is not part of it).
//
// Thread safety: Start/port/address/Shutdown may be called from any thread.
// The Handler runs on the loops' threads, concurrently; it must be
// thread-safe and must not block.
#ifndef CORSD_SERVICE_HTTP_TRANSPORT_H_
#define CORSD_SERVICE_HTTP_TRANSPORT_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "service/http/forward_auth.h"

struct st_h2o_req_t;

namespace corsd::http {

// Most headers a request can carry through h2o's HTTP/1 parser.
inline constexpr size_t kMaxTransportHeaders = 100;

// One request and its answer. Valid only during the Handler call.
class Exchange {
 public:
  explicit Exchange(st_h2o_req_t* req) : req_(req) {}

  absl::string_view method() const;
  // The request-line target as sent ("/auth?x=1"), and its parts.
  absl::string_view target() const;
  absl::string_view path() const;   // before "?"
  absl::string_view query() const;  // after "?"; empty when none
  // The headers as received (names lowercase, values byte for byte), with
  // the request's authority added as "host" when the request had no Host
  // header. Views valid during the Handler call.
  absl::Span<const HeaderField> headers();

  // Adds a response header; name and value are copied.
  void AddHeader(absl::string_view name, absl::string_view value);
  // Sends the answer: `status`, the headers added so far, Cache-Control:
  // no-store, Content-Type when `body` is not empty, Content-Length. Call
  // exactly once per Exchange.
  void Respond(int status, absl::string_view body,
               absl::string_view content_type = "text/plain; charset=utf-8");
  int status() const;

 private:
  st_h2o_req_t* req_;
  HeaderField fields_[kMaxTransportHeaders + 1];
  size_t field_count_ = 0;
  bool fields_read_ = false;
};

using Handler = std::function<void(Exchange&)>;

struct TransportOptions {
  // "HOST:PORT" (IPv6 as "[::1]:PORT"); port 0 binds a free port.
  std::string listen = "127.0.0.1:0";
  // Event loops (>= 1).
  int threads = 2;
  // A connection that has not sent a whole request this long after
  // connecting or after its previous answer is closed (> 0).
  absl::Duration io_timeout = absl::Seconds(5);
  // Shutdown: how long open connections get to finish their answers.
  absl::Duration drain_timeout = absl::Seconds(5);
  // Largest request body accepted (413 beyond).
  size_t max_request_body_bytes = 64 * 1024;
};

class Transport {
 public:
  // Binds options.listen and starts the loops before returning. Errors:
  // InvalidArgument when listen is not HOST:PORT, threads < 1, io_timeout
  // not positive or `handler` empty (the message names the field and
  // value); Unavailable when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<Transport>> Start(
      const TransportOptions& options, Handler handler);

  ~Transport();  // Shutdown()
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  int port() const;
  // "HOST:PORT" bound ("[v6]:PORT" for IPv6).
  std::string address() const;

  // Stops accepting, closes idle keep-alive connections, lets the others
  // finish the answer they are writing (up to drain_timeout), joins the
  // loops. Idempotent.
  void Shutdown();

 private:
  struct Impl;
  explicit Transport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace corsd::http

#endif  // CORSD_SERVICE_HTTP_TRANSPORT_H_
