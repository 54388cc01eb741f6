"""Checks the corsd Kubernetes manifests: the kinds the deploy promises, gRPC
health probes, a non-root read-only container, the admin token Secret, and
PostgreSQL as the store of a multi-replica Deployment.

Usage: /usr/bin/python3 check_kubernetes.py FILE... Prints each problem and
exits 1 when there is one. Needs python3-yaml.
"""
import sys

import yaml


def main(paths):
    docs = [d for p in paths for d in yaml.safe_load_all(open(p)) if d]
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d.get("kind"), []).append(d)
    problems = []
    for kind in ("Deployment", "Service", "HorizontalPodAutoscaler",
                 "PodDisruptionBudget", "Secret"):
        if kind not in by_kind:
            problems.append(f"no {kind}")
    corsd = [d for d in by_kind.get("Deployment", []) if d["metadata"]["name"] == "corsd"]
    if not corsd:
        problems.append("no Deployment named corsd")
    for d in corsd:
        spec = d["spec"]
        if spec.get("replicas", 1) < 2:
            problems.append("the corsd Deployment should run several replicas")
        pod = spec["template"]["spec"]
        c = pod["containers"][0]
        for probe in ("readinessProbe", "startupProbe"):
            if "grpc" not in c.get(probe, {}):
                problems.append(f"{probe} must be a gRPC health probe")
        args = " ".join(c.get("args", []))
        if "--store=" not in args:
            problems.append("corsd must use --store (PostgreSQL) with several replicas")
        if "--admin-token-file=" not in args:
            problems.append("corsd must read --admin-token-file")
        sc = {**pod.get("securityContext", {}), **c.get("securityContext", {})}
        if not sc.get("runAsNonRoot"):
            problems.append("corsd must run as non-root")
        if not sc.get("readOnlyRootFilesystem"):
            problems.append("corsd's root filesystem should be read-only")
        secrets = {v["secret"]["secretName"] for v in pod.get("volumes", []) if "secret" in v}
        names = {s["metadata"]["name"] for s in by_kind.get("Secret", [])}
        if not secrets & names:
            problems.append("the admin token Secret is not mounted")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
