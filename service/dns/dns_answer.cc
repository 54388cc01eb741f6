#include "service/dns/dns_answer.h"

#include <ares.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace corsd::dns {
namespace {

constexpr size_t kHeaderBytes = 12;
constexpr size_t kQuestionFixedBytes = 4;  // type, class
constexpr size_t kRecordFixedBytes = 10;   // type, class, ttl, rdlength
constexpr size_t kMaxMessageBytes = 65535;

absl::Status Malformed(absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("malformed DNS answer: ", what));
}

uint16_t Read16(absl::Span<const unsigned char> message, size_t at) {
  return static_cast<uint16_t>((message[at] << 8) | message[at + 1]);
}

// The (decompressed) name at `at`; `*next` is set to the offset after its
// encoding in place.
absl::StatusOr<std::string> ExpandName(absl::Span<const unsigned char> message,
                                       size_t at, size_t* next) {
  if (at >= message.size()) return Malformed("a name runs past the end");
  char* name = nullptr;
  long encoded_bytes = 0;
  const int status =
      ares_expand_name(message.data() + at, message.data(),
                       static_cast<int>(message.size()), &name, &encoded_bytes);
  if (status != ARES_SUCCESS) {
    return Malformed(absl::StrCat("a name at byte ", at,
                                  " does not decompress (",
                                  ares_strerror(status), ")"));
  }
  std::string out(name);
  ares_free_string(name);
  *next = at + static_cast<size_t>(encoded_bytes);
  return out;
}

struct Record {
  std::string owner;
  uint16_t type = 0;
  uint16_t klass = 0;
  size_t rdata_at = 0;
  size_t rdata_bytes = 0;
};

}  // namespace

absl::StatusOr<AnswerRecords> ExtractAnswer(
    absl::Span<const unsigned char> message, uint16_t type,
    size_t max_records) {
  if (message.size() > kMaxMessageBytes) {
    return Malformed(absl::StrCat(message.size(), " bytes, over 65535"));
  }
  if (message.size() < kHeaderBytes) {
    return Malformed(absl::StrCat(message.size(),
                                  " bytes, shorter than the 12-byte header"));
  }
  const uint16_t questions = Read16(message, 4);
  const uint16_t answers = Read16(message, 6);
  if (questions != 1) {
    return Malformed(absl::StrCat(questions, " questions, expected 1"));
  }
  size_t at = kHeaderBytes;
  absl::StatusOr<std::string> question = ExpandName(message, at, &at);
  if (!question.ok()) return question.status();
  if (message.size() - at < kQuestionFixedBytes) {
    return Malformed("the question runs past the end");
  }
  at += kQuestionFixedBytes;

  std::vector<Record> records;
  records.reserve(answers);
  for (uint16_t i = 0; i < answers; ++i) {
    Record record;
    absl::StatusOr<std::string> owner = ExpandName(message, at, &at);
    if (!owner.ok()) return owner.status();
    record.owner = *std::move(owner);
    if (message.size() - at < kRecordFixedBytes) {
      return Malformed(absl::StrCat("answer ", i + 1, " of ", answers,
                                    " runs past the end"));
    }
    record.type = Read16(message, at);
    record.klass = Read16(message, at + 2);
    record.rdata_bytes = Read16(message, at + 8);
    at += kRecordFixedBytes;
    if (message.size() - at < record.rdata_bytes) {
      return Malformed(absl::StrCat("the data of answer ", i + 1, " of ",
                                    answers, " runs past the end"));
    }
    record.rdata_at = at;
    at += record.rdata_bytes;
    records.push_back(std::move(record));
  }

  AnswerRecords out;
  out.final_name = *std::move(question);
  for (size_t steps = 0;; ++steps) {
    auto cname =
        std::find_if(records.begin(), records.end(), [&](const Record& r) {
          return r.type == kTypeCname && r.klass == kClassIn &&
                 absl::EqualsIgnoreCase(r.owner, out.final_name);
        });
    if (cname == records.end()) break;
    if (steps == kMaxCnameChain) {
      return Malformed(absl::StrCat("the CNAME chain from ", out.final_name,
                                    " is longer than ", kMaxCnameChain,
                                    " or loops"));
    }
    size_t end = 0;
    absl::StatusOr<std::string> target =
        ExpandName(message, cname->rdata_at, &end);
    if (!target.ok()) return target.status();
    if (end > cname->rdata_at + cname->rdata_bytes) {
      return Malformed(absl::StrCat("the CNAME target of ", cname->owner,
                                    " runs past its record"));
    }
    out.final_name = *std::move(target);
  }

  for (const Record& record : records) {
    if (record.type != type || record.klass != kClassIn ||
        !absl::EqualsIgnoreCase(record.owner, out.final_name)) {
      continue;
    }
    if (out.rdata.size() == max_records) {
      ++out.dropped;
      continue;
    }
    out.rdata.emplace_back(
        reinterpret_cast<const char*>(message.data() + record.rdata_at),
        record.rdata_bytes);
  }
  return out;
}

absl::StatusOr<std::string> TxtRecordText(absl::string_view rdata,
                                          size_t max_bytes) {
  std::string text;
  size_t at = 0;
  while (at < rdata.size()) {
    const size_t length = static_cast<unsigned char>(rdata[at]);
    ++at;
    if (rdata.size() - at < length) {
      return Malformed(absl::StrCat("a TXT character-string of ", length,
                                    " bytes runs past its record"));
    }
    const size_t room = max_bytes - text.size();
    text.append(rdata.data() + at, std::min(length, room));
    at += length;
  }
  return text;
}

}  // namespace corsd::dns
