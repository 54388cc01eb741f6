// ServerOptions: the transport settings every corsd gRPC listener uses
// (decision, admin, and the bench's null server), applied to a
// grpc::ServerBuilder in one place so that a measurement of the null server
// measures exactly the framework and threading corsd serves with.
//
// Architecture (bench/RESULTS.md "## Service" has the measurement): the
// unary decision RPCs (Decide, DecideBatch, ext_authz Check) use gRPC's sync
// API and decide inline on the ThreadManager thread that read the request
// (microseconds, never blocking); DecideStream uses the callback API so an
// idle long-lived stream holds no thread. On this build (gRPC 1.51) the sync
// unary path served 1.7x-3x the callback API's median calls/s at 64 in
// flight with a lower p50; per-core completion queues came out level with
// sync (within the noise) for far more code. `threads` sets how many sync
// threads wait for calls; it is not a cap (see ServerOptions::threads).
//
// Defaults and why:
//   * max_concurrent_streams 1024: a gateway multiplexes many checks on one
//     HTTP/2 connection (Envoy opens few connections); 1024 keeps a burst
//     from queueing at the client while bounding per-connection state.
//   * keepalive_time 30 s / keepalive_timeout 10 s: the server pings idle
//     connections so dead gateways' connections are reaped within ~40 s.
//   * min_recv_ping_interval 5 s, max_ping_strikes 2: clients (Envoy's gRPC
//     keepalive, grpc-go/java defaults) may ping every >= 5 s even with no
//     call in flight; faster pingers get GOAWAY(too_many_pings).
//   * SO_REUSEPORT off (gRPC turns it on by default): binding an address
//     another process holds fails (Unavailable) instead of silently sharing
//     its connections.
//   * max_receive_message_bytes 4 MiB: enough for a 1000-request batch or a
//     100000-op admin chunk of short origins; larger inputs are chunked
//     (Import streams). --max-message-bytes overrides it.
//
// Thread safety: plain data; ApplyServerOptions touches only the builder.
#ifndef CORSD_SERVICE_RPC_SERVER_OPTIONS_H_
#define CORSD_SERVICE_RPC_SERVER_OPTIONS_H_

#include <grpcpp/server_builder.h>

#include <cstdint>

#include "absl/status/status.h"

namespace corsd::rpc {

struct ServerOptions {
  // Threads the sync server keeps polling for calls (its minimum and maximum
  // pollers, one completion queue). Not a cap: a call arriving while every
  // thread is busy gets a new thread from gRPC, and idle threads beyond
  // `threads` exit. (gRPC 1.51's only cap, ResourceQuota::SetMaxThreads,
  // fails such a call with RESOURCE_EXHAUSTED instead of queueing it, so it
  // is not used.) 0 leaves gRPC's defaults (1 to 2 pollers).
  int threads = 0;
  // HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS advertised to each client.
  int max_concurrent_streams = 1024;
  // Server-initiated keepalive ping period and the time to wait for its ack.
  int keepalive_time_ms = 30'000;
  int keepalive_timeout_ms = 10'000;
  // Accept client keepalive pings with no call in flight, as often as
  // every min_recv_ping_interval_ms; more than max_ping_strikes faster
  // pings close the connection.
  bool keepalive_permit_without_calls = true;
  int min_recv_ping_interval_ms = 5'000;
  int max_ping_strikes = 2;
  // Largest message accepted / sent, in bytes.
  int max_receive_message_bytes = 4 << 20;
  int max_send_message_bytes = 4 << 20;
};

// Checks every field: InvalidArgument naming the field, its value and the
// accepted range when one is out of range (threads 0..1024,
// max_concurrent_streams 1..1000000, keepalive times >= 1 ms, message sizes
// 1 KiB..1 GiB, ping settings >= 0).
absl::Status ValidateServerOptions(const ServerOptions& options);

// Applies `options` to `builder` (channel arguments, message sizes, sync
// server pollers). Call before BuildAndStart. `options` should have passed
// ValidateServerOptions; out-of-range values are passed to gRPC as given.
void ApplyServerOptions(const ServerOptions& options,
                        grpc::ServerBuilder* builder);

}  // namespace corsd::rpc

#endif  // CORSD_SERVICE_RPC_SERVER_OPTIONS_H_
