"""Benchmark: the default `recipes.tune` on MNIST-1D with `build_mlp`.

Reports the best test accuracy against the untuned `build_mlp` defaults
(trained as long as the last stage), both as trained on the training split
and refit on train + validation for their best epoch with the learning rate
annealed to 0 (`best_model(refit=True)`; tuned also at a constant rate),
the search's wall time, trials run,
trials the Babysitter stopped and the time that saved, and the per-trial
overhead of a `tune` trial over a plain build + `fit`.

Run: `nice -n 10 python benchmarks/tuning.py` (writes
`benchmarks/results/tuning.json`). Target: test accuracy >= 0.76 within
30 minutes on 2 cores. `--stages '[{"trials": 24, "epochs": 8}, ...]'` tries
other stages than `tune`'s defaults and writes `tuning_stages.json` instead;
`--space "{'units': (256, 2048)}"` overrides the search space (a Python
literal) and writes `tuning_space.json`; `--seed N` (default 0) seeds the
search and the untuned run and adds `_seedN` to the file name.
`--reuse-untuned` takes the untuned rows from that file's earlier run when its
last stage is the same (they do not depend on the search space), marked
`untuned_reused` in the JSON, and saves their 5-10 minutes. `--summary`
prints one row per seed from those files (`tuning.json`, `tuning_seed*.json`)
and their medians, without running anything.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import ast  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
from _results import write_json  # noqa: E402

from recipes import build_mlp, datasets  # noqa: E402
from recipes.search import space as _search_space
from recipes.search.refit import anneal_learning_rate  # noqa: E402
from recipes.search.stages import DEFAULT_STAGES  # noqa: E402
from recipes.search.tuning import tune  # noqa: E402

QUICK = "--quick" in sys.argv
STAGES = (
    json.loads(sys.argv[sys.argv.index("--stages") + 1])
    if "--stages" in sys.argv
    else None
)
SEED = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 0
# A Python literal, since search spaces use tuples for ranges:
# --space "{'units': (256, 2048), 'batch_norm': [True, False]}"
SPACE = (
    ast.literal_eval(sys.argv[sys.argv.index("--space") + 1])
    if "--space" in sys.argv
    else None
)


def overhead(data, workdir, repeats=4, epochs=2):
    """Median seconds of a tune trial minus a plain build + fit, same model."""
    space = {
        "learning_rate": (1e-3, 2e-3),
        "l2": 1e-4,
        "dropout": 0.3,
        "units": 512,
        "depth": 2,
        "batch_size": 128,
    }
    plain = []
    for _ in range(repeats):
        start = time.perf_counter()
        model = build_mlp(
            data.input_shape,
            data.num_classes,
            x_train=data.x_train,
            y_train=data.y_train,
            hidden_units=(512, 512),
        )
        model.fit(
            data.x_train,
            data.y_train,
            validation_data=data.validation_data,
            epochs=epochs,
            batch_size=128,
            verbose=0,
        )
        plain.append(time.perf_counter() - start)
    out = {"plain_fit_s": statistics.median(plain)}
    for babysit in (False, True):
        start = time.perf_counter()
        tune(
            data.x_train,
            data.y_train,
            validation_data=data.validation_data,
            search_space=space,
            stages=[{"trials": repeats, "epochs": epochs}],
            directory=workdir,
            project_name=f"overhead_{babysit}",
            seed=0,
            babysit=babysit,
        )
        per_trial = (time.perf_counter() - start) / repeats
        out[f"trial_s_babysit_{babysit}"] = per_trial
    return out


def summary():
    """Prints one row per seed of the default search, and the medians."""
    import glob

    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
    paths = [os.path.join(out, "tuning.json")]
    paths += sorted(glob.glob(os.path.join(out, "tuning_seed*.json")))
    names = set(_search_space.resolve("mlp"))
    runs = []
    for path in paths:
        with open(path) as f:
            run = json.load(f)
        # This version's: with the refit rows, searched over today's default
        # space (runs from before a default changed are left out).
        space = run.get("search_spaces", [{}])[0]
        if "tuned_refit_constant_rate_test_accuracy" in run and set(space) == names:
            runs.append(run)
    columns = (
        ("untuned", "untuned_test_accuracy"),
        ("untuned refit", "untuned_refit_test_accuracy"),
        ("tuned", "tuned_test_accuracy"),
        ("tuned refit, constant rate", "tuned_refit_constant_rate_test_accuracy"),
        ("tuned refit (annealed)", "tuned_refit_test_accuracy"),
        ("best validation", "best_val_accuracy"),
    )
    head = " | ".join(c for c, _ in columns)
    print(f"| seed | {head} | search + refit | best uses BatchNormalization |")
    print("|---" * (len(columns) + 3) + "|")
    for run in sorted(runs, key=lambda r: r["seed"]):
        minutes = (run["search_seconds"] + run["refit_seconds"]) / 60
        cells = " | ".join(f"{run[k]:.3f}" for _, k in columns)
        bn = "yes" if run["best_hyperparameters"]["batch_norm"] else "no"
        print(f"| {run['seed']} | {cells} | {minutes:.1f} min | {bn} |")
    medians = " | ".join(
        f"{statistics.median(r[k] for r in runs):.3f}" for _, k in columns
    )
    print(f"| median | {medians} | | |")


def untuned(data, stages):
    """The untuned defaults, trained like the last stage's trials and refit."""
    last_epochs = stages[-1]["epochs"]
    results = {}
    keras.utils.set_random_seed(SEED)
    start = time.perf_counter()
    model = build_mlp(
        data.input_shape,
        data.num_classes,
        x_train=data.x_train,
        y_train=data.y_train,
        seed=SEED,
    )
    # Trained like the last stage's trials: as many epochs, the same early
    # stop, and the best epoch's weights (tune keeps each trial's best epoch).
    patience = stages[-1].get("patience")
    stop = keras.callbacks.EarlyStopping(
        "val_accuracy",
        patience=patience or last_epochs,
        restore_best_weights=True,
    )
    model.fit(
        data.x_train,
        data.y_train,
        validation_data=data.validation_data,
        epochs=last_epochs,
        callbacks=[stop],
        verbose=0,
    )
    results["untuned_epochs"] = len(model.history.history["loss"])
    results["untuned_test_accuracy"] = model.evaluate(
        data.x_test, data.y_test, verbose=0
    )[1]
    results["untuned_seconds"] = time.perf_counter() - start
    # The same refit as `best_model(refit=True)`: the defaults trained on
    # train + validation for their best epoch, so both rows get the data.
    val = model.history.history["val_accuracy"]
    untuned_best_epoch = val.index(max(val)) + 1
    x_all = np.concatenate([data.x_train, data.x_val])
    y_all = np.concatenate([data.y_train, data.y_val])
    keras.utils.set_random_seed(SEED)
    model = build_mlp(
        data.input_shape, data.num_classes, x_train=x_all, y_train=y_all, seed=SEED
    )
    steps = untuned_best_epoch * -(-len(x_all) // 32)  # fit's batch size
    anneal_learning_rate(model, steps)
    model.fit(x_all, y_all, epochs=untuned_best_epoch, verbose=0)
    results["untuned_refit_epochs"] = untuned_best_epoch
    results["untuned_refit_test_accuracy"] = model.evaluate(
        data.x_test, data.y_test, verbose=0
    )[1]
    return results


UNTUNED = (
    "untuned_epochs",
    "untuned_test_accuracy",
    "untuned_seconds",
    "untuned_refit_epochs",
    "untuned_refit_test_accuracy",
)


def reused_untuned(path, stages):
    """The untuned rows of an earlier run of this seed with the same last
    stage, or None. They do not depend on the search space."""
    if not os.path.exists(path):
        return None
    with open(path) as f:
        old = json.load(f)
    if old.get("stages", [{}])[-1] != stages[-1] or any(k not in old for k in UNTUNED):
        return None
    return {k: old[k] for k in UNTUNED}


def main():
    if "--summary" in sys.argv:
        return summary()
    data = datasets.load("mnist1d")
    stages = [dict(s) for s in (STAGES or DEFAULT_STAGES)]
    if QUICK:
        stages = [{"trials": 3, "epochs": 1}, {"trials": 2, "epochs": 2}]
    last_epochs = stages[-1]["epochs"]
    results = {
        "stages": stages,
        "search_space_overrides": repr(SPACE),
        "seed": SEED,
        "load_average_at_start": os.getloadavg()[0],
    }
    workdir = tempfile.mkdtemp(prefix="bench_tuning_")

    name = "tuning_quick.json" if QUICK else "tuning.json"
    name = "tuning_stages.json" if STAGES and not QUICK else name
    name = "tuning_space.json" if SPACE and not QUICK else name
    if SEED:
        name = name.replace(".json", f"_seed{SEED}.json")
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
    path = os.path.join(out, name)
    old = reused_untuned(path, stages) if "--reuse-untuned" in sys.argv else None
    results.update(old or untuned(data, stages))
    results["untuned_reused"] = old is not None
    untuned_best_epoch = results["untuned_refit_epochs"]
    start = time.perf_counter()
    result = tune(
        data.x_train,
        data.y_train,
        validation_data=data.validation_data,
        stages=stages,
        search_space=SPACE,
        seed=SEED,
        directory=workdir,
        project_name="default",
    )
    results["search_seconds"] = time.perf_counter() - start
    rows = result.table().to_dict("records")
    best = result.best_model()
    results["tuned_test_accuracy"] = best.evaluate(data.x_test, data.y_test, verbose=0)[
        1
    ]
    start = time.perf_counter()
    refit = result.best_model(refit=True)
    results["refit_seconds"] = time.perf_counter() - start
    results["refit_epochs"] = len(refit.history.epoch)
    results["tuned_refit_test_accuracy"] = refit.evaluate(
        data.x_test, data.y_test, verbose=0
    )[1]
    constant = result.best_model(refit=True, anneal=False)
    results["tuned_refit_constant_rate_test_accuracy"] = constant.evaluate(
        data.x_test, data.y_test, verbose=0
    )[1]
    results["best_hyperparameters"] = result.best_hyperparameters
    results["best_val_accuracy"] = result.best_trial["val_accuracy"]
    results["trials_run"] = len(rows)
    stopped = [r for r in rows if r["status"] == "stopped_early"]
    results["trials_stopped_early"] = len(stopped)
    saved = 0.0
    for r in stopped:
        same = [
            q["seconds"] / q["epochs"]
            for q in rows
            if q["stage"] == r["stage"] and q["status"] == "completed"
        ]
        planned = stages[r["stage"]]["epochs"]
        saved += (planned - r["epochs"]) * statistics.median(same) if same else 0.0
    results["seconds_saved_by_early_stop"] = saved
    # Trials that a stage's `patience` ended: epochs (and seconds) not run.
    patient = [
        r
        for r in rows
        if r["status"] == "completed" and r["epochs"] < stages[r["stage"]]["epochs"]
    ]
    results["trials_ended_by_patience"] = len(patient)
    results["seconds_saved_by_patience"] = sum(
        (stages[r["stage"]]["epochs"] - r["epochs"]) * r["seconds"] / r["epochs"]
        for r in patient
    )
    results["seconds_per_stage"] = [
        sum(r["seconds"] for r in rows if r["stage"] == i) for i in range(len(stages))
    ]
    results["findings"] = [str(f) for f in result.findings if f.severity != "info"]
    results["search_spaces"] = [
        {k: list(v) if isinstance(v, tuple) else v for k, v in s.items()}
        for s in result.search_spaces
    ]
    results.update(overhead(data, workdir))
    results["load_average_at_end"] = os.getloadavg()[0]

    print("| measure | value |\n|---|---|")
    print(
        f"| untuned build_mlp test accuracy ({results['untuned_epochs']} of "
        f"{last_epochs} epochs) | "
        f"{results['untuned_test_accuracy']:.3f} |"
    )
    print(
        f"| tuned build_mlp test accuracy (best of {len(rows)} trials) | "
        f"{results['tuned_test_accuracy']:.3f} |"
    )
    print(
        f"| untuned, refit on train + validation ({untuned_best_epoch} epochs, "
        "annealed) | "
        f"{results['untuned_refit_test_accuracy']:.3f} |"
    )
    print(
        "| tuned, `best_model(refit=True)` on train + validation "
        f"({results['refit_epochs']} epochs, annealed) | "
        f"{results['tuned_refit_test_accuracy']:.3f} |"
    )
    print(
        "| tuned, `best_model(refit=True, anneal=False)`: constant rate | "
        f"{results['tuned_refit_constant_rate_test_accuracy']:.3f} |"
    )
    print(f"| best validation accuracy | {results['best_val_accuracy']:.3f} |")
    print(f"| search wall time | {results['search_seconds'] / 60:.1f} min |")
    print(
        "| search + refit wall time | "
        f"{(results['search_seconds'] + results['refit_seconds']) / 60:.1f} min |"
    )
    print(f"| trials run / stopped early | {len(rows)} / {len(stopped)} |")
    print(f"| time saved by early stops (est.) | {saved:.0f} s |")
    print(
        f"| trials ended by patience / time saved (est.) | {len(patient)} / "
        f"{results['seconds_saved_by_patience']:.0f} s |"
    )
    print(
        "| seconds per stage | "
        + " / ".join(f"{t:.0f}" for t in results["seconds_per_stage"])
        + " |"
    )
    print(f"| plain build+fit, 2 epochs | {results['plain_fit_s']:.2f} s |")
    print(f"| tune trial, babysit=False | {results['trial_s_babysit_False']:.2f} s |")
    print(f"| tune trial, babysit=True | {results['trial_s_babysit_True']:.2f} s |")
    print("best:", results["best_hyperparameters"])
    print(
        f"stages: {stages}; load average {results['load_average_at_start']:.1f} "
        f"at the start, {results['load_average_at_end']:.1f} at the end"
    )
    for f in results["findings"]:
        print(f)
    os.makedirs(out, exist_ok=True)
    write_json(path, results, indent=2, default=float)


if __name__ == "__main__":
    main()
