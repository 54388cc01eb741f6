// Policies for people: a tenant's policy from corsctl flags and/or a JSON
// file, and a policy described in short lines for human output.
#ifndef CORSD_CLIENT_CORSCTL_POLICY_TEXT_H_
#define CORSD_CLIENT_CORSCTL_POLICY_TEXT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/corsctl/flags.h"
#include "corsd/v1/policy.pb.h"

namespace corsd::corsctl {

// The policy flags of `tenant put` (and the --file they refine).
struct PolicyFlags {
  std::string file;
  std::vector<std::string> allow_methods;
  std::vector<std::string> allow_headers;
  std::vector<std::string> expose_headers;
  bool credentials = false;
  uint64_t max_age = 0;
  bool is_public = false;
  bool allow_null = false;
  bool private_network = false;
  bool allow_cross_origin_websocket = false;
  // --enforce-websocket: deprecated, accepted and ignored (R13 is on unless
  // --allow-cross-origin-websocket); BuildPolicy returns a note for it.
  bool enforce_websocket = false;
  bool enforce_unsafe = false;
  bool forward_refused_preflight = false;
  bool production = false;
  bool allow_dev_origins = false;
};

// Declares the policy flags on `flags`.
void AddPolicyFlags(FlagSet* flags, PolicyFlags* policy);

// Largest policy file read, in bytes.
inline constexpr size_t kMaxPolicyFileBytes = 1 << 20;

// The policy: the --file's corsd.v1.Policy (protobuf JSON, either field-name
// style) if given, then every flag that was on the command line replaces its
// field (a list flag replaces the whole list). Deprecated flags that were
// given (--enforce-websocket) change nothing and append a sentence saying
// so, and what replaces them, to *notes (for stderr) when notes is not null.
// Errors: NotFound / Internal naming the file when it cannot be read;
// InvalidArgument naming the file when it is larger than kMaxPolicyFileBytes
// or is not a corsd.v1.Policy (the JSON parser's reason included).
absl::StatusOr<corsd::v1::Policy> BuildPolicy(
    const FlagSet& flags, const PolicyFlags& values,
    std::vector<std::string>* notes = nullptr);

// Short human lines describing `policy` ("methods: GET HEAD POST PUT"...),
// each field shown, routes summarized one line each.
std::vector<std::string> DescribePolicy(const corsd::v1::Policy& policy);

}  // namespace corsd::corsctl

#endif  // CORSD_CLIENT_CORSCTL_POLICY_TEXT_H_
