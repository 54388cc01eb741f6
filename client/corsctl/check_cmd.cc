// `corsctl check`: simulates a browser's cross-origin request against a
// running corsd (Decider.Decide with explain) and says, in plain words, what
// the browser will do with the answer (browser.h does the browser's part).
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/corsctl/browser.h"
#include "client/corsctl/commands.h"
#include "client/corsctl/json.h"
#include "service/origin/origin.h"

namespace corsd::corsctl {

namespace {

constexpr absl::string_view kUsage =
    R"(usage: corsctl check --origin ORIGIN (--tenant TENANT | --host HOST)
                     [--method METHOD] [--header NAME[:VALUE]]...
                     [--credentials] [--preflight] [--path PATH]

Simulates what a page at ORIGIN does when it calls fetch() on the API, and
asks the running corsd (--addr) what the gateway will answer. Like a browser,
it first sends a preflight when the method or a header is not CORS-safelisted
(or with --preflight), then the request itself. For each it prints corsd's
decision (action, status, rule, reason), the headers, and what the browser
does with them, e.g. "the browser will block the request:
Access-Control-Allow-Headers lacks x-api-key".

--header takes a name, or NAME:VALUE (content-type and range are safelisted
only for some values; a content-type without a value counts as JSON).
--credentials simulates credentials: "include" (cookies attached).

Exit status: 0 the browser lets the page read the response; 1 the browser
blocks it (or corsd could not be asked); 2 usage error.
)";

std::string ActionName(corsd::v1::Action action) {
  switch (action) {
    case corsd::v1::ACTION_CONTINUE:
      return "continue";
    case corsd::v1::ACTION_ANSWER:
      return "answer";
    default:
      return "unspecified";
  }
}

std::string HeadersJson(const Headers& headers) {
  std::string out = "[";
  for (const corsd::v1::Header& h : headers) {
    if (out.size() > 1) out += ",";
    out += JsonObject()
               .Add("name", h.name())
               .Add("value", h.value())
               .Add("append", h.append())
               .Build();
  }
  return out + "]";
}

struct Step {
  std::string title;  // "preflight", "request"
  std::string summary;
  corsd::v1::Decision decision;
  BrowserVerdict verdict;
};

void PrintStep(const Invocation& inv, const Step& step) {
  const corsd::v1::Decision& d = step.decision;
  *inv.out << step.title << ": " << step.summary << "\n";
  *inv.out << "  corsd: " << ActionName(d.action());
  if (d.action() == corsd::v1::ACTION_ANSWER) *inv.out << " " << d.status();
  *inv.out << " (" << (d.rule().empty() ? "-" : d.rule()) << ", "
           << corsd::v1::Reason_Name(d.reason()) << ")";
  if (!d.tenant().empty()) *inv.out << " tenant " << d.tenant();
  *inv.out << "\n";
  if (!d.message().empty()) *inv.out << "  why: " << d.message() << "\n";
  if (d.headers().empty()) {
    *inv.out << "  headers: (none)\n";
  } else {
    *inv.out << "  headers:\n";
    for (const corsd::v1::Header& h : d.headers()) {
      *inv.out << "    " << h.name() << ": " << h.value()
               << (h.append() ? "   (appended)" : "") << "\n";
    }
  }
  *inv.out << "  browser: " << step.verdict.sentence << "\n";
}

}  // namespace

