#include "service/dns/testing/dns_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace corsd::dns::testing {
namespace {

constexpr char kDnsmasq[] = "/usr/sbin/dnsmasq";
constexpr int kPortAttempts = 5;
constexpr absl::Duration kReadyTimeout = absl::Seconds(10);
constexpr absl::Duration kStopTimeout = absl::Seconds(5);
// dnsmasq reads configuration lines of about 1KB at most.
constexpr size_t kMaxLineBytes = 1000;

// Records for this zone only; unknown names in it get NXDOMAIN.
constexpr char kConfigHead[] =
    "# Written by corsd's DnsServer (service/dns/testing/dns_server.cc).\n"
    "local=/test/\n";

absl::Status Errno(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// A port free for both UDP and TCP on 127.0.0.1 right now (bound, then
// released: a race with other processes remains, Start retries).
absl::StatusOr<int> PickPort() {
  for (int attempt = 0; attempt < 20; ++attempt) {
    const int udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (udp < 0) return Errno("socket");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof(address);
    if (bind(udp, reinterpret_cast<sockaddr*>(&address), sizeof(address)) !=
            0 ||
        getsockname(udp, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      close(udp);
      return Errno("bind 127.0.0.1:0/udp");
    }
    const int tcp = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (tcp < 0) {
      close(udp);
      return Errno("socket");
    }
    const bool tcp_free =
        bind(tcp, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    close(tcp);
    close(udp);
    if (tcp_free) return static_cast<int>(ntohs(address.sin_port));
  }
  return absl::UnavailableError("no port free for both UDP and TCP");
}

bool ValidName(absl::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

absl::Status CheckName(absl::string_view what, absl::string_view name) {
  if (ValidName(name)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(what, " \"", absl::CHexEscape(name),
                   "\" is not 1-253 letters, digits, '-', '_' and '.'"));
}

absl::StatusOr<std::string> Config(const DnsRecords& records) {
  std::string config = kConfigHead;
  for (const TxtRecord& txt : records.txt) {
    if (absl::Status s = CheckName("TXT name", txt.name); !s.ok()) return s;
    if (txt.strings.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("TXT record of ", txt.name, " has no string"));
    }
    std::vector<std::string> quoted;
    for (const std::string& s : txt.strings) {
      bool printable = s.size() <= 255;
      for (char c : s) {
        printable = printable && c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
      }
      if (!printable) {
        return absl::InvalidArgumentError(absl::StrCat(
            "TXT string \"", absl::CHexEscape(s), "\" of ", txt.name,
            " is not at most 255 bytes of printable ASCII without '\"' or "
            "'\\'"));
      }
      quoted.push_back(absl::StrCat("\"", s, "\""));
    }
    const std::string line =
        absl::StrCat("txt-record=", txt.name, ",", absl::StrJoin(quoted, ","));
    if (line.size() > kMaxLineBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("TXT record of ", txt.name, " needs a ", line.size(),
                       "-byte dnsmasq line, over ", kMaxLineBytes));
    }
    absl::StrAppend(&config, line, "\n");
  }
  for (const CnameRecord& cname : records.cnames) {
    if (absl::Status s = CheckName("CNAME alias", cname.alias); !s.ok()) {
      return s;
    }
    if (absl::Status s = CheckName("CNAME target", cname.target); !s.ok()) {
      return s;
    }
    absl::StrAppend(&config, "cname=", cname.alias, ",", cname.target, "\n");
  }
  for (const AddressRecord& record : records.addresses) {
    if (absl::Status s = CheckName("address name", record.name); !s.ok()) {
      return s;
    }
    unsigned char bytes[16];
    if (inet_pton(AF_INET, record.address.c_str(), bytes) != 1 &&
        inet_pton(AF_INET6, record.address.c_str(), bytes) != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("address \"", absl::CHexEscape(record.address), "\" of ",
                       record.name, " is not an IP address"));
    }
    absl::StrAppend(&config, "host-record=", record.name, ",", record.address,
                    "\n");
  }
  return config;
}

// A query for "corsd-ready.test" A, id 0x5ca1: any answer means ready.
constexpr unsigned char kReadyQuery[] = {
    0x5c, 0xa1, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    11,   'c',  'o',  'r',  's',  'd',  '-',  'r',  'e',  'a',  'd',  'y',
    4,    't',  'e',  's',  't',  0,    0x00, 0x01, 0x00, 0x01};

}  // namespace

absl::StatusOr<std::unique_ptr<DnsServer>> DnsServer::Start(
    const std::string& work_dir) {
  if (access(kDnsmasq, X_OK) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(kDnsmasq,
                     " is missing: install dnsmasq-base "
                     "(scripts/install-deps.sh --test)"));
  }
  if (mkdir(work_dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return Errno(absl::StrCat("mkdir ", work_dir));
  }
  absl::Status last;
  for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
    absl::StatusOr<int> port = PickPort();
    if (!port.ok()) return port.status();
    std::unique_ptr<DnsServer> server(new DnsServer(kDnsmasq, work_dir, *port));
    if (absl::Status s = server->WriteConfig(kConfigHead); !s.ok()) return s;
    last = server->Launch();
    if (last.ok()) return server;
  }
  return last;
}

