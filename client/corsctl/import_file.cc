#include "client/corsctl/import_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/corsctl/line_reader.h"
#include "client/status.h"
#include "service/origin/origin.h"
#include "service/store/dump_file.h"
#include "service/store/validation.h"

namespace corsd::corsctl {

namespace {

// CSV lines are short; a longer line is refused without being buffered.
constexpr size_t kMaxCsvLine = 8192;
constexpr uint64_t kProgressEveryLines = 16384;

absl::string_view TrimField(absl::string_view s) {
  s = absl::StripAsciiWhitespace(s);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') {
    s = s.substr(1, s.size() - 2);
  }
  return s;
}

// "field \"value\": message" of the first error in `errors`.
std::string Reason(const store::ErrorList& errors) {
  absl::Status status = errors.ToStatus("line");
  absl::optional<corsd::v1::BatchErrors> batch = client::BatchErrorsOf(status);
  if (!batch.has_value() || batch->errors().empty()) {
    return std::string(status.message());
  }
  const corsd::v1::ItemError& e = batch->errors(0);
  return absl::StrCat(e.field(), " \"", e.value(), "\": ", e.message());
}

absl::Status OpenError(const std::string& path) {
  std::string message =
      absl::StrCat("cannot open \"", path, "\": ", std::strerror(errno));
  if (errno == ENOENT) return absl::NotFoundError(message);
  if (errno == EACCES) return absl::PermissionDeniedError(message);
  return absl::InternalError(message);
}

absl::Status ReadCsv(int fd, const absl::flat_hash_set<uint64_t>& skip_lines,
                     const ImportCallbacks& cb) {
  LineReader reader(fd, kMaxCsvLine);
  LineReader::Line line;
  std::string scratch;
  bool first = true;
  ImportItem item;
  while (reader.Next(&line)) {
    if (line.number % kProgressEveryLines == 0)
      cb.progress(reader.bytes_read());
    if (!skip_lines.empty() && skip_lines.contains(line.number)) continue;
    if (line.too_long) {
      cb.bad(line.number,
             absl::StrCat("line longer than ", kMaxCsvLine, " bytes"));
      first = false;
      continue;
    }
    CsvLine checked = CheckCsvLine(line.text, first, &scratch);
    if (checked.kind == CsvLine::Kind::kSkip) continue;
    first = false;
    if (checked.kind == CsvLine::Kind::kBad) {
      cb.bad(line.number, checked.reason);
      continue;
    }
    item.line = line.number;
    item.kind = checked.entry_kind;
    item.tenant_id = checked.tenant;
    item.value = checked.value;
    item.raw_value = checked.raw_value;
    if (!cb.good(item)) return absl::OkStatus();
  }
  cb.progress(reader.bytes_read());
  return reader.status();
}

// Reads the dump in `in`. The first Next reads the header: if it fails
// before any record, the file is refused whole.
absl::Status ReadDump(std::istream* in, const std::string& path,
                      const absl::flat_hash_set<uint64_t>& skip_lines,
                      const ImportCallbacks& cb) {
  store::DumpReader reader(in);
  store::DumpRecord record;
  corsd::v1::EntryOp op;
  op.set_op(corsd::v1::EntryOp::OP_ADD);
  store::PreparedOp prepared_op;
  ImportItem item;
  bool any = false;
  while (true) {
    absl::StatusOr<bool> more = reader.Next(&record);
    const uint64_t number = reader.line();
    if (number % kProgressEveryLines == 0) {
      std::streamoff pos = in->tellg();
      if (pos >= 0) cb.progress(static_cast<uint64_t>(pos));
    }
    if (!more.ok()) {
      // The header is the first line read; a bad one makes every line bad.
      if (!any && !in->bad()) {
        return absl::InvalidArgumentError(
            absl::StrCat("\"", path, "\": ", more.status().message()));
      }
      if (in->bad()) return more.status();
      any = true;
      if (!skip_lines.contains(number)) {
        cb.bad(number, more.status().message());
      }
      continue;
    }
    if (!*more) break;
    any = true;
    if (!skip_lines.empty() && skip_lines.contains(number)) continue;
    store::ErrorList errors;
    item.line = number;
    if (record.type == store::DumpRecord::Type::kTenant) {
      store::PreparedTenant prepared;
      if (!store::PrepareTenant(0, record.tenant, &prepared, &errors)) {
        cb.bad(number, Reason(errors));
        continue;
      }
      item.tenant = &record.tenant;
      if (!cb.good(item)) return absl::OkStatus();
      item.tenant = nullptr;
      continue;
    }
    op.set_kind(static_cast<corsd::v1::EntryKind>(record.kind));
    op.set_tenant(record.entry_tenant);
    op.set_value(record.value);
    if (!store::PrepareOp(0, op, &prepared_op, &errors)) {
      cb.bad(number, Reason(errors));
      continue;
    }
    item.kind = op.kind();
    item.tenant_id = prepared_op.tenant;
    item.value = prepared_op.value;
    item.raw_value = record.value;
    if (!cb.good(item)) return absl::OkStatus();
  }
  return absl::OkStatus();
}

// True when the first non-empty line of `fd` starts with "{"; rewinds.
absl::StatusOr<bool> LooksLikeDump(int fd, const std::string& path) {
  char buf[4096];
  ssize_t n = pread(fd, buf, sizeof buf, 0);
  if (n < 0) {
    return absl::InternalError(
        absl::StrCat("cannot read \"", path, "\": ", std::strerror(errno)));
  }
  for (ssize_t i = 0; i < n; ++i) {
    if (absl::ascii_isspace(static_cast<unsigned char>(buf[i]))) continue;
    return buf[i] == '{';
  }
  return false;
}

}  // namespace

