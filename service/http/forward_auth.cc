#include "service/http/forward_auth.h"

#include <array>
#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "service/door/header_rules.h"
#include "service/policy/policy.h"

namespace corsd::http {
namespace {

// The headers the contract reads, one slot each.
enum Slot : size_t {
  kOriginalMethod,
  kForwardedMethod,
  kOriginalUri,
  kForwardedUri,
  kReplacedPath,
  kHost,
  kOriginalHost,
  kForwardedHost,
  kOriginalScheme,
  kForwardedProto,
  kOrigin,
  kRequestMethod,
  kRequestHeaders,
  kRequestPrivateNetwork,
  kUpgrade,
  kOriginalUpgrade,
  kConnection,
  kOriginalConnection,
  kCredentials,
  kCookie,
  kAuthorization,
  kTenant,  // the configured tenant header; matched by name apart
  kSlots,
};

constexpr std::array<absl::string_view, kTenant> kNames = {
    "X-Original-Method",
    "X-Forwarded-Method",
    "X-Original-URI",
    "X-Forwarded-Uri",
    "X-Replaced-Path",
    "Host",
    "X-Original-Host",
    "X-Forwarded-Host",
    "X-Original-Scheme",
    "X-Forwarded-Proto",
    "Origin",
    "Access-Control-Request-Method",
    "Access-Control-Request-Headers",
    "Access-Control-Request-Private-Network",
    "Upgrade",
    "X-Original-Upgrade",
    "Connection",
    "X-Original-Connection",
    "X-Corsd-Credentials",
    "Cookie",
    "Authorization",
};

// Header names compare case-insensitively (ASCII); inline and length-first,
// since every request header is compared with every contract name.
inline bool SameName(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size() || a.empty()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const unsigned char x = static_cast<unsigned char>(a[i]);
    const unsigned char y = static_cast<unsigned char>(b[i]);
    if (x != y && (x | 0x20) != (y | 0x20)) return false;
    if (x != y && ((x | 0x20) < 'a' || (x | 0x20) > 'z')) return false;
  }
  return true;
}

// The slots whose name has a given length (at most 4 share one), so each
// request header is compared with its few candidates only.
constexpr size_t kMaxNameLength = 48;
struct ByLength {
  std::array<std::array<uint8_t, 4>, kMaxNameLength> slots{};
  std::array<uint8_t, kMaxNameLength> count{};
};
constexpr ByLength MakeByLength() {
  ByLength t;
  for (size_t s = 0; s < kNames.size(); ++s) {
    const size_t n = kNames[s].size();
    t.slots[n][t.count[n]++] = static_cast<uint8_t>(s);
  }
  return t;
}
constexpr ByLength kByLength = MakeByLength();

absl::string_view SlotName(size_t slot, const ForwardAuthOptions& options) {
  return slot == kTenant ? absl::string_view(options.tenant_header)
                         : kNames[slot];
}

}  // namespace

