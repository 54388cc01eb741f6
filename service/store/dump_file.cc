#include "service/store/dump_file.h"

#include <google/protobuf/util/json_util.h>

#include <utility>

#include "absl/strings/str_cat.h"

namespace corsd::store {
namespace {

void AppendJsonString(std::string* out, absl::string_view s) {
  out->push_back('"');
  for (const char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          static constexpr char kHex[] = "0123456789abcdef";
          out->append("\\u00");
          out->push_back(kHex[(c >> 4) & 0xf]);
          out->push_back(kHex[c & 0xf]);
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

// A minimal JSON scanner for one flat record line: an object whose values
// are strings, numbers or (for "tenant"/"policy") nested objects captured as
// raw text.
class Scanner {
 public:
  explicit Scanner(absl::string_view text) : s_(text) {}

  void SkipSpace() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' ||
                                s_[pos_] == '\r' || s_[pos_] == '\n')) {
      ++pos_;
    }
  }
  bool Consume(char c) {
    SkipSpace();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool Peek(char c) {
    SkipSpace();
    return pos_ < s_.size() && s_[pos_] == c;
  }
  bool AtEnd() {
    SkipSpace();
    return pos_ == s_.size();
  }

  // A JSON string (with escapes) into *out.
  bool String(std::string* out) {
    if (!Consume('"')) return false;
    out->clear();
    while (pos_ < s_.size()) {
      const char c = s_[pos_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (pos_ >= s_.size()) return false;
      const char e = s_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out->push_back(e);
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u': {
          uint32_t cp;
          if (!Hex4(&cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t lo;
            if (s_.substr(pos_, 2) != "\\u") return false;
            pos_ += 2;
            if (!Hex4(&lo) || lo < 0xDC00 || lo > 0xDFFF) return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return false;
          }
          AppendUtf8(out, cp);
          break;
        }
        default:
          return false;
      }
    }
    return false;
  }

  // A JSON value starting at the cursor (an object or array with balanced
  // brackets, or a scalar), returned as raw text.
  bool RawValue(absl::string_view* raw) {
    SkipSpace();
    const size_t start = pos_;
    std::string ignored;
    if (Peek('{') || Peek('[')) {
      int depth = 0;
      while (pos_ < s_.size()) {
        const char c = s_[pos_];
        if (c == '"') {
          if (!String(&ignored)) return false;
          continue;
        }
        ++pos_;
        if (c == '{' || c == '[') ++depth;
        if (c == '}' || c == ']') {
          if (--depth == 0) break;
        }
      }
      if (depth != 0) return false;
    } else if (Peek('"')) {
      if (!String(&ignored)) return false;
    } else {
      while (pos_ < s_.size() && s_[pos_] != ',' && s_[pos_] != '}' &&
             s_[pos_] != ' ') {
        ++pos_;
      }
    }
    if (pos_ == start) return false;
    *raw = absl::string_view(s_.data() + start, pos_ - start);
    return true;
  }

 private:
  bool Hex4(uint32_t* v) {
    if (pos_ + 4 > s_.size()) return false;
    *v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = s_[pos_++];
      *v <<= 4;
      if (c >= '0' && c <= '9') {
        *v |= c - '0';
      } else if (c >= 'a' && c <= 'f') {
        *v |= c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        *v |= c - 'A' + 10;
      } else {
        return false;
      }
    }
    return true;
  }
  static void AppendUtf8(std::string* out, uint32_t cp) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  absl::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

DumpWriter::DumpWriter(std::ostream* out) : out_(out) {
  *out_ << "{\"format\":\"" << kDumpFormat << "\",\"version\":" << kDumpVersion
        << "}\n";
  ++lines_;
}

absl::Status DumpWriter::Check() {
  if (!*out_) {
    return absl::DataLossError(
        absl::StrCat("dump file: writing line ", lines_, " failed"));
  }
  return absl::OkStatus();
}

absl::Status DumpWriter::WriteTenant(const corsd::v1::Tenant& tenant) {
  std::string json;
  auto status = google::protobuf::util::MessageToJsonString(tenant, &json);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("tenant \"", tenant.id(),
                     "\" does not convert to JSON: ", status.ToString()));
  }
  line_.clear();
  absl::StrAppend(&line_, "{\"tenant\":", json, "}\n");
  out_->write(line_.data(), line_.size());
  ++lines_;
  return Check();
}

