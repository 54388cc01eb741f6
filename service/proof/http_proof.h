// The HTTP proof of control of a custom domain: GET
// http://<host>/.well-known/corsd-challenge/<token> must answer 200 with the
// token as its body. The host is the customer's, so the fetch is built to be
// safe against whatever it points at (README.md): the host is resolved once,
// every address is checked against address_policy.h, and only the checked
// addresses are connected to, by IP (a second, rebinding answer is never
// asked for); redirects stay on the same host and port; every read is
// bounded in bytes and the whole proof in time.
#ifndef CORSD_SERVICE_PROOF_HTTP_PROOF_H_
#define CORSD_SERVICE_PROOF_HTTP_PROOF_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "service/dns/resolver.h"
#include "service/domain/proof.h"

namespace corsd::proof {

struct HttpProofOptions {
  // The TCP port connected to (80 in production; tests use their server's).
  int port = 80;
  // Connect to loopback, private and other non-public addresses too (tests,
  // or an operator proving hosts on its own network). Never in production.
  bool allow_private = false;
  // One deadline for the whole proof: address lookup, every connect, send and
  // read of every hop.
  absl::Duration timeout = absl::Seconds(5);
  // The body of the 200 answer (decoded, when chunked); more is kTooLarge.
  size_t max_body_bytes = 4096;
  // Each response head (status line, headers, blank line); more is
  // kTooLarge.
  size_t max_head_bytes = 8192;
  // Redirects followed (each to the same host and port); one more is
  // kRedirectRefused.
  int max_redirects = 2;
  // The path the token is appended to (percent-encoded). Starts with '/'.
  std::string path_prefix = "/.well-known/corsd-challenge/";
};

// Proves (or not) that whoever serves `host` over HTTP published `token`.
//
// `host`: a host name (letters, digits, '-', '_', '.', 1-253 bytes, no empty
// label, not an IPv4 literal); `token`: 1-512 bytes, sent percent-encoded
// outside [A-Za-z0-9-._~]. Any other argument is refused without a lookup or
// a connection: kConnectFailed, reason "not attempted: ...".
//
// Outcomes, each with a one-line reason naming the host and what was found:
//   kNxDomain, kTimeout, kResolverError: the address lookup said so
//     (DnsError kNxDomain, kTimeout, kFailure);
//   kConnectFailed: no A or AAAA record, or no address accepted a connection
//     (every address is tried in order; each gets an equal share of the time
//     left, the last one all of it);
//   kPrivateTarget: some resolved address is not public (IsPublicAddress),
//     unless options.allow_private; nothing is connected to then;
//   kTimeout: the deadline passed; the reason names the phase (address
//     lookup, connect, sending the request, response head, body);
//   kTooLarge: a head over max_head_bytes, a body over max_body_bytes (a
//     Content-Length saying so is enough; chunk framing is allowed
//     max_head_bytes more raw bytes);
//   kBadResponse: the head or the chunked body is malformed (the parser's
//     message), the connection closed early, or 101 Switching Protocols;
//   kRedirectRefused: a 301, 302, 303, 307 or 308 whose Location is not a
//     path ("/...") nor an http:// URL of the same host (any case) and port,
//     or more than max_redirects of them; the reason quotes the Location
//     (at most 128 bytes);
//   kHttpStatus: any other status than 200 (interim 1xx answers before the
//     final one are skipped): "GET http://<host>/...<token> answered 404";
//   kBodyMismatch: 200, but the body with trailing spaces, tabs, CRs and LFs
//     removed is not the token; `seen` holds the start of the body (at most
//     domain::kMaxSeenValueBytes bytes, a cut one ends in "..."), empty for
//     an empty body;
//   kProven: 200 and that trimmed body is exactly the token.
// Neither the reason nor `seen` contains the token: it is written "<token>".
//
// Blocks its caller for at most about options.timeout (plus however long
// `resolver` takes to return). Thread safety: keeps no state; any number of
// proofs may run at once if `resolver` allows concurrent calls.
domain::ProofResult ProveHttp(dns::Resolver& resolver,
                              const HttpProofOptions& options,
                              absl::string_view host, absl::string_view token);

// The exact request ProveHttp sends for `path` on `host`:
// "GET <path> HTTP/1.1\r\nHost: <host>[:<port> unless 80]\r\nUser-Agent:
// corsd-domain-verifier\r\nAccept: text/plain\r\nConnection: close\r\n\r\n".
// `path` must already be a valid request target (no spaces or control
// bytes). Pure; thread-safe.
std::string BuildProofRequest(absl::string_view host, int port,
                              absl::string_view path);

}  // namespace corsd::proof

#endif  // CORSD_SERVICE_PROOF_HTTP_PROOF_H_
