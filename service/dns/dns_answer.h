// Reading a DNS response message (RFC 1035 section 4) the way corsd's
// resolver needs it: the records of one type owned by the final name of the
// CNAME chain that starts at the question name, with every count and size
// bounded. CaresResolver (cares_resolver.h) asks the questions with c-ares
// and reads the answers here: c-ares' own ares_parse_txt_reply_ext keeps TXT
// records whatever their owner, which would let a record of another name
// in the answer section count as the challenge's.
//
// Pure functions over bytes (the message is untrusted): no I/O, no state,
// safe from any thread.
#ifndef CORSD_SERVICE_DNS_DNS_ANSWER_H_
#define CORSD_SERVICE_DNS_DNS_ANSWER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace corsd::dns {

// Record types and class used here (RFC 1035, RFC 3596).
inline constexpr uint16_t kTypeA = 1;
inline constexpr uint16_t kTypeCname = 5;
inline constexpr uint16_t kTypeTxt = 16;
inline constexpr uint16_t kTypeAaaa = 28;
inline constexpr uint16_t kClassIn = 1;

// A CNAME chain longer than this is refused as malformed (recursive servers
// stop far earlier; it also ends loops).
inline constexpr size_t kMaxCnameChain = 16;

struct AnswerRecords {
  // The question name, after following the CNAMEs of the answer section
  // (as c-ares spells names: no trailing dot, special bytes escaped).
  std::string final_name;
  // The RDATA of the records of the asked type and class IN owned by
  // final_name (compared ignoring ASCII case), in message order; at most
  // `max_records` of them.
  std::vector<std::string> rdata;
  // Records of final_name beyond max_records, not kept.
  size_t dropped = 0;
};

// Finds the records of `type` (class IN) of the final name of `message`'s
// question. The message must hold exactly one question; records of other
// names, types or classes are ignored; an empty `rdata` means the name has
// none (NODATA). Errors: InvalidArgument "malformed DNS answer: ..." when
// the message is truncated, a name does not decompress, a CNAME has no
// valid target, or the chain is longer than kMaxCnameChain or loops.
absl::StatusOr<AnswerRecords> ExtractAnswer(
    absl::Span<const unsigned char> message, uint16_t type, size_t max_records);

// The text of one TXT record: its character-strings (RFC 1035 3.3.14)
// concatenated, the way RFC 7208 reads them, cut to `max_bytes` (bytes
// beyond are dropped). Errors: InvalidArgument when a character-string
// runs past the end of `rdata`. Empty rdata gives "".
absl::StatusOr<std::string> TxtRecordText(absl::string_view rdata,
                                          size_t max_bytes);

}  // namespace corsd::dns

#endif  // CORSD_SERVICE_DNS_DNS_ANSWER_H_
