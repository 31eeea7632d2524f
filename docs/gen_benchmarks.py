"""Writes every benchmark table of the docs from `benchmarks/results/*.json`.

A page holds a table between two markers, the first naming what to generate:

    <!-- generated: tabular_summary -->
    | data set | ... |
    <!-- /generated -->

`python docs/gen_benchmarks.py` rewrites what lies between the markers of every
page under `docs/`; `--check` changes nothing and exits 1 when a page differs
from its JSON (tests/docs/test_benchmark_pages.py runs the same comparison).
The prose around the tables is written by hand; the tables never are. Each
table is formatted as the benchmark script that wrote its JSON prints it.

Needs only the standard library: no Keras, no benchmark is run.
"""

from __future__ import annotations

import argparse
import glob
import json
import pathlib
import re
import statistics
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
DOCS = ROOT / "docs"
BLOCK = re.compile(
    r"^(?P<indent>[ \t]*)(?P<open><!-- generated: (?P<spec>[^>]*?) -->\n)"
    r"(?P<body>.*?)(?P<close>^[ \t]*<!-- /generated -->)",
    re.DOTALL | re.MULTILINE,
)


def _load(name):
    with open(RESULTS / name) as f:
        return json.load(f)


def _table(head, rows):
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


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


# ---- random search (benchmarks/tuning.py, refit_rule.py, search_peers.py) -----
_TUNING_COLUMNS = (
    ("untuned", "untuned_test_accuracy"),
    ("untuned refit", "untuned_refit_test_accuracy"),
    ("tuned", "tuned_test_accuracy"),
    ("tuned refit, constant rate", "tuned_refit_constant_rate_test_accuracy"),
    ("tuned refit (annealed)", "tuned_refit_test_accuracy"),
    ("best validation", "best_val_accuracy"),
)


def tuning_seeds():
    """`tuning.py --summary`: the runs of this version (with the refit rows)."""
    paths = ["tuning.json"] + sorted(
        pathlib.Path(p).name for p in glob.glob(str(RESULTS / "tuning_seed*.json"))
    )
    runs = [_load(p) for p in paths]
    runs = [r for r in runs if "tuned_refit_constant_rate_test_accuracy" in r]
    rows = []
    for run in sorted(runs, key=lambda r: r["seed"]):
        minutes = (run["search_seconds"] + run["refit_seconds"]) / 60
        bn = "yes" if run["best_hyperparameters"]["batch_norm"] else "no"
        cells = [f"{run[k]:.3f}" for _, k in _TUNING_COLUMNS]
        rows.append([run["seed"], *cells, f"{minutes:.1f} min", bn])
    medians = [
        f"{statistics.median(r[k] for r in runs):.3f}" for _, k in _TUNING_COLUMNS
    ]
    rows.append(["median", *medians, "", ""])
    head = ["seed", *(c for c, _ in _TUNING_COLUMNS)]
    return _table(head + ["search + refit", "best uses BatchNormalization"], rows)


def tuning_seed0(file="tuning.json"):
    r = _load(file)
    stages = " / ".join(f"{s:.0f}" for s in r["seconds_per_stage"])
    last = r["stages"][-1]["epochs"]
    untuned = f"{r['untuned_epochs']} of {last} epochs"
    untuned_refit = f"{r['untuned_refit_epochs']} epochs, annealed"
    refit = f"{r['refit_epochs']} epochs, annealed"
    rows = [
        [
            f"untuned build_mlp test accuracy ({untuned})",
            f"{r['untuned_test_accuracy']:.3f}",
        ],
        [
            f"tuned build_mlp test accuracy (best of {r['trials_run']} trials)",
            f"{r['tuned_test_accuracy']:.3f}",
        ],
        [
            f"untuned, refit on train + validation ({untuned_refit})",
            f"{r['untuned_refit_test_accuracy']:.3f}",
        ],
        [
            f"tuned, `best_model(refit=True)` on train + validation ({refit})",
            f"{r['tuned_refit_test_accuracy']:.3f}",
        ],
        [
            "tuned, `best_model(refit=True, anneal=False)`: constant rate",
            f"{r['tuned_refit_constant_rate_test_accuracy']:.3f}",
        ],
        ["best validation accuracy", f"{r['best_val_accuracy']:.3f}"],
        ["search wall time", f"{r['search_seconds'] / 60:.1f} min"],
        [
            "search + refit wall time",
            f"{(r['search_seconds'] + r['refit_seconds']) / 60:.1f} min",
        ],
        [
            "trials run / stopped early",
            f"{r['trials_run']} / {r['trials_stopped_early']}",
        ],
        [
            "time saved by early stops (est.)",
            f"{r['seconds_saved_by_early_stop']:.0f} s",
        ],
        [
            "trials ended by patience / time saved (est.)",
            f"{r['trials_ended_by_patience']} / {r['seconds_saved_by_patience']:.0f} s",
        ],
        ["seconds per stage", stages],
        ["plain build+fit, 2 epochs", f"{r['plain_fit_s']:.2f} s"],
        ["tune trial, babysit=False", f"{r['trial_s_babysit_False']:.2f} s"],
        ["tune trial, babysit=True", f"{r['trial_s_babysit_True']:.2f} s"],
    ]
    return _table(["measure", "value"], rows)


