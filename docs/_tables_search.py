"""Tables of the random search, its peers, random against grid and the range
test, and the bars: every target against the JSON that measures it."""

from __future__ import annotations

import glob
import pathlib
import statistics

from _tables_common import RESULTS, _load, _table
from _tables_runs import _BACKENDS, _TOLERANCE

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