absl::Status ParseOriginalRequest(const ReceivedRequest& received,
                                  const ForwardAuthOptions& options,
                                  OriginalRequest* out) {
  if (received.headers.size() > options.max_headers) {
    return absl::ResourceExhaustedError(
        absl::StrCat("request has ", received.headers.size(),
                     " headers; expected at most ", options.max_headers));
  }
  size_t block = 0;
  for (const HeaderField& h : received.headers) {
    block += h.name.size() + h.value.size();
  }
  if (block > options.max_header_block_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("request header block is ", block,
                     " bytes (names and values); expected at most ",
                     options.max_header_block_bytes));
  }
  std::array<door::JoinedValue, kSlots> slots = [&]<size_t... I>(
      std::index_sequence<I...>) {
    return std::array<door::JoinedValue, kSlots>{
        ((void)I, door::JoinedValue(&out->storage))...};
  }
  (std::make_index_sequence<kSlots>());

  const absl::string_view tenant_header = options.tenant_header;
  for (const HeaderField& h : received.headers) {
    if (SameName(h.name, tenant_header)) {
      slots[kTenant].Add(h.value);
      continue;
    }
    if (h.name.size() >= kMaxNameLength) continue;
    const size_t n = h.name.size();
    for (size_t i = 0; i < kByLength.count[n]; ++i) {
      const size_t s = kByLength.slots[n][i];
      if (SameName(h.name, kNames[s])) {
        slots[s].Add(h.value);
        break;
      }
    }
  }
  for (size_t s = 0; s < kSlots; ++s) {
    if (!slots[s].present()) continue;
    if (absl::Status st =
            door::CheckHeaderValue(SlotName(s, options), slots[s].value(),
                                   options.max_header_value_bytes);
        !st.ok()) {
      return st;
    }
  }
  // The nginx name, else the forward-auth one; `present` says whether either
  // was sent, `*name` which one decided (for errors).
  const auto pick = [&](Slot original, Slot forwarded, absl::string_view* name,
                        absl::string_view* value) {
    const Slot s = slots[original].present() ? original : forwarded;
    *name = kNames[s];
    *value = slots[s].value();
    return slots[s].present();
  };

  decision::Request& r = out->request;
  r = decision::Request{};

  // Method.
  absl::string_view name;
  if (!pick(kOriginalMethod, kForwardedMethod, &name, &r.method)) {
    if (options.require_original_method) {
      return absl::InvalidArgumentError(
          "header X-Original-Method (or X-Forwarded-Method) is missing; "
          "expected the client's method (nginx: proxy_set_header "
          "X-Original-Method $request_method)");
    }
    name = "method";
    r.method = received.method;
  }
  if (r.method.empty() || r.method.size() > 32 ||
      !policy::IsHttpToken(r.method)) {
    return absl::InvalidArgumentError(
        absl::StrCat("header ", name, " is ", door::ShownValue(r.method),
                     "; expected an HTTP method of 1 to 32 token characters"));
  }

  if (!pick(kOriginalUri, kForwardedUri, &name, &r.path)) {
    // Traefik's replacePath keeps the client's path here (a preflight router
    // that sends the request itself to /preflight).
    if (slots[kReplacedPath].present()) {
      r.path = slots[kReplacedPath].value();
    } else {
      // The request line's own target: bounded like a header value.
      r.path = received.target;
      if (r.path.size() > options.max_header_value_bytes) {
        return absl::ResourceExhaustedError(absl::StrCat(
            "request target is ", r.path.size(), " bytes; expected at most ",
            options.max_header_value_bytes));
      }
      if (door::HasForbiddenByte(r.path)) {
        return door::ForbiddenByteError("request target", r.path);
      }
    }
  }
  if (!pick(kOriginalHost, kForwardedHost, &name, &r.host)) {
    r.host = slots[kHost].value();
  }
  if (!pick(kOriginalScheme, kForwardedProto, &name, &r.scheme)) {
    r.scheme = "http";
  } else if (r.scheme != "http" && r.scheme != "https") {
    return absl::InvalidArgumentError(
        absl::StrCat("header ", name, " is ", door::ShownValue(r.scheme),
                     "; expected \"http\" or \"https\""));
  }

  out->tenant_header = slots[kTenant].value();

  r.has_origin = slots[kOrigin].present();
  r.origin = slots[kOrigin].value();
  r.has_access_control_request_method = slots[kRequestMethod].present();
  r.access_control_request_method = slots[kRequestMethod].value();
  r.has_access_control_request_headers = slots[kRequestHeaders].present();
  r.access_control_request_headers = slots[kRequestHeaders].value();
  r.has_access_control_request_private_network =
      slots[kRequestPrivateNetwork].present();
  r.access_control_request_private_network =
      slots[kRequestPrivateNetwork].value();
  // Upgrade and Connection are hop-by-hop: a proxy does not pass them on, so
  // the gateway copies them into X-Original-* (preferred when present).
  r.upgrade = slots[kOriginalUpgrade].present()
                  ? slots[kOriginalUpgrade].value()
                  : slots[kUpgrade].value();
  r.connection = slots[kOriginalConnection].present()
                     ? slots[kOriginalConnection].value()
                     : slots[kConnection].value();

  if (slots[kCredentials].present()) {
    const absl::string_view v = slots[kCredentials].value();
    if (v != "0" && v != "1") {
      return absl::InvalidArgumentError(
          absl::StrCat("header X-Corsd-Credentials is ", door::ShownValue(v),
                       "; expected \"0\" or \"1\""));
    }
    r.credentials = v == "1";
  } else {
    r.credentials = door::CarriesCredentials(slots[kCookie].present(),
                                             slots[kAuthorization].present());
  }
  return absl::OkStatus();
}

}  // namespace corsd::http
