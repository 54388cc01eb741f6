"""Checks deploy/envoy/envoy.yaml for the ext_authz settings corsd relies on.

Usage: /usr/bin/python3 check_envoy.py envoy.yaml [envoy_wire_test.cc].
Prints each problem and exits 1 when there is one. Needs python3-yaml.

Besides the ext_authz filter's settings, it checks the access log: every
%DYNAMIC_METADATA(NAMESPACE:KEY)% in the file must read the ext_authz
filter's namespace and a KEY that corsd sends, i.e. one of the keys the
Envoy wire test (service/rpc/envoy_wire_test.cc, its kReceivedKeys array,
which that test asserts are exactly the keys on the wire) receives; and at
least one access log must print corsd's reason and decision id.
"""
import os
import re
import sys

import yaml

EXT_AUTHZ = "envoy.filters.http.ext_authz"
WIRE_TEST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                         "service", "rpc", "envoy_wire_test.cc")
# %DYNAMIC_METADATA(NAMESPACE:KEY[:KEY...])[:Z]%
DYNAMIC_METADATA = re.compile(r"%DYNAMIC_METADATA\(([^)]*)\)(?::\d+)?%")
WANT_HEADERS = {"origin", "access-control-request-method",
                "access-control-request-headers", "upgrade", "connection",
                "cookie", "authorization"}


def walk(node):
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from walk(v)


def wire_keys(path):
    """The kReceivedKeys of the Envoy wire test; None when not found."""
    try:
        text = open(path).read()
    except OSError:
        return None
    m = re.search(r"kReceivedKeys\[\]\s*=\s*\{([^}]*)\}", text)
    if not m:
        return None
    return set(re.findall(r'"([^"]*)"', m.group(1)))


def strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for v in node.values():
            yield from strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from strings(v)


def check_access_log(cfg, wire_test):
    """Problems with the access-log formats' corsd metadata."""
    problems = []
    received = wire_keys(wire_test)
    if received is None:
        return [f"cannot read kReceivedKeys from {wire_test}"]
    read = set()
    for text in strings(cfg):
        for arg in DYNAMIC_METADATA.findall(text):
            parts = arg.split(":")
            if parts[0] != EXT_AUTHZ:
                problems.append(
                    f"%DYNAMIC_METADATA({arg})%: corsd's metadata is under "
                    f"the namespace {EXT_AUTHZ}, not {parts[0]!r}")
                continue
            if len(parts) != 2:
                problems.append(
                    f"%DYNAMIC_METADATA({arg})%: corsd sends flat string "
                    f"keys; expected {EXT_AUTHZ}:KEY")
                continue
            if parts[1] not in received:
                problems.append(
                    f"%DYNAMIC_METADATA({arg})%: corsd sends no key "
                    f"{parts[1]!r}; the wire test receives {sorted(received)}")
            read.add(parts[1])
    logs = [n for n in walk(cfg) if isinstance(n.get("access_log"), list)]
    if not logs:
        problems.append("no access_log: corsd's reason and decision id are "
                        "printed nowhere")
    for want in ("reason", "decision_id"):
        if want not in read:
            problems.append(f"no access log prints %DYNAMIC_METADATA("
                            f"{EXT_AUTHZ}:{want})%")
    return problems


def main(path, wire_test=WIRE_TEST):
    cfg = yaml.safe_load(open(path))
    problems = check_access_log(cfg, wire_test)
    filters = [n for n in walk(cfg) if n.get("name") == EXT_AUTHZ and "typed_config" in n]
    if len(filters) != 1:
        problems.append(f"expected one {EXT_AUTHZ} http filter, found {len(filters)}")
    for f in filters:
        tc = f["typed_config"]
        if not tc.get("@type", "").endswith("ext_authz.v3.ExtAuthz"):
            problems.append(f"ext_authz @type is {tc.get('@type')!r}")
        if tc.get("transport_api_version") != "V3":
            problems.append("ext_authz transport_api_version must be V3")
        grpc = tc.get("grpc_service", {})
        cluster = grpc.get("envoy_grpc", {}).get("cluster_name")
        if not cluster:
            problems.append("ext_authz grpc_service.envoy_grpc.cluster_name missing")
        if grpc.get("timeout") not in ("0.2s", "0.200s", "200ms"):
            problems.append(f"ext_authz timeout is {grpc.get('timeout')!r}, expected 0.2s")
        if "failure_mode_allow" not in tc:
            problems.append("ext_authz failure_mode_allow must be set explicitly")
        patterns = tc.get("allowed_headers", {}).get("patterns", [])
        got = {p.get("exact") for p in patterns}
        if not WANT_HEADERS <= got:
            problems.append(f"ext_authz allowed_headers lacks {sorted(WANT_HEADERS - got)}")
        clusters = [c.get("name") for c in cfg["static_resources"]["clusters"]]
        if cluster and cluster not in clusters:
            problems.append(f"ext_authz cluster {cluster!r} is not defined")
        for c in cfg["static_resources"]["clusters"]:
            if c.get("name") == cluster and "http2_protocol_options" not in str(c):
                problems.append(f"cluster {cluster!r} must speak HTTP/2 (gRPC)")
    tenants = [n["check_settings"]["context_extensions"].get("tenant")
               for n in walk(cfg)
               if "context_extensions" in n.get("check_settings", {})]
    tenants = [t for t in tenants if t]
    if not tenants:
        problems.append("no route sets check_settings.context_extensions.tenant")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
