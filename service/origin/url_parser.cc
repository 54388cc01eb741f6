#include "service/origin/url_parser.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace corsd::origin::internal {
namespace {

constexpr int kEof = -1;

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

absl::Status Fail(absl::string_view what) {
  return absl::InvalidArgumentError(what);
}

// The parser's mutable state; one instance per ParseUrl call.
class Parser {
 public:
  explicit Parser(std::string input) : input_(std::move(input)) {}

  absl::StatusOr<ParsedUrl> Run();

 private:
  int At(size_t i) const {
    return i < input_.size() ? static_cast<unsigned char>(input_[i]) : kEof;
  }
  absl::Status SetHost(absl::string_view text);
  void EndPathSegment();

  const std::string input_;
  ParsedUrl url_;
  std::vector<std::string> path_;
};

absl::Status Parser::SetHost(absl::string_view text) {
  absl::StatusOr<Host> host = ParseHost(text, !url_.special);
  if (!host.ok()) return host.status();
  url_.has_host = true;
  url_.host = *std::move(host);
  return absl::OkStatus();
}

absl::StatusOr<ParsedUrl> Parser::Run() {
  State state = State::kSchemeStart;
  std::string buffer;
  buffer.reserve(input_.size());
  bool at_sign_seen = false, inside_brackets = false, password_seen = false;
  // Signed on purpose: the standard moves the pointer back before 0.
  for (ptrdiff_t pointer = 0;; ++pointer) {
    const int c = At(static_cast<size_t>(pointer));
    switch (state) {
      case State::kSchemeStart:
        if (IsAsciiAlpha(c)) {
          buffer.push_back(absl::ascii_tolower(static_cast<char>(c)));
          state = State::kScheme;
        } else {
          return Fail(absl::StrCat("URL \"", input_,
                                   "\" has no scheme (expected \"scheme:\" "
                                   "first, e.g. \"https://\")"));
        }
        break;
      case State::kScheme:
        if (IsAsciiAlpha(c) || IsAsciiDigit(c) || c == '+' || c == '-' ||
            c == '.') {
          buffer.push_back(absl::ascii_tolower(static_cast<char>(c)));
        } else if (c == ':') {
          url_.scheme = std::move(buffer);
          buffer.clear();
          url_.special =
              url_.scheme == "file" || DefaultPortOf(url_.scheme) != -1;
          if (url_.scheme == "file") {
            state = State::kFile;
          } else if (url_.special) {
            state = State::kSpecialAuthoritySlashes;
          } else if (At(pointer + 1) == '/') {
            state = State::kPathOrAuthority;
            ++pointer;
          } else {
            url_.opaque_path = true;
            state = State::kOpaquePath;
          }
        } else {
          return Fail(absl::StrCat("URL \"", input_,
                                   "\" has no scheme (expected \"scheme:\" "
                                   "first, e.g. \"https://\")"));
        }
        break;
      case State::kSpecialAuthoritySlashes:
        if (c == '/' && At(pointer + 1) == '/') {
          ++pointer;
        } else {
          --pointer;
        }
        state = State::kSpecialAuthorityIgnoreSlashes;
        break;
      case State::kSpecialAuthorityIgnoreSlashes:
        if (c != '/' && c != '\\') {
          state = State::kAuthority;
          --pointer;
        }
        break;
      case State::kPathOrAuthority:
        if (c == '/') {
          state = State::kAuthority;
        } else {
          state = State::kPath;
          --pointer;
        }
        break;
      case State::kAuthority:
        if (c == '@') {
          if (at_sign_seen) buffer.insert(0, "%40");
          at_sign_seen = true;
          url_.has_at_sign = true;
          for (char b : buffer) {
            if (b == ':' && !password_seen) {
              password_seen = true;
              continue;
            }
            url_.has_credentials = true;
          }
          buffer.clear();
        } else if (c == kEof || c == '/' || c == '?' || c == '#' ||
                   (url_.special && c == '\\')) {
          if (at_sign_seen && buffer.empty()) {
            return Fail(absl::StrCat("URL \"", input_,
                                     "\" has userinfo ('@') but no host "
                                     "after it"));
          }
          pointer -= static_cast<ptrdiff_t>(buffer.size()) + 1;
          buffer.clear();
          state = State::kHost;
        } else {
          buffer.push_back(static_cast<char>(c));
        }
        break;
      case State::kHost:
        if (c == ':' && !inside_brackets) {
          if (buffer.empty()) {
            return Fail(absl::StrCat("URL \"", input_,
                                     "\" has a port but no host before it"));
          }
          if (absl::Status s = SetHost(buffer); !s.ok()) return s;
          buffer.clear();
          state = State::kPort;
        } else if (c == kEof || c == '/' || c == '?' || c == '#' ||
                   (url_.special && c == '\\')) {
          --pointer;
          if (url_.special && buffer.empty()) {
            return Fail(absl::StrCat("URL \"", input_, "\" has an empty host",
                                     " (scheme \"", url_.scheme,
                                     "\" needs one)"));
          }
          if (absl::Status s = SetHost(buffer); !s.ok()) return s;
          buffer.clear();
          state = State::kPathStart;
        } else {
          if (c == '[') inside_brackets = true;
          if (c == ']') inside_brackets = false;
          buffer.push_back(static_cast<char>(c));
        }
        break;
      case State::kPort:
        if (IsAsciiDigit(c)) {
          buffer.push_back(static_cast<char>(c));
        } else if (c == kEof || c == '/' || c == '?' || c == '#' ||
                   (url_.special && c == '\\')) {
          if (!buffer.empty()) {
            uint32_t port = 0;
            for (char d : buffer) {
              port = port * 10 + static_cast<uint32_t>(d - '0');
              if (port > 65535) {
                return Fail(absl::StrCat("port \"", buffer,
                                         "\" is out of range (0-65535)"));
              }
            }
            url_.port = static_cast<int32_t>(port) == DefaultPortOf(url_.scheme)
                            ? -1
                            : static_cast<int32_t>(port);
            buffer.clear();
          }
          state = State::kPathStart;
          --pointer;
        } else {
          return Fail(absl::StrCat(
              "port in URL \"", input_, "\" is not a decimal number (at \"",
              absl::string_view(input_).substr(static_cast<size_t>(pointer), 8),
              "\"; expected digits, 0-65535)"));
        }
        break;
      case State::kFile:
        url_.has_host = true;
        url_.host = Host{};
        if (c == '/' || c == '\\') {
          state = State::kFileSlash;
        } else {
          state = State::kPath;
          --pointer;
        }
        break;
      case State::kFileSlash:
        if (c == '/' || c == '\\') {
          state = State::kFileHost;
        } else {
          state = State::kPath;
          --pointer;
        }
        break;
      case State::kFileHost:
        if (c == kEof || c == '/' || c == '\\' || c == '?' || c == '#') {
          --pointer;
          if (IsWindowsDriveLetter(buffer)) {
            // The drive-letter quirk: buffer carries over into the path.
            state = State::kPath;
          } else if (buffer.empty()) {
            url_.host = Host{};
            state = State::kPathStart;
          } else {
            if (absl::Status s = SetHost(buffer); !s.ok()) return s;
            if (url_.host.serialized == "localhost") url_.host = Host{};
            buffer.clear();
            state = State::kPathStart;
          }
        } else {
          buffer.push_back(static_cast<char>(c));
        }
        break;
      case State::kPathStart:
        if (url_.special) {
          state = State::kPath;
          if (c != '/' && c != '\\') --pointer;
        } else if (c == '?') {
          url_.has_query = true;
          state = State::kQuery;
        } else if (c == '#') {
          url_.has_fragment = true;
          state = State::kFragment;
        } else if (c != kEof) {
          state = State::kPath;
          if (c != '/') --pointer;
        }
        break;
      case State::kPath:
        if (c == kEof || c == '/' || (url_.special && c == '\\') || c == '?' ||
            c == '#') {
          const bool slash = c == '/' || (url_.special && c == '\\');
          if (IsDoubleDot(buffer)) {
            if (!(url_.scheme == "file" && path_.size() == 1 &&
                  IsNormalizedWindowsDriveLetter(path_[0])) &&
                !path_.empty()) {
              path_.pop_back();
            }
            if (!slash) path_.emplace_back();
          } else if (IsSingleDot(buffer)) {
            if (!slash) path_.emplace_back();
          } else {
            if (url_.scheme == "file" && path_.empty() &&
                IsWindowsDriveLetter(buffer)) {
              buffer[1] = ':';
            }
            path_.push_back(buffer);
          }
          buffer.clear();
          if (c == '?') {
            url_.has_query = true;
            state = State::kQuery;
          } else if (c == '#') {
            url_.has_fragment = true;
            state = State::kFragment;
          }
        } else {
          buffer.push_back(static_cast<char>(c));
        }
        break;
      case State::kOpaquePath:
        if (c == '?') {
          url_.has_query = true;
          state = State::kQuery;
        } else if (c == '#') {
          url_.has_fragment = true;
          state = State::kFragment;
        } else if (c == ' ') {
          const int next = At(pointer + 1);
          url_.opaque_path_text += (next == '?' || next == '#') ? "%20" : " ";
        } else if (c != kEof) {
          PercentEncodeC0Into(static_cast<char>(c), &url_.opaque_path_text);
        }
        break;
      case State::kQuery:
        if (c == '#') {
          url_.has_fragment = true;
          state = State::kFragment;
        }
        break;
      case State::kFragment:
        break;
    }
    if (pointer >= static_cast<ptrdiff_t>(input_.size())) break;
  }
  url_.path_segments = path_.size();
  url_.path_is_root = path_.size() == 1 && path_[0].empty();
  return std::move(url_);
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
