#include "client/corsctl/flags.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/types/optional.h"

namespace corsd::corsctl {

namespace {

// Declaring a flag twice is a bug in corsctl, not a user error.
void DieIfDeclared(const void* found, absl::string_view name) {
  if (found == nullptr) return;
  std::fprintf(stderr, "corsctl: flag --%.*s declared twice\n",
               static_cast<int>(name.size()), name.data());
  std::abort();
}

bool IsFlagWord(const std::string& arg) {
  return arg.size() > 2 && arg[0] == '-' && arg[1] == '-';
}

}  // namespace

void FlagSet::Bool(absl::string_view name, bool* out, absl::string_view help) {
  DieIfDeclared(Find(name), name);
  flags_.push_back(
      Flag{std::string(name), "", std::string(help), Type::kBool, out});
}

void FlagSet::String(absl::string_view name, absl::string_view value_name,
                     std::string* out, absl::string_view help) {
  DieIfDeclared(Find(name), name);
  flags_.push_back(Flag{std::string(name), std::string(value_name),
                        std::string(help), Type::kString, out});
}

void FlagSet::List(absl::string_view name, absl::string_view value_name,
                   std::vector<std::string>* out, absl::string_view help) {
  DieIfDeclared(Find(name), name);
  flags_.push_back(Flag{std::string(name), std::string(value_name),
                        std::string(help), Type::kList, out});
}

void FlagSet::Uint(absl::string_view name, absl::string_view value_name,
                   uint64_t* out, uint64_t max, absl::string_view help) {
  DieIfDeclared(Find(name), name);
  flags_.push_back(Flag{std::string(name), std::string(value_name),
                        std::string(help), Type::kUint, out, max});
}

const FlagSet::Flag* FlagSet::Find(absl::string_view name) const {
  for (const Flag& flag : flags_) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

absl::Status FlagSet::Set(const Flag& flag, absl::string_view value) {
  switch (flag.type) {
    case Type::kBool:
      if (value == "true" || value == "1") {
        *static_cast<bool*>(flag.out) = true;
      } else if (value == "false" || value == "0") {
        *static_cast<bool*>(flag.out) = false;
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("flag --", flag.name, ": value \"", value,
                         "\" is not a boolean (expected true or false)"));
      }
      break;
    case Type::kString:
      *static_cast<std::string*>(flag.out) = std::string(value);
      break;
    case Type::kList: {
      auto* out = static_cast<std::vector<std::string>*>(flag.out);
      for (absl::string_view piece :
           absl::StrSplit(value, ',', absl::SkipWhitespace())) {
        out->emplace_back(absl::StripAsciiWhitespace(piece));
      }
      break;
    }
    case Type::kUint: {
      uint64_t n = 0;
      if (value.empty() || value[0] == '+' || value[0] == '-' ||
          !absl::SimpleAtoi(value, &n) || n > flag.max) {
        return absl::InvalidArgumentError(
            absl::StrCat("flag --", flag.name, ": value \"", value,
                         "\" is not a whole number in [0, ", flag.max, "]"));
      }
      *static_cast<uint64_t*>(flag.out) = n;
      break;
    }
  }
  seen_.insert(flag.name);
  return absl::OkStatus();
}

absl::Status FlagSet::Parse(absl::Span<const std::string> args,
                            std::vector<std::string>* positional) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      positional->insert(positional->end(), args.begin() + i + 1, args.end());
      return absl::OkStatus();
    }
    if (!IsFlagWord(arg)) {
      positional->push_back(arg);
      continue;
    }
    absl::string_view body = absl::string_view(arg).substr(2);
    absl::string_view name = body;
    absl::optional<absl::string_view> inline_value;
    if (size_t eq = body.find('='); eq != absl::string_view::npos) {
      name = body.substr(0, eq);
      inline_value = body.substr(eq + 1);
    }
    const Flag* flag = Find(name);
    if (flag == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag --", name, " (see --help)"));
    }
    if (inline_value.has_value()) {
      absl::Status status = Set(*flag, *inline_value);
      if (!status.ok()) return status;
    } else if (flag->type == Type::kBool) {
      absl::Status status = Set(*flag, "true");
      if (!status.ok()) return status;
    } else {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "flag --", name, " needs a value (", flag->value_name, ")"));
      }
      absl::Status status = Set(*flag, args[++i]);
      if (!status.ok()) return status;
    }
  }
  return absl::OkStatus();
}

std::string FlagSet::Help() const {
  std::vector<std::pair<std::string, const Flag*>> lines;
  size_t width = 0;
  for (const Flag& flag : flags_) {
    std::string left = absl::StrCat("  --", flag.name);
    if (!flag.value_name.empty()) absl::StrAppend(&left, " ", flag.value_name);
    width = std::max(width, left.size());
    lines.emplace_back(std::move(left), &flag);
  }
  std::string out;
  for (auto& [left, flag] : lines) {
    absl::StrAppend(&out, left, std::string(width + 2 - left.size(), ' '),
                    flag->help,
                    flag->type == Type::kList ? " (repeatable)" : "", "\n");
  }
  return out;
}

}  // namespace corsd::corsctl
