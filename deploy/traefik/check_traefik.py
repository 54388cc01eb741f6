"""Checks deploy/traefik/dynamic.yml against corsd's forward-auth contract.

Usage: /usr/bin/python3 check_traefik.py [dynamic.yml]   (default: beside this
file). Needs python3-yaml. Traefik itself is not in Debian, so this reads the
configuration the way README.md explains it, and checks:

  * every forwardAuth address is corsd's /auth or /auth/TENANT, on the
    address of the `corsd` service; trustForwardHeader is not true; only
    options Traefik v2.4+ and v3 both know are used;
  * authRequestHeaders lists what corsd needs (Origin, the
    Access-Control-Request-* headers, X-Original-Upgrade/-Connection, Cookie,
    Authorization) and nothing a client could use to steer corsd
    (X-Original-Method/-URI/-Host/-Scheme, X-Forwarded-*, X-Corsd-*);
  * authResponseHeaders copies Access-Control-Allow-Origin, -Allow-
    Credentials, -Expose-Headers and Vary;
  * every router to the app goes through exactly one forwardAuth; every
    scope (path prefix) has a preflight router to corsd (OPTIONS + Origin +
    Access-Control-Request-Method, replacePath to /preflight[/TENANT] with the
    same tenant as the scope's forwardAuth, client steering headers removed)
    and a WebSocket router (its headers middleware sets X-Original-Upgrade and
    -Connection before the forwardAuth); corsd's X-Corsd-Reason, -Tenant
    (and -Status) are removed from responses; priorities are preflight >
    WebSocket > the rest, and more specific prefixes above less specific
    ones; rules use v3 matcher names.

Then it checks itself: each broken variant of the file in mutations() must be
caught. Prints PASS/FAIL lines and exits 1 on any failure.
"""
import copy
import os
import re
import sys
import urllib.parse

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))

NEEDED_REQUEST_HEADERS = ["Origin", "Access-Control-Request-Method",
                          "Access-Control-Request-Headers",
                          "Access-Control-Request-Private-Network",
                          "X-Original-Upgrade", "X-Original-Connection",
                          "Cookie", "Authorization"]
# Headers corsd reads that a client must not choose.
STEERING_HEADERS = ["X-Original-Method", "X-Original-URI", "X-Original-Host",
                    "X-Original-Scheme", "X-Corsd-Tenant", "X-Corsd-Credentials"]
# corsd's answer headers for people, not for clients.
DIAGNOSTIC_HEADERS = ["X-Corsd-Reason", "X-Corsd-Tenant", "X-Corsd-Status"]
NEEDED_RESPONSE_HEADERS = ["Access-Control-Allow-Origin",
                           "Access-Control-Allow-Credentials",
                           "Access-Control-Expose-Headers", "Vary"]
# forwardAuth options present in Traefik v2.4+ and in v3.
PORTABLE_FORWARD_AUTH_OPTIONS = {"address", "trustForwardHeader", "authResponseHeaders",
                                 "authResponseHeadersRegex", "authRequestHeaders", "tls"}
TENANT_RE = re.compile(r"^[A-Za-z0-9._-]+$")
PATH_PREFIX_RE = re.compile(r"PathPrefix\(`([^`]*)`\)")
HOST_RE = re.compile(r"Host\(`([^`]*)`\)")
PREFLIGHT_TERMS = [re.compile(r"Method\(`OPTIONS`\)"),
                   re.compile(r"HeaderRegexp\(`Origin`,\s*`[^`]+`\)"),
                   re.compile(r"HeaderRegexp\(`Access-Control-Request-Method`,\s*`[^`]+`\)")]
WEBSOCKET_TERM = re.compile(r"HeaderRegexp\(`Upgrade`,\s*`[^`]*websocket[^`]*`\)")
V2_MATCHERS = re.compile(r"\b(Headers|HeadersRegexp|HostHeader)\(")


def lower_set(names):
    return {str(n).lower() for n in names or []}


