#!/usr/bin/env python3
"""Checks of deploy/ that need more than a linter; run by scripts/check-deploy.sh.

  check_deploy.py k8s RENDERED.yaml OVERLAY     custom-resource schemas + what the reference architecture fixes
  check_deploy.py metric-names METRICS.txt      every metric name used in rules and dashboards is exported
  check_deploy.py dockerfile                    deploy/Dockerfile builds the way the Makefile does
  check_deploy.py compose                       deploy/compose.yaml has the reference stack
Exit status 1 with one line per problem.
"""
import glob
import json
import os
import re
import sys

import yaml

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DEPLOY = os.path.join(ROOT, "deploy")
problems = []


def fail(msg):
    problems.append(msg)


def expect(cond, msg):
    if not cond:
        fail(msg)


# ---- Kubernetes -------------------------------------------------------------------------------------------


def check_crds(docs):
    import jsonschema
    schemas = {}
    for path in glob.glob(os.path.join(DEPLOY, "k8s", "schemas", "*.json")):
        with open(path) as f:
            s = json.load(f)
        schemas[(s["x-apiVersion"], s["x-kind"])] = s
    for d in docs:
        key = (d.get("apiVersion"), d.get("kind"))
        if key in schemas:
            try:
                jsonschema.validate(d, schemas[key])
            except jsonschema.ValidationError as e:
                fail(f"{key[1]}/{d['metadata'].get('name')}: {e.message} at {list(e.absolute_path)}")


def find(docs, kind, name):
    for d in docs:
        if d.get("kind") == kind and d["metadata"].get("name") == name:
            return d
    return None