_RULES = (
    ("constant, `E`", "const_E"),
    ("cosine over `E` (old)", "cos_E"),
    ("cosine over `E` x 4000/3400", "cos_Exdata"),
    ("cosine over `2E`", "cos_2E"),
    ("`E` held + cosine over `E/2` (new)", "hold_E_cos_halfE"),
)


def refit_rule():
    rows = []
    for which in ("4", "0"):
        for rec in _load(f"refit_rule_{which}.json"):
            cells = [f"{rec[k]:.3f}" if k in rec else "" for _, k in _RULES]
            rows.append(
                [
                    f"seed {which}'s best, training seed {rec['seed']}",
                    f"{rec['trial_test']:.3f}",
                    rec["best_epoch"],
                    *cells,
                ]
            )
    return _table(
        ["configuration", "trial model", "`E`", *(c for c, _ in _RULES)], rows
    )


_METHODS = ("recipes", "random", "hyperband", "bayesian", "optuna")


def search_peers(seed="", file="search_peers.json"):
    """The methods' medians over the runs of `file` (or of one `seed`)."""
    runs = _load(file)["runs"]
    if seed != "":
        runs = [r for r in runs if r["seed"] == int(seed)]
    rows = []
    for name in _METHODS:
        mine = [r for r in runs if r["method"] == name]
        if not mine:
            continue

        def med(key, mine=mine):
            return statistics.median(r[key] for r in mine)

        rows.append(
            [
                name,
                f"{med('trial_test_accuracy'):.3f}",
                f"{med('refit_test_accuracy'):.3f}",
                f"{med('trials'):g}",
                f"{med('pruned'):g}",
                f"{med('wall_s') / 60:.1f} min",
            ]
        )
    many = len({r["seed"] for r in runs}) > 1
    acc = " (median)" if many else ""
    head = ["method", f"trial test acc{acc}", f"refit test acc{acc}", "trials"]
    return _table(head + ["pruned / stopped early", "wall"], rows)


def random_vs_grid():
    rows = [
        [
            s["trials"],
            f"{s['random_wins']}/5 seeds",
            f"{s['median_gain']:+.3f}",
            f"{s['mean_gain']:+.3f}",
        ]
        for s in _load("random_vs_grid.json")["summary"]
    ]
    return _table(["trials", "random beats grid", "median gain", "mean gain"], rows)


# ---- the learning-rate range test (benchmarks/lr_finder.py) -------------------
_LR_RULES = ("minimum", "steepest", "steepest_capped", "valley")


def lr_finder():
    rows = []
    for row in _load("lr_finder.json")["rows"]:
        cells = [
            row["dataset"],
            row["model"],
            row["optimizer"],
            f"{row['best_grid_rate']:g}",
            f"{row['best_grid_acc']:.3f}",
        ]
        for rule in _LR_RULES:
            s = row[rule]
            ok = "ok" if s["meets"] else "MISS"
            cells += [
                f"{statistics.median(s['rates']):.2g}",
                f"{s['acc']:.3f}",
                f"{s['ratio']:.1%} {ok}",
            ]
        rows.append(cells)
    head = ["data", "model", "optimizer", "best grid rate", "its val acc"]
    for rule in _LR_RULES:
        head += [f"{rule} rate (median)", "val acc", "ratio"]
    return _table(head, rows)


