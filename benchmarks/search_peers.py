"""Benchmark: `recipes.tune` against the searches a Keras user would pick instead.

MNIST-1D (generated locally by `recipes.datasets`, never downloaded),
`build_mlp` and its default search space (`RecipeHyperModel("mlp")`), the
same wall-clock budget for every method:

- `recipes` : `recipes.tune` with its defaults (three stages, coarse to fine);
- `random`  : KerasTuner `RandomSearch`, 30 epochs a trial, EarlyStopping 10;
- `hyperband`: KerasTuner `Hyperband`, max_epochs 81, factor 3;
- `bayesian`: KerasTuner `BayesianOptimization`, 30 epochs, EarlyStopping 10;
- `optuna`  : Optuna's TPE sampler with its `MedianPruner`, 30 epochs,
  EarlyStopping 10, pruned through a Keras callback reporting `val_accuracy`
  every epoch.

Every method's trial model keeps the weights of its best validation epoch.
For each method: the best trial's own test accuracy, and the test accuracy
of its best hyperparameters refit the same way for every method (train +
validation, the best trial's epoch count and annealing:
`recipes.search.refit.refit_plan`, what `best_model(refit=True)` does), so
the comparison isolates the search; trials run, trials pruned or stopped
early, wall time. Then the per-trial overhead of `babysit=True` in `tune`
(4 trials of 2 epochs, with and without, and the time inside the
Babysitter's hooks: `benchmarks/trial_overhead.py`).

Every method gets the same limit: no new trial starts after the budget
(`tune(time_limit=...)`, Optuna's `timeout`, a KerasTuner oracle that stops
handing out trials), and a running trial stops after its current batch;
`wall_s` says how long each really took (setup and the last trial's
validation included).

Run: `nice -n 10 python benchmarks/search_peers.py [--budget MINUTES]
[--seeds N | --seeds 0,4] [--methods recipes,optuna] [--out NAME]`
(defaults: 15 minutes, 5 seeds, every method; writes
`benchmarks/results/search_peers.json`, or `NAME.json`). The 5 seeds take
about 6 hours; run them one at a time (`--seeds 3, --out search_peers_seed3`)
and join them with `--merge search_peers_seed0.json ... --out search_peers`
(paths as given; prints the table, runs nothing).
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import keras  # noqa: E402
import keras_tuner  # noqa: E402
import numpy as np  # noqa: E402
from _results import write_json  # noqa: E402

from recipes import datasets  # noqa: E402
from recipes.search import stages as _stages  # noqa: E402
from recipes.search.hypermodel import RecipeHyperModel  # noqa: E402
from recipes.search.tuning import tune  # noqa: E402

METHODS = ("recipes", "random", "hyperband", "bayesian", "optuna")
EPOCHS = 30  # KerasTuner RandomSearch / BayesianOptimization, Optuna
PATIENCE = 10


class Deadline(keras.callbacks.Callback):
    """Stops a trial at the first batch after `deadline` (perf_counter)."""

    def __init__(self, deadline):
        super().__init__()
        self.deadline = deadline

    def on_train_batch_begin(self, batch, logs=None):
        if time.perf_counter() >= self.deadline:
            self.model.stop_training = True


class BestWeights(keras.callbacks.Callback):
    """Keeps the weights of the best `val_accuracy` epoch (restored at the end)."""

    def on_train_begin(self, logs=None):
        self.best, self.weights, self.curve = -np.inf, None, []

    def on_epoch_end(self, epoch, logs=None):
        value = float((logs or {}).get("val_accuracy", np.nan))
        self.curve.append(value)
        if value > self.best:
            self.best, self.weights = value, self.model.get_weights()

    def on_train_end(self, logs=None):
        if self.weights is not None:
            self.model.set_weights(self.weights)


def hypermodel(data):
    return RecipeHyperModel(
        "mlp", data.input_shape, data.num_classes, x_train=data.x_train,
        y_train=data.y_train,
    )  # fmt: skip


def refit(data, values, best_epoch, seed):
    """The same refit for every method: `recipes`' rule, train + validation."""
    x = np.concatenate([data.x_train, data.x_val])
    y = np.concatenate([data.y_train, data.y_val])
    keras.utils.set_random_seed(seed)
    fixed = RecipeHyperModel(
        "mlp", data.input_shape, data.num_classes, x_train=x, y_train=y,
        search_space=dict(values), seed=seed,
    )  # fmt: skip
    hp = keras_tuner.HyperParameters()
    model = fixed.build_for_data(hp, x, y)
    epochs = _stages.refit_plan(model, best_epoch, len(x), fixed.batch_size(hp))
    fixed.fit(hp, model, x, y, epochs=epochs, verbose=0)
    return float(model.evaluate(data.x_test, data.y_test, verbose=0)[1])