def check_k8s(path, overlay):
    with open(path) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    check_crds(docs)
    dep = find(docs, "Deployment", "nsl-api")
    if dep is None:
        fail("no Deployment nsl-api")
        return
    spec = dep["spec"]
    pod = spec["template"]["spec"]
    ann = spec["template"]["metadata"].get("annotations", {})
    expect(ann.get("prometheus.io/scrape") == "true" and ann.get("prometheus.io/port") == "9090",
           "Deployment: prometheus.io annotations")
    psc = pod.get("securityContext", {})
    expect(psc.get("runAsNonRoot") is True and psc.get("runAsUser") == 1000 and psc.get("fsGroup") == 2000,
           "Deployment: pod securityContext runAsNonRoot/1000/fsGroup 2000")
    containers = {c["name"]: c for c in pod["containers"]}
    api = containers.get("api")
    enclave = containers.get("enclave")
    expect(api is not None and enclave is not None, "Deployment: containers api and enclave")
    if api is None or enclave is None:
        return
    ports = {p["containerPort"] for p in api.get("ports", [])}
    expect(ports == {5000, 5001, 9090}, f"api ports {sorted(ports)} != [5000, 5001, 9090]")
    expect(api["livenessProbe"]["httpGet"]["path"] == "/health/live", "api liveness /health/live")
    expect(api["readinessProbe"]["httpGet"]["path"] == "/health/ready", "api readiness /health/ready")
    res = api.get("resources", {})
    expect(res.get("requests") == {"cpu": "500m", "memory": "1Gi"}, "api requests 500m/1Gi")
    expect(res.get("limits") == {"cpu": "2000m", "memory": "4Gi"}, "api limits 2000m/4Gi")
    vols = {v["name"]: v for v in pod.get("volumes", [])}
    for c in pod["containers"]:
        sc = c.get("securityContext", {})
        expect(sc.get("allowPrivilegeEscalation") is False, f"{c['name']}: allowPrivilegeEscalation false")
        expect(sc.get("readOnlyRootFilesystem") is True, f"{c['name']}: readOnlyRootFilesystem")
        expect(sc.get("capabilities", {}).get("drop") == ["ALL"], f"{c['name']}: drop ALL capabilities")
        expect(not sc.get("privileged"), f"{c['name']}: not privileged")
        tmp = [m for m in c.get("volumeMounts", []) if m["mountPath"] == "/tmp"]
        expect(tmp and "emptyDir" in vols.get(tmp[0]["name"], {}), f"{c['name']}: /tmp is an emptyDir")
    # The configuration each container reads, and what it says about the enclave transport.
    cm_name = vols["config"]["configMap"]["name"]
    cm = find(docs, "ConfigMap", cm_name)
    expect(cm is not None, f"ConfigMap {cm_name} missing")
    toml = cm["data"]["nsl.toml"] if cm else ""
    if overlay == "production":
        expect(spec["replicas"] == 3, "Deployment: 3 replicas")
        ru = spec["strategy"]["rollingUpdate"]
        expect(ru == {"maxUnavailable": 1, "maxSurge": 1}, "RollingUpdate maxUnavailable 1 / maxSurge 1")
        expect(pod.get("nodeSelector", {}).get("hardware.feature.sgx") == "enabled", "API pods on SGX nodes")
        lim = enclave["resources"]["limits"]
        expect("sgx.intel.com/epc" in lim, "enclave: sgx.intel.com/epc limit")
        expect(any(e == {"name": "SGX_MODE", "value": "HW"} for e in enclave.get("env", [])), "enclave: SGX_MODE=HW")
        expect('mode = "gramine-sgx"' in toml and 'socket = "tcp://127.0.0.1:' in toml and "token_file" in toml,
               "production nsl.toml: gramine-sgx over loopback TCP with a token file")
        expect('profile = "production"' in toml, "production nsl.toml: production profile")
        hpa = find(docs, "HorizontalPodAutoscaler", "nsl-api")
        expect(hpa is not None, "HPA nsl-api")
        if hpa:
            hs = hpa["spec"]
            expect(hs["minReplicas"] == 3 and hs["maxReplicas"] == 50, "HPA 3..50")
            targets = {m["resource"]["name"]: m["resource"]["target"]["averageUtilization"] for m in hs["metrics"]}
            expect(targets == {"cpu": 70, "memory": 80}, f"HPA targets {targets}")
            expect(hs["behavior"]["scaleUp"]["stabilizationWindowSeconds"] == 120, "HPA scale-up window 2 min")
        ds = find(docs, "DaemonSet", "sgx-aesmd")
        expect(ds is not None, "DaemonSet sgx-aesmd")
        if ds:
            dpod = ds["spec"]["template"]["spec"]
            expect(dpod.get("nodeSelector") == {"hardware.feature.sgx": "enabled"}, "DaemonSet nodeSelector")
            expect(any(t.get("key") == "sgx.intel.com/epc" for t in dpod.get("tolerations", [])),
                   "DaemonSet EPC toleration")
            for c in dpod["containers"]:
                expect("sgx.intel.com/epc" in c["resources"]["limits"], "DaemonSet sgx.intel.com/epc limit")
                expect(not c.get("securityContext", {}).get("privileged"), "DaemonSet not privileged")
        for kind in ("PodDisruptionBudget", "Job"):
            expect(any(d["kind"] == kind for d in docs), f"production has a {kind}")
    else:
        expect('mode = "sim"' in toml and 'profile = "embedded"' in toml, "dev nsl.toml: embedded + sim")
        for c in pod["containers"]:
            lim = c.get("resources", {}).get("limits", {})
            expect(not any(k.startswith("sgx.intel.com/") for k in lim), f"dev {c['name']}: no SGX resources")
    for kind in ("Service", "Ingress", "VerticalPodAutoscaler", "ServiceMonitor", "NetworkPolicy"):
        expect(any(d["kind"] == kind for d in docs), f"{overlay} has a {kind}")
    deny = find(docs, "NetworkPolicy", "default-deny-all")
    expect(deny is not None and deny["spec"]["podSelector"] == {}
           and sorted(deny["spec"]["policyTypes"]) == ["Egress", "Ingress"], "default-deny NetworkPolicy")
    # Every Secret/ConfigMap key a container reads through a file must be one nsl knows.
    for line in toml.splitlines():
        m = re.match(r'\s*(\w+)_file\s*=\s*"([^"]+)"', line)
        if m and m.group(2).startswith("/run/nsl/secrets/"):
            expect(any(m.group(2) == "/run/nsl/secrets/" + k
                       for k in ("database-url", "database-migration-url", "cache-url", "enclave-token",
                                 "database-replica-url", "metrics-token")),
                   f"nsl.toml: unexpected secret file {m.group(2)}")


# ---- metric names -------------------------------------------------------------------------------------------

PROMQL_WORDS = {
    "sum", "min", "max", "avg", "count", "rate", "irate", "increase", "histogram_quantile", "by", "without",
    "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "absent", "clamp_min",
    "clamp_max", "time", "offset", "topk", "bottomk", "delta", "deriv", "le", "vector", "scalar", "label_replace",
    "humanize", "humanizeDuration", "humanizePercentage", "avg_over_time", "max_over_time", "min_over_time",
    "sort_desc", "changes", "resets", "abs", "round", "ceil", "floor", "count_over_time", "sum_over_time",
}
# Names that are not nsl's: Prometheus's own per-target series.
PROMETHEUS_OWN = {"up", "ALERTS", "scrape_duration_seconds"}