def check(cfg):
    """Returns the list of problems (strings) of a parsed dynamic config."""
    problems = []
    http = (cfg or {}).get("http") or {}
    routers = http.get("routers") or {}
    middlewares = http.get("middlewares") or {}
    services = http.get("services") or {}

    # ---- services ----------------------------------------------------------
    corsd_netloc = None
    if "corsd" not in services:
        problems.append("no service named corsd (corsd --http-listen)")
    else:
        servers = (services["corsd"].get("loadBalancer") or {}).get("servers") or []
        urls = [urllib.parse.urlsplit(s.get("url", "")) for s in servers]
        if not urls or any(u.scheme not in ("http", "https") or not u.netloc for u in urls):
            problems.append(f"service corsd needs loadBalancer.servers urls, got {servers!r}")
        else:
            corsd_netloc = {u.netloc for u in urls}

    # ---- forwardAuth middlewares -------------------------------------------
    auth_tenant = {}  # middleware name -> tenant ("" = by host)
    for name, mw in middlewares.items():
        fa = (mw or {}).get("forwardAuth")
        if fa is None:
            continue
        where = f"middleware {name}"
        extra = set(fa) - PORTABLE_FORWARD_AUTH_OPTIONS
        if extra:
            problems.append(f"{where}: options {sorted(extra)} are not in both Traefik v2 and v3")
        address = urllib.parse.urlsplit(str(fa.get("address", "")))
        m = re.fullmatch(r"/auth(?:/([^/]*))?", address.path)
        if not m or (m.group(1) is not None and not TENANT_RE.match(m.group(1))):
            problems.append(f"{where}: address {fa.get('address')!r} must be corsd's /auth "
                            "or /auth/TENANT")
        else:
            auth_tenant[name] = m.group(1) or ""
        if address.query:
            problems.append(f"{where}: address {fa.get('address')!r} must have no query")
        if corsd_netloc and address.netloc not in corsd_netloc:
            problems.append(f"{where}: address {fa.get('address')!r} is not the corsd service "
                            f"({sorted(corsd_netloc)})")
        if fa.get("trustForwardHeader") is True:
            problems.append(f"{where}: trustForwardHeader must not be true (client "
                            "X-Forwarded-* would reach corsd; websocket requests get "
                            "X-Forwarded-Proto ws)")
        sent = fa.get("authRequestHeaders")
        if not sent:
            problems.append(f"{where}: authRequestHeaders must be set (without it every client "
                            "header, X-Original-Method included, reaches corsd)")
        else:
            got = lower_set(sent)
            missing = [h for h in NEEDED_REQUEST_HEADERS if h.lower() not in got]
            if missing:
                problems.append(f"{where}: authRequestHeaders lacks {missing}")
            steering = [h for h in sent if str(h).lower() in lower_set(STEERING_HEADERS)
                        or str(h).lower().startswith("x-forwarded-") or str(h).lower() == "host"]
            if steering:
                problems.append(f"{where}: authRequestHeaders must not pass {steering} "
                                "(a client could steer corsd)")
        got = lower_set(fa.get("authResponseHeaders"))
        missing = [h for h in NEEDED_RESPONSE_HEADERS if h.lower() not in got]
        if missing:
            problems.append(f"{where}: authResponseHeaders lacks {missing}")

    # ---- routers -----------------------------------------------------------
    def expand(names, seen=()):
        """Router middleware names with chains expanded, in order."""
        out = []
        for n in names or []:
            if n in seen:
                problems.append(f"middleware chain loop at {n}")
                continue
            mw = middlewares.get(n)
            if mw is None:
                problems.append(f"middleware {n} is used but not defined")
                continue
            if "chain" in mw:
                out.extend(expand(mw["chain"].get("middlewares"), seen + (n,)))
            else:
                out.append(n)
        return out

    scopes = {}  # (hosts, prefix) -> {"preflight": [...], "websocket": [...], "plain": [...]}
    for name, r in routers.items():
        where = f"router {name}"
        rule = str(r.get("rule", ""))
        if V2_MATCHERS.search(rule):
            problems.append(f"{where}: rule uses a v2 matcher name ({rule!r}); v3 says "
                            "Header/HeaderRegexp/Host")
        if not r.get("entryPoints"):
            problems.append(f"{where}: entryPoints must be set")
        priority = r.get("priority")
        if not isinstance(priority, int):
            problems.append(f"{where}: priority must be an explicit integer")
            priority = 0
        service = r.get("service")
        if service not in services:
            problems.append(f"{where}: service {service!r} is not defined")
        chain = expand(r.get("middlewares"))
        prefixes = PATH_PREFIX_RE.findall(rule)
        scope = (tuple(sorted(HOST_RE.findall(rule))), prefixes[0] if prefixes else "/")
        entry = {"name": name, "priority": priority, "chain": chain}
        kinds = scopes.setdefault(scope, {"preflight": [], "websocket": [], "plain": []})

        if service == "corsd":
            if not all(t.search(rule) for t in PREFLIGHT_TERMS):
                problems.append(f"{where}: a router to corsd must match only preflights: "
                                "Method(`OPTIONS`) && HeaderRegexp(`Origin`, ...) && "
                                "HeaderRegexp(`Access-Control-Request-Method`, ...)")
            paths = [middlewares[m]["replacePath"].get("path") for m in chain
                     if "replacePath" in middlewares[m]]
            pm = (re.fullmatch(r"/preflight(?:/([A-Za-z0-9._-]+))?", str(paths[0]))
                  if len(paths) == 1 else None)
            if not pm:
                problems.append(f"{where}: needs one replacePath to /preflight or "
                                f"/preflight/TENANT, got {paths}")
            else:
                entry["tenant"] = pm.group(1) or ""
            removed = set()
            for m in chain:
                crh = (middlewares[m].get("headers") or {}).get("customRequestHeaders") or {}
                removed |= {k.lower() for k, v in crh.items()
                            if v == "" or (k.lower() == "x-corsd-credentials" and v == "0")}
            missing = [h for h in STEERING_HEADERS if h.lower() not in removed]
            if missing:
                problems.append(f"{where}: preflights reach corsd as sent; a headers middleware "
                                f"must remove {missing} (customRequestHeaders: \"\")")
            hidden = set()
            for m in chain:
                crh = (middlewares[m].get("headers") or {}).get("customResponseHeaders") or {}
                hidden |= {k.lower() for k, v in crh.items() if v == ""}
            missing = [h for h in DIAGNOSTIC_HEADERS[:2] if h.lower() not in hidden]
            if missing:
                problems.append(f"{where}: a headers middleware must remove {missing} from "
                                "corsd's answers (customResponseHeaders: \"\")")
            kinds["preflight"].append(entry)
            continue

        auths = [m for m in chain if "forwardAuth" in middlewares[m]]
        if len(auths) != 1:
            problems.append(f"{where}: a router to {service!r} needs exactly one forwardAuth "
                            f"to corsd, has {auths}")
            continue
        hidden = set()
        for m in chain[:chain.index(auths[0])]:
            crh = (middlewares[m].get("headers") or {}).get("customResponseHeaders") or {}
            hidden |= {k.lower() for k, v in crh.items() if v == ""}
        missing = [h for h in DIAGNOSTIC_HEADERS if h.lower() not in hidden]
        if missing:
            problems.append(f"{where}: a headers middleware before {auths[0]} must remove "
                            f"{missing} from responses (customResponseHeaders: \"\")")
        entry["tenant"] = auth_tenant.get(auths[0])
        if WEBSOCKET_TERM.search(rule):
            sets = {}
            for m in chain[:chain.index(auths[0])]:
                crh = (middlewares[m].get("headers") or {}).get("customRequestHeaders") or {}
                sets.update({k.lower(): str(v).lower() for k, v in crh.items()})
            for header, value in (("x-original-upgrade", "websocket"),
                                  ("x-original-connection", "upgrade")):
                if sets.get(header) != value:
                    problems.append(f"{where}: a headers middleware before {auths[0]} must set "
                                    f"{header.title()}: {value} (ForwardAuth drops Upgrade and "
                                    "Connection)")
            kinds["websocket"].append(entry)
        else:
            kinds["plain"].append(entry)

    # ---- scopes ------------------------------------------------------------
    for (hosts, prefix), kinds in scopes.items():
        where = f"scope {' '.join(hosts) + ' ' if hosts else ''}{prefix}"
        app_routers = kinds["websocket"] + kinds["plain"]
        if not app_routers:
            continue
        tenants = {e["tenant"] for e in app_routers}
        if len(tenants) != 1:
            problems.append(f"{where}: its routers ask corsd for different tenants {tenants}")
        if not kinds["preflight"]:
            problems.append(f"{where}: no preflight router to corsd's /preflight "
                            "(ForwardAuth cannot answer 204)")
        if not kinds["websocket"]:
            problems.append(f"{where}: no WebSocket router setting X-Original-Upgrade (R13 "
                            "would not be enforced)")
        for p in kinds["preflight"]:
            if "tenant" in p and p["tenant"] not in tenants:
                problems.append(f"{where}: {p['name']} asks /preflight for tenant "
                                f"{p['tenant']!r}, the scope's forwardAuth for {tenants}")
            for e in app_routers:
                if p["priority"] <= e["priority"]:
                    problems.append(f"{where}: priority of {p['name']} ({p['priority']}) must "
                                    f"be above {e['name']} ({e['priority']})")
        for w in kinds["websocket"]:
            for e in kinds["plain"]:
                if w["priority"] <= e["priority"]:
                    problems.append(f"{where}: priority of {w['name']} ({w['priority']}) must "
                                    f"be above {e['name']} ({e['priority']})")
    # More specific prefixes win: every router of /acme/ above every one of /.
    for (hosts_a, prefix_a), kinds_a in scopes.items():
        for (hosts_b, prefix_b), kinds_b in scopes.items():
            if hosts_a != hosts_b or prefix_a == prefix_b or not prefix_a.startswith(prefix_b):
                continue
            for a in sum(kinds_a.values(), []):
                for b in sum(kinds_b.values(), []):
                    if a["priority"] <= b["priority"]:
                        problems.append(f"priority of {a['name']} ({a['priority']}, "
                                        f"{prefix_a}) must be above {b['name']} "
                                        f"({b['priority']}, {prefix_b})")
    return problems


