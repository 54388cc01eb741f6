#include "bench/load/driver.h"

#include <grpc/support/time.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "corsd/v1/decision.grpc.pb.h"
#include "envoy/service/auth/v3/external_auth.grpc.pb.h"

namespace corsd::bench {
namespace {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using envoy::service::auth::v3::Authorization;
using envoy::service::auth::v3::CheckRequest;
using envoy::service::auth::v3::CheckResponse;

uint64_t Nanos(Clock::duration d) {
  return static_cast<uint64_t>(
      std::max<int64_t>(0, std::chrono::nanoseconds(d).count()));
}

// A deadline for CompletionQueue::AsyncNext, on gRPC's monotonic clock.
gpr_timespec ToGpr(TimePoint t) {
  return gpr_time_add(
      gpr_now(GPR_CLOCK_MONOTONIC),
      gpr_time_from_nanos(static_cast<int64_t>(Nanos(t - Clock::now())),
                          GPR_TIMESPAN));
}

// Completion-queue tag of one call slot (unary: one RPC at a time; stream:
// one stream with one batch in flight).
class Slot {
 public:
  virtual ~Slot() = default;
  // Starts the next request, whose latency counts from `intended`.
  virtual void Start(TimePoint intended) = 0;
  // Handles this slot's completion-queue event.
  virtual void OnEvent(bool ok) = 0;
};

// One thread's share of the load: its channels' slots and its CQ.
class Worker {
 public:
  Worker(const LoadOptions& o, int index, TimePoint start)
      : options_(o),
        open_loop_(o.rate > 0),
        measure_start_(start + absl::ToChronoNanoseconds(o.warmup)),
        end_(measure_start_ + absl::ToChronoNanoseconds(o.duration)),
        next_arrival_(start),
        arrivals_(o.rate / o.threads),
        rng_(o.seed * 7919 + index),
        next_request_(index * 7919) {}

  void AddSlot(std::unique_ptr<Slot> slot) {
    slots_.push_back(std::move(slot));
  }

  grpc::CompletionQueue* cq() { return &cq_; }
  const LoadOptions& options() const { return options_; }
  bool sending() const { return sending_; }

  // The next request of `requests` (non-empty), cycling.
  template <typename T>
  const T& Next(const std::vector<T>& requests) {
    return requests[next_request_++ % requests.size()];
  }

  // Records a finished OK request intended at `intended`, sent at `sent`,
  // with `decisions`
  // decisions: in the histogram when in the measured window. Returns whether
  // it was (its outcomes are then recorded with RecordOutcome).
  bool RecordOk(TimePoint intended, TimePoint sent, uint64_t decisions) {
    if (intended < measure_start_ || intended >= end_) return false;
    result_.latency.Record(Nanos(Clock::now() - intended));
    if (open_loop_) result_.send_lag.Record(Nanos(sent - intended));
    ++result_.requests;
    result_.decisions += decisions;
    return true;
  }
  // One answer's outcome (see LoadResult::outcomes); -1: malformed answer.
  void RecordOutcome(int outcome) {
    if (outcome < 0) {
      ++result_.bad_responses;
    } else {
      ++result_
            .outcomes[std::min<size_t>(outcome, result_.outcomes.size() - 1)];
    }
  }
  void RecordError(const grpc::Status& status) {
    ++result_.errors[std::min<size_t>(status.error_code(),
                                      result_.errors.size() - 1)];
  }

  // A unary slot is free again: reuse it now (closed loop), for the oldest
  // backlogged send (open loop), or park it.
  void UnaryDone(Slot* slot) {
    if (sending_ && !open_loop_) {
      slot->Start(Clock::now());
    } else if (sending_ && !backlog_.empty()) {
      const TimePoint intended = backlog_.front();
      backlog_.pop_front();
      slot->Start(intended);
    } else {
      --in_flight_;
      free_.push_back(slot);
    }
  }
  // A stream slot's stream has finished.
  void StreamDone() { --in_flight_; }

