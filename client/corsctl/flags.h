// A small command-line flag parser for corsctl's subcommands.
//
// absl::flags is process-global (one flag namespace for the binary); corsctl
// needs a separate flag set per subcommand ("--public" means something only to
// `tenant put`), so each subcommand declares its own FlagSet.
//
// Syntax accepted by Parse:
//   --name value | --name=value   for string, list and number flags
//   --name | --name=true|false    for boolean flags
//   --                            ends flags; the rest is positional
//   anything else                 positional (a lone "-" is positional)
// Flags and positional arguments may be interleaved.
//
// Thread safety: a FlagSet is used by one thread; it writes through the
// pointers it was given, which must outlive it.
#ifndef CORSD_CLIENT_CORSCTL_FLAGS_H_
#define CORSD_CLIENT_CORSCTL_FLAGS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace corsd::corsctl {

class FlagSet {
 public:
  // Declarations. `name` is without the leading "--"; `help` is one line.
  // Declaring a name twice is a programming error (aborts).
  void Bool(absl::string_view name, bool* out, absl::string_view help);
  void String(absl::string_view name, absl::string_view value_name,
              std::string* out, absl::string_view help);
  // Repeatable: each occurrence appends. A value containing commas is split
  // on them (--allow-method PUT,PATCH), empty pieces dropped.
  void List(absl::string_view name, absl::string_view value_name,
            std::vector<std::string>* out, absl::string_view help);
  // Unsigned decimal in [0, max].
  void Uint(absl::string_view name, absl::string_view value_name, uint64_t* out,
            uint64_t max, absl::string_view help);

  // Parses `args` (without the program and command words). Positional
  // arguments are appended to *positional. InvalidArgument naming the flag and
  // the value on: an unknown flag, a missing value, a boolean value other than
  // true/false, a number that is not decimal or exceeds its max.
  absl::Status Parse(absl::Span<const std::string> args,
                     std::vector<std::string>* positional);

  // True when the flag appeared on the command line (for merging flags over
  // a policy read from a file).
  bool Seen(absl::string_view name) const { return seen_.contains(name); }

  // One line per flag: "  --name VALUE   help", aligned.
  std::string Help() const;

 private:
  enum class Type { kBool, kString, kList, kUint };
  struct Flag {
    std::string name;
    std::string value_name;
    std::string help;
    Type type;
    void* out;
    uint64_t max = 0;
  };
  const Flag* Find(absl::string_view name) const;
  absl::Status Set(const Flag& flag, absl::string_view value);

  std::vector<Flag> flags_;
  absl::flat_hash_set<std::string> seen_;
};

}  // namespace corsd::corsctl

#endif  // CORSD_CLIENT_CORSCTL_FLAGS_H_
