#include "service/dns/dns_answer.h"

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace corsd::dns {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Builds a DNS response: header, one question, then answers.
class Message {
 public:
  Message(absl::string_view question, uint16_t type, uint16_t answers) {
    const unsigned char header[] = {0x12, 0x34, 0x81, 0x80, 0, 1,
                                    0,    0,    0,    0,    0, 0};
    bytes_.assign(header, header + sizeof(header));
    bytes_[6] = static_cast<unsigned char>(answers >> 8);
    bytes_[7] = static_cast<unsigned char>(answers);
    Name(question);
    U16(type);
    U16(kClassIn);
  }

  // An answer record; `owner` "" means a pointer to the question name.
  Message& Record(absl::string_view owner, uint16_t type,
                  absl::string_view rdata, uint16_t klass = kClassIn) {
    if (owner.empty()) {
      bytes_.push_back(0xc0);
      bytes_.push_back(12);
    } else {
      Name(owner);
    }
    U16(type);
    U16(klass);
    U16(0);
    U16(60);  // TTL
    U16(static_cast<uint16_t>(rdata.size()));
    bytes_.insert(bytes_.end(), rdata.begin(), rdata.end());
    return *this;
  }

  absl::Span<const unsigned char> bytes() const { return bytes_; }
  std::vector<unsigned char>& mutable_bytes() { return bytes_; }

 private:
  void U16(uint16_t v) {
    bytes_.push_back(static_cast<unsigned char>(v >> 8));
    bytes_.push_back(static_cast<unsigned char>(v));
  }
  void Name(absl::string_view name) {
    for (absl::string_view label : absl::StrSplit(name, '.')) {
      bytes_.push_back(static_cast<unsigned char>(label.size()));
      bytes_.insert(bytes_.end(), label.begin(), label.end());
    }
    bytes_.push_back(0);
  }

  std::vector<unsigned char> bytes_;
};

// A name in wire form (for CNAME rdata).
std::string WireName(absl::string_view name) {
  std::string out;
  for (absl::string_view label : absl::StrSplit(name, '.')) {
    out.push_back(static_cast<char>(label.size()));
    out.append(label.data(), label.size());
  }
  out.push_back('\0');
  return out;
}

// TXT rdata of the given character-strings.
std::string Txt(const std::vector<std::string>& strings) {
  std::string out;
  for (const std::string& s : strings) {
    out.push_back(static_cast<char>(s.size()));
    out += s;
  }
  return out;
}

TEST(ExtractAnswerTest, RecordsOfTheQuestionName) {
  Message m("_c.shop.test", kTypeTxt, 2);
  m.Record("", kTypeTxt, Txt({"a"})).Record("", kTypeTxt, Txt({"b"}));
  absl::StatusOr<AnswerRecords> got = ExtractAnswer(m.bytes(), kTypeTxt, 64);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->final_name, "_c.shop.test");
  EXPECT_THAT(got->rdata, ElementsAre(Txt({"a"}), Txt({"b"})));
  EXPECT_EQ(got->dropped, 0u);
}

TEST(ExtractAnswerTest, FollowsCnamesAndKeepsOnlyTheFinalNamesRecords) {
  Message m("_c.alias.test", kTypeTxt, 6);
  m.Record("", kTypeCname, WireName("middle.test"))
      .Record("MIDDLE.test", kTypeCname, WireName("target.test"))
      .Record("evil.test", kTypeTxt, Txt({"evil"}))
      .Record("", kTypeTxt, Txt({"alias's own"}))
      .Record("Target.Test", kTypeTxt, Txt({"good"}))
      .Record("target.test", kTypeTxt, Txt({"chaos"}), /*klass=*/3);
  absl::StatusOr<AnswerRecords> got = ExtractAnswer(m.bytes(), kTypeTxt, 64);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->final_name, "target.test");
  EXPECT_THAT(got->rdata, ElementsAre(Txt({"good"})));
}

