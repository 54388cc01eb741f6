#include "service/origin/ip_address.h"

#include <utility>

namespace corsd::origin::internal {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Values above this are only ever compared against limits <= 2^32, so the
// parser saturates here instead of overflowing.
constexpr uint64_t kSaturated = uint64_t{1} << 40;

// The URL standard's IPv4 number parser. Returns false on failure.
bool ParseIpv4Number(absl::string_view input, uint64_t* value) {
  if (input.empty()) return false;
  int radix = 10;
  if (input.size() >= 2 && input[0] == '0' &&
      (input[1] == 'x' || input[1] == 'X')) {
    radix = 16;
    input.remove_prefix(2);
  } else if (input.size() >= 2 && input[0] == '0') {
    radix = 8;
    input.remove_prefix(1);
  }
  uint64_t n = 0;
  for (char c : input) {
    int digit = HexValue(c);
    if (digit < 0 || digit >= radix) return false;
    n = n * radix + digit;
    if (n > kSaturated) n = kSaturated;
  }
  *value = n;
  return true;
}

}  // namespace

bool EndsInANumber(absl::string_view host) {
  if (!host.empty() && host.back() == '.') {
    host.remove_suffix(1);
    // A lone "." was a single empty label: not a number.
    if (host.empty()) return false;
  }
  size_t dot = host.rfind('.');
  absl::string_view last =
      dot == absl::string_view::npos ? host : host.substr(dot + 1);
  if (last.empty()) return false;
  bool all_digits = true;
  for (char c : last) all_digits = all_digits && IsDigit(c);
  if (all_digits) return true;
  uint64_t ignored;
  return ParseIpv4Number(last, &ignored);
}

const char* ParseIpv4(absl::string_view text, uint32_t* address) {
  uint64_t numbers[4];
  size_t count = 0;
  if (!text.empty() && text.back() == '.' && text.size() > 1) {
    text.remove_suffix(1);
  }
  while (true) {
    size_t dot = text.find('.');
    absl::string_view part = text.substr(0, dot);
    if (count == 4) return "IPv4 address has more than 4 parts";
    if (!ParseIpv4Number(part, &numbers[count])) {
      return "IPv4 address part is not a decimal, octal or hex number";
    }
    ++count;
    if (dot == absl::string_view::npos) break;
    text.remove_prefix(dot + 1);
  }
  for (size_t i = 0; i + 1 < count; ++i) {
    if (numbers[i] > 255) return "IPv4 address part is above 255";
  }
  const uint64_t limit = uint64_t{1} << (8 * (5 - count));
  if (numbers[count - 1] >= limit) {
    return "IPv4 address last part is too large";
  }
  uint64_t ipv4 = numbers[count - 1];
  for (size_t i = 0; i + 1 < count; ++i) {
    ipv4 += numbers[i] << (8 * (3 - i));
  }
  *address = static_cast<uint32_t>(ipv4);
  return nullptr;
}

size_t SerializeIpv4(uint32_t address, char* out) {
  char* p = out;
  for (int shift = 24; shift >= 0; shift -= 8) {
    unsigned byte = (address >> shift) & 0xff;
    if (byte >= 100) *p++ = static_cast<char>('0' + byte / 100);
    if (byte >= 10) *p++ = static_cast<char>('0' + byte / 10 % 10);
    *p++ = static_cast<char>('0' + byte % 10);
    if (shift != 0) *p++ = '.';
  }
  return static_cast<size_t>(p - out);
}

std::string SerializeIpv4(uint32_t address) {
  char buffer[kMaxIpv4TextBytes];
  return std::string(buffer, SerializeIpv4(address, buffer));
}

