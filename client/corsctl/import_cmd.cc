// `corsctl import FILE` and `corsctl export FILE`.
#include <sys/stat.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "client/corsctl/commands.h"
#include "client/corsctl/import_file.h"
#include "client/corsctl/json.h"
#include "client/status.h"
#include "service/store/dump_file.h"

namespace corsd::corsctl {

namespace {

constexpr absl::string_view kImportUsage =
    R"(usage: corsctl import FILE [--skip-bad] [--dry-run] [--format auto|csv|dump]

Imports FILE ("-": standard input) into corsd as one all-or-nothing write.
Formats:
  csv   one TENANT,ORIGIN per line (a wildcard entry "https://*.d.com" is
        recognized); "#" comments, empty lines and a "tenant,origin" header
        line are skipped. Tenants must exist (corsctl tenant put).
  dump  the JSON-lines file `corsctl export` writes (tenants with policies,
        origins, wildcards, API hosts).
  auto  (default) dump when the first non-empty line starts with "{".

Every line is checked here (the server's canonicalization and syntax rules)
while rows stream to the server. By default, if any line is bad, nothing is
applied: the stream is turned into a dry run, and each bad line is listed on
stderr as "line N: reason" (server refusals too, e.g. an unknown tenant).
--skip-bad applies the good lines and reports the bad ones; lines the server
refuses are then left out and the file is streamed again (FILE must be a
regular file for that). --dry-run only checks.

Progress goes to stderr: a bar with rows/s and ETA on a terminal, a plain
line per second otherwise (--no-progress: none).

Exit status: 0 applied (with --skip-bad: the good lines were applied, bad
ones reported; with --dry-run: no bad line); 1 nothing applied (bad lines,
server refusal, unreachable server); 2 usage error.
)";

constexpr int kMaxRounds = 8;

struct BadLine {
  uint64_t line;
  std::string reason;
};

// Progress on stderr: a redrawn bar on a terminal, plain lines otherwise.
class Progress {
 public:
  Progress(const Invocation& inv, bool enabled, uint64_t total_bytes)
      : inv_(inv),
        enabled_(enabled),
        total_bytes_(total_bytes),
        start_(absl::Now()),
        last_(start_) {}

  void Update(uint64_t rows, uint64_t bytes, bool final = false) {
    if (!enabled_) return;
    absl::Time now = absl::Now();
    absl::Duration min_gap =
        inv_.stderr_is_tty ? absl::Milliseconds(100) : absl::Seconds(1);
    if (!final && now - last_ < min_gap) return;
    last_ = now;
    double secs = std::max(absl::ToDoubleSeconds(now - start_), 1e-6);
    double rate = rows / secs;
    double fraction = total_bytes_ > 0
                          ? std::min(1.0, static_cast<double>(bytes) /
                                              static_cast<double>(total_bytes_))
                          : 0;
    std::string eta = "?";
    if (fraction > 0 && total_bytes_ > 0) {
      eta = absl::StrFormat("%.0fs", secs / fraction - secs);
    }
    if (inv_.stderr_is_tty) {
      constexpr int kWidth = 30;
      int filled = static_cast<int>(fraction * kWidth);
      *inv_.err << "\r[" << std::string(filled, '=')
                << std::string(kWidth - filled, ' ') << "] "
                << absl::StrFormat(
                       "%3.0f%% %llu rows %.0f rows/s ETA %s ", fraction * 100,
                       static_cast<unsigned long long>(rows), rate, eta);
      if (final) *inv_.err << "\n";
    } else {
      *inv_.err << absl::StrFormat(
          "import: %llu rows, %.0f rows/s, %.0f%%, ETA %s\n",
          static_cast<unsigned long long>(rows), rate, fraction * 100, eta);
    }
    inv_.err->flush();
  }