def names_in_expr(expr):
    expr = re.sub(r'\{[^}]*\}', "", expr)         # label matchers
    expr = re.sub(r'"[^"]*"', "", expr)           # strings
    expr = re.sub(r"\[[^\]]*\]", "", expr)        # ranges
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    out = set()
    for m in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr):
        w = m.group(0)
        if w in PROMQL_WORDS or ":" in w or re.fullmatch(r"\d+[smhdwy]?", w) or w in ("e", "Inf", "NaN"):
            continue
        end = m.end()
        rest = expr[end:].lstrip()
        if rest.startswith("(") and w not in PROMETHEUS_OWN:  # a function call
            continue
        out.add(w)
    return out


def exported_names(metrics_txt):
    names = set()
    with open(metrics_txt) as f:
        for line in f:
            m = re.match(r"# TYPE (\S+) (\S+)", line)
            if m:
                names.add(m.group(1))
                if m.group(2) in ("histogram", "summary"):
                    names.update(m.group(1) + s for s in ("_bucket", "_sum", "_count"))
    return names


def check_metric_names(metrics_txt, only_pg_source):
    exported = exported_names(metrics_txt)
    used = {}  # name -> where
    with open(os.path.join(DEPLOY, "prometheus", "rules.yaml")) as f:
        rules = yaml.safe_load(f)
    for g in rules["groups"]:
        for r in g["rules"]:
            if r.get("labels", {}).get("source"):  # another exporter's metrics, declared as such
                continue
            for n in names_in_expr(r["expr"]):
                used.setdefault(n, f"rules.yaml {r.get('alert') or r.get('record')}")
    recorded = {r["record"] for g in rules["groups"] for r in g["rules"] if "record" in r}
    for path in sorted(glob.glob(os.path.join(DEPLOY, "grafana", "dashboards", "*.json"))):
        with open(path) as f:
            dash = json.load(f)  # also: the file parses
        prov = os.path.join(DEPLOY, "grafana", "provisioning", "datasources", "prometheus.yaml")
        with open(prov) as f:
            ds_uids = {d["uid"] for d in yaml.safe_load(f)["datasources"]}
        expect(dash.get("uid") and dash.get("title"), f"{os.path.basename(path)}: uid and title")
        for panel in dash.get("panels", []):
            expect(panel.get("datasource", {}).get("uid") in ds_uids,
                   f"{os.path.basename(path)} panel '{panel.get('title')}': data source not provisioned")
            expect(panel.get("targets"), f"{os.path.basename(path)} panel '{panel.get('title')}': no query")
            for t in panel.get("targets", []):
                for n in names_in_expr(t.get("expr", "")):
                    used.setdefault(n, f"{os.path.basename(path)} panel '{panel.get('title')}'")
                for n in re.findall(r"nsl:[a-z0-9_:]+", t.get("expr", "")):
                    expect(n in recorded, f"{os.path.basename(path)}: recording rule {n} not in rules.yaml")
    pg_only = set()
    if only_pg_source:
        with open(only_pg_source) as f:
            pg_only = set(re.findall(r'"(nsl_db_[a-z_]+)"', f.read()))
    for n, where in sorted(used.items()):
        if n in PROMETHEUS_OWN or n in exported:
            continue
        if n in pg_only:  # registered only when database.url is PostgreSQL (src/app/storage.cpp)
            continue
        fail(f"{where}: metric {n} is not exported by nsl")
    print(f"metric-names: {len(used)} names checked against {len(exported)} exported"
          f" (+{len(pg_only)} PostgreSQL-only from source)")


# ---- Dockerfile ---------------------------------------------------------------------------------------------


