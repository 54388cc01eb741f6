// libFuzzer target for the DNS answer reader (dns_answer.h): the bytes a
// DNS server sends back are untrusted. The first input byte picks the
// question type (TXT or A) and the record cap; the rest is the message.
// Contract checked: no crash or sanitizer report, at most the cap of
// records kept, and every TXT record kept decodes or is refused cleanly.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "absl/types/span.h"
#include "service/dns/dns_answer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint16_t type = (data[0] & 1) ? 16 : 1;  // TXT : A
  const size_t cap = 1 + (data[0] >> 1) % 64;
  absl::Span<const unsigned char> message(data + 1, size - 1);
  auto answer = corsd::dns::ExtractAnswer(message, type, cap);
  if (!answer.ok()) return 0;
  if (answer->rdata.size() > cap) std::abort();
  if (type == 16) {
    for (const std::string& rdata : answer->rdata) {
      auto text = corsd::dns::TxtRecordText(rdata, 4096);
      if (text.ok() && text->size() > 4096) std::abort();
    }
  }
  return 0;
}
