"""Tables of the fit defaults, the builders, the Babysitter's overhead and the
diagnosis suite, each formatted as its benchmark script prints it."""

from __future__ import annotations

import glob
import pathlib
import statistics

from _tables_common import RESULTS, _load, _table

# ---- tables: the `fit` defaults (benchmarks/tabular.py, tabular_defaults.py) --
_TOLERANCE = {"classification": 0.01, "regression": 0.03}
_METRIC = {"classification": "accuracy", "regression": "R²"}


def tabular_summary(file="tabular.json"):
    rows = []
    for name, r in _load(file).items():
        runs = r["runs"]
        med = {
            k: statistics.median(run[k] for run in runs)
            for k in runs[0]
            if k not in ("members", "seed")
        }
        met = (
            med["network"] >= med["linear"]
            and med["network"] >= med["gb"] - _TOLERANCE[r["task"]]
        )
        rows.append(
            [
                f"{name} ({r['rows']} rows)",
                _METRIC[r["task"]],
                f"{med['network']:.4f}",
                f"{med['linear']:.4f}",
                f"{med['gb']:.4f}",
                f"{med['network'] - med['linear']:+.4f}",
                f"{med['network'] - med['gb']:+.4f}",
                f"{'yes' if met else 'no'} ({len(runs)} seeds)",
                f"{med['parameters']:,.0f}",
                f"{med['network_seconds']:.0f}",
                f"{med['gb_seconds']:.1f}",
            ]
        )
    head = ["data set", "metric", "network", "linear", "gradient boosting"]
    head += ["network - linear", "network - GB", "bar met", "parameters"]
    return _table(head + ["network s", "GB s"], rows)


def tabular_members(file="tabular.json"):
    rows = [
        [
            name,
            run.get("seed", "-"),
            f"{run['network']:.4f}",
            " / ".join(f"{v:.4f}" for v in run["members"]),
            f"{run['linear']:.4f}",
        ]
        for name, r in _load(file).items()
        for run in r["runs"]
        if run.get("members")
    ]
    return _table(["data set", "seed", "average", "its networks alone", "linear"], rows)


def tabular_defaults(variants="", exclude=""):
    """`tabular_defaults.py`'s table; `variants` keeps only those (comma
    separated), `exclude` leaves those out."""
    keep = set(filter(None, variants.split(",")))
    drop = set(filter(None, exclude.split(",")))
    groups = {}
    for run in _load("tabular_defaults.json"):
        v = run["variant"]
        if (keep and v not in keep) or v in drop:
            continue
        groups.setdefault((run["data"], v), []).append(run)
    rows = []
    for (name, variant), rs in sorted(groups.items()):
        net = [r["network"] for r in rs]
        losses = [r["loss"] for r in rs if r.get("loss") is not None]
        loss = f"{statistics.mean(losses):.4f} ({len(losses)})" if losses else "-"
        rows.append(
            [
                name,
                variant,
                len(rs),
                f"{statistics.median(net):.4f}",
                f"{statistics.mean(net):.4f}",
                loss,
                f"{statistics.median(r['linear'] for r in rs):.4f}",
                f"{statistics.mean(r['epochs'] for r in rs):.0f}",
                f"{statistics.mean(r['seconds'] for r in rs):.0f}",
            ]
        )
    head = ["data", "variant", "runs", "network median", "network mean"]
    head += ["test loss mean", "linear median", "epochs", "s"]
    return _table(head, rows)


# ---- builders: the recipe ablation (benchmarks/recipe_ablation.py) ------------
def _fmt(v, spec=".4f"):
    return "n/a" if v is None else format(v, spec)


def _group(label):
    for rank, start in enumerate(("recipe", "naive", "- ")):
        if label.startswith(start):
            return rank
    return 3


def ablation(part):
    block = _load(f"recipe_ablation_{part}.json")
    rows = [
        [
            label,
            _fmt(r["test_accuracy"]),
            _fmt(r.get("initial_loss")),
            _fmt(r.get("epochs_to_target"), ".0f"),
            _fmt(r.get("epochs_run"), ".0f"),
        ]
        for label, r in sorted(block["rows"].items(), key=lambda kv: _group(kv[0]))
    ]
    target = f"epochs to {block['target_val_accuracy']:.0%} val acc"
    head = ["setup", "test accuracy", "initial loss", target, "epochs run"]
    return _table(head, rows)


def ablation_init_std():
    init = _load("recipe_ablation_init.json")["init_activation_std"]
    rows = [[k] + [f"{s:.2g}" for s in v] for k, v in init.items()]
    return _table(["net / init"] + [f"L{i + 1}" for i in range(10)], rows)


def ablation_deep_relu():
    deep = _load("recipe_ablation_init.json")["deep_relu_30"]
    rows = [
        [k, f"{v['test_accuracy']:.3f}", ", ".join(f"{a:.3f}" for a in v["runs"])]
        for k, v in deep.items()
    ]
    return _table(["init", "test accuracy (median)", "per seed"], rows)


# ---- the Babysitter's overhead (benchmarks/babysitter_overhead.py) ------------
_BACKENDS = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}


def _share(values):
    """Median over the repeats, and the range without the first fit."""
    med = statistics.median(values)
    rest = values[1:] or values
    return f"{med:.2%} ({min(rest):.2%}-{max(rest):.2%})"


