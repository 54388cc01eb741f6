#!/usr/bin/env bash
# Checks every deploy/ file that can be checked on this machine, offline:
#   nginx -t on deploy/nginx/nginx.conf (temporary prefix, no root needed);
#   systemd-analyze verify on the unit (ExecStart pointed at an existing
#     binary) when systemd-analyze is installed;
#   every YAML file parsed with Debian's python3-yaml (/usr/bin/python3);
#   the Envoy config's ext_authz filter and per-route tenant fields, and its
#     access log's %DYNAMIC_METADATA(envoy.filters.http.ext_authz:KEY)% keys
#     against the keys service/rpc/envoy_wire_test.cc receives from corsd;
#   the Kubernetes manifests rendered by `kubectl kustomize` when kubectl is
#     installed, and their kinds and probes checked.
# Usage: deploy/check.sh [path/to/corsd]   (the binary is optional: used for
# the systemd check when given). Prints one line per check and a closing
# "N passed, N failed, N skipped"; exits non-zero when a check failed.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
corsd_bin="${1:-}"
py=/usr/bin/python3
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0 skipped=0

ok()   { echo "PASS $1"; passed=$((passed + 1)); }
bad()  { echo "FAIL $1"; [ -n "${2:-}" ] && sed 's/^/     /' <<<"$2"; failed=$((failed + 1)); }
skip() { echo "SKIP $1: $2"; skipped=$((skipped + 1)); }

# --- nginx -------------------------------------------------------------------
if command -v nginx >/dev/null; then
  mkdir -p "$tmp/nginx/logs"
  if out=$(nginx -t -q -p "$tmp/nginx/" -e stderr -c "$here/nginx/nginx.conf" \
             -g "error_log stderr;" 2>&1); then
    ok "nginx -t deploy/nginx/nginx.conf"
  else
    bad "nginx -t deploy/nginx/nginx.conf" "$out"
  fi
else
  bad "nginx -t" "nginx is not installed (apt-get install nginx; scripts/deps.txt lists it)"
fi

# --- systemd -----------------------------------------------------------------
if command -v systemd-analyze >/dev/null; then
  exec_path="${corsd_bin:-/bin/true}"
  sed "s#/usr/local/bin/corsd#${exec_path}#" "$here/systemd/corsd.service" \
    > "$tmp/corsd.service"
  if out=$(systemd-analyze verify "$tmp/corsd.service" 2>&1); then
    ok "systemd-analyze verify deploy/systemd/corsd.service (ExecStart=$exec_path)"
  else
    bad "systemd-analyze verify deploy/systemd/corsd.service" "$out"
  fi
else
  skip "systemd-analyze verify" "systemd-analyze is not installed here (no systemd)"
fi

# --- YAML, Envoy, Kubernetes ---------------------------------------------------
if [ ! -x "$py" ] || ! "$py" -c 'import yaml' 2>/dev/null; then
  bad "YAML checks" "$py with python3-yaml is required (apt-get install python3-yaml)"
else
  while IFS= read -r -d '' f; do
    rel="${f#"$here"/}"
    if out=$("$py" -c 'import sys, yaml; list(yaml.safe_load_all(open(sys.argv[1])))' "$f" 2>&1); then
      ok "yaml parses: $rel"
    else
      bad "yaml parses: $rel" "$out"
    fi
  done < <(find "$here" \( -name '*.yaml' -o -name '*.yml' \) -not -path '*/node_modules/*' -print0 | sort -z)

  if out=$("$py" "$here/check_envoy.py" "$here/envoy/envoy.yaml" \
             "$here/../service/rpc/envoy_wire_test.cc" 2>&1); then
    ok "envoy ext_authz fields and access-log metadata keys: deploy/envoy/envoy.yaml"
  else
    bad "envoy ext_authz fields and access-log metadata keys: deploy/envoy/envoy.yaml" "$out"
  fi

  if command -v kubectl >/dev/null; then
    if kubectl kustomize "$here/kubernetes" > "$tmp/k8s.yaml" 2> "$tmp/k8s.err"; then
      ok "kubectl kustomize deploy/kubernetes"
      manifests="$tmp/k8s.yaml"
    else
      bad "kubectl kustomize deploy/kubernetes" "$(cat "$tmp/k8s.err")"
      manifests=""
    fi
  else
    skip "kubectl kustomize" "kubectl is not installed; checking the files one by one"
    manifests=""
  fi
  if out=$("$py" "$here/check_kubernetes.py" ${manifests:-"$here"/kubernetes/*.yaml} 2>&1); then
    ok "kubernetes kinds, probes, security: deploy/kubernetes"
  else
    bad "kubernetes kinds, probes, security: deploy/kubernetes" "$out"
  fi
fi

echo "deploy/check.sh: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
