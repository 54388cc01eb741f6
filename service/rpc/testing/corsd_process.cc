#include "service/rpc/testing/corsd_process.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"

namespace corsd::testing {

// corsd's stderr, read by a thread: the lines so far and the startup
// addresses. Shared with the reader thread, which may outlive a Restart's
// old process by a few lines.
struct CorsdProcess::Output {
  absl::Mutex mu;
  std::string text ABSL_GUARDED_BY(mu);
  std::string decisions ABSL_GUARDED_BY(mu);
  std::string admin ABSL_GUARDED_BY(mu);
  std::string http ABSL_GUARDED_BY(mu);
  bool ready ABSL_GUARDED_BY(mu) = false;
  bool eof ABSL_GUARDED_BY(mu) = false;
  std::thread reader;
};

namespace {

std::string RandomToken() {
  std::random_device rd;
  std::string token;
  for (int i = 0; i < 4; ++i) {
    absl::StrAppend(&token, absl::Hex(rd(), absl::kZeroPad8));
  }
  return token;
}

}  // namespace

CorsdProcess::CorsdProcess(CorsdProcessOptions options)
    : options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<CorsdProcess>> CorsdProcess::Start(
    CorsdProcessOptions options) {
  if (options.binary.empty()) {
    return absl::InvalidArgumentError(
        "CorsdProcessOptions.binary is empty; expected the corsd path "
        "(CORSD_BINARY)");
  }
  std::unique_ptr<CorsdProcess> p(new CorsdProcess(std::move(options)));
  char dir_template[] = "/tmp/corsd_test_XXXXXX";
  if (mkdtemp(dir_template) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp: ", std::strerror(errno)));
  }
  p->temp_dir_ = dir_template;
  if (p->options_.data_dir.empty())
    p->options_.data_dir = p->temp_dir_ + "/data";
  if (p->options_.token.empty()) p->options_.token = RandomToken();
  p->token_file_ = p->temp_dir_ + "/admin_tokens";
  {
    std::ofstream out(p->token_file_);
    out << "# written by CorsdProcess\n" << p->options_.token << "\n";
    if (!out) {
      return absl::InternalError(
          absl::StrCat("cannot write token file ", p->token_file_));
    }
  }
  if (absl::Status s = p->Spawn(); !s.ok()) return s;
  return p;
}

absl::Status CorsdProcess::Spawn() {
  std::vector<std::string> args = {
      options_.binary,   "--listen",           "127.0.0.1:0",
      "--admin-listen",  "127.0.0.1:0",        "--data-dir",
      options_.data_dir, "--admin-token-file", token_file_};
  if (options_.http) {
    args.push_back("--http-listen");
    args.push_back("127.0.0.1:0");
  }
  args.insert(args.end(), options_.extra_args.begin(),
              options_.extra_args.end());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  const pid_t pid = fork();
  if (pid < 0) {
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  }
  if (pid == 0) {
    // Child: stderr to the pipe, stdin from /dev/null; default signal
    // dispositions and mask (the test may block some).
    dup2(pipe_fds[1], STDERR_FILENO);
    const int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execv(argv[0], argv.data());
    std::fprintf(stderr, "exec %s: %s\n", argv[0], std::strerror(errno));
    _exit(127);
  }
  close(pipe_fds[1]);
  pid_ = pid;
  output_ = std::make_shared<Output>();
  output_->reader =
      std::thread(&CorsdProcess::ReadLines, pipe_fds[0], pid, output_);

  const absl::Time deadline = absl::Now() + options_.ready_timeout;
  Output* out = output_.get();
  bool ready = false;
  bool exited = false;
  std::string text;
  {
    absl::MutexLock lock(&out->mu);
    auto done = [out]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(out->mu) {
      return out->ready || out->eof;
    };
    out->mu.AwaitWithDeadline(absl::Condition(&done), deadline);
    ready = out->ready;
    exited = out->eof;
    text = out->text;
    if (ready) {
      decision_address_ = out->decisions;
      admin_address_ = out->admin;
      http_address_ = out->http;
    }
  }
  if (ready) return absl::OkStatus();
  if (exited) {
    absl::StatusOr<int> code = WaitExit(absl::Seconds(5));
    return absl::UnavailableError(absl::StrCat(
        "corsd exited before \"corsd: ready\" (status ",
        code.ok() ? absl::StrCat(*code) : std::string(code.status().message()),
        "); stderr:\n", text));
  }
  kill(pid_, SIGKILL);
  (void)WaitExit(absl::Seconds(5));
  return absl::DeadlineExceededError(absl::StrCat(
      "corsd printed no \"corsd: ready\" within ",
      absl::FormatDuration(options_.ready_timeout), "; stderr:\n", text));
}

void CorsdProcess::ReadLines(int fd, pid_t pid, std::shared_ptr<Output> out) {
  std::string pending;
  char buf[4096];
  while (true) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buf, static_cast<size_t>(n));
    size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      const std::string line = pending.substr(0, nl);
      pending.erase(0, nl + 1);
      std::fprintf(stderr, "[corsd %d] %s\n", static_cast<int>(pid),
                   line.c_str());
      absl::MutexLock lock(&out->mu);
      absl::StrAppend(&out->text, line, "\n");
      absl::string_view rest = line;
      if (absl::ConsumePrefix(&rest, "corsd: listening decisions=")) {
        out->decisions = std::string(rest);
      } else if (absl::ConsumePrefix(&rest, "corsd: listening admin=")) {
        out->admin = std::string(rest);
      } else if (absl::ConsumePrefix(&rest, "corsd: listening http=")) {
        out->http = std::string(rest);
      } else if (line == "corsd: ready") {
        out->ready = true;
      }
    }
  }
  close(fd);
  absl::MutexLock lock(&out->mu);
  if (!pending.empty()) absl::StrAppend(&out->text, pending, "\n");
  out->eof = true;
}

