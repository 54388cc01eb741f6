// Prints ICU's UTS 46 mapping of every assigned code point, one per line:
// "<hex code point> <hex UTF-8 bytes of the mapping>..." (U+FFFD means
// disallowed, no bytes means ignored). Input of gen_uts46_updates.sh.
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <cstdio>
#include <string>

int main() {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* uts46 =
      icu::Normalizer2::getInstance(nullptr, "uts46", UNORM2_COMPOSE, status);
  if (U_FAILURE(status)) return 1;
  for (UChar32 cp = 0; cp <= 0x10FFFF; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    if (u_charType(cp) == U_UNASSIGNED) continue;
    std::string utf8;
    uts46->normalize(icu::UnicodeString(cp), status).toUTF8String(utf8);
    std::printf("%X", static_cast<unsigned>(cp));
    for (unsigned char c : utf8) std::printf(" %02X", c);
    std::printf("\n");
  }
  return U_SUCCESS(status) ? 0 : 1;
}