absl::Status DumpWriter::WriteEntry(absl::string_view tenant, EntryKind kind,
                                    absl::string_view value) {
  line_.clear();
  line_.append("{\"tenant\":");
  AppendJsonString(&line_, tenant);
  absl::StrAppend(&line_, ",\"kind\":\"", EntryKindName(kind), "\",\"value\":");
  AppendJsonString(&line_, value);
  line_.append("}\n");
  out_->write(line_.data(), line_.size());
  ++lines_;
  return Check();
}

absl::Status DumpWriter::WriteDomain(const corsd::v1::CustomDomain& domain) {
  std::string json;
  auto status = google::protobuf::util::MessageToJsonString(domain, &json);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("custom domain \"", domain.host(),
                     "\" does not convert to JSON: ", status.ToString()));
  }
  line_.clear();
  absl::StrAppend(&line_, "{\"domain\":", json, "}\n");
  out_->write(line_.data(), line_.size());
  ++lines_;
  return Check();
}

absl::Status DumpWriter::WriteExportChunk(const corsd::v1::ExportChunk& chunk) {
  for (const corsd::v1::Tenant& t : chunk.tenants()) {
    if (absl::Status s = WriteTenant(t); !s.ok()) return s;
  }
  for (const corsd::v1::EntryOp& op : chunk.ops()) {
    if (op.op() != corsd::v1::EntryOp::OP_ADD || op.kind() < 1 ||
        op.kind() > 3) {
      return absl::InternalError(
          absl::StrCat("export chunk op for tenant \"", op.tenant(),
                       "\" is not an OP_ADD of a known kind (op ", op.op(),
                       ", kind ", op.kind(), ")"));
    }
    if (absl::Status s = WriteEntry(
            op.tenant(), static_cast<EntryKind>(op.kind()), op.value());
        !s.ok()) {
      return s;
    }
  }
  for (const corsd::v1::CustomDomain& d : chunk.domains()) {
    if (absl::Status s = WriteDomain(d); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status DumpWriter::Finish() {
  out_->flush();
  return Check();
}

DumpReader::DumpReader(std::istream* in) : in_(in) {}

absl::StatusOr<bool> DumpReader::Next(DumpRecord* record) {
  while (std::getline(*in_, line_)) {
    ++line_no_;
    if (line_.size() > kMaxDumpLineBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("dump line ", line_no_, " is ", line_.size(),
                       " bytes; at most ", kMaxDumpLineBytes, " expected"));
    }
    if (!line_.empty() && line_.back() == '\r') line_.pop_back();
    if (line_.find_first_not_of(" \t") == std::string::npos) continue;
    if (!header_seen_) {
      Scanner s(line_);
      std::string key, format;
      absl::string_view version;
      bool ok = s.Consume('{');
      bool has_format = false, has_version = false;
      while (ok && !s.Peek('}')) {
        ok = s.String(&key) && s.Consume(':');
        if (ok && key == "format") {
          ok = s.String(&format);
          has_format = true;
        } else if (ok && key == "version") {
          ok = s.RawValue(&version);
          has_version = true;
        } else {
          ok = false;
        }
        if (ok && !s.Peek('}')) ok = s.Consume(',');
      }
      ok = ok && s.Consume('}') && s.AtEnd();
      if (!ok || !has_format || !has_version || format != kDumpFormat) {
        return absl::InvalidArgumentError(
            absl::StrCat("dump line ", line_no_,
                         " is not a corsd dump header; expected "
                         "{\"format\":\"",
                         kDumpFormat, "\",\"version\":", kDumpVersion, "}"));
      }
      if (version != absl::StrCat(kDumpVersion)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "dump line ", line_no_, ": version ", version,
            " is not supported; this corsd reads version ", kDumpVersion));
      }
      header_seen_ = true;
      continue;
    }
    if (absl::Status s = ParseLine(line_, record); !s.ok()) return s;
    return true;
  }
  if (in_->bad()) {
    return absl::DataLossError(
        absl::StrCat("dump file: reading after line ", line_no_, " failed"));
  }
  if (!header_seen_) {
    return absl::InvalidArgumentError(
        "dump file is empty; expected a {\"format\":\"corsd-dump\",...} "
        "header line");
  }
  return false;
}

