// Reading an import file for `corsctl import`: CSV `tenant,origin` lines or
// the dump format (JSON lines, service/store/dump_file.h), each line checked
// here with the server's own stateless validation (store/validation.h), so
// bad lines are found before anything is applied.
//
// CSV: one "TENANT,VALUE" per line. VALUE is an origin, or a wildcard entry
// when it contains "://*." ("https://*.customer.com"). Fields are trimmed of
// spaces and may be wrapped in double quotes; a trailing "\r" is dropped;
// empty lines and lines starting with "#" are skipped, and so is a first
// line "tenant,origin" (a header). Values are canonicalized: an origin that
// is already canonical costs one header check (no allocation), others the
// full WHATWG parse.
//
// Thread safety: one thread per ImportFileReader.
#ifndef CORSD_CLIENT_CORSCTL_IMPORT_FILE_H_
#define CORSD_CLIENT_CORSCTL_IMPORT_FILE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "corsd/v1/admin.pb.h"

namespace corsd::corsctl {

enum class ImportFormat { kAuto, kCsv, kDump };

// One good item of the file. Views are valid during the callback only.
struct ImportItem {
  uint64_t line = 0;
  // Set for a dump tenant line; then the other fields are unused.
  const corsd::v1::Tenant* tenant = nullptr;
  corsd::v1::EntryKind kind = corsd::v1::ENTRY_KIND_ORIGIN;
  absl::string_view tenant_id;
  absl::string_view value;      // canonical
  absl::string_view raw_value;  // as written in the file
};

struct ImportCallbacks {
  // A good item. Returning false stops reading (e.g. the stream broke).
  absl::FunctionRef<bool(const ImportItem&)> good;
  // A bad line: its number and why (one line of text).
  absl::FunctionRef<void(uint64_t line, absl::string_view reason)> bad;
  // Called every few thousand lines with the bytes consumed so far.
  absl::FunctionRef<void(uint64_t bytes)> progress;
};

// Reads `path` ("-": standard input `stdin_fd`) in `format` (kAuto: dump when
// the first non-empty line starts with "{", else CSV), calling back for every
// line not in `skip_lines`. Errors: NotFound / PermissionDenied / Internal
// naming the path when it cannot be opened or read; InvalidArgument when a
// dump file's header line is missing or foreign (nothing else is read).
// Bad lines are not errors: they go to callbacks.bad.
absl::Status ReadImportFile(const std::string& path, int stdin_fd,
                            ImportFormat format,
                            const absl::flat_hash_set<uint64_t>& skip_lines,
                            const ImportCallbacks& callbacks);

// The outcome of checking one CSV line (exposed for tests).
struct CsvLine {
  enum class Kind { kSkip, kBad, kItem } kind = Kind::kSkip;
  std::string reason;  // kBad
  corsd::v1::EntryKind entry_kind = corsd::v1::ENTRY_KIND_ORIGIN;
  absl::string_view tenant;     // kItem: view into the line
  absl::string_view value;      // kItem: view into the line or into *scratch
  absl::string_view raw_value;  // kItem: the field as written
};

// Checks one CSV line (without "\n"). `first` is true for the first
// non-empty line (a "tenant,origin" header is then skipped). `scratch` holds
// a canonicalized value when it differs from the input.
CsvLine CheckCsvLine(absl::string_view text, bool first, std::string* scratch);

}  // namespace corsd::corsctl

#endif  // CORSD_CLIENT_CORSCTL_IMPORT_FILE_H_