def run_recipes(data, budget, seed, workdir):
    deadline = time.perf_counter() + budget
    result = tune(
        data.x_train, data.y_train, validation_data=data.validation_data,
        seed=seed, directory=workdir, project_name=f"recipes_{seed}",
        time_limit=budget, callbacks=[Deadline(deadline)],
    )  # fmt: skip
    rows = result.table().to_dict("records")
    best = result.best_trial
    stages = result.stages
    return {
        "best_values": result.best_hyperparameters,
        "best_val_accuracy": best["val_accuracy"],
        "best_epoch": best["best_epoch"],
        "trial_test_accuracy": float(
            result.best_model().evaluate(data.x_test, data.y_test, verbose=0)[1]
        ),
        "trials": len(rows),
        "pruned": sum(
            r["status"] == "stopped_early"
            or (r["epochs"] or 0) < stages[r["stage"]]["epochs"]
            for r in rows
        ),
    }


def _kt_tuner(cls, hm, seed, workdir, deadline, curves, **kwargs):
    class Tuner(cls):
        def run_trial(self, trial, *args, **kw):
            out = super().run_trial(trial, *args, **kw)
            histories = out if isinstance(out, list) else [out]
            h = histories[0]
            curves[trial.trial_id] = (list(h.epoch), h.history["val_accuracy"])
            return out

    tuner = Tuner(
        hypermodel=hm, objective="val_accuracy", seed=seed + 1, directory=workdir,
        project_name=f"{cls.__name__}_{seed}", overwrite=True, **kwargs,
    )  # fmt: skip
    base = type(tuner.oracle)

    class Oracle(base):  # no new trial after the budget
        def populate_space(self, trial_id):
            if time.perf_counter() >= deadline:
                return {"status": "STOPPED", "values": None}
            return super().populate_space(trial_id)

    tuner.oracle.__class__ = Oracle
    return tuner


def run_keras_tuner(name, data, budget, seed, workdir):
    deadline = time.perf_counter() + budget
    hm, curves = hypermodel(data), {}
    fit = dict(epochs=EPOCHS)
    stop = [keras.callbacks.EarlyStopping("val_accuracy", patience=PATIENCE)]
    if name == "random":
        tuner = _kt_tuner(
            keras_tuner.RandomSearch, hm, seed, workdir, deadline, curves,
            max_trials=10**6,
        )  # fmt: skip
    elif name == "bayesian":
        tuner = _kt_tuner(
            keras_tuner.BayesianOptimization, hm, seed, workdir, deadline, curves,
            max_trials=10**6,
        )  # fmt: skip
    else:
        tuner = _kt_tuner(
            keras_tuner.Hyperband, hm, seed, workdir, deadline, curves,
            max_epochs=81, factor=3, hyperband_iterations=10,
        )  # fmt: skip
        fit, stop = {}, []
    keras.utils.set_random_seed(seed)
    tuner.search(
        data.x_train, data.y_train, validation_data=data.validation_data,
        callbacks=[Deadline(deadline), *stop], verbose=0, **fit,
    )  # fmt: skip
    (trial,) = tuner.oracle.get_best_trials(1)
    epochs, curve = curves[trial.trial_id]
    best_epoch = epochs[int(np.nanargmax(curve))] + 1
    model = tuner.load_model(trial)
    planned = 81 if name == "hyperband" else EPOCHS
    done = [t for t in tuner.oracle.trials.values() if t.trial_id in curves]
    return {
        "best_values": {
            k: v for k, v in trial.hyperparameters.values.items() if k in hm.specs
        },
        "best_val_accuracy": float(trial.score),
        "best_epoch": best_epoch,
        "trial_test_accuracy": float(
            model.evaluate(data.x_test, data.y_test, verbose=0)[1]
        ),
        "trials": len(done),
        "pruned": sum(curves[t.trial_id][0][-1] + 1 < planned for t in done),
    }