  void Run(TimePoint start) {
    if (open_loop_) {
      for (auto& s : slots_) free_.push_back(s.get());
      next_arrival_ = start + Interval();
    } else {
      for (auto& s : slots_) {
        ++in_flight_;
        s->Start(start);
      }
    }
    for (;;) {
      const TimePoint now = Clock::now();
      sending_ = now < end_;
      if (open_loop_ && sending_) {
        while (next_arrival_ <= now) {
          Dispatch(next_arrival_);
          next_arrival_ += Interval();
        }
      }
      if (!sending_ && in_flight_ == 0) break;
      // AsyncNext sleeps with millisecond granularity: in open loop, sleep
      // until 1.5 ms before the next send and poll from there, so sends leave
      // on time (the load generator has a core of its own).
      TimePoint wake = now + std::chrono::seconds(1);
      if (sending_) {
        wake = end_;
        if (open_loop_) {
          const TimePoint next = std::min(next_arrival_, end_);
          wake = next - now > std::chrono::microseconds(2000)
                     ? next - std::chrono::microseconds(1500)
                     : now;
        }
      }
      void* tag;
      bool ok;
      switch (cq_.AsyncNext(&tag, &ok, ToGpr(wake))) {
        case grpc::CompletionQueue::GOT_EVENT:
          static_cast<Slot*>(tag)->OnEvent(ok);
          break;
        case grpc::CompletionQueue::TIMEOUT:
          break;
        case grpc::CompletionQueue::SHUTDOWN:
          return;
      }
    }
    for (TimePoint t : backlog_) {
      if (t >= measure_start_ && t < end_) ++result_.unsent;
    }
    cq_.Shutdown();
    void* tag;
    bool ok;
    while (cq_.Next(&tag, &ok)) {
    }
  }

  const LoadResult& result() const { return result_; }

 private:
  void Dispatch(TimePoint intended) {
    if (free_.empty()) {
      backlog_.push_back(intended);
      return;
    }
    Slot* s = free_.back();
    free_.pop_back();
    ++in_flight_;
    s->Start(intended);
  }

  Clock::duration Interval() {
    const double seconds = arrivals_(rng_);
    return std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(seconds));
  }

  const LoadOptions& options_;
  const bool open_loop_;
  const TimePoint measure_start_;
  const TimePoint end_;
  grpc::CompletionQueue cq_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::vector<Slot*> free_;
  std::deque<TimePoint> backlog_;
  TimePoint next_arrival_;
  std::exponential_distribution<double> arrivals_;
  std::mt19937_64 rng_;
  size_t next_request_;
  int64_t in_flight_ = 0;
  bool sending_ = true;
  LoadResult result_;
};

int OutcomeOf(const corsd::v1::DecideResponse& r) {
  return r.has_decision() ? r.decision().reason() : -1;
}
int OutcomeOf(const CheckResponse& r) {
  if (!r.has_status()) return -1;
  if (r.status().code() == 0) return r.has_ok_response() ? 0 : -1;
  return r.has_denied_response() ? 1 : -1;
}

// One unary RPC at a time on one stub.
template <typename Stub, typename Req, typename Resp>
class UnarySlot final : public Slot {
 public:
  using Prepare = std::unique_ptr<grpc::ClientAsyncResponseReader<Resp>> (
      Stub::*)(grpc::ClientContext*, const Req&, grpc::CompletionQueue*);

  UnarySlot(Worker* w, Stub* stub, Prepare prepare,
            const std::vector<Req>* requests)
      : w_(w), stub_(stub), prepare_(prepare), requests_(requests) {}

  void Start(TimePoint intended) override {
    intended_ = intended;
    sent_ = Clock::now();
    ctx_.emplace();
    ctx_->set_deadline(std::chrono::system_clock::now() +
                       absl::ToChronoNanoseconds(w_->options().rpc_timeout));
    reader_ = (stub_->*prepare_)(&*ctx_, w_->Next(*requests_), w_->cq());
    reader_->StartCall();
    reader_->Finish(&response_, &status_, this);
  }

  void OnEvent(bool /*ok: always true for Finish*/) override {
    if (status_.ok()) {
      if (w_->RecordOk(intended_, sent_, 1)) {
        w_->RecordOutcome(OutcomeOf(response_));
      }
    } else {
      w_->RecordError(status_);
    }
    w_->UnaryDone(this);
  }