def lr_finder_preflight():
    t = _load("lr_finder.json")["preflight"]
    return (
        f"`preflight` on digits with `build_mlp` at its defaults: median "
        f"{t['median_s']:.2f} s, max {t['max_s']:.2f} s."
    )


# ---- the bars: every target against its latest measurement --------------------
def _yes(ok):
    return "yes" if ok else "**no**"


def _bar_ablation():
    digits = _load("recipe_ablation_digits.json")
    mnist = _load("recipe_ablation_mnist1d.json")
    mlp, cnn = digits["rows"]["recipe build_mlp"], mnist["rows"]["recipe build_cnn"]
    mlp1d = mnist["rows"]["recipe build_mlp"]
    prior = digits["prior_loss"]
    losses = (mlp["initial_loss"], mlp1d["initial_loss"])
    near = all(abs(v - prior) <= 0.02 * prior for v in losses)
    page = "[builders](recipe-ablation.md)"
    return [
        ["digits, `build_mlp` defaults, test accuracy >= 0.98", page,
         f"{mlp['test_accuracy']:.4f}", _yes(mlp["test_accuracy"] >= 0.98)],
        ["MNIST-1D, `build_cnn` defaults, >= 0.95", page,
         f"{cnn['test_accuracy']:.3f}", _yes(cnn["test_accuracy"] >= 0.95)],
        ["MNIST-1D, `build_mlp` defaults, >= 0.70", page,
         f"{mlp1d['test_accuracy']:.3f}", _yes(mlp1d["test_accuracy"] >= 0.70)],
        ["initial loss within 2 % of the priors' loss (digits / MNIST-1D MLP)", page,
         " / ".join(f"{v:.4f}" for v in losses) + f" vs {prior:.4f}", _yes(near)],
    ]  # fmt: skip


def _bar_overhead():
    rows = []
    for path in sorted(glob.glob(str(RESULTS / "babysitter_overhead*.json"))):
        r = _load(pathlib.Path(path).name)
        whole = r.get("hook_share_of_fit", {}).get("Babysitter")
        setup = r.get("one_time_seconds", {}).get("Babysitter")
        if not (whole and setup) or r["epochs"] != 6:
            continue
        share, secs = statistics.median(whole), statistics.median(setup)
        rows.append(
            [
                f"Babysitter's hooks <= 1.5 % of the rest of the fit, setup <= 0.1 s "
                f"({_BACKENDS[r['backend']]}, 6-epoch fits)",
                "[overhead](babysitter-overhead.md)",
                f"{share:.2%} / {secs:.3f} s",
                _yes(share <= 0.015 and secs <= 0.1),
            ]
        )
    return rows


def _bar_diagnosis():
    cases = _load("diagnosis.json")["cases"]
    healthy = [s for c in cases if c["kind"] == "healthy" for s in c["seeds"]]
    faulty = [c for c in cases if c["kind"] == "faulty"]
    alarms = sum(s["false_alarm"] for s in healthy)
    named = sum(
        sum(bool(s["verdict_cause_ok"]) for s in c["seeds"]) * 3 >= 2 * len(c["seeds"])
        for c in faulty
    )
    return [
        [
            "diagnosis: no warning or error on healthy programs; the verdict "
            "names each fault in >= 2 of 3 seeds",
            "[diagnosis](diagnosis.md)",
            f"{alarms} of {len(healthy)} healthy runs alarm; the verdict names the "
            f"fault in >= 2 of 3 seeds in {named} of {len(faulty)} faulty programs",
            _yes(alarms == 0 and named == len(faulty)),
        ]
    ]