def _suggest(trial, specs):
    values = {}
    for name, spec in specs.items():
        if spec.kind == "float":
            log = spec.sampling == "log"
            values[name] = trial.suggest_float(name, spec.low, spec.high, log=log)
        elif spec.kind == "int":
            log = spec.sampling == "log"
            values[name] = trial.suggest_int(name, spec.low, spec.high, log=log)
        elif spec.kind == "choice":
            values[name] = trial.suggest_categorical(name, list(spec.values))
    return values


def run_optuna(data, budget, seed, workdir):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    deadline = time.perf_counter() + budget
    hm = hypermodel(data)
    best = {"val": -np.inf}

    class Pruning(keras.callbacks.Callback):
        def __init__(self, trial):
            super().__init__()
            self.trial, self.pruned = trial, False

        def on_epoch_end(self, epoch, logs=None):
            self.trial.report(float(logs["val_accuracy"]), epoch)
            if self.trial.should_prune():
                self.pruned = self.model.stop_training = True

    def objective(trial):
        values = _suggest(trial, hm.specs)
        hp = keras_tuner.HyperParameters()
        hm.declare_hyperparameters(hp)
        hp.values.update(values)
        keras.utils.set_random_seed(seed * 1000 + trial.number)
        model = hm.build(hp)
        keep, prune = BestWeights(), Pruning(trial)
        stop = keras.callbacks.EarlyStopping("val_accuracy", patience=PATIENCE)
        hm.fit(
            hp, model, data.x_train, data.y_train,
            validation_data=data.validation_data, epochs=EPOCHS, verbose=0,
            callbacks=[Deadline(deadline), keep, prune, stop],
        )  # fmt: skip
        if prune.pruned:
            raise optuna.TrialPruned()
        if keep.best > best["val"]:
            best.update(
                val=keep.best,
                values=values,
                best_epoch=int(np.nanargmax(keep.curve)) + 1,
                test=float(model.evaluate(data.x_test, data.y_test, verbose=0)[1]),
            )
        return keep.best

    study = optuna.create_study(
        direction="maximize",
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=3),
    )
    study.optimize(objective, timeout=max(1e-3, deadline - time.perf_counter()))
    states = [t.state for t in study.trials]
    return {
        "best_values": best["values"],
        "best_val_accuracy": best["val"],
        "best_epoch": best["best_epoch"],
        "trial_test_accuracy": best["test"],
        "trials": len(states),
        "pruned": sum(s == optuna.trial.TrialState.PRUNED for s in states),
    }


def overhead(data, workdir, repeats=4):
    """A `tune` trial's seconds with `babysit=True` and without, and the
    seconds spent inside the Babysitter's hooks (`trial_overhead.py`); run
    last, since it wraps the hooks with timers."""
    import trial_overhead

    trial_overhead.instrument()
    plain = trial_overhead.run(data, workdir, "overhead_plain", False, repeats)
    babysat = trial_overhead.run(data, workdir, "overhead_babysat", True, repeats)
    return {
        "trial_s_babysit_False": plain["wall_s"],
        "trial_s_babysit_True": babysat["wall_s"],
        "babysit_overhead_s": babysat["wall_s"] - plain["wall_s"],
        "babysit_in_hooks_s": babysat["in_hooks_s"],
        "babysit_hooks_s": babysat["hooks_s"],
    }


def report(results, methods):
    """Prints the table (medians over seeds) and the babysit overhead, and
    puts the medians in `results["summary"]`."""
    seeds = sorted({r["seed"] for r in results["runs"]})
    print(
        f"\n{len(seeds)} seed(s) ({', '.join(map(str, seeds))}), "
        f"{results['budget_minutes']:g} minutes each\n"
        "| method | trial test acc (median) | refit test acc (median) | "
        "trials | pruned / stopped early | wall |\n|---|---|---|---|---|---|"
    )
    summary = {}
    for name in methods:
        runs = [r for r in results["runs"] if r["method"] == name]
        if not runs:
            continue

        def med(key, runs=runs):
            return statistics.median(r[key] for r in runs)

        summary[name] = {
            k: med(k)
            for k in ("trial_test_accuracy", "refit_test_accuracy", "trials", "wall_s")
        }
        summary[name]["pruned"] = med("pruned")
        s = summary[name]
        print(
            f"| {name} | {s['trial_test_accuracy']:.3f} | "
            f"{s['refit_test_accuracy']:.3f} | {s['trials']:g} | {s['pruned']:g} | "
            f"{s['wall_s'] / 60:.1f} min |"
        )
    results["summary"] = summary
    if "babysit_in_hooks_s" not in results:
        return
    print(
        f"\nper-trial overhead of babysit=True (tune, 2 epochs): "
        f"{results['babysit_in_hooks_s']:.3f} s inside the Babysitter's hooks; "
        f"wall {results['trial_s_babysit_True']:.2f} s against "
        f"{results['trial_s_babysit_False']:.2f} s without; load average "
        f"{results['load_average_at_start']:.1f} -> "
        f"{results['load_average_at_end']:.1f}"
    )
    for hook, s in sorted(results["babysit_hooks_s"].items(), key=lambda kv: -kv[1]):
        print(f"  {hook:45s} {s:.3f} s a trial")


