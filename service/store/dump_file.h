// The dump file: everything a store holds (tenants with their policies,
// origins, wildcard entries, API hosts) in one file, for backup, moving a
// store, or seeding one. Written by `corsctl export`, read by `corsctl
// import` and the store tests. JSON lines, UTF-8, one record per line:
//
//   {"format":"corsd-dump","version":1}                      first line
//   {"tenant":{"id":"acme","policy":{"allowCredentials":true}}}
//   {"tenant":"acme","kind":"origin","value":"https://shop.acme.com"}
//   {"tenant":"acme","kind":"wildcard","value":"https://*.acme.com"}
//   {"tenant":"acme","kind":"api_host","value":"api.acme.com"}
//   {"domain":{"tenant":"acme","host":"shop.acme.com","state":...}}
//
// A tenant line carries a corsd.v1.Tenant in protobuf's JSON mapping
// (MessageToJsonString: lowerCamelCase field names, defaults omitted). An
// entry line names an existing tenant (its tenant line comes earlier), a
// kind ("origin", "wildcard", "api_host") and the value. A domain line
// carries a corsd.v1.CustomDomain (state, token, attempts: the lifecycle
// as it was). Readers accept any key order and whitespace, skip empty
// lines, and refuse unknown keys. Files this writer makes hold every tenant
// line, then every entry line, then every domain line; the reader accepts
// any order. Version 1 files without domain lines read as before.
//
// Thread safety: a DumpWriter or DumpReader is used by one thread.
#ifndef CORSD_SERVICE_STORE_DUMP_FILE_H_
#define CORSD_SERVICE_STORE_DUMP_FILE_H_

#include <cstdint>
#include <istream>
#include <ostream>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "corsd/v1/admin.pb.h"
#include "service/store/store.h"

namespace corsd::store {

inline constexpr absl::string_view kDumpFormat = "corsd-dump";
inline constexpr int kDumpVersion = 1;
// Longest line a reader accepts (a tenant with a large policy fits).
inline constexpr size_t kMaxDumpLineBytes = 1 << 20;

// Streams records to `out` (not owned; must outlive the writer). The header
// line is written by the constructor. Errors: DataLoss when the stream
// fails (disk full...), naming the line number.
class DumpWriter {
 public:
  explicit DumpWriter(std::ostream* out);
  absl::Status WriteTenant(const corsd::v1::Tenant& tenant);
  absl::Status WriteEntry(absl::string_view tenant, EntryKind kind,
                          absl::string_view value);
  // {"domain":{...}}: a corsd.v1.CustomDomain in protobuf's JSON mapping.
  absl::Status WriteDomain(const corsd::v1::CustomDomain& domain);
  // Every tenant, then every op of `chunk` (ops must be OP_ADD; Internal
  // otherwise), then every domain, as an Export stream gives them.
  absl::Status WriteExportChunk(const corsd::v1::ExportChunk& chunk);
  // Flushes; DataLoss if anything failed.
  absl::Status Finish();
  uint64_t lines() const { return lines_; }

 private:
  absl::Status Check();
  std::ostream* const out_;
  std::string line_;
  uint64_t lines_ = 0;
};

// One record of a dump file.
struct DumpRecord {
  enum class Type { kTenant, kEntry, kDomain };
  Type type = Type::kEntry;
  corsd::v1::Tenant tenant;        // kTenant
  corsd::v1::CustomDomain domain;  // kDomain
  std::string entry_tenant;        // kEntry
  EntryKind kind = EntryKind::kOrigin;
  std::string value;
};

// Reads records from `in` (not owned). The header line is checked on the
// first Next. Errors are InvalidArgument naming the line number and what
// was expected: a missing or foreign header, a newer version, malformed
// JSON, an unknown key or kind, a line longer than kMaxDumpLineBytes.
class DumpReader {
 public:
  explicit DumpReader(std::istream* in);
  // Fills *record and returns true, or returns false at the end.
  absl::StatusOr<bool> Next(DumpRecord* record);
  uint64_t line() const { return line_no_; }

 private:
  absl::Status ParseLine(absl::string_view line, DumpRecord* record);
  std::istream* const in_;
  std::string line_;
  uint64_t line_no_ = 0;
  bool header_seen_ = false;
};

// Reads a whole dump and hands it to `sink` as ImportChunks of at most
// `max_items` items (tenants, OP_ADD ops and domains) of consecutive lines,
// so that importing them in order (each chunk: tenants, then ops, then
// domains) follows the file order: a tenant line after an entry or domain
// line, or an entry line after a domain line, starts a new chunk. Returns the
// reader's error or the first non-OK status of `sink`.
absl::Status ReadDumpAsImportChunks(
    std::istream* in, size_t max_items,
    absl::FunctionRef<absl::Status(const corsd::v1::ImportChunk&)> sink);

}  // namespace corsd::store

#endif  // CORSD_SERVICE_STORE_DUMP_FILE_H_