absl::StatusOr<int> CorsdProcess::WaitExit(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      JoinReader();
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      return absl::InternalError("waitpid: unexpected status");
    }
    if (r < 0 && errno != EINTR) {
      return absl::InternalError(
          absl::StrCat("waitpid: ", std::strerror(errno)));
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("corsd (pid ", pid_, ") did not exit within ",
                       absl::FormatDuration(timeout)));
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
}

void CorsdProcess::JoinReader() {
  // The pipe reaches EOF once the process (and any child holding stderr)
  // is gone.
  if (output_ != nullptr && output_->reader.joinable()) output_->reader.join();
}

std::string CorsdProcess::stderr_output() const {
  if (output_ == nullptr) return "";
  absl::MutexLock lock(&output_->mu);
  return output_->text;
}

absl::Status CorsdProcess::Kill() {
  if (pid_ < 0) {
    return absl::FailedPreconditionError("Kill: corsd is not running");
  }
  kill(pid_, SIGKILL);
  // A killed process still waits out a write stuck in the kernel (an fsync
  // on a loaded disk): allow for a slow machine.
  absl::StatusOr<int> code = WaitExit(absl::Seconds(30));
  return code.ok() ? absl::OkStatus() : code.status();
}

absl::StatusOr<int> CorsdProcess::Terminate(absl::Duration timeout) {
  if (pid_ < 0) {
    return absl::FailedPreconditionError("Terminate: corsd is not running");
  }
  kill(pid_, SIGTERM);
  absl::StatusOr<int> code = WaitExit(timeout);
  if (!code.ok() && pid_ > 0) {
    kill(pid_, SIGKILL);
    (void)WaitExit(absl::Seconds(10));
  }
  return code;
}

absl::Status CorsdProcess::Restart() {
  if (pid_ > 0) {
    absl::StatusOr<int> code = Terminate();
    if (!code.ok()) return code.status();
    if (*code != 0) {
      return absl::InternalError(
          absl::StrCat("Restart: corsd exited with status ", *code,
                       " on SIGTERM; expected 0"));
    }
  }
  decision_address_.clear();
  admin_address_.clear();
  http_address_.clear();
  return Spawn();
}

CorsdProcess::~CorsdProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    (void)WaitExit(absl::Seconds(10));
  }
  JoinReader();
  if (!temp_dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(temp_dir_, ec);
  }
}

}  // namespace corsd::testing