CsvLine CheckCsvLine(absl::string_view text, bool first, std::string* scratch) {
  CsvLine out;
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  absl::string_view trimmed = absl::StripAsciiWhitespace(text);
  if (trimmed.empty() || trimmed.front() == '#') return out;  // kSkip
  size_t comma = trimmed.find(',');
  if (comma == absl::string_view::npos) {
    out.kind = CsvLine::Kind::kBad;
    out.reason = "expected TENANT,ORIGIN (no comma)";
    return out;
  }
  absl::string_view tenant = TrimField(trimmed.substr(0, comma));
  absl::string_view value = TrimField(trimmed.substr(comma + 1));
  if (first && absl::EqualsIgnoreCase(tenant, "tenant") &&
      absl::EqualsIgnoreCase(value, "origin")) {
    return out;  // header
  }
  if (value.find(',') != absl::string_view::npos) {
    out.kind = CsvLine::Kind::kBad;
    out.reason = "expected TENANT,ORIGIN (more than two fields)";
    return out;
  }
  out.tenant = tenant;
  out.raw_value = value;
  out.entry_kind = absl::StrContains(value, "://*.")
                       ? corsd::v1::ENTRY_KIND_WILDCARD
                       : corsd::v1::ENTRY_KIND_ORIGIN;
  // Fast path: an already canonical origin and a valid tenant id.
  origin::OriginParts parts;
  if (out.entry_kind == corsd::v1::ENTRY_KIND_ORIGIN &&
      origin::CheckOriginHeader(value, &parts) ==
          origin::HeaderCheck::kCanonical &&
      store::ValidateTenantId(tenant).ok()) {
    out.kind = CsvLine::Kind::kItem;
    out.value = value;
    return out;
  }
  corsd::v1::EntryOp op;
  op.set_op(corsd::v1::EntryOp::OP_ADD);
  op.set_kind(out.entry_kind);
  op.set_tenant(std::string(tenant));
  op.set_value(std::string(value));
  store::PreparedOp prepared;
  store::ErrorList errors;
  if (!store::PrepareOp(0, op, &prepared, &errors)) {
    out.kind = CsvLine::Kind::kBad;
    out.reason = Reason(errors);
    return out;
  }
  *scratch = std::move(prepared.value);
  out.kind = CsvLine::Kind::kItem;
  out.value = *scratch;
  return out;
}

absl::Status ReadImportFile(const std::string& path, int stdin_fd,
                            ImportFormat format,
                            const absl::flat_hash_set<uint64_t>& skip_lines,
                            const ImportCallbacks& callbacks) {
  const bool from_stdin = path == "-";
  int fd = from_stdin ? stdin_fd : open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return OpenError(path);
  struct Closer {
    int fd;
    bool owned;
    ~Closer() {
      if (owned) close(fd);
    }
  } closer{fd, !from_stdin};

  if (format == ImportFormat::kAuto) {
    if (from_stdin) {
      format = ImportFormat::kCsv;  // stdin cannot be peeked and rewound
    } else {
      absl::StatusOr<bool> dump = LooksLikeDump(fd, path);
      if (!dump.ok()) return dump.status();
      format = *dump ? ImportFormat::kDump : ImportFormat::kCsv;
    }
  }
  if (format == ImportFormat::kCsv) return ReadCsv(fd, skip_lines, callbacks);
  if (from_stdin) return ReadDump(&std::cin, path, skip_lines, callbacks);
  std::ifstream in(path, std::ios::binary);
  if (!in) return OpenError(path);
  // Check the header on its own, so that a bad first record is reported as
  // a bad line rather than taken for a bad header.
  std::string first;
  while (std::getline(in, first) && absl::StripAsciiWhitespace(first).empty()) {
  }
  std::istringstream header(first + "\n");
  store::DumpReader header_reader(&header);
  store::DumpRecord ignored;
  absl::StatusOr<bool> header_ok = header_reader.Next(&ignored);
  if (!header_ok.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", path, "\": ", header_ok.status().message()));
  }
  in.clear();
  in.seekg(0);
  return ReadDump(&in, path, skip_lines, callbacks);
}

}  // namespace corsd::corsctl