const char* ParseIpv6(absl::string_view text, Ipv6Pieces* pieces) {
  Ipv6Pieces& address = *pieces;
  address.fill(0);
  int piece_index = 0;
  int compress = -1;
  size_t pointer = 0;
  const size_t n = text.size();
  auto at = [&](size_t i) -> int {
    return i < n ? static_cast<unsigned char>(text[i]) : -1;
  };
  if (at(0) == ':') {
    if (at(1) != ':') return "IPv6 address starts with a single ':'";
    pointer = 2;
    compress = ++piece_index;
  }
  while (at(pointer) != -1) {
    if (piece_index == 8) return "IPv6 address has more than 8 pieces";
    if (at(pointer) == ':') {
      if (compress != -1) return "IPv6 address has more than one '::'";
      ++pointer;
      compress = ++piece_index;
      continue;
    }
    unsigned value = 0;
    int length = 0;
    while (length < 4 && at(pointer) != -1 && HexValue(text[pointer]) >= 0) {
      value = value * 16 + HexValue(text[pointer]);
      ++pointer;
      ++length;
    }
    if (at(pointer) == '.') {
      if (length == 0) return "IPv6 address has an empty IPv4 part";
      pointer -= length;
      if (piece_index > 6) return "IPv6 address has no room for IPv4 part";
      int numbers_seen = 0;
      while (at(pointer) != -1) {
        int ipv4_piece = -1;
        if (numbers_seen > 0) {
          if (at(pointer) == '.' && numbers_seen < 4) {
            ++pointer;
          } else {
            return "IPv6 address has a malformed IPv4 part";
          }
        }
        if (!IsDigit(static_cast<char>(at(pointer)))) {
          return "IPv6 address IPv4 part is not a decimal number";
        }
        while (at(pointer) != -1 && IsDigit(text[pointer])) {
          int number = text[pointer] - '0';
          if (ipv4_piece == -1) {
            ipv4_piece = number;
          } else if (ipv4_piece == 0) {
            return "IPv6 address IPv4 part has a leading zero";
          } else {
            ipv4_piece = ipv4_piece * 10 + number;
          }
          if (ipv4_piece > 255) return "IPv6 address IPv4 part is above 255";
          ++pointer;
        }
        address[piece_index] =
            static_cast<uint16_t>(address[piece_index] * 0x100 + ipv4_piece);
        ++numbers_seen;
        if (numbers_seen == 2 || numbers_seen == 4) ++piece_index;
      }
      if (numbers_seen != 4) return "IPv6 address IPv4 part is too short";
      break;
    } else if (at(pointer) == ':') {
      ++pointer;
      if (at(pointer) == -1) return "IPv6 address ends with a single ':'";
    } else if (at(pointer) != -1) {
      return "IPv6 address contains a character that is not hex, ':' or '.'";
    }
    address[piece_index] = static_cast<uint16_t>(value);
    ++piece_index;
  }
  if (compress != -1) {
    int swaps = piece_index - compress;
    piece_index = 7;
    while (piece_index != 0 && swaps > 0) {
      std::swap(address[piece_index], address[compress + swaps - 1]);
      --piece_index;
      --swaps;
    }
  } else if (piece_index != 8) {
    return "IPv6 address has fewer than 8 pieces and no '::'";
  }
  return nullptr;
}

size_t SerializeIpv6(const Ipv6Pieces& pieces, char* out) {
  // The first longest run of zero pieces, if it is at least 2 long.
  int best_start = -1, best_length = 1;
  for (int i = 0; i < 8;) {
    if (pieces[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && pieces[j] == 0) ++j;
    if (j - i > best_length) {
      best_start = i;
      best_length = j - i;
    }
    i = j;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  char* p = out;
  bool ignore0 = false;
  for (int i = 0; i < 8; ++i) {
    if (ignore0 && pieces[i] == 0) continue;
    ignore0 = false;
    if (i == best_start) {
      *p++ = ':';
      if (i == 0) *p++ = ':';
      ignore0 = true;
      continue;
    }
    unsigned v = pieces[i];
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      unsigned digit = (v >> shift) & 0xf;
      if (digit != 0 || started || shift == 0) {
        *p++ = kHex[digit];
        started = true;
      }
    }
    if (i != 7) *p++ = ':';
  }
  return static_cast<size_t>(p - out);
}

}  // namespace corsd::origin::internal
