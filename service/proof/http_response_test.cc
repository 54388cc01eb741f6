// The response codec's accept/refuse tables: heads the prover reads (CRLF
// and bare LF, any header case, the fields it needs) and the ones it refuses
// with a message naming the fault; chunked bodies decoded, truncated (keep
// reading), malformed and over the limit.
#include "service/proof/http_response.h"

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace corsd::proof {
namespace {

// A string literal with its NUL bytes kept.
template <size_t N>
std::string Bytes(const char (&literal)[N]) {
  return std::string(literal, N - 1);
}

struct AcceptCase {
  const char* name;
  std::string head;
  int status;
  std::string location;
  std::optional<uint64_t> content_length;
  bool chunked;
};

std::ostream& operator<<(std::ostream& os, const AcceptCase& c) {
  return os << c.name;
}

class AcceptTest : public testing::TestWithParam<AcceptCase> {};

TEST_P(AcceptTest, Parses) {
  const AcceptCase& c = GetParam();
  absl::StatusOr<HttpResponseHead> head = ParseResponseHead(c.head);
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->status, c.status);
  EXPECT_EQ(head->location, c.location);
  EXPECT_EQ(head->content_length, c.content_length);
  EXPECT_EQ(head->chunked, c.chunked);
}

INSTANTIATE_TEST_SUITE_P(
    Heads, AcceptTest,
    testing::Values(
        AcceptCase{"Ok200", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", 200,
                   "", 5, false},
        AcceptCase{"Http10", "HTTP/1.0 200 OK\r\n\r\n", 200, "", std::nullopt,
                   false},
        AcceptCase{"NoReason", "HTTP/1.1 204\r\n\r\n", 204, "", std::nullopt,
                   false},
        AcceptCase{"EmptyReason", "HTTP/1.1 404 \r\n\r\n", 404, "",
                   std::nullopt, false},
        AcceptCase{"BareLf", "HTTP/1.1 200 OK\nContent-Length: 3\n\n", 200, "",
                   3, false},
        AcceptCase{"MixedLineEnds", "HTTP/1.1 200 OK\r\nA: b\n\r\n", 200, "",
                   std::nullopt, false},
        AcceptCase{"Chunked",
                   "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 200,
                   "", std::nullopt, true},
        AcceptCase{"ChunkedAnyCase",
                   "HTTP/1.1 200 OK\r\ntransfer-encoding:  CHUNKED \r\n\r\n",
                   200, "", std::nullopt, true},
        AcceptCase{"Redirect",
                   "HTTP/1.1 301 Moved Permanently\r\nLocation: /next\r\n"
                   "Content-Length: 0\r\n\r\n",
                   301, "/next", 0, false},
        AcceptCase{"LocationAnyCaseTrimmed",
                   "HTTP/1.1 302 Found\r\nLOCATION:\t http://a.example/x \r\n"
                   "\r\n",
                   302, "http://a.example/x", std::nullopt, false},
        AcceptCase{"RepeatedSameLocation",
                   "HTTP/1.1 302 Found\r\nLocation: /a\r\nLocation: /a\r\n\r\n",
                   302, "/a", std::nullopt, false},
        AcceptCase{"RepeatedSameContentLength",
                   "HTTP/1.1 200 OK\r\nContent-Length: 7\r\ncontent-length: "
                   "7\r\n\r\n",
                   200, "", 7, false},
        AcceptCase{"LargestContentLength",
                   "HTTP/1.1 200 OK\r\nContent-Length: 9999999999999999999\r\n"
                   "\r\n",
                   200, "", uint64_t{9999999999999999999u}, false},
        AcceptCase{"EmptyValueAndObsText",
                   "HTTP/1.1 200 OK\r\nX-Empty:\r\nX-Text: caf\xc3\xa9\t"
                   "tab\r\n\r\n",
                   200, "", std::nullopt, false},
        AcceptCase{"Status100", "HTTP/1.1 100 Continue\r\n\r\n", 100, "",
                   std::nullopt, false},
        AcceptCase{"Status599", "HTTP/1.1 599 Odd\r\n\r\n", 599, "",
                   std::nullopt, false},
        AcceptCase{"SixtyFourHeaders",
                   [] {
                     std::string h = "HTTP/1.1 200 OK\r\n";
                     for (int i = 0; i < 64; ++i) {
                       absl::StrAppend(&h, "X-", i, ": v\r\n");
                     }
                     return h + "\r\n";
                   }(),
                   200, "", std::nullopt, false}),
    [](const testing::TestParamInfo<AcceptCase>& info) {
      return std::string(info.param.name);
    });

struct RefuseCase {
  const char* name;
  std::string head;
  std::string message_part;  // the message names the fault
};

std::ostream& operator<<(std::ostream& os, const RefuseCase& c) {
  return os << c.name;
}

class RefuseTest : public testing::TestWithParam<RefuseCase> {};

TEST_P(RefuseTest, RefusesNamingTheFault) {
  const RefuseCase& c = GetParam();
  absl::StatusOr<HttpResponseHead> head = ParseResponseHead(c.head);
  ASSERT_FALSE(head.ok()) << "accepted status " << head->status;
  EXPECT_EQ(head.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(head.status().message().find(c.message_part),
            absl::string_view::npos)
      << head.status().message();
  // Quotes are bounded: the message never carries much of the input.
  EXPECT_LT(head.status().message().size(), 400u) << head.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    Heads, RefuseTest,
    testing::Values(
        RefuseCase{"Empty", "", "does not end with a blank line"},
        RefuseCase{"NoBlankLine", "HTTP/1.1 200 OK\r\nA: b\r\n",
                   "does not end with a blank line"},
        RefuseCase{"Http2", "HTTP/2 200\r\n\r\n", "is not \"HTTP/1.x"},
        RefuseCase{"Http09Body", "hello\r\n\r\n", "is not \"HTTP/1.x"},
        RefuseCase{"LowercaseHttp", "http/1.1 200 OK\r\n\r\n",
                   "is not \"HTTP/1.x"},
        RefuseCase{"TwoDigitStatus", "HTTP/1.1 20 OK\r\n\r\n",
                   "is not \"HTTP/1.x"},
        RefuseCase{"FourDigitStatus", "HTTP/1.1 2000 OK\r\n\r\n",
                   "is not \"HTTP/1.x"},
        RefuseCase{"Status099", "HTTP/1.1 099 Low\r\n\r\n", "outside 100-599"},
        RefuseCase{"Status600", "HTTP/1.1 600 High\r\n\r\n", "outside 100-599"},
        RefuseCase{"NulInReason", Bytes("HTTP/1.1 200 O\0K\r\n\r\n"),
                   "holds NUL"},
        RefuseCase{"NoColon", "HTTP/1.1 200 OK\r\nJustAName\r\n\r\n",
                   "has no ':'"},
        RefuseCase{"SpaceBeforeColon",
                   "HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\n",
                   "is not a token"},
        RefuseCase{"EmptyName", "HTTP/1.1 200 OK\r\n: v\r\n\r\n",
                   "is not a token"},
        RefuseCase{"ObsFoldSpace",
                   "HTTP/1.1 200 OK\r\nX-A: one\r\n two\r\n\r\n",
                   "obsolete line folding"},
        RefuseCase{"ObsFoldTab", "HTTP/1.1 200 OK\r\nX-A: one\r\n\ttwo\r\n\r\n",
                   "obsolete line folding"},
        RefuseCase{"NulInValue", Bytes("HTTP/1.1 200 OK\r\nX-A: a\0b\r\n\r\n"),
                   "holds NUL"},
        RefuseCase{"CrInValue", "HTTP/1.1 200 OK\r\nX-A: a\rb\r\n\r\n",
                   "holds CR"},
        RefuseCase{"CrCrLf", "HTTP/1.1 200 OK\r\nX-A: a\r\r\n\r\n", "holds CR"},
        RefuseCase{"ControlInValue", "HTTP/1.1 200 OK\r\nX-A: a\x01\r\n\r\n",
                   "holds a control byte"},
        RefuseCase{"SixtyFiveHeaders",
                   [] {
                     std::string h = "HTTP/1.1 200 OK\r\n";
                     for (int i = 0; i < 65; ++i) {
                       absl::StrAppend(&h, "X-", i, ": v\r\n");
                     }
                     return h + "\r\n";
                   }(),
                   "more than 64 headers"},
        RefuseCase{"ContentLengthsDiffer",
                   "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: "
                   "6\r\n\r\n",
                   "repeated with different values (5 and 6)"},
        RefuseCase{"ContentLengthNotDecimal",
                   "HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n",
                   "Content-Length \"0x10\" is not a decimal"},
        RefuseCase{"ContentLengthNegative",
                   "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
                   "is not a decimal"},
        RefuseCase{"ContentLengthList",
                   "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n",
                   "is not a decimal"},
        RefuseCase{"ContentLengthEmpty",
                   "HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n",
                   "is not a decimal"},
        RefuseCase{"ContentLengthTwentyDigits",
                   "HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551616\r\n"
                   "\r\n",
                   "1-19 digits"},
        RefuseCase{"TransferEncodingGzip",
                   "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n"
                   "\r\n",
                   "is not \"chunked\""},
        RefuseCase{"TransferEncodingRepeated",
                   "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n",
                   "Transfer-Encoding repeated"},
        RefuseCase{"ChunkedAndLength",
                   "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                   "Content-Length: 5\r\n\r\n",
                   "both Transfer-Encoding and Content-Length"},
        RefuseCase{"LocationsDiffer",
                   "HTTP/1.1 302 Found\r\nLocation: /a\r\nLocation: /b\r\n\r\n",
                   "Location repeated with different values"},
        RefuseCase{"BytesAfterHead", "HTTP/1.1 200 OK\r\n\r\nbody",
                   "bytes after the blank line"},
        RefuseCase{"LongValueQuotedCut",
                   "HTTP/1.1 200 OK\r\nContent-Length: " +
                       std::string(300, '9') + "x\r\n\r\n",
                   "Content-Length \"" + std::string(64, '9') + "...\""}),
    [](const testing::TestParamInfo<RefuseCase>& info) {
      return std::string(info.param.name);
    });

TEST(QuoteForMessageTest, EscapesAndCuts) {
  EXPECT_EQ(QuoteForMessage("abc"), "\"abc\"");
  EXPECT_EQ(QuoteForMessage(Bytes("a\r\n\0\xff")), "\"a\\r\\n\\x00\\xff\"");
  EXPECT_EQ(QuoteForMessage(std::string(65, 'x')),
            "\"" + std::string(64, 'x') + "...\"");
  EXPECT_EQ(QuoteForMessage("abcdef", 3), "\"abc...\"");
}

struct ChunkedCase {
  const char* name;
  std::string body;
  size_t max_bytes;
  absl::StatusCode code;
  std::string decoded_or_message_part;
};

std::ostream& operator<<(std::ostream& os, const ChunkedCase& c) {
  return os << c.name;
}

class ChunkedTest : public testing::TestWithParam<ChunkedCase> {};

TEST_P(ChunkedTest, Decodes) {
  const ChunkedCase& c = GetParam();
  absl::StatusOr<std::string> decoded = DecodeChunked(c.body, c.max_bytes);
  ASSERT_EQ(decoded.status().code(), c.code) << decoded.status();
  if (decoded.ok()) {
    EXPECT_EQ(*decoded, c.decoded_or_message_part);
    EXPECT_LE(decoded->size(), c.max_bytes);
  } else {
    EXPECT_NE(decoded.status().message().find(c.decoded_or_message_part),
              absl::string_view::npos)
        << decoded.status().message();
  }
}

constexpr absl::StatusCode kOk = absl::StatusCode::kOk;
constexpr absl::StatusCode kBad = absl::StatusCode::kInvalidArgument;
constexpr absl::StatusCode kMore = absl::StatusCode::kOutOfRange;
constexpr absl::StatusCode kOver = absl::StatusCode::kResourceExhausted;

INSTANTIATE_TEST_SUITE_P(
    Bodies, ChunkedTest,
    testing::Values(
        ChunkedCase{"TwoChunks", "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", 100,
                    kOk, "hello world"},
        ChunkedCase{"EmptyBody", "0\r\n\r\n", 100, kOk, ""},
        ChunkedCase{"HexUpperLower",
                    "a\r\n0123456789\r\nA\r\nabcdefghij\r\n"
                    "0\r\n\r\n",
                    100, kOk, "0123456789abcdefghij"},
        ChunkedCase{"BareLf", "3\nabc\n0\n\n", 100, kOk, "abc"},
        ChunkedCase{"ExtensionsSkipped",
                    "3;name=value\r\nabc\r\n0;last\r\n\r\n", 100, kOk, "abc"},
        ChunkedCase{"SpaceBeforeExtension", "3 ;x\r\nabc\r\n0\r\n\r\n", 100,
                    kOk, "abc"},
        ChunkedCase{"LeadingZeros", "0003\r\nabc\r\n0\r\n\r\n", 100, kOk,
                    "abc"},
        ChunkedCase{"TrailersDropped",
                    "3\r\nabc\r\n0\r\nX-Sum: 1\r\nX-Other: 2\r\n\r\n", 100, kOk,
                    "abc"},
        ChunkedCase{"ExactlyMax", "3\r\nabc\r\n0\r\n\r\n", 3, kOk, "abc"},
        ChunkedCase{"DataHoldsCrLf", "4\r\na\r\nb\r\n0\r\n\r\n", 100, kOk,
                    "a\r\nb"},
        // Unfinished: the reader keeps reading.
        ChunkedCase{"Nothing", "", 100, kMore, "inside a chunk size line"},
        ChunkedCase{"HalfSizeLine", "5", 100, kMore,
                    "inside a chunk size line"},
        ChunkedCase{"SizeLineCr", "5\r", 100, kMore,
                    "inside a chunk size line"},
        ChunkedCase{"InsideData", "5\r\nhel", 100, kMore,
                    "inside a chunk of 5 bytes"},
        ChunkedCase{"BeforeDataEnd", "5\r\nhello", 100, kMore,
                    "before the line end after a chunk"},
        ChunkedCase{"BeforeDataEndCr", "5\r\nhello\r", 100, kMore,
                    "before the line end after a chunk"},
        ChunkedCase{"NoBlankLine", "5\r\nhello\r\n0\r\n", 100, kMore,
                    "before the blank line"},
        ChunkedCase{"InsideTrailer", "0\r\nX-A: b", 100, kMore,
                    "before the blank line"},
        // Malformed.
        ChunkedCase{"NotHex", "g\r\nabc\r\n0\r\n\r\n", 100, kBad,
                    "does not start with hex"},
        ChunkedCase{"PartialNotHex", "z", 100, kBad, "does not start with hex"},
        ChunkedCase{"NegativeSize", "-3\r\nabc\r\n", 100, kBad,
                    "does not start with hex"},
        ChunkedCase{"EmptySizeLine", "\r\nabc\r\n", 100, kBad,
                    "does not start with hex"},
        ChunkedCase{"JunkAfterSize", "3x\r\nabc\r\n0\r\n\r\n", 100, kBad,
                    "not an extension"},
        ChunkedCase{"SeventeenDigits", "00000000000000003\r\nabc\r\n", 100,
                    kBad, "more than 16 hex digits"},
        ChunkedCase{"NoLineEndAfterData", "3\r\nabcd\r\n0\r\n\r\n", 100, kBad,
                    "not a line end"},
        ChunkedCase{"NulInExtension", Bytes("3;a\0\r\nabc\r\n0\r\n\r\n"), 100,
                    kBad, "holds NUL"},
        ChunkedCase{"TrailerWithoutColon", "0\r\nbroken\r\n\r\n", 100, kBad,
                    "has no ':'"},
        ChunkedCase{"BytesAfterEnd", "3\r\nabc\r\n0\r\n\r\nextra", 100, kBad,
                    "bytes after the end"},
        ChunkedCase{"LongSizeLine", "1;" + std::string(5000, 'x'), 100, kBad,
                    "over 4096 bytes"},
        // Over the limit, seen from the size line alone.
        ChunkedCase{"OverMax", "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", 4, kOver,
                    "over 4 bytes"},
        ChunkedCase{"HugeSizeNoData", "ffffffffffffffff\r\n", 4096, kOver,
                    "over 4096 bytes"}),
    [](const testing::TestParamInfo<ChunkedCase>& info) {
      return std::string(info.param.name);
    });

TEST(ChunkedPrefixTest, EveryPrefixOfAValidBodyAsksForMore) {
  const std::string body =
      "4;x=y\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\n"
      "Trailer: t\r\n\r\n";
  ASSERT_EQ(*DecodeChunked(body, 100), "Wikipedia in\r\n\r\nchunks.");
  for (size_t n = 0; n < body.size(); ++n) {
    EXPECT_EQ(DecodeChunked(body.substr(0, n), 100).status().code(), kMore)
        << "prefix of " << n
        << " bytes: " << DecodeChunked(body.substr(0, n), 100).status();
  }
}

}  // namespace
}  // namespace corsd::proof
