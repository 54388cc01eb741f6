#include "client/corsctl/canon.h"

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "client/corsctl/json.h"
#include "client/corsctl/line_reader.h"
#include "service/origin/origin.h"

namespace corsd::corsctl {

namespace {

constexpr absl::string_view kUsage =
    R"(usage: corsctl canon [--json] [INPUT...]

Canonicalizes each INPUT as corsd does for admin writes (the WHATWG URL
standard's origin serialization: lowercase, default port dropped, IDNA,
IPv4/IPv6 forms). With no INPUT, each line of standard input is one input.
Needs no server.

Output: exactly one line per input, in input order:
  <canonical origin>   e.g. https://xn--bcher-kva.de
  null                 the input's origin is opaque (file:, data:, ...)
  error: <reason>      not a parseable URL; <reason> names the part at fault
With --json each line is instead a JSON object:
  {"input":"...","origin":"..."}  or  {"input":"...","error":"..."}
Input lines longer than 65536 bytes give "error: input longer than 65536
bytes". A trailing "\r" on a line is removed (the URL standard drops it too).

Exit status: 0 when every input was processed (errors included), 1 when
standard input could not be read, 2 on a usage error.
This format is stable: scripts rely on it.
)";

constexpr size_t kMaxLine = 64 * 1024;

std::string OneLine(absl::string_view message) {
  std::string out(message);
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

}  // namespace

std::string CanonLine(absl::string_view input) {
  absl::StatusOr<std::string> canonical = origin::CanonicalizeOrigin(input);
  if (!canonical.ok()) {
    return absl::StrCat("error: ", OneLine(canonical.status().message()));
  }
  return *std::move(canonical);
}

std::string CanonJsonLine(absl::string_view input) {
  absl::StatusOr<std::string> canonical = origin::CanonicalizeOrigin(input);
  JsonObject object;
  object.Add("input", input);
  if (canonical.ok()) {
    object.Add("origin", *canonical);
  } else {
    object.Add("error", OneLine(canonical.status().message()));
  }
  return object.Build();
}

int RunCanon(const Invocation& inv) {
  FlagSet flags;
  GlobalOptions options;
  AddGlobalFlags(&flags, &options);
  std::vector<std::string> inputs;
  int rc = ParseCommandLine(inv, kUsage, &flags, &options, &inputs);
  if (rc < 0) return kExitOk;
  if (rc != kExitOk) return rc;

  auto emit = [&](absl::string_view input) {
    *inv.out << (options.json ? CanonJsonLine(input) : CanonLine(input))
             << "\n";
  };
  if (!inputs.empty()) {
    for (const std::string& input : inputs) emit(input);
    inv.out->flush();
    return kExitOk;
  }
  LineReader reader(inv.stdin_fd, kMaxLine);
  LineReader::Line line;
  while (reader.Next(&line)) {
    if (line.too_long) {
      std::string message =
          absl::StrCat("input longer than ", kMaxLine, " bytes");
      if (options.json) {
        *inv.out << JsonObject()
                        .Add("input", "")
                        .Add("line", line.number)
                        .Add("error", message)
                        .Build()
                 << "\n";
      } else {
        *inv.out << "error: " << message << "\n";
      }
      continue;
    }
    absl::string_view text = line.text;
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    emit(text);
  }
  inv.out->flush();
  if (!reader.status().ok()) return Failed(inv, reader.status());
  return kExitOk;
}

}  // namespace corsd::corsctl