 private:
  Worker* const w_;
  Stub* const stub_;
  const Prepare prepare_;
  const std::vector<Req>* const requests_;
  std::optional<grpc::ClientContext> ctx_;
  std::unique_ptr<grpc::ClientAsyncResponseReader<Resp>> reader_;
  Resp response_;
  grpc::Status status_;
  TimePoint intended_;
  TimePoint sent_;
};

// One DecideStream with one batch in flight: write, read the answer, repeat;
// when the run ends, half-close and expect an OK status.
class StreamSlot final : public Slot {
 public:
  StreamSlot(Worker* w, corsd::v1::Decider::Stub* stub,
             const std::vector<corsd::v1::DecideBatchRequest>* batches)
      : w_(w), stub_(stub), batches_(batches) {}

  void Start(TimePoint intended) override {
    intended_ = intended;
    ctx_.emplace();
    stream_ = stub_->PrepareAsyncDecideStream(&*ctx_, w_->cq());
    state_ = State::kStarting;
    stream_->StartCall(this);
  }

  void OnEvent(bool ok) override {
    if (!ok && state_ != State::kFinishing) {
      Finish();  // the stream broke: its status says why
      return;
    }
    switch (state_) {
      case State::kStarting:
        Write();
        break;
      case State::kWriting:
        state_ = State::kReading;
        stream_->Read(&response_, this);
        break;
      case State::kReading:
        if (w_->RecordOk(intended_, intended_, response_.decisions_size())) {
          if (response_.decisions_size() != batch_size_) {
            w_->RecordOutcome(-1);
          } else {
            for (const auto& d : response_.decisions()) {
              w_->RecordOutcome(d.reason());
            }
          }
        }
        if (w_->sending()) {
          intended_ = Clock::now();
          Write();
        } else {
          state_ = State::kClosing;
          stream_->WritesDone(this);
        }
        break;
      case State::kClosing:
        Finish();
        break;
      case State::kFinishing:
        if (!status_.ok()) w_->RecordError(status_);
        w_->StreamDone();
        break;
    }
  }

 private:
  enum class State { kStarting, kWriting, kReading, kClosing, kFinishing };

  void Write() {
    const corsd::v1::DecideBatchRequest& batch = w_->Next(*batches_);
    batch_size_ = batch.requests_size();
    state_ = State::kWriting;
    stream_->Write(batch, this);
  }
  void Finish() {
    state_ = State::kFinishing;
    stream_->Finish(&status_, this);
  }

  Worker* const w_;
  corsd::v1::Decider::Stub* const stub_;
  const std::vector<corsd::v1::DecideBatchRequest>* const batches_;
  std::optional<grpc::ClientContext> ctx_;
  std::unique_ptr<grpc::ClientAsyncReaderWriter<corsd::v1::DecideBatchRequest,
                                                corsd::v1::DecideBatchResponse>>
      stream_;
  corsd::v1::DecideBatchResponse response_;
  grpc::Status status_;
  State state_ = State::kStarting;
  int batch_size_ = 0;
  TimePoint intended_;
};

absl::Status Range(const char* field, double value, double lo, double hi) {
  if (value < lo || value > hi) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " = ", value, ": expected ", lo, "..", hi));
  }
  return absl::OkStatus();
}

}  // namespace

uint64_t LoadResult::errors_total() const {
  uint64_t total = 0;
  for (uint64_t e : errors) total += e;
  return total;
}

absl::Status ValidateLoadOptions(const LoadOptions& o) {
  if (o.addr.empty()) return absl::InvalidArgumentError("addr is empty");
  for (absl::Status s :
       {Range("channels", o.channels, 1, 256),
        Range("inflight", o.inflight, 1, 4096),
        Range("threads", o.threads, 1, o.channels),
        Range("rate", o.rate, 0, 1e8),
        Range("duration_s", absl::ToDoubleSeconds(o.duration), 0.1, 3600),
        Range("warmup_s", absl::ToDoubleSeconds(o.warmup), 0, 3600)}) {
    if (!s.ok()) return s;
  }
  if (o.rate > 0 && o.target == Target::kStream) {
    return absl::InvalidArgumentError(
        "rate > 0 with target stream: the open loop drives unary targets");
  }
  return absl::OkStatus();
}