DnsServer::DnsServer(std::string dnsmasq, std::string work_dir, int port)
    : dnsmasq_(std::move(dnsmasq)),
      work_dir_(std::move(work_dir)),
      config_path_(absl::StrCat(work_dir_, "/dnsmasq.conf")),
      log_path_(absl::StrCat(work_dir_, "/dnsmasq.log")),
      port_(port) {}

DnsServer::~DnsServer() { Stop(); }

std::string DnsServer::Address() const {
  return absl::StrCat("127.0.0.1:", port_);
}

absl::Status DnsServer::Set(const DnsRecords& records) {
  absl::StatusOr<std::string> config = Config(records);
  if (!config.ok()) return config.status();
  if (absl::Status s = WriteConfig(*config); !s.ok()) return s;
  Stop();
  // The port was ours a moment ago; a short wait covers a slow release.
  absl::Status last;
  for (int attempt = 0; attempt < 3; ++attempt) {
    last = Launch();
    if (last.ok()) return last;
    absl::SleepFor(absl::Milliseconds(200));
  }
  return last;
}

absl::Status DnsServer::WriteConfig(const std::string& config) {
  const std::string temporary = config_path_ + ".new";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << config;
    out.close();
    if (!out) return absl::InternalError(absl::StrCat("write ", temporary));
  }
  if (rename(temporary.c_str(), config_path_.c_str()) != 0) {
    return Errno(absl::StrCat("rename ", temporary));
  }
  return absl::OkStatus();
}

absl::Status DnsServer::Launch() {
  std::vector<std::string> args = {dnsmasq_,
                                   "--no-daemon",
                                   "--no-resolv",
                                   "--no-hosts",
                                   absl::StrCat("--port=", port_),
                                   "--listen-address=127.0.0.1",
                                   "--bind-interfaces",
                                   absl::StrCat("--conf-file=", config_path_),
                                   "--pid-file="};
  // As root dnsmasq would switch to "nobody"; stay as we are.
  if (geteuid() == 0) args.push_back("--user=root");
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  const int log =
      open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0) return Errno(absl::StrCat("open ", log_path_));
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    close(log);
    return Errno("fork");
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    dup2(log, STDOUT_FILENO);
    dup2(log, STDERR_FILENO);
    const int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(log);
  pid_ = pid;

  const int probe = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (probe < 0) return Errno("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port_));
  if (connect(probe, reinterpret_cast<sockaddr*>(&address), sizeof(address)) !=
      0) {
    close(probe);
    return Errno("connect");
  }
  const absl::Time deadline = absl::Now() + kReadyTimeout;
  while (true) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      close(probe);
      return absl::UnavailableError(absl::StrCat(
          "dnsmasq exited (wait status ", status, ") before answering on ",
          Address(), "; ", log_path_, " ends with:\n", LogTail()));
    }
    if (absl::Now() > deadline) {
      close(probe);
      Stop();
      return absl::UnavailableError(
          absl::StrCat("dnsmasq did not answer on ", Address(), " within ",
                       absl::FormatDuration(kReadyTimeout), "; ", log_path_,
                       " ends with:\n", LogTail()));
    }
    // Errors (ECONNREFUSED before dnsmasq binds) just mean "not yet".
    (void)send(probe, kReadyQuery, sizeof(kReadyQuery), 0);
    pollfd fd{probe, POLLIN, 0};
    if (poll(&fd, 1, 50) == 1) {
      unsigned char reply[512];
      const ssize_t n = recv(probe, reply, sizeof(reply), 0);
      if (n >= 12 && reply[0] == kReadyQuery[0] && reply[1] == kReadyQuery[1]) {
        close(probe);
        return absl::OkStatus();
      }
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
}

void DnsServer::Stop() {
  if (pid_ < 0) return;
  kill(pid_, SIGTERM);
  const absl::Time deadline = absl::Now() + kStopTimeout;
  while (true) {
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_ || (r < 0 && errno != EINTR)) break;
    if (absl::Now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  pid_ = -1;
}

std::string DnsServer::LogTail() const {
  std::ifstream in(log_path_);
  std::stringstream text;
  text << in.rdbuf();
  const std::string all = text.str();
  constexpr size_t kTail = 2000;
  return all.size() <= kTail ? all : all.substr(all.size() - kTail);
}

}  // namespace corsd::dns::testing