absl::Status DumpReader::ParseLine(absl::string_view line, DumpRecord* record) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("dump line ", line_no_, ": ",
                                                   why, " (line starts \"",
                                                   line.substr(0, 80), "\")"));
  };
  Scanner s(line);
  if (!s.Consume('{')) return bad("expected a JSON object");
  std::string key, tenant_id, kind, value;
  absl::string_view tenant_object, domain_object;
  bool has_kind = false, has_value = false, has_tenant = false;
  while (!s.Peek('}')) {
    if (!s.String(&key) || !s.Consume(':')) return bad("expected \"key\":");
    if (key == "tenant") {
      has_tenant = true;
      if (s.Peek('{')) {
        if (!s.RawValue(&tenant_object)) return bad("malformed tenant object");
      } else if (!s.String(&tenant_id)) {
        return bad("\"tenant\" must be a string or an object");
      }
    } else if (key == "kind") {
      if (!s.String(&kind)) return bad("\"kind\" must be a string");
      has_kind = true;
    } else if (key == "value") {
      if (!s.String(&value)) return bad("\"value\" must be a string");
      has_value = true;
    } else if (key == "domain") {
      if (!s.Peek('{') || !s.RawValue(&domain_object)) {
        return bad("\"domain\" must be an object");
      }
    } else {
      return bad(absl::StrCat("unknown key \"", key,
                              "\"; expected tenant, kind, value, domain"));
    }
    if (!s.Peek('}') && !s.Consume(',')) return bad("expected , or }");
  }
  if (!s.Consume('}') || !s.AtEnd()) return bad("trailing characters");
  if (!domain_object.empty()) {
    if (has_tenant || has_kind || has_value) {
      return bad("a domain record has only \"domain\"");
    }
    record->type = DumpRecord::Type::kDomain;
    record->domain.Clear();
    auto status = google::protobuf::util::JsonStringToMessage(
        std::string(domain_object), &record->domain);
    if (!status.ok()) {
      return bad(absl::StrCat("domain is not a corsd.v1.CustomDomain: ",
                              status.ToString()));
    }
    return absl::OkStatus();
  }
  if (!has_tenant) return bad("missing \"tenant\"");
  if (!tenant_object.empty()) {
    if (has_kind || has_value) {
      return bad("a tenant record has only \"tenant\"");
    }
    record->type = DumpRecord::Type::kTenant;
    record->tenant.Clear();
    auto status = google::protobuf::util::JsonStringToMessage(
        std::string(tenant_object), &record->tenant);
    if (!status.ok()) {
      return bad(
          absl::StrCat("tenant is not a corsd.v1.Tenant: ", status.ToString()));
    }
    return absl::OkStatus();
  }
  if (!has_kind || !has_value) {
    return bad("an entry record needs \"tenant\", \"kind\" and \"value\"");
  }
  record->type = DumpRecord::Type::kEntry;
  if (!ParseEntryKind(kind, &record->kind)) {
    return bad(absl::StrCat("kind \"", kind,
                            "\" is unknown; expected origin, wildcard or "
                            "api_host"));
  }
  record->entry_tenant = std::move(tenant_id);
  record->value = std::move(value);
  return absl::OkStatus();
}

absl::Status ReadDumpAsImportChunks(
    std::istream* in, size_t max_items,
    absl::FunctionRef<absl::Status(const corsd::v1::ImportChunk&)> sink) {
  if (max_items == 0) max_items = 1;
  DumpReader reader(in);
  DumpRecord record;
  corsd::v1::ImportChunk chunk;
  size_t items = 0;
  auto flush = [&]() -> absl::Status {
    if (items == 0) return absl::OkStatus();
    absl::Status s = sink(chunk);
    chunk.Clear();
    items = 0;
    return s;
  };
  for (;;) {
    auto more = reader.Next(&record);
    if (!more.ok()) return more.status();
    if (!*more) break;
    if (record.type == DumpRecord::Type::kTenant) {
      if (chunk.ops_size() > 0 || chunk.domains_size() > 0) {
        if (absl::Status s = flush(); !s.ok()) return s;
      }
      *chunk.add_tenants() = std::move(record.tenant);
    } else if (record.type == DumpRecord::Type::kDomain) {
      *chunk.add_domains() = std::move(record.domain);
    } else {
      if (chunk.domains_size() > 0) {
        if (absl::Status s = flush(); !s.ok()) return s;
      }
      corsd::v1::EntryOp* op = chunk.add_ops();
      op->set_op(corsd::v1::EntryOp::OP_ADD);
      op->set_kind(static_cast<corsd::v1::EntryKind>(record.kind));
      op->set_tenant(std::move(record.entry_tenant));
      op->set_value(std::move(record.value));
    }
    if (++items >= max_items) {
      if (absl::Status s = flush(); !s.ok()) return s;
    }
  }
  return flush();
}

}  // namespace corsd::store
