// DnsServer: a real DNS server for tests, Debian's dnsmasq (package
// dnsmasq-base, /usr/sbin/dnsmasq) on 127.0.0.1 at a free UDP and TCP
// port, answering from records the test gives. Names under ".test" that
// have no record get NXDOMAIN (dnsmasq's local=/test/); other names are
// REFUSED (no upstream servers).
//
// Test-only. Not thread-safe: one thread starts, changes and destroys a
// server; any number of clients may query it meanwhile. dnsmasq is killed
// with the thread that started it (PR_SET_PDEATHSIG), so a crashed test
// leaves none behind.
#ifndef CORSD_SERVICE_DNS_TESTING_DNS_SERVER_H_
#define CORSD_SERVICE_DNS_TESTING_DNS_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace corsd::dns::testing {

// One TXT record (RRset member) of `name`: its character-strings (at
// least one), each at most 255 bytes of printable ASCII without '"' or
// '\'; several strings make one multi-string record. dnsmasq reads lines
// of about 1KB: the whole record must stay under 1000 bytes.
struct TxtRecord {
  std::string name;
  std::vector<std::string> strings;
};

// `alias` CNAME `target`; dnsmasq only serves targets it knows (a name of
// another record here).
struct CnameRecord {
  std::string alias;
  std::string target;
};

// An A (IPv4 literal) or AAAA (IPv6 literal) record of `name`.
struct AddressRecord {
  std::string name;
  std::string address;
};

struct DnsRecords {
  std::vector<TxtRecord> txt;
  std::vector<CnameRecord> cnames;
  std::vector<AddressRecord> addresses;
};

class DnsServer {
 public:
  // Starts dnsmasq with no records, its configuration and log
  // ("dnsmasq.conf", "dnsmasq.log") in `work_dir` (created if missing).
  // Returns once it answers queries. Errors: FailedPrecondition when
  // /usr/sbin/dnsmasq is absent (the message says what to install);
  // Unavailable (with dnsmasq's log) when it does not start on any of a
  // few free ports; Internal for failing system calls.
  static absl::StatusOr<std::unique_ptr<DnsServer>> Start(
      const std::string& work_dir);

  // Stops dnsmasq (SIGTERM, then SIGKILL after 5s) and waits for it.
  ~DnsServer();
  DnsServer(const DnsServer&) = delete;
  DnsServer& operator=(const DnsServer&) = delete;

  // Replaces every record with `records`: rewrites the configuration and
  // restarts dnsmasq on the same port (it does not reread these options on
  // SIGHUP); returns once it answers again. Errors: InvalidArgument for a
  // name that is not letters, digits, '-', '_' and '.', a TXT record that
  // is not as TxtRecord says, an address that is not an IP literal;
  // Unavailable when dnsmasq does not come back (it then stays stopped
  // until a later Set succeeds).
  absl::Status Set(const DnsRecords& records);

  // The port dnsmasq answers on (UDP and TCP), and "127.0.0.1:<port>" (a
  // CaresOptions::server).
  int Port() const { return port_; }
  std::string Address() const;

 private:
  DnsServer(std::string dnsmasq, std::string work_dir, int port);

  // Writes `config` to the configuration file.
  absl::Status WriteConfig(const std::string& config);
  // Starts dnsmasq on port_ and waits until it answers.
  absl::Status Launch();
  // Stops the running dnsmasq, if any.
  void Stop();
  // The end of the log file, for error messages.
  std::string LogTail() const;

  const std::string dnsmasq_;
  const std::string work_dir_;
  const std::string config_path_;
  const std::string log_path_;
  int port_;
  pid_t pid_ = -1;
};

}  // namespace corsd::dns::testing

#endif  // CORSD_SERVICE_DNS_TESTING_DNS_SERVER_H_