def _bar_search():
    lr = _load("lr_finder.json")
    met = sum(row["steepest"]["meets"] for row in lr["rows"])
    pre = lr["preflight"]["median_s"]
    tuned = [
        _load(p)
        for p in ["tuning.json"]
        + sorted(pathlib.Path(q).name for q in glob.glob(str(RESULTS / "tuning_seed*")))
    ]
    refits = [r["tuned_refit_test_accuracy"] for r in tuned if "refit_seconds" in r]
    refit = statistics.median(refits)
    runs = _load("search_peers.json")["runs"]
    medians = {
        m: statistics.median(r["refit_test_accuracy"] for r in runs if r["method"] == m)
        for m in _METHODS
    }
    best_peer = max(v for m, v in medians.items() if m != "recipes")
    ours = medians["recipes"]
    return [
        ["LR range test: suggested rate (`steepest`) >= 98 % of the best grid rate",
         "[range test](lr-finder.md)", f"{met} of {len(lr['rows'])} settings",
         _yes(met == len(lr["rows"]))],
        ["`preflight` on digits under 10 s", "[range test](lr-finder.md)",
         f"{pre:.2f} s", _yes(pre < 10)],
        ["tuned `build_mlp` on MNIST-1D >= 0.76 (`best_model(refit=True)`, median)",
         "[random search](tuning.md)", f"{refit:.3f} over {len(refits)} seeds",
         _yes(refit >= 0.76)],
        ["`recipes.tune` refit median >= 0.78 and above every peer, same budget",
         "[peers](search-peers.md)", f"{ours:.3f} against {best_peer:.3f}",
         _yes(ours >= 0.78 and ours > best_peer)],
    ]  # fmt: skip


def _bar_tables():
    data = _load("tabular.json")
    met, cells = [], []
    for r in data.values():
        net = statistics.median(run["network"] for run in r["runs"])
        lin = statistics.median(run["linear"] for run in r["runs"])
        gb = statistics.median(run["gb"] for run in r["runs"])
        met.append(net >= lin and net >= gb - _TOLERANCE[r["task"]])
        cells.append(f"{net:.4f}")
    return [
        [
            "tables: `fit` defaults >= the linear model and within 1 point / 0.03 R² "
            f"of gradient boosting ({', '.join(data)})",
            "[tables](tabular.md)",
            " / ".join(cells),
            _yes(all(met)),
        ]
    ]


def bars():
    """Each target of the project against the JSON that measures it."""
    rows = _bar_ablation() + _bar_overhead() + _bar_diagnosis()
    rows += _bar_search() + _bar_tables()
    return _table(["bar", "page", "measured", "met"], rows)


GENERATORS = {
    f.__name__: f
    for f in (
        tabular_summary,
        tabular_members,
        tabular_defaults,
        ablation,
        ablation_init_std,
        ablation_deep_relu,
        overhead_backends,
        overhead_control,
        diagnosis_healthy,
        diagnosis_faulty,
        diagnosis_per_check,
        diagnosis_row,
        tuning_seeds,
        tuning_seed0,
        refit_rule,
        search_peers,
        random_vs_grid,
        lr_finder,
        lr_finder_preflight,
        bars,
    )
}


def generate(spec):
    """The markdown for `spec`: a generator's name, then its arguments
    (`name arg key=value ...`)."""
    name, *words = spec.split()
    if name not in GENERATORS:
        raise ValueError(
            f"Unknown generated block {name!r}. Expected one of "
            f"{sorted(GENERATORS)}. Received: spec={spec!r}"
        )
    args = [w for w in words if "=" not in w]
    kwargs = dict(w.split("=", 1) for w in words if "=" in w)
    return GENERATORS[name](*args, **kwargs)


def _block(match):
    indent = match.group("indent")
    body = "".join(
        (indent + line if line else line) + "\n"
        for line in generate(match.group("spec")).splitlines()
    )
    return indent + match.group("open") + body + match.group("close")


def render(text):
    """`text` with every generated block regenerated (indented as its opening
    marker, so a table can sit inside a list item)."""
    return BLOCK.sub(_block, text)


def pages():
    """The docs pages that hold a generated block."""
    return sorted(p for p in DOCS.rglob("*.md") if "<!-- generated:" in p.read_text())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if a page is stale"
    )
    args = parser.parse_args(argv)
    stale = []
    for page in pages():
        text = page.read_text()
        new = render(text)
        if new != text:
            stale.append(page.relative_to(ROOT))
            if not args.check:
                page.write_text(new)
    verb = "stale" if args.check else "rewrote"
    for page in stale:
        print(f"{verb}: {page}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