def run_lines(text):
    """RUN instructions of a Dockerfile, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", text)
    return [l.strip()[4:].strip() for l in joined.splitlines() if l.strip().startswith("RUN ")]


def commands(shell):
    return [c.strip() for c in re.split(r"&&|;", shell) if c.strip()]


def check_dockerfile():
    with open(os.path.join(ROOT, "Makefile")) as f:
        mk = f.read()
    m = re.search(r"^build:.*\n((?:\t.*\n)+)", mk, re.M)
    expect(m is not None, "Makefile: no build target")
    if not m:
        return
    make_cmds = [l.strip() for l in m.group(1).splitlines()]
    make_cmds = [re.sub(r"\s*>/dev/null", "", c).replace("$(JOBS)", "JOBS") for c in make_cmds]
    deps = re.search(r"^deps:.*\n\t@?(.*)", mk, re.M).group(1).strip()
    for name in ("Dockerfile",):
        path = os.path.join(DEPLOY, name)
        with open(path) as f:
            text = f.read()
        expect(re.search(r"^FROM debian:12[\w.-]*(-slim)? AS build", text, re.M | re.I), f"{name}: Debian 12 build stage")
        cmds = [c for r in run_lines(text) for c in commands(r)]
        cmds = [re.sub(r"\s*>/dev/null", "", c).replace("$(nproc)", "JOBS").replace("${JOBS}", "JOBS") for c in cmds]
        expect(any(c.startswith(deps) for c in cmds), f"{name}: build stage does not run '{deps}' (Makefile deps)")
        for mc in make_cmds:
            expect(mc in cmds, f"{name}: build stage does not run '{mc}' (Makefile build)")
        flat = re.sub(r"\\\n\s*", " ", text)
        stages = {}
        for block in re.split(r"^(?=FROM )", flat, flags=re.M)[1:]:
            m = re.match(r"FROM (\S+)(?: AS (\S+))?", block, re.I)
            stages[m.group(2) or m.group(1)] = (m.group(1), block)
        for target in ("nsl", "nsl-enclave"):
            expect(target in stages, f"{name}: no stage {target}")
            if target not in stages:
                continue
            base, block = stages[target]
            expect(base == "scratch", f"{name} {target}: runtime image FROM scratch (no shell)")
            expect(re.search(r"^USER 1000", block, re.M), f"{name} {target}: USER 1000")
            expect(re.search(r"^HEALTHCHECK .*CMD \[", block, re.M), f"{name} {target}: exec-form HEALTHCHECK")
            expect(not re.search(r"^RUN ", block, re.M), f"{name} {target}: RUN needs a shell")
        if "nsl" in stages:
            expect(re.search(r"^HEALTHCHECK .*/health/live", stages["nsl"][1], re.M),
                   f"{name} nsl: HEALTHCHECK on /health/live")
            expect(re.search(r"^EXPOSE 5000 5001 9090", stages["nsl"][1], re.M), f"{name} nsl: EXPOSE 5000 5001 9090")


# ---- compose ------------------------------------------------------------------------------------------------


def check_compose():
    with open(os.path.join(DEPLOY, "compose.yaml")) as f:
        c = yaml.safe_load(f)
    svcs = c.get("services", {})
    for s in ("nsl-1", "nsl-2", "nsl-3", "haproxy", "nsl-enclave", "postgres", "postgres-replica", "pgbouncer",
              "redis", "prometheus", "grafana"):
        expect(s in svcs, f"compose: service {s}")
    for name, s in svcs.items():
        expect("image" in s or "build" in s, f"compose {name}: image or build")
        for dep in (s.get("depends_on") or {}):
            expect(dep in svcs, f"compose {name}: depends_on unknown service {dep}")
        for v in s.get("volumes", []) or []:
            src = v.split(":")[0] if isinstance(v, str) else v.get("source", "")
            if src.startswith("./"):
                expect(os.path.exists(os.path.join(DEPLOY, src)), f"compose {name}: missing file {src}")
            elif src and not src.startswith("/"):
                expect(src in (c.get("volumes") or {}), f"compose {name}: undeclared volume {src}")
        for sec in s.get("secrets", []) or []:
            sname = sec if isinstance(sec, str) else sec["source"]
            expect(sname in (c.get("secrets") or {}), f"compose {name}: undeclared secret {sname}")
    for n in ("nsl-1", "nsl-2", "nsl-3"):
        if n in svcs:
            expect(svcs[n].get("read_only") is True and svcs[n].get("user") == "1000:1000",
                   f"compose {n}: read_only, user 1000")
    for name, s in (c.get("secrets") or {}).items():
        if "file" in s:
            expect(os.path.exists(os.path.join(DEPLOY, s["file"])) or s["file"].startswith("./compose/secrets/"),
                   f"compose secret {name}: {s['file']}")


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "k8s":
        check_k8s(sys.argv[2], sys.argv[3])
    elif cmd == "metric-names":
        check_metric_names(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
    elif cmd == "dockerfile":
        check_dockerfile()
    elif cmd == "compose":
        check_compose()
    else:
        print(__doc__, file=sys.stderr)
        return 2
    for p in problems:
        print(f"FAIL {cmd}: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