int RunCheck(const Invocation& inv) {
  FlagSet flags;
  GlobalOptions options;
  AddGlobalFlags(&flags, &options);
  std::string tenant, host, origin, method = "GET", path = "/",
                                    scheme = "https";
  std::vector<std::string> header_args;
  bool credentials = false, preflight = false;
  flags.String("tenant", "TENANT", &tenant, "the tenant to ask about");
  flags.String("host", "HOST", &host,
               "the API host the page calls (finds the tenant by API host "
               "when --tenant is not given)");
  flags.String("origin", "ORIGIN", &origin, "the page's origin (required)");
  flags.String("method", "METHOD", &method, "request method (default GET)");
  flags.List("header", "NAME[:VALUE]", &header_args,
             "a request header the page sets");
  flags.Bool("credentials", &credentials,
             "credentials: \"include\" (cookies or Authorization)");
  flags.Bool("preflight", &preflight, "force a preflight");
  flags.String("path", "PATH", &path, "request path (default /)");
  std::vector<std::string> positional;
  int rc = ParseCommandLine(inv, kUsage, &flags, &options, &positional);
  if (rc < 0) return kExitOk;
  if (rc != kExitOk) return rc;
  if (!positional.empty()) {
    return UsageError(inv, "check takes flags only (see --help)");
  }
  if (origin.empty()) return UsageError(inv, "check needs --origin");
  if (tenant.empty() && host.empty()) {
    return UsageError(inv, "check needs --tenant or --host");
  }
  auto label = [](uint64_t) { return std::string("check"); };

  BrowserRequest request;
  // A browser sends its origin serialized; say so when ORIGIN is not.
  absl::StatusOr<std::string> canonical = origin::CanonicalizeOrigin(origin);
  std::string note;
  if (canonical.ok() && *canonical != origin) {
    note = absl::StrCat("note: a browser sends the origin \"", origin,
                        "\" as \"", *canonical, "\"; checking that");
    request.origin = *canonical;
  } else {
    request.origin = origin;
  }
  request.method = NormalizeMethod(method);
  for (const std::string& arg : header_args) {
    PageHeader h;
    size_t colon = arg.find(':');
    h.name = absl::AsciiStrToLower(
        absl::StripAsciiWhitespace(absl::string_view(arg).substr(0, colon)));
    if (colon != std::string::npos) {
      h.value = std::string(
          absl::StripAsciiWhitespace(absl::string_view(arg).substr(colon + 1)));
    }
    request.headers.push_back(std::move(h));
  }
  request.credentials = credentials;
  request.force_preflight = preflight;

  auto decider = ConnectDecider(options);
  if (!decider.ok())
    return ReportFailure(inv, options, decider.status(), label);

  // Asks corsd about the preflight or the request for `page` (default: the
  // page's request).
  auto ask = [&](bool is_preflight,
                 const BrowserRequest* page =
                     nullptr) -> absl::StatusOr<corsd::v1::Decision> {
    const BrowserRequest& request_ref = page != nullptr ? *page : request;
    corsd::v1::DecideRequest req;
    req.set_tenant(tenant);
    req.set_explain(true);
    corsd::v1::HttpRequest* http = req.mutable_request();
    http->set_scheme(scheme);
    http->set_host(host);
    http->set_path(path);
    http->set_origin(request.origin);
    if (is_preflight) {
      http->set_method("OPTIONS");
      http->set_access_control_request_method(request.method);
      std::vector<std::string> names = UnsafeHeaderNames(request_ref);
      if (!names.empty()) {
        http->set_access_control_request_headers(absl::StrJoin(names, ","));
      }
      http->set_credentials(false);  // preflights never carry credentials
    } else {
      http->set_method(request.method);
      http->set_credentials(request.credentials);
    }
    return (*decider)->Decide(req);
  };

  std::vector<Step> steps;
  bool allowed = true;
  std::string verdict;
  if (NeedsPreflight(request)) {
    auto decision = ask(true);
    if (!decision.ok()) {
      return ReportFailure(inv, options, decision.status(), label);
    }
    Step step;
    step.title = "preflight";
    std::vector<std::string> names = UnsafeHeaderNames(request);
    step.summary = absl::StrCat(
        "OPTIONS ", path, "  Origin: ", request.origin,
        "  Access-Control-Request-Method: ", request.method,
        names.empty() ? ""
                      : absl::StrCat("  Access-Control-Request-Headers: ",
                                     absl::StrJoin(names, ",")));
    step.decision = *decision;
    if (decision->action() == corsd::v1::ACTION_ANSWER) {
      step.verdict =
          PreflightCheck(request, decision->status(), decision->headers());
      if (!step.verdict.ok) {
        // A refused preflight carries no CORS headers; name what the browser
        // lacks from corsd's reason (probing header by header for R8).
        const std::string refused = absl::StrCat(
            " (corsd refused the preflight with ", decision->status(), ")");
        if (decision->reason() == corsd::v1::REASON_R7_METHOD_NOT_ALLOWED) {
          step.verdict.sentence = absl::StrCat(
              "the browser will block the request: "
              "Access-Control-Allow-Methods lacks ",
              request.method, refused);
        } else if (decision->reason() ==
                   corsd::v1::REASON_R8_HEADER_NOT_ALLOWED) {
          std::vector<std::string> lacking;
          for (const std::string& name : names) {
            BrowserRequest one = request;
            one.headers = {PageHeader{name, absl::nullopt}};
            auto probe = ask(true, &one);
            if (probe.ok() &&
                probe->reason() == corsd::v1::REASON_R8_HEADER_NOT_ALLOWED) {
              lacking.push_back(name);
            }
          }
          if (!lacking.empty()) {
            step.verdict.sentence = absl::StrCat(
                "the browser will block the request: "
                "Access-Control-Allow-Headers lacks ",
                absl::StrJoin(lacking, ", "), refused);
          }
        } else if (!decision->message().empty()) {
          step.verdict.sentence +=
              absl::StrCat("; corsd: ", decision->message());
        }
      }
    } else {
      // Forwarded to the upstream: corsd's headers are added to whatever it
      // answers; judge them assuming the upstream answers 2xx.
      step.verdict = PreflightCheck(request, 204, decision->headers());
      step.verdict.sentence += " (if the upstream answers the preflight 2xx)";
    }
    allowed = step.verdict.ok;
    verdict = step.verdict.sentence;
    steps.push_back(std::move(step));
  }
  if (allowed) {
    auto decision = ask(false);
    if (!decision.ok()) {
      return ReportFailure(inv, options, decision.status(), label);
    }
    Step step;
    step.title = "request";
    step.summary =
        absl::StrCat(request.method, " ", path, "  Origin: ", request.origin,
                     request.credentials ? "  (with credentials)" : "");
    step.decision = *decision;
    if (decision->action() == corsd::v1::ACTION_ANSWER) {
      step.verdict = CorsCheck(request, decision->headers());
      step.verdict.ok = false;
      step.verdict.sentence =
          absl::StrCat("the gateway answers ", decision->status(),
                       " itself and the request never reaches the upstream; ",
                       step.verdict.sentence);
    } else {
      step.verdict = CorsCheck(request, decision->headers());
      if (step.verdict.ok) {
        step.verdict.sentence = absl::StrCat(
            "the browser lets the page read the response: ",
            step.verdict.sentence, "; readable headers: ",
            absl::StrJoin(ReadableResponseHeaders(request, decision->headers()),
                          ", "));
      }
    }
    allowed = step.verdict.ok;
    verdict = step.verdict.sentence;
    steps.push_back(std::move(step));
  }

  if (options.json) {
    JsonObject out;
    out.Add("allowed", allowed).Add("verdict", verdict);
    if (!note.empty()) out.Add("note", note);
    for (const Step& step : steps) {
      out.AddRaw(
          step.title,
          JsonObject()
              .Add("summary", step.summary)
              .Add("action", ActionName(step.decision.action()))
              .Add("status", uint64_t{step.decision.status()})
              .Add("rule", step.decision.rule())
              .Add("reason", corsd::v1::Reason_Name(step.decision.reason()))
              .Add("message", step.decision.message())
              .Add("tenant", step.decision.tenant())
              .AddRaw("headers", HeadersJson(step.decision.headers()))
              .Add("browser_ok", step.verdict.ok)
              .Add("browser", step.verdict.sentence)
              .Build());
    }
    *inv.out << out.Build() << "\n";
  } else {
    if (!note.empty()) *inv.out << note << "\n";
    for (const Step& step : steps) PrintStep(inv, step);
    *inv.out << "verdict: " << (allowed ? "allowed" : "blocked") << ": "
             << verdict << "\n";
  }
  return allowed ? kExitOk : kExitFailed;
}

}  // namespace corsd::corsctl