 private:
  const Invocation& inv_;
  bool enabled_;
  uint64_t total_bytes_;
  absl::Time start_;
  absl::Time last_;
};

struct RoundResult {
  absl::Status status;  // the server's verdict
  corsd::v1::ImportResponse response;
  uint64_t rows = 0;              // good items streamed
  std::vector<uint32_t> line_of;  // stream index -> line
  bool made_dry_run = false;      // bad lines turned it into a dry run
};

}  // namespace

int RunImport(const Invocation& inv) {
  FlagSet flags;
  GlobalOptions options;
  AddGlobalFlags(&flags, &options);
  bool skip_bad = false, dry_run = false, no_progress = false;
  std::string format_name = "auto";
  uint64_t chunk = 20000, max_listed = 10000;
  flags.Bool("skip-bad", &skip_bad, "apply the good lines, report the bad");
  flags.Bool("dry-run", &dry_run, "check only; apply nothing");
  flags.Bool("no-progress", &no_progress, "print no progress");
  flags.String("format", "FMT", &format_name, "auto (default), csv or dump");
  flags.Uint("chunk", "N", &chunk, 100000,
             "rows per stream message "
             "(default 20000)");
  flags.Uint("max-listed", "N", &max_listed, UINT64_MAX,
             "bad lines listed at most (all are counted; default 10000)");
  std::vector<std::string> positional;
  int rc = ParseCommandLine(inv, kImportUsage, &flags, &options, &positional);
  if (rc < 0) return kExitOk;
  if (rc != kExitOk) return rc;
  if (positional.size() != 1) {
    return UsageError(inv, "import takes exactly one FILE (\"-\": stdin)");
  }
  ImportFormat format;
  if (format_name == "auto") {
    format = ImportFormat::kAuto;
  } else if (format_name == "csv") {
    format = ImportFormat::kCsv;
  } else if (format_name == "dump") {
    format = ImportFormat::kDump;
  } else {
    return UsageError(inv, absl::StrCat("--format \"", format_name,
                                        "\": expected auto, csv or dump"));
  }
  if (chunk == 0) return UsageError(inv, "--chunk must be at least 1");
  const std::string path = positional[0];
  uint64_t total_bytes = 0;
  bool rereadable = false;
  if (path != "-") {
    struct stat st;
    if (stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      total_bytes = static_cast<uint64_t>(st.st_size);
      rereadable = true;
    }
  }
  auto admin = ConnectAdmin(options);
  if (!admin.ok()) {
    return ReportFailure(inv, options, admin.status(),
                         [](uint64_t i) { return absl::StrCat("item ", i); });
  }

  const absl::Time start = absl::Now();
  std::vector<BadLine> bad;  // client-side, first round
  uint64_t bad_total = 0;
  absl::flat_hash_set<uint64_t> skip;  // server-refused lines (--skip-bad)
  std::vector<BadLine> refused;        // server-side refusals
  RoundResult result;
  for (int round = 0;; ++round) {
    result = RoundResult();
    Progress progress(inv, !no_progress, total_bytes);
    client::ImportWriter::Options writer_options;
    writer_options.max_items = chunk;
    writer_options.dry_run = dry_run;
    std::unique_ptr<client::ImportWriter> writer =
        (*admin)->StartImport(writer_options);
    uint64_t bytes = 0;
    bool broken = false;
    const bool first_round = round == 0;
    // Named lambdas: ImportCallbacks holds FunctionRefs, which must not
    // outlive what they refer to.
    auto on_good = [&](const ImportItem& item) {
      result.line_of.push_back(static_cast<uint32_t>(item.line));
      absl::Status s =
          item.tenant != nullptr
              ? writer->AddTenant(*item.tenant)
              : writer->AddOp(corsd::v1::EntryOp::OP_ADD, item.kind,
                              item.tenant_id, item.value);
      ++result.rows;
      if (!s.ok()) broken = true;
      return !broken;
    };
    auto on_bad = [&](uint64_t line, absl::string_view reason) {
      if (!first_round) return;
      ++bad_total;
      if (bad.size() < max_listed) {
        bad.push_back({line, std::string(reason)});
      }
      if (!skip_bad && !result.made_dry_run) {
        writer->MarkDryRun();
        result.made_dry_run = true;
      }
    };
    auto on_progress = [&](uint64_t b) {
      bytes = b;
      progress.Update(result.rows, bytes);
    };
    ImportCallbacks callbacks{on_good, on_bad, on_progress};
    absl::Status read =
        ReadImportFile(path, inv.stdin_fd, format, skip, callbacks);
    if (!read.ok()) {
      // Nothing may be applied from a file we could not read whole.
      writer->MarkDryRun();
      (void)writer->Finish();
      return ReportFailure(inv, options, read,
                           [](uint64_t i) { return absl::StrCat("item ", i); });
    }
    absl::StatusOr<corsd::v1::ImportResponse> response = writer->Finish();
    progress.Update(result.rows, total_bytes > 0 ? total_bytes : bytes, true);
    if (response.ok()) {
      result.response = *response;
      break;
    }
    result.status = response.status();
    absl::optional<corsd::v1::BatchErrors> errors =
        client::BatchErrorsOf(response.status());
    if (!errors.has_value()) break;  // not a per-item refusal
    for (const corsd::v1::ItemError& e : errors->errors()) {
      uint64_t line =
          e.index() < result.line_of.size() ? result.line_of[e.index()] : 0;
      refused.push_back(
          {line, absl::StrCat(e.field(), " \"", e.value(), "\": ", e.message(),
                              " (refused by the server)")});
      skip.insert(line);
    }
    if (!skip_bad || !rereadable || round + 1 >= kMaxRounds ||
        errors->errors().empty()) {
      break;
    }
  }
  const double secs =
      std::max(absl::ToDoubleSeconds(absl::Now() - start), 1e-9);

  // Report.
  std::vector<BadLine> all = bad;
  all.insert(all.end(), refused.begin(), refused.end());
  std::sort(all.begin(), all.end(),
            [](const BadLine& a, const BadLine& b) { return a.line < b.line; });
  const bool applied = result.status.ok() && !result.made_dry_run && !dry_run;
  const bool failed_other =
      !result.status.ok() && !client::BatchErrorsOf(result.status).has_value();
  if (!options.json) {
    for (const BadLine& b : all) {
      *inv.err << "line " << b.line << ": " << b.reason << "\n";
    }
    if (bad_total > bad.size()) {
      *inv.err << "... " << bad_total - bad.size()
               << " more bad line(s) not listed (--max-listed)\n";
    }
  }
  if (failed_other) {
    return ReportFailure(inv, options, result.status,
                         [](uint64_t i) { return absl::StrCat("item ", i); });
  }
  const uint64_t bad_count = bad_total + refused.size();
  const uint64_t rows_applied = applied ? result.rows : 0;
  if (options.json) {
    std::string list = "[";
    for (const BadLine& b : all) {
      if (list.size() > 1) list += ",";
      list += JsonObject().Add("line", b.line).Add("reason", b.reason).Build();
    }
    list += "]";
    *inv.out << JsonObject()
                    .Add("ok", applied || (dry_run && bad_count == 0 &&
                                           result.status.ok()))
                    .Add("applied", applied)
                    .Add("dry_run", dry_run)
                    .Add("rows", result.rows)
                    .Add("rows_applied", rows_applied)
                    .Add("bad", bad_count)
                    .Add("tenants", result.response.tenants())
                    .Add("added", result.response.added())
                    .Add("revision", result.response.revision())
                    .Add("seconds", secs)
                    .Add("rows_per_s", result.rows / secs)
                    .AddRaw("bad_lines", list)
                    .Build()
             << "\n";
  } else if (applied) {
    *inv.out << absl::StrFormat(
        "imported %d rows from %s: %d tenant(s) put, %d entries added "
        "(%d already present), revision %d, in %.2f s (%.0f rows/s)\n",
        result.rows, path, result.response.tenants(), result.response.added(),
        result.rows - result.response.tenants() - result.response.added(),
        result.response.revision(), secs, result.rows / secs);
    if (bad_count > 0) {
      *inv.out << "skipped " << bad_count << " bad line(s), listed above\n";
    }
  } else if (dry_run && bad_count == 0 && result.status.ok()) {
    *inv.out << "dry run: " << result.rows
             << " rows checked, all good; nothing applied\n";
  } else {
    *inv.out << "nothing imported: " << bad_count << " bad line(s)"
             << (skip_bad ? "" : "; fix them or use --skip-bad") << "\n";
  }
  if (applied) return kExitOk;
  if (dry_run && bad_count == 0 && result.status.ok()) return kExitOk;
  return kExitFailed;
}

int RunExport(const Invocation& inv) {
  FlagSet flags;
  GlobalOptions options;
  AddGlobalFlags(&flags, &options);
  std::vector<std::string> positional;
  int rc = ParseCommandLine(
      inv,
      "usage: corsctl export FILE\n\n"
      "Writes every tenant (with its policy) and every origin, wildcard and "
      "API host\nto FILE (\"-\": standard output) in the dump format "
      "(JSON lines, a\n{\"format\":\"corsd-dump\",\"version\":1} header), a "
      "consistent snapshot that\n`corsctl import FILE` loads back.\n\n"
      "Exit status: 0 ok; 1 failed (the file is then incomplete); 2 usage "
      "error.\n",
      &flags, &options, &positional);
  if (rc < 0) return kExitOk;
  if (rc != kExitOk) return rc;
  if (positional.size() != 1) {
    return UsageError(inv, "export takes exactly one FILE (\"-\": stdout)");
  }
  auto label = [](uint64_t i) { return absl::StrCat("item ", i); };
  auto admin = ConnectAdmin(options);
  if (!admin.ok()) return ReportFailure(inv, options, admin.status(), label);
  const std::string& path = positional[0];
  std::ofstream file;
  std::ostream* out = inv.out;
  if (path != "-") {
    file.open(path, std::ios::binary | std::ios::trunc);
    if (!file) {
      return ReportFailure(
          inv, options,
          absl::InternalError(absl::StrCat("cannot write \"", path,
                                           "\": ", std::strerror(errno))),
          label);
    }
    out = &file;
  }
  store::DumpWriter writer(out);
  uint64_t tenants = 0, entries = 0;
  absl::Status write_status;
  absl::Status status = (*admin)->Export([&](const corsd::v1::ExportChunk& c) {
    tenants += c.tenants_size();
    entries += c.ops_size();
    write_status = writer.WriteExportChunk(c);
    return write_status.ok();
  });
  if (!write_status.ok()) status = write_status;
  if (status.ok()) status = writer.Finish();
  if (!status.ok()) return ReportFailure(inv, options, status, label);
  if (path == "-") return kExitOk;
  if (options.json) {
    *inv.out << JsonObject()
                    .Add("ok", true)
                    .Add("file", path)
                    .Add("tenants", tenants)
                    .Add("entries", entries)
                    .Add("lines", writer.lines())
                    .Build()
             << "\n";
  } else {
    *inv.out << "exported " << tenants << " tenant(s) and " << entries
             << " entries to " << path << "\n";
  }
  return kExitOk;
}

}  // namespace corsd::corsctl