absl::StatusOr<LoadResult> RunLoad(const LoadOptions& o,
                                   const RequestPool& pool) {
  if (absl::Status s = ValidateLoadOptions(o); !s.ok()) return s;
  const bool have_requests =
      (o.target == Target::kDecide && !pool.decide.empty()) ||
      (o.target == Target::kCheck && !pool.check.empty()) ||
      (o.target == Target::kStream && !pool.batches.empty());
  if (!have_requests) {
    return absl::InvalidArgumentError("request pool is empty for the target");
  }

  std::vector<std::shared_ptr<grpc::Channel>> channels;
  std::vector<std::unique_ptr<corsd::v1::Decider::Stub>> deciders;
  std::vector<std::unique_ptr<Authorization::Stub>> authorizers;
  const auto connect_deadline = std::chrono::system_clock::now() +
                                absl::ToChronoNanoseconds(o.connect_timeout);
  for (int i = 0; i < o.channels; ++i) {
    grpc::ChannelArguments args;
    // Distinct arguments and a local pool: one connection per channel.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("corsd_load.channel", i);
    args.SetMaxReceiveMessageSize(64 << 20);
    auto ch = grpc::CreateCustomChannel(
        o.addr, grpc::InsecureChannelCredentials(), args);
    if (!ch->WaitForConnected(connect_deadline)) {
      return absl::UnavailableError(
          absl::StrCat("cannot connect to ", o.addr, " within ",
                       absl::FormatDuration(o.connect_timeout)));
    }
    deciders.push_back(corsd::v1::Decider::NewStub(ch));
    authorizers.push_back(Authorization::NewStub(ch));
    channels.push_back(std::move(ch));
  }

  const TimePoint start = Clock::now();
  std::vector<std::unique_ptr<Worker>> workers;
  for (int t = 0; t < o.threads; ++t) {
    workers.push_back(std::make_unique<Worker>(o, t, start));
  }
  for (int i = 0; i < o.channels; ++i) {
    Worker* w = workers[i % o.threads].get();
    for (int k = 0; k < o.inflight; ++k) {
      switch (o.target) {
        case Target::kDecide:
          w->AddSlot(
              std::make_unique<
                  UnarySlot<corsd::v1::Decider::Stub, corsd::v1::DecideRequest,
                            corsd::v1::DecideResponse>>(
                  w, deciders[i].get(),
                  &corsd::v1::Decider::Stub::PrepareAsyncDecide, &pool.decide));
          break;
        case Target::kCheck:
          w->AddSlot(
              std::make_unique<
                  UnarySlot<Authorization::Stub, CheckRequest, CheckResponse>>(
                  w, authorizers[i].get(),
                  &Authorization::Stub::PrepareAsyncCheck, &pool.check));
          break;
        case Target::kStream: {
          w->AddSlot(std::make_unique<StreamSlot>(w, deciders[i].get(),
                                                  &pool.batches));
          break;
        }
      }
    }
  }

  std::vector<std::thread> threads;
  for (auto& w : workers) {
    threads.emplace_back([&w, start] { w->Run(start); });
  }
  for (auto& t : threads) t.join();

  LoadResult total;
  for (const auto& w : workers) {
    const LoadResult& r = w->result();
    total.latency.Merge(r.latency);
    total.send_lag.Merge(r.send_lag);
    total.requests += r.requests;
    total.decisions += r.decisions;
    total.unsent += r.unsent;
    total.bad_responses += r.bad_responses;
    for (size_t i = 0; i < total.errors.size(); ++i) {
      total.errors[i] += r.errors[i];
    }
    for (size_t i = 0; i < total.outcomes.size(); ++i) {
      total.outcomes[i] += r.outcomes[i];
    }
  }
  total.seconds = absl::ToDoubleSeconds(o.duration);
  return total;
}

}  // namespace corsd::bench
