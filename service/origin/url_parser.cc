#include "service/origin/url_parser.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace corsd::origin::internal {

bool IsValidUtf8(absl::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t extra;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) {
      extra = 1;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      extra = 2;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= n) return false;
    for (size_t k = 1; k <= extra; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

namespace {

constexpr int kEof = -1;

bool IsC0OrSpace(char c) { return static_cast<unsigned char>(c) <= 0x20; }

// Trims leading/trailing C0 controls and spaces; removes tab, LF, CR.
std::string Preprocess(absl::string_view input) {
  while (!input.empty() && IsC0OrSpace(input.front())) input.remove_prefix(1);
  while (!input.empty() && IsC0OrSpace(input.back())) input.remove_suffix(1);
  std::string out;
  out.reserve(input.size());
  for (char c : input) {
    if (c != '\t' && c != '\n' && c != '\r') out.push_back(c);
  }
  return out;
}

bool IsAsciiAlpha(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool IsAsciiDigit(int c) { return c >= '0' && c <= '9'; }

bool IsWindowsDriveLetter(absl::string_view s) {
  return s.size() == 2 && IsAsciiAlpha(s[0]) && (s[1] == ':' || s[1] == '|');
}
bool IsNormalizedWindowsDriveLetter(absl::string_view s) {
  return s.size() == 2 && IsAsciiAlpha(s[0]) && s[1] == ':';
}
bool IsSingleDot(absl::string_view s) {
  return s == "." || absl::EqualsIgnoreCase(s, "%2e");
}
bool IsDoubleDot(absl::string_view s) {
  return s == ".." || absl::EqualsIgnoreCase(s, ".%2e") ||
         absl::EqualsIgnoreCase(s, "%2e.") ||
         absl::EqualsIgnoreCase(s, "%2e%2e");
}

void PercentEncodeC0Into(char c, std::string* out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  unsigned char u = static_cast<unsigned char>(c);
  if (u < 0x20 || u > 0x7e) {
    out->push_back('%');
    out->push_back(kHex[u >> 4]);
    out->push_back(kHex[u & 0xf]);
  } else {
    out->push_back(c);
  }
}

// The basic URL parser's states that a URL without a base can reach.
enum class State {
  kSchemeStart,
  kScheme,
  kSpecialAuthoritySlashes,
  kSpecialAuthorityIgnoreSlashes,
  kPathOrAuthority,
  kAuthority,
  kHost,
  kPort,
  kFile,
  kFileSlash,
  kFileHost,
  kPathStart,
  kPath,
  kOpaquePath,
  kQuery,
  kFragment,
};

// One run of the state machine over a preprocessed input; one instance per
// ParseUrl call. Each On* method is the standard's state of that name: it
// consumes c (the code unit at pointer_, or kEof), may move pointer_ back
// (the standard's "decrease pointer by 1") or forward, and may change state_.
class Parser {
 public:
  explicit Parser(std::string input) : input_(std::move(input)) {
    buffer_.reserve(input_.size());
  }

  absl::StatusOr<ParsedUrl> Run();

 private:
  int At(ptrdiff_t i) const {
    return i >= 0 && static_cast<size_t>(i) < input_.size()
               ? static_cast<unsigned char>(input_[static_cast<size_t>(i)])
               : kEof;
  }
  // c ends an authority, host or port: EOF, '/', '?', '#', or '\' for
  // special schemes.
  bool EndsAuthority(int c) const {
    return c == kEof || c == '/' || c == '?' || c == '#' ||
           (url_.special && c == '\\');
  }
  absl::Status Fail(absl::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat("URL \"", input_, "\" ", what));
  }
  absl::Status SetHost(absl::string_view text);
  absl::Status Step(int c);

  absl::Status OnScheme(int c);
  absl::Status OnAuthority(int c);
  absl::Status OnHost(int c);
  absl::Status OnPort(int c);
  absl::Status OnFileHost(int c);
  void OnPathStart(int c);
  void OnPath(int c);
  void OnOpaquePath(int c);

  const std::string input_;
  ptrdiff_t pointer_ = 0;  // signed: the standard moves it back before 0
  State state_ = State::kSchemeStart;
  std::string buffer_;
  bool at_sign_seen_ = false;
  bool inside_brackets_ = false;
  bool password_token_seen_ = false;
  ParsedUrl url_;
  std::vector<std::string> path_;  // segments, not percent-encoded
};

absl::Status Parser::SetHost(absl::string_view text) {
  absl::StatusOr<Host> host = ParseHost(text, !url_.special);
  if (!host.ok()) return host.status();
  url_.has_host = true;
  url_.host = *std::move(host);
  return absl::OkStatus();
}

absl::StatusOr<ParsedUrl> Parser::Run() {
  for (pointer_ = 0;; ++pointer_) {
    if (absl::Status s = Step(At(pointer_)); !s.ok()) return s;
    if (pointer_ >= static_cast<ptrdiff_t>(input_.size())) break;
  }
  url_.path_segments = path_.size();
  url_.path_is_root = path_.size() == 1 && path_[0].empty();
  return std::move(url_);
}

absl::Status Parser::Step(int c) {
  switch (state_) {
    case State::kSchemeStart:
      if (!IsAsciiAlpha(c)) {
        return Fail("has no scheme (expected \"scheme:\" first, e.g. https:)");
      }
      buffer_.push_back(absl::ascii_tolower(static_cast<char>(c)));
      state_ = State::kScheme;
      return absl::OkStatus();
    case State::kScheme:
      return OnScheme(c);
    case State::kSpecialAuthoritySlashes:
      if (c == '/' && At(pointer_ + 1) == '/') {
        ++pointer_;
      } else {
        --pointer_;
      }
      state_ = State::kSpecialAuthorityIgnoreSlashes;
      return absl::OkStatus();
    case State::kSpecialAuthorityIgnoreSlashes:
      if (c != '/' && c != '\\') {
        state_ = State::kAuthority;
        --pointer_;
      }
      return absl::OkStatus();
    case State::kPathOrAuthority:
      if (c == '/') {
        state_ = State::kAuthority;
      } else {
        state_ = State::kPath;
        --pointer_;
      }
      return absl::OkStatus();
    case State::kAuthority:
      return OnAuthority(c);
    case State::kHost:
      return OnHost(c);
    case State::kPort:
      return OnPort(c);
    case State::kFile:
      url_.has_host = true;
      url_.host = Host{};
      state_ = (c == '/' || c == '\\') ? State::kFileSlash : State::kPath;
      if (state_ == State::kPath) --pointer_;
      return absl::OkStatus();
    case State::kFileSlash:
      state_ = (c == '/' || c == '\\') ? State::kFileHost : State::kPath;
      if (state_ == State::kPath) --pointer_;
      return absl::OkStatus();
    case State::kFileHost:
      return OnFileHost(c);
    case State::kPathStart:
      OnPathStart(c);
      return absl::OkStatus();
    case State::kPath:
      OnPath(c);
      return absl::OkStatus();
    case State::kOpaquePath:
      OnOpaquePath(c);
      return absl::OkStatus();
    case State::kQuery:
      if (c == '#') {
        url_.has_fragment = true;
        state_ = State::kFragment;
      }
      return absl::OkStatus();
    case State::kFragment:
      return absl::OkStatus();
  }
  return absl::InternalError("URL parser reached an unknown state");
}

absl::Status Parser::OnScheme(int c) {
  if (IsAsciiAlpha(c) || IsAsciiDigit(c) || c == '+' || c == '-' || c == '.') {
    buffer_.push_back(absl::ascii_tolower(static_cast<char>(c)));
    return absl::OkStatus();
  }
  if (c != ':') {
    // The standard starts over in the "no scheme" state, which fails
    // without a base URL.
    return Fail("has no scheme (expected \"scheme:\" first, e.g. https:)");
  }
  url_.scheme = std::move(buffer_);
  buffer_.clear();
  url_.special = url_.scheme == "file" || DefaultPortOf(url_.scheme) != -1;
  if (url_.scheme == "file") {
    state_ = State::kFile;
  } else if (url_.special) {
    state_ = State::kSpecialAuthoritySlashes;
  } else if (At(pointer_ + 1) == '/') {
    state_ = State::kPathOrAuthority;
    ++pointer_;
  } else {
    url_.opaque_path = true;
    state_ = State::kOpaquePath;
  }
  return absl::OkStatus();
}

absl::Status Parser::OnAuthority(int c) {
  if (c == '@') {
    if (at_sign_seen_) buffer_.insert(0, "%40");
    at_sign_seen_ = true;
    url_.has_at_sign = true;
    for (char b : buffer_) {
      if (b == ':' && !password_token_seen_) {
        password_token_seen_ = true;
        continue;
      }
      url_.has_credentials = true;
    }
    buffer_.clear();
  } else if (EndsAuthority(c)) {
    if (at_sign_seen_ && buffer_.empty()) {
      return Fail("has userinfo ('@') but no host after it");
    }
    pointer_ -= static_cast<ptrdiff_t>(buffer_.size()) + 1;
    buffer_.clear();
    state_ = State::kHost;
  } else {
    buffer_.push_back(static_cast<char>(c));
  }
  return absl::OkStatus();
}

absl::Status Parser::OnHost(int c) {
  if (c == ':' && !inside_brackets_) {
    if (buffer_.empty()) return Fail("has a port but no host before it");
    if (absl::Status s = SetHost(buffer_); !s.ok()) return s;
    buffer_.clear();
    state_ = State::kPort;
  } else if (EndsAuthority(c)) {
    --pointer_;
    if (url_.special && buffer_.empty()) {
      return Fail(absl::StrCat("has an empty host (scheme \"", url_.scheme,
                               "\" needs one)"));
    }
    if (absl::Status s = SetHost(buffer_); !s.ok()) return s;
    buffer_.clear();
    state_ = State::kPathStart;
  } else {
    if (c == '[') inside_brackets_ = true;
    if (c == ']') inside_brackets_ = false;
    buffer_.push_back(static_cast<char>(c));
  }
  return absl::OkStatus();
}

absl::Status Parser::OnPort(int c) {
  if (IsAsciiDigit(c)) {
    buffer_.push_back(static_cast<char>(c));
    return absl::OkStatus();
  }
  if (!EndsAuthority(c)) {
    return Fail(absl::StrCat(
        "has a port that is not a decimal number (at \"",
        absl::string_view(input_).substr(static_cast<size_t>(pointer_), 8),
        "\"; expected digits, 0-65535)"));
  }
  if (!buffer_.empty()) {
    uint32_t port = 0;
    for (char d : buffer_) {  // leading zeros are allowed
      port = port * 10 + static_cast<uint32_t>(d - '0');
      if (port > 65535) {
        return absl::InvalidArgumentError(
            absl::StrCat("port \"", buffer_, "\" is out of range (0-65535)"));
      }
    }
    const int32_t value = static_cast<int32_t>(port);
    url_.port = value == DefaultPortOf(url_.scheme) ? -1 : value;
    buffer_.clear();
  }
  state_ = State::kPathStart;
  --pointer_;
  return absl::OkStatus();
}

absl::Status Parser::OnFileHost(int c) {
  if (!(c == kEof || c == '/' || c == '\\' || c == '?' || c == '#')) {
    buffer_.push_back(static_cast<char>(c));
    return absl::OkStatus();
  }
  --pointer_;
  if (IsWindowsDriveLetter(buffer_)) {
    // The drive-letter quirk: buffer_ is kept and becomes the first segment.
    state_ = State::kPath;
    return absl::OkStatus();
  }
  if (!buffer_.empty()) {
    if (absl::Status s = SetHost(buffer_); !s.ok()) return s;
    if (url_.host.serialized == "localhost") url_.host = Host{};
    buffer_.clear();
  }
  state_ = State::kPathStart;
  return absl::OkStatus();
}

void Parser::OnPathStart(int c) {
  if (url_.special) {
    state_ = State::kPath;
    if (c != '/' && c != '\\') --pointer_;
  } else if (c == '?') {
    url_.has_query = true;
    state_ = State::kQuery;
  } else if (c == '#') {
    url_.has_fragment = true;
    state_ = State::kFragment;
  } else if (c != kEof) {
    state_ = State::kPath;
    if (c != '/') --pointer_;
  }
}

void Parser::OnPath(int c) {
  const bool slash = c == '/' || (url_.special && c == '\\');
  if (!(c == kEof || slash || c == '?' || c == '#')) {
    buffer_.push_back(static_cast<char>(c));
    return;
  }
  if (IsDoubleDot(buffer_)) {
    // Shorten the path, except past a file: drive letter.
    if (!path_.empty() && !(url_.scheme == "file" && path_.size() == 1 &&
                            IsNormalizedWindowsDriveLetter(path_[0]))) {
      path_.pop_back();
    }
    if (!slash) path_.emplace_back();
  } else if (IsSingleDot(buffer_)) {
    if (!slash) path_.emplace_back();
  } else {
    if (url_.scheme == "file" && path_.empty() &&
        IsWindowsDriveLetter(buffer_)) {
      buffer_[1] = ':';
    }
    path_.push_back(buffer_);
  }
  buffer_.clear();
  if (c == '?') {
    url_.has_query = true;
    state_ = State::kQuery;
  } else if (c == '#') {
    url_.has_fragment = true;
    state_ = State::kFragment;
  }
}

void Parser::OnOpaquePath(int c) {
  if (c == '?') {
    url_.has_query = true;
    state_ = State::kQuery;
  } else if (c == '#') {
    url_.has_fragment = true;
    state_ = State::kFragment;
  } else if (c == ' ') {
    // A space before '?' or '#' is encoded so it is not trimmed later.
    const int next = At(pointer_ + 1);
    url_.opaque_path_text += (next == '?' || next == '#') ? "%20" : " ";
  } else if (c != kEof) {
    PercentEncodeC0Into(static_cast<char>(c), &url_.opaque_path_text);
  }
}

}  // namespace

int DefaultPortOf(absl::string_view scheme) {
  if (scheme == "http" || scheme == "ws") return 80;
  if (scheme == "https" || scheme == "wss") return 443;
  if (scheme == "ftp") return 21;
  return -1;
}

absl::StatusOr<ParsedUrl> ParseUrl(absl::string_view input) {
  if (input.size() > kMaxUrlBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "URL is ", input.size(), " bytes; expected at most ", kMaxUrlBytes));
  }
  if (!IsValidUtf8(input)) {
    return absl::InvalidArgumentError("URL is not valid UTF-8");
  }
  return Parser(Preprocess(input)).Run();
}

}  // namespace corsd::origin::internal