def merge(paths):
    """One results dict from runs made one seed at a time (`--seeds 3,`).

    Raises:
        ValueError: If the files' budgets differ or a (method, seed) repeats.
    """
    merged = None
    for path in paths:
        with open(path) as f:
            part = json.load(f)
        if merged is None:
            merged = dict(part, runs=list(part["runs"]), merged_from=[path])
            continue
        if part["budget_minutes"] != merged["budget_minutes"]:
            raise ValueError(
                f"{path} ran {part['budget_minutes']:g} minutes a method, "
                f"{merged['merged_from'][0]} {merged['budget_minutes']:g}: merge "
                "runs of one budget."
            )
        done = {(r["method"], r["seed"]) for r in merged["runs"]}
        again = sorted({(r["method"], r["seed"]) for r in part["runs"]} & done, key=str)
        if again:
            raise ValueError(f"{path} repeats runs already merged: {again}")
        merged["runs"] += part["runs"]
        merged["seeds"] = sorted(set(merged["seeds"]) | set(part["seeds"]))
        merged["merged_from"].append(path)
    return merged


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=15.0, help="minutes")
    parser.add_argument(
        "--seeds", default="5", help="a count, or a list: 0,4 (one seed: 3,)"
    )
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--out", default="search_peers")
    parser.add_argument(
        "--merge",
        nargs="+",
        metavar="JSON",
        help="merge these results files (one seed each) into --out and print "
        "their table; runs nothing",
    )
    args = parser.parse_args()
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
    if args.merge:
        try:
            results = merge(args.merge)
        except (OSError, ValueError, KeyError) as exc:
            parser.error(f"--merge: {exc}")
        report(results, METHODS)
        write_json(os.path.join(out, f"{args.out}.json"), results, indent=2)
        return
    seeds = (
        [int(s) for s in args.seeds.split(",") if s]
        if "," in args.seeds
        else list(range(int(args.seeds)))
    )
    if not seeds:
        parser.error(
            f"--seeds {args.seeds} runs no seed: give a count (5) or a list "
            "(0,4; one seed alone: 3,)"
        )
    methods = args.methods.split(",")
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        parser.error(f"unknown methods {unknown}; expected some of {METHODS}")
    data = datasets.load("mnist1d")
    budget = args.budget * 60
    results = {
        "budget_minutes": args.budget,
        "seeds": seeds,
        "load_average_at_start": os.getloadavg()[0],
        "runs": [],
    }
    workdir = tempfile.mkdtemp(prefix="search_peers_")
    for seed in seeds:
        for name in methods:
            start = time.perf_counter()
            if name == "recipes":
                run = run_recipes(data, budget, seed, workdir)
            elif name == "optuna":
                run = run_optuna(data, budget, seed, workdir)
            else:
                run = run_keras_tuner(name, data, budget, seed, workdir)
            run["wall_s"] = time.perf_counter() - start
            run["refit_test_accuracy"] = refit(
                data, run["best_values"], run["best_epoch"], seed
            )
            run.update(method=name, seed=seed)
            results["runs"].append(run)
            print(json.dumps(run, default=str), flush=True)
    results.update(overhead(data, workdir))
    results["load_average_at_end"] = os.getloadavg()[0]
    report(results, methods)
    os.makedirs(out, exist_ok=True)
    write_json(os.path.join(out, f"{args.out}.json"), results, indent=2, default=str)


if __name__ == "__main__":
    main()
