// CaresResolver: the real Resolver (resolver.h), asking a recursive DNS
// server through c-ares (Debian libc-ares-dev; README.md says why). Answers
// are read by dns_answer.h: only the records of the final name of a CNAME
// chain count, and what is kept is bounded (kMaxTxtValues, kMaxTxtValueBytes,
// kMaxAddresses).
//
// Thread safety: Create once; LookupTxt and LookupAddresses may then be
// called from any number of threads at once. Each call duplicates a
// template channel under a mutex and drives its own c-ares channel with
// poll() on the calling thread until answered or `timeout` passed; calls
// share no other state.
#ifndef CORSD_SERVICE_DNS_CARES_RESOLVER_H_
#define CORSD_SERVICE_DNS_CARES_RESOLVER_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/dns/resolver.h"

namespace corsd::dns {

// At most this many TXT values are kept per answer (more are dropped), each
// cut to kMaxTxtValueBytes; at most kMaxAddresses addresses (A and AAAA
// together, A first).
inline constexpr size_t kMaxTxtValues = 64;
inline constexpr size_t kMaxTxtValueBytes = 4096;
inline constexpr size_t kMaxAddresses = 32;

// At most this many bytes of --dns-resolver are read.
inline constexpr size_t kMaxServerTextBytes = 64;

struct CaresOptions {
  // The recursive server to ask, the value of corsd's --dns-resolver:
  // "IPV4:PORT", "[IPV6]:PORT", "IPV4", "IPV6" or "[IPV6]" (port 53; an
  // IPv6 address with a port needs the brackets), or "" for the system's
  // servers (/etc/resolv.conf, read once by Create). Only IP addresses: a
  // server name would need a resolver to find the resolver.
  std::string server;
  // The bound on one whole lookup (every try, and both questions of
  // LookupAddresses, which are asked at once). 1ms to 60s.
  absl::Duration timeout = absl::Seconds(5);
  // How many times an unanswered question is sent (per server), 1 to 8.
  // c-ares doubles the wait of each new round; the first try waits
  // timeout / (2^tries - 1), so all of them fit in `timeout`.
  int tries = 2;
};

class CaresResolver : public Resolver {
 public:
  // A resolver asking `options.server`. Errors: InvalidArgument naming
  // --dns-resolver, the value and the expected form when `server` is not
  // one of the forms above (a host name, a port outside 1-65535, a missing
  // "]", over kMaxServerTextBytes); InvalidArgument when `timeout` or
  // `tries` is out of range; Internal when c-ares fails to initialize
  // (e.g. ENOMEM, or no usable /etc/resolv.conf when `server` is "").
  static absl::StatusOr<std::unique_ptr<CaresResolver>> Create(
      const CaresOptions& options);

  ~CaresResolver() override;
  CaresResolver(const CaresResolver&) = delete;
  CaresResolver& operator=(const CaresResolver&) = delete;

  // The TXT records of `name` (asked as is: no search domains, no
  // /etc/hosts). kNone with values (each record's character-strings
  // concatenated, at most kMaxTxtValues of at most kMaxTxtValueBytes) or
  // with none (the name exists without TXT records, or is a CNAME to such
  // a name); kNxDomain; kTimeout when nothing answered within the timeout;
  // kFailure with a detail (SERVFAIL, REFUSED, malformed answer, a name
  // that is not a host name, connection refused). Blocks the caller.
  TxtAnswer LookupTxt(absl::string_view name) override;

  // The A then AAAA records of `host` (both asked at once, CNAMEs
  // followed, at most kMaxAddresses). kNone when either question gave
  // addresses (a failure of the other is then ignored) or when both
  // answered without any; else kNxDomain if the name does not exist, else
  // kTimeout / kFailure as for LookupTxt. Blocks the caller.
  AddressAnswer LookupAddresses(absl::string_view host) override;

 private:
  struct Channel;  // c-ares' ares_channel, owned
  CaresResolver(std::unique_ptr<Channel> template_channel,
                absl::Duration timeout, std::string server);

  // A new channel with the template's options and servers. Errors:
  // Internal when c-ares cannot make one.
  absl::StatusOr<std::unique_ptr<Channel>> NewChannel();

  // What a failed question's c-ares `status` means for a person, naming
  // the server and, for a timeout, the time waited.
  std::string Detail(int status) const;

  absl::Mutex mu_;  // c-ares makes no promise for concurrent ares_dup
  const std::unique_ptr<Channel> template_ ABSL_PT_GUARDED_BY(mu_);
  const absl::Duration timeout_;
  const std::string server_;  // "127.0.0.1:53", "the system resolver"
};

}  // namespace corsd::dns

#endif  // CORSD_SERVICE_DNS_CARES_RESOLVER_H_