TEST(ExtractAnswerTest, CnameToANameWithoutTheTypeIsEmpty) {
  Message m("www.test", kTypeTxt, 1);
  m.Record("", kTypeCname, WireName("host.test"));
  absl::StatusOr<AnswerRecords> got = ExtractAnswer(m.bytes(), kTypeTxt, 64);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->final_name, "host.test");
  EXPECT_TRUE(got->rdata.empty());
}

TEST(ExtractAnswerTest, KeepsAtMostMaxRecords) {
  Message m("many.test", kTypeTxt, 70);
  for (int i = 0; i < 70; ++i) {
    m.Record("", kTypeTxt, Txt({absl::StrCat("v", i)}));
  }
  absl::StatusOr<AnswerRecords> got = ExtractAnswer(m.bytes(), kTypeTxt, 64);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->rdata.size(), 64u);
  EXPECT_EQ(got->rdata.front(), Txt({"v0"}));
  EXPECT_EQ(got->rdata.back(), Txt({"v63"}));
  EXPECT_EQ(got->dropped, 6u);
}

// A chain of `length` CNAMEs from n0.test to n<length>.test, which has an
// A record.
Message Chain(int length) {
  Message m("n0.test", kTypeA, static_cast<uint16_t>(length + 1));
  for (int i = 0; i < length; ++i) {
    m.Record(absl::StrCat("n", i, ".test"), kTypeCname,
             WireName(absl::StrCat("n", i + 1, ".test")));
  }
  m.Record(absl::StrCat("n", length, ".test"), kTypeA,
           std::string("\x7f\x00\x00\x01", 4));
  return m;
}

TEST(ExtractAnswerTest, CnameChainUpToTheLimit) {
  const Message m = Chain(static_cast<int>(kMaxCnameChain));
  absl::StatusOr<AnswerRecords> got = ExtractAnswer(m.bytes(), kTypeA, 32);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->final_name, absl::StrCat("n", kMaxCnameChain, ".test"));
  EXPECT_EQ(got->rdata.size(), 1u);
}

TEST(ExtractAnswerTest, CnameChainOverTheLimitIsMalformed) {
  const Message m = Chain(static_cast<int>(kMaxCnameChain) + 1);
  absl::StatusOr<AnswerRecords> got = ExtractAnswer(m.bytes(), kTypeA, 32);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(got.status().message(), HasSubstr("longer than 16 or loops"));
}

TEST(ExtractAnswerTest, CnameLoopIsMalformed) {
  Message m("a.test", kTypeTxt, 2);
  m.Record("a.test", kTypeCname, WireName("b.test"))
      .Record("b.test", kTypeCname, WireName("a.test"));
  absl::StatusOr<AnswerRecords> got = ExtractAnswer(m.bytes(), kTypeTxt, 64);
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(got.status().message(), HasSubstr("loops"));
}

TEST(ExtractAnswerTest, EveryTruncationIsAnErrorNotACrash) {
  Message m("_c.alias.test", kTypeTxt, 2);
  m.Record("", kTypeCname, WireName("target.test"))
      .Record("target.test", kTypeTxt, Txt({"good", "more"}));
  const absl::Span<const unsigned char> full = m.bytes();
  ASSERT_TRUE(ExtractAnswer(full, kTypeTxt, 64).ok());
  for (size_t size = 0; size < full.size(); ++size) {
    absl::StatusOr<AnswerRecords> got =
        ExtractAnswer(full.subspan(0, size), kTypeTxt, 64);
    ASSERT_FALSE(got.ok()) << "accepted the first " << size << " bytes";
    EXPECT_THAT(got.status().message(), HasSubstr("malformed DNS answer"));
  }
}

TEST(ExtractAnswerTest, QuestionCountOtherThanOneIsMalformed) {
  Message m("x.test", kTypeTxt, 0);
  m.mutable_bytes()[5] = 2;
  absl::StatusOr<AnswerRecords> got = ExtractAnswer(m.bytes(), kTypeTxt, 64);
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(got.status().message(), HasSubstr("2 questions, expected 1"));
}