def overhead_backends():
    rows = []
    for path in sorted(glob.glob(str(RESULTS / "babysitter_overhead*.json"))):
        r = _load(pathlib.Path(path).name)
        hooks = r.get("hook_share", {}).get("Babysitter")
        whole = r.get("hook_share_of_fit", {}).get("Babysitter")
        setup = r.get("one_time_seconds", {}).get("Babysitter")
        if not (hooks and whole and setup):
            continue  # a run from before the script measured them
        rows.append(
            [
                _BACKENDS[r["backend"]],
                r["epochs"],
                r["repeats"],
                f"{statistics.median(r['baseline_seconds_per_epoch']):.2f}",
                _share(hooks),
                _share(whole),
                f"{statistics.median(setup):.3f}",
                f"{hooks[0]:.2%}, {setup[0]:.3f} s",
                pathlib.Path(path).name,
            ]
        )
    rows.sort(key=lambda row: (row[1], list(_BACKENDS.values()).index(row[0])))
    head = ["backend", "epochs a fit", "repeats", "baseline s/epoch"]
    head += ["hook time / steady epoch", "hook time / whole fit", "setup (s)"]
    return _table(head + ["first fit of the process: hook time, setup", "JSON"], rows)


def overhead_control(file="babysitter_overhead.json"):
    r = _load(file)
    pairs = [
        (
            "Babysitter / baseline",
            "babysitter_paired_ratios",
            "babysitter_paired_cpu_ratios",
        ),
        (
            "baseline again / baseline (A/A control)",
            "control_paired_ratios",
            "control_paired_cpu_ratios",
        ),
    ]
    rows = [
        [
            name,
            f"{statistics.median(r[wall]):.3f}x",
            f"{statistics.median(r[cpu]):.3f}x",
            ", ".join(f"{v:.3f}" for v in r[wall]),
        ]
        for name, wall, cpu in pairs
    ]
    head = ["pair", "wall-clock ratio (median)", "process CPU-time ratio (median)"]
    return _table(head + ["wall-clock ratio per repeat"], rows)


# ---- diagnosis quality (benchmarks/diagnosis.py) ------------------------------
def _fraction(flags):
    if all(v is None for v in flags):
        return "n/a"
    return f"{sum(map(bool, flags))}/{len(flags)}"


def _metric_text(m):
    keys = ("loss", "val_loss", "accuracy", "val_accuracy", "val_r2", "val_mae")
    parts = [f"{k}={m[k]}" for k in keys if k in m]
    return " ".join(parts) + f" ({m.get('epochs_run', '?')} ep)"


def diagnosis_healthy(file="diagnosis.json"):
    rows = []
    for c in _load(file)["cases"]:
        if c["kind"] != "healthy":
            continue
        seeds = c["seeds"]
        checks = sorted({k for s in seeds for k in s["alarm_checks"]})
        rows.append(
            [
                c["name"],
                f"{sum(s['false_alarm'] for s in seeds)}/{len(seeds)}",
                ", ".join(checks) or "-",
                _metric_text(seeds[0]["metrics"]),
            ]
        )
    head = ["case", "false alarms (seeds)", "warning/error checks", "metrics, seed 0"]
    return _table(head, rows)


def diagnosis_faulty(file="diagnosis.json"):
    rows = []
    for c in _load(file)["cases"]:
        if c["kind"] != "faulty":
            continue
        seeds = c["seeds"]
        other = sorted(
            {k for s in seeds for k in s["alarm_checks"]} - set(c["expected"])
        )
        rows.append(
            [
                c["name"],
                c["expected"][0],
                f"{sum(s['detected'] for s in seeds)}/{len(seeds)}",
                ",".join(str(s["first_detection"]) for s in seeds),
                _fraction([s["verdict_cause_ok"] for s in seeds]),
                _fraction([s["verdict_fix_ok"] for s in seeds]),
                ", ".join(other) or "-",
            ]
        )
    head = ["case", "expected", "detected (seeds)", "first detection"]
    head += ["verdict right", "fix right", "other warning/error checks"]
    return _table(head, rows)


_PER_CHECK = ["check", "detected", "missed (as preferred)", "other alarms on faulty"]
_PER_CHECK += ["false alarms on healthy"]


def _per_check_row(check, st):
    return [check, st["detected"], st["missed"], st["other"], st["false_alarms"]]


def diagnosis_per_check(file="diagnosis.json"):
    per_check = _load(file)["per_check"]
    return _table(
        _PER_CHECK, [_per_check_row(k, v) for k, v in sorted(per_check.items())]
    )


def diagnosis_row(check, file="diagnosis.json"):
    """One check's row of the per-check table, and the faulty programs whose
    fault it is (for the check's own page)."""
    data = _load(file)
    st = data["per_check"].get(check)
    cases = [c["name"] for c in data["cases"] if check in c["expected"]]
    n = data["seeds"]
    lines = []
    if st is None:
        lines.append(
            f"`{check}` raised no warning or error in the suite's run "
            f"(`benchmarks/results/{file}`, {n} seeds a program)."
        )
    else:
        lines.append(_table(_PER_CHECK, [_per_check_row(check, st)]))
    if cases:
        names = ", ".join(f"`{c}`" for c in cases)
        lines.append(f"\nFaulty programs that accept it as their cause: {names}.")
    else:
        lines.append("\nNo faulty program of the suite accepts it as its cause.")
    return "\n".join(lines)
