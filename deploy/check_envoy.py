"""Checks deploy/envoy/envoy.yaml for the ext_authz settings corsd relies on.

Usage: /usr/bin/python3 check_envoy.py envoy.yaml. Prints each problem and
exits 1 when there is one. Needs python3-yaml.
"""
import sys

import yaml

EXT_AUTHZ = "envoy.filters.http.ext_authz"
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


def main(path):
    cfg = yaml.safe_load(open(path))
    problems = []
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
    sys.exit(main(sys.argv[1]))
