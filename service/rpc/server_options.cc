#include "service/rpc/server_options.h"

#include <grpc/grpc.h>

#include "absl/strings/str_cat.h"

namespace corsd::rpc {
namespace {

absl::Status CheckRange(const char* field, int64_t value, int64_t lo,
                        int64_t hi) {
  if (value < lo || value > hi) {
    return absl::InvalidArgumentError(absl::StrCat(
        "server option ", field, " = ", value, ": expected ", lo, "..", hi));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateServerOptions(const ServerOptions& o) {
  constexpr int64_t kMaxInt = 0x7fffffff;
  struct Check {
    const char* field;
    int64_t value, lo, hi;
  };
  const Check checks[] = {
      {"threads", o.threads, 0, 1024},
      {"max_concurrent_streams", o.max_concurrent_streams, 1, 1'000'000},
      {"keepalive_time_ms", o.keepalive_time_ms, 1, kMaxInt},
      {"keepalive_timeout_ms", o.keepalive_timeout_ms, 1, kMaxInt},
      {"min_recv_ping_interval_ms", o.min_recv_ping_interval_ms, 0, kMaxInt},
      {"max_ping_strikes", o.max_ping_strikes, 0, kMaxInt},
      {"max_receive_message_bytes", o.max_receive_message_bytes, 1024, 1 << 30},
      {"max_send_message_bytes", o.max_send_message_bytes, 1024, 1 << 30},
  };
  for (const Check& c : checks) {
    if (absl::Status s = CheckRange(c.field, c.value, c.lo, c.hi); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

void ApplyServerOptions(const ServerOptions& o, grpc::ServerBuilder* builder) {
  builder->AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                              o.max_concurrent_streams);
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, o.keepalive_time_ms);
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                              o.keepalive_timeout_ms);
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS,
                              o.keepalive_permit_without_calls ? 1 : 0);
  builder->AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
      o.min_recv_ping_interval_ms);
  builder->AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES,
                              o.max_ping_strikes);
  // gRPC sets SO_REUSEPORT by default: a second corsd on the same address
  // would bind and silently take half the connections. Refuse instead.
  builder->AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder->SetMaxReceiveMessageSize(o.max_receive_message_bytes);
  builder->SetMaxSendMessageSize(o.max_send_message_bytes);
  if (o.threads > 0) {
    // Pollers, not a ResourceQuota thread cap: on gRPC 1.51 the cap rejects
    // calls (RESOURCE_EXHAUSTED) when every thread is busy; pollers only set
    // how many threads wait for calls, and busy load still adds threads.
    builder->SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::NUM_CQS,
                                 1);
    builder->SetSyncServerOption(
        grpc::ServerBuilder::SyncServerOption::MIN_POLLERS, o.threads);
    builder->SetSyncServerOption(
        grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, o.threads);
  }
}

}  // namespace corsd::rpc