TEST(ExtractAnswerTest, CompressionLoopIsMalformed) {
  Message m("x.test", kTypeTxt, 1);
  // An owner name that points at itself.
  const size_t at = m.bytes().size();
  std::vector<unsigned char>& bytes = m.mutable_bytes();
  bytes.push_back(static_cast<unsigned char>(0xc0 | (at >> 8)));
  bytes.push_back(static_cast<unsigned char>(at & 0xff));
  const unsigned char rest[] = {0, 16, 0, 1, 0, 0, 0, 60, 0, 2, 1, 'a'};
  bytes.insert(bytes.end(), rest, rest + sizeof(rest));
  absl::StatusOr<AnswerRecords> got = ExtractAnswer(m.bytes(), kTypeTxt, 64);
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(got.status().message(), HasSubstr("does not decompress"));
}

TEST(ExtractAnswerTest, CnameTargetPastItsRecordIsMalformed) {
  Message m("a.test", kTypeTxt, 1);
  // rdlength 3 for an 8-byte name: the name runs on past the record.
  const std::string target = WireName("b.test");
  m.Record("", kTypeCname, target.substr(0, 3));
  m.mutable_bytes().insert(m.mutable_bytes().end(), target.begin() + 3,
                           target.end());
  absl::StatusOr<AnswerRecords> got = ExtractAnswer(m.bytes(), kTypeTxt, 64);
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(got.status().message(), HasSubstr("runs past its record"));
}

TEST(ExtractAnswerTest, RandomBytesNeverCrash) {
  std::mt19937 random(20240501);
  Message base("_c.alias.test", kTypeTxt, 2);
  base.Record("", kTypeCname, WireName("target.test"))
      .Record("target.test", kTypeTxt, Txt({"good"}));
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::vector<unsigned char> bytes = base.mutable_bytes();
    const int flips = 1 + static_cast<int>(random() % 4);
    for (int f = 0; f < flips; ++f) {
      bytes[random() % bytes.size()] = static_cast<unsigned char>(random());
    }
    absl::StatusOr<AnswerRecords> got =
        ExtractAnswer(bytes, kTypeTxt, kMaxCnameChain);
    if (got.ok()) {
      ++accepted;
      for (const std::string& rdata : got->rdata) {
        (void)TxtRecordText(rdata, 4096);
      }
    }
  }
  // Most single-byte changes (TTL, id, rdata) still parse.
  EXPECT_GT(accepted, 0);
}

struct TxtCase {
  std::string rdata;
  size_t max_bytes;
  std::string want;
};

class TxtRecordTextTest : public ::testing::TestWithParam<TxtCase> {};

TEST_P(TxtRecordTextTest, ConcatenatesAndCuts) {
  absl::StatusOr<std::string> got =
      TxtRecordText(GetParam().rdata, GetParam().max_bytes);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, TxtRecordTextTest,
    ::testing::Values(
        TxtCase{"", 4096, ""}, TxtCase{Txt({""}), 4096, ""},
        TxtCase{Txt({"token"}), 4096, "token"},
        TxtCase{Txt({"v=spf1 ", "include:x", ""}), 4096, "v=spf1 include:x"},
        TxtCase{Txt({"abcdef", "ghi"}), 4, "abcd"},
        TxtCase{Txt(std::vector<std::string>(17, std::string(255, 'x'))), 4096,
                std::string(4096, 'x')}));

TEST(TxtRecordTextTest, StringPastTheEndIsMalformed) {
  const std::string rdata = std::string("\x05") + "abc";
  absl::StatusOr<std::string> got = TxtRecordText(rdata, 4096);
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(got.status().message(),
              HasSubstr("a TXT character-string of 5 bytes runs past"));
}

}  // namespace
}  // namespace corsd::dns