# ---- self-check: broken variants must be caught ----------------------------
def mutations():
    """(what, function(cfg), a word the problem must contain)."""
    def fa(cfg, name="corsd-auth-acme"):
        return cfg["http"]["middlewares"][name]["forwardAuth"]

    def no_request_headers(c):
        del fa(c)["authRequestHeaders"]

    def steering(c):
        fa(c)["authRequestHeaders"] = list(fa(c)["authRequestHeaders"]) + ["X-Original-Method"]

    def forwarded(c):
        fa(c)["authRequestHeaders"] = list(fa(c)["authRequestHeaders"]) + ["X-Forwarded-Method"]

    def no_origin(c):
        fa(c)["authRequestHeaders"] = [h for h in fa(c)["authRequestHeaders"] if h != "Origin"]

    def trust(c):
        fa(c)["trustForwardHeader"] = True

    def wrong_path(c):
        fa(c)["address"] = "http://127.0.0.1:7702/preflight/acme"

    def wrong_port(c):
        fa(c)["address"] = "http://127.0.0.1:7799/auth/acme"

    def no_vary(c):
        fa(c)["authResponseHeaders"] = [h for h in fa(c)["authResponseHeaders"] if h != "Vary"]

    def new_option(c):
        fa(c)["preserveRequestMethod"] = True

    def no_preflight(c):
        del c["http"]["routers"]["acme-preflight"]

    def preflight_tenant(c):
        c["http"]["middlewares"]["corsd-preflight-acme"]["replacePath"]["path"] = "/preflight/other"

    def preflight_unstripped(c):
        headers = c["http"]["middlewares"]["corsd-preflight-headers"]["headers"]
        del headers["customRequestHeaders"]["X-Original-Host"]

    def websocket_order(c):
        c["http"]["routers"]["acme-websocket"]["middlewares"] = ["corsd-auth-acme",
                                                                 "corsd-websocket"]

    def websocket_header(c):
        headers = c["http"]["middlewares"]["corsd-websocket"]["headers"]
        del headers["customRequestHeaders"]["X-Original-Connection"]

    def preflight_priority(c):
        c["http"]["routers"]["acme-preflight"]["priority"] = 150

    def scope_priority(c):
        c["http"]["routers"]["acme"]["priority"] = 5

    def v2_rule(c):
        r = c["http"]["routers"]["acme-websocket"]
        r["rule"] = r["rule"].replace("HeaderRegexp", "HeadersRegexp")

    def diagnostics(c):
        c["http"]["routers"]["acme"]["middlewares"] = ["corsd-auth-acme"]

    def preflight_diagnostics(c):
        del c["http"]["middlewares"]["corsd-preflight-headers"]["headers"]["customResponseHeaders"]

    def unguarded(c):
        c["http"]["routers"]["api"]["middlewares"] = []

    return [
        ("authRequestHeaders removed", no_request_headers, "authRequestHeaders must be set"),
        ("X-Original-Method passed to corsd", steering, "X-Original-Method"),
        ("X-Forwarded-Method passed to corsd", forwarded, "X-Forwarded-Method"),
        ("Origin not passed", no_origin, "Origin"),
        ("trustForwardHeader true", trust, "trustForwardHeader"),
        ("address not /auth", wrong_path, "/auth"),
        ("address not the corsd service", wrong_port, "corsd service"),
        ("Vary not copied", no_vary, "Vary"),
        ("a v3-only option", new_option, "preserveRequestMethod"),
        ("no preflight router", no_preflight, "no preflight router"),
        ("preflight for another tenant", preflight_tenant, "tenant"),
        ("X-Original-Host reaches /preflight", preflight_unstripped, "X-Original-Host"),
        ("WebSocket flag after forwardAuth", websocket_order, "before"),
        ("WebSocket flag without Connection", websocket_header, "X-Original-Connection"),
        ("preflight below WebSocket", preflight_priority, "priority of acme-preflight"),
        ("/acme/ below /", scope_priority, "priority of"),
        ("v2 matcher name", v2_rule, "v2 matcher"),
        ("X-Corsd-Reason shown to clients", diagnostics, "X-Corsd-Reason"),
        ("X-Corsd-Reason shown on preflights", preflight_diagnostics, "X-Corsd-Reason"),
        ("router to the app without forwardAuth", unguarded, "exactly one forwardAuth"),
    ]


def main(path):
    with open(path) as f:
        cfg = yaml.safe_load(f)
    failed = 0
    problems = check(cfg)
    if problems:
        failed += 1
        print(f"FAIL {path}:")
        for p in problems:
            print(f"     {p}")
    else:
        print(f"PASS {path}: corsd's forward-auth contract holds")
    for what, mutate, word in mutations():
        broken = copy.deepcopy(cfg)
        try:
            mutate(broken)
        except (KeyError, TypeError) as e:
            failed += 1
            print(f"FAIL self-check '{what}': cannot apply to this file ({e!r})")
            continue
        found = check(broken)
        if any(word in p for p in found):
            print(f"PASS self-check '{what}' is caught")
        else:
            failed += 1
            print(f"FAIL self-check '{what}' is not caught (want a problem naming {word!r}; "
                  f"got {found})")
    print(f"check_traefik.py: {'FAILED' if failed else 'OK'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "dynamic.yml")))
