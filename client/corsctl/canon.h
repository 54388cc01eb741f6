// `corsctl canon`: canonicalizes origins the way corsd does for admin input,
// with no server. Each argument, or with none each line of standard input, is
// one input; exactly one output line per input, in order:
//   <canonical origin>   e.g. "https://xn--bcher-kva.de"
//   null                 the input's origin is opaque (file:, data:, ...)
//   error: <reason>      the URL standard fails to parse it; <reason> is one
//                        line naming the part at fault
// Exit 0 when every input was processed (errors included), 1 when standard
// input could not be read, 2 on a usage error. With --json each output line is
// instead {"input": ..., "origin": ...} or {"input": ..., "error": ...}.
// This format is stable: scripts rely on it.
#ifndef CORSD_CLIENT_CORSCTL_CANON_H_
#define CORSD_CLIENT_CORSCTL_CANON_H_

#include <string>

#include "absl/strings/string_view.h"
#include "client/corsctl/command.h"

namespace corsd::corsctl {

// The output line for one input, without "\n": the canonical origin, "null",
// or "error: <reason>" (newlines in the reason replaced by spaces).
std::string CanonLine(absl::string_view input);

// The --json form of CanonLine.
std::string CanonJsonLine(absl::string_view input);

// Runs `corsctl canon [--json] [INPUT...]`.
int RunCanon(const Invocation& inv);

}  // namespace corsd::corsctl

#endif  // CORSD_CLIENT_CORSCTL_CANON_H_
