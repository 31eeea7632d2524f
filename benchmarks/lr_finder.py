"""Benchmark: does the learning-rate range test pick a rate as good as a grid?

For digits and MNIST-1D, for `recipes.build_mlp` and a plain Keras MLP, for
Adam and SGD with momentum, and for 3 seeds: run `recipes.find_learning_rate`
on a fresh model, then train fresh models to completion (EarlyStopping on
validation accuracy) with each suggested rate (every rule) and with each rate
of the grid {1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1}. Target: the suggested
rate's mean validation accuracy >= 98 % of the best grid rate's.

Settings (the box has 2 cores shared by several developers): batch 128 for
the range test and training; at most 20 epochs with EarlyStopping(patience=4)
on digits, at most 80 epochs with patience 10 on MNIST-1D (which is far from
converged after 15: a rate comparison there measures speed, not the end
point); EarlyStopping watches validation accuracy and the best epoch's
accuracy counts; both models have two hidden layers of 256 units; one TensorFlow
thread. Each (data, model, optimizer, seed) trains one model, reset to the
same initial weights, a fresh optimizer state and the same random state (so
the same batch order and dropout masks) for every rate: the rates of one seed
are compared on paired runs, which takes that noise out of the comparison.

Also times `recipes.preflight` on digits with `build_mlp` at its defaults (a
fresh model each time, after one warm-up call; median of 3).

Run: nice -n 10 python benchmarks/lr_finder.py  [--quick] [--setting TEXT ...]
Writes benchmarks/results/lr_finder.json (runs are cached there, so a rerun
only trains what is missing; processes given different --setting parts can
run side by side, then a run without --setting prints the whole table).
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import argparse  # noqa: E402
import json  # noqa: E402
import pathlib  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from _results import locked, write_json  # noqa: E402

import recipes  # noqa: E402
from recipes.checks.lr_finder import RULES, find_learning_rate  # noqa: E402
from recipes.checks.preflight import preflight  # noqa: E402

tf.config.threading.set_intra_op_parallelism_threads(1)  # shared 2-core box
tf.config.threading.set_inter_op_parallelism_threads(1)
GRID = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1)
OUT = pathlib.Path(__file__).parent / "results" / "lr_finder.json"
BATCH = 128
EPOCHS = {"digits": 20, "mnist1d": 80}
PATIENCE = {"digits": 4, "mnist1d": 10}
HIDDEN = (256, 256)  # both models; the preflight timing uses build_mlp defaults


def make_model(kind, data, optimizer, rate, seed, hidden=HIDDEN):
    keras.utils.set_random_seed(seed)
    if kind == "build_mlp":
        kwargs = {} if hidden is None else {"hidden_units": hidden}
        return recipes.build_mlp(
            data.input_shape,
            data.num_classes,
            x_train=data.x_train,
            y_train=data.y_train,
            optimizer=optimizer,
            learning_rate=rate,
            seed=seed,
            **kwargs,
        )
    norm = keras.layers.Normalization(axis=None)
    norm.adapt(data.x_train)
    model = keras.Sequential(
        [
            keras.Input(data.input_shape),
            norm,
            keras.layers.Flatten(),
            keras.layers.Dense(HIDDEN[0], activation="relu"),
            keras.layers.Dense(HIDDEN[1], activation="relu"),
            keras.layers.Dense(data.num_classes, activation="softmax"),
        ]
    )
    opt = (
        keras.optimizers.Adam(rate)
        if optimizer == "adam"
        else keras.optimizers.SGD(rate, momentum=0.9)
    )
    model.compile(opt, "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


class Trainer:
    """One model per (data, model, optimizer, seed), reset to the same initial
    weights and a fresh optimizer state for every rate: a fresh model each time
    without re-tracing the train step (the box has 2 shared cores)."""

    def __init__(self, kind, data, optimizer, seed):
        self.data, self.seed = data, seed
        self.model = make_model(kind, data, optimizer, 1e-3, seed)
        opt = self.model.optimizer
        opt.build(self.model.trainable_variables)
        # every variable, the dropout layers' seed states too
        self.start = [v.numpy() for v in (*self.model.variables, *opt.variables)]

    def reset(self, rate):
        keras.utils.set_random_seed(self.seed)  # same batch order for every rate
        variables = (*self.model.variables, *self.model.optimizer.variables)
        for v, value in zip(variables, self.start):
            v.assign(value)
        self.model.optimizer.learning_rate = float(rate)

    def train(self, rate, epochs, patience):
        self.reset(rate)
        stop = keras.callbacks.EarlyStopping(
            "val_accuracy", patience=patience, mode="max", restore_best_weights=True
        )
        hist = self.model.fit(
            self.data.x_train,
            self.data.y_train,
            batch_size=BATCH,
            epochs=epochs,
            validation_data=self.data.validation_data,
            callbacks=[stop],
            verbose=0,
        )
        acc = np.asarray(hist.history["val_accuracy"], dtype="float64")
        return float(np.nanmax(acc)) if np.isfinite(acc).any() else 0.0


def time_preflight(repeats=3):
    data = recipes.datasets.load("digits")
    times = []
    for i in range(repeats + 1):
        keras.backend.clear_session()
        model = make_model("build_mlp", data, "adam", 1e-3, i, hidden=None)
        start = time.perf_counter()
        report = preflight(
            model, data.x_train, data.y_train, validation_data=data.validation_data
        )
        if i:  # the first call also imports and warms up TensorFlow
            times.append(time.perf_counter() - start)
    return {"median_s": statistics.median(times), "max_s": max(times)}, report


def _protocol(name, epochs):
    return f"e{epochs[name]}p{PATIENCE[name]}b{BATCH}paired"


def _key(name, kind, opt, seed, rate, epochs):
    """Cache key of one training run; the protocol is part of it."""
    return f"{name}|{kind}|{opt}|{seed}|{rate:.6g}|{_protocol(name, epochs)}"


def _current(runs, epochs):
    """The cached runs of this protocol; those of another are dropped."""
    return {
        k: v
        for k, v in runs.items()
        if k.count("|") == 5 and k.endswith(_protocol(k.split("|")[0], epochs))
    }


def _save(path, runs, epochs, **fields):
    """Merges `runs` into the JSON at `path` under a file lock (several
    processes may measure different settings) and writes `fields`."""
    with locked(path):
        cache = json.loads(path.read_text()) if path.exists() else {}
        saved = _current(cache.get("runs", {}), epochs)
        runs.update({k: v for k, v in saved.items() if k not in runs})
        cache.update(fields, runs=runs)
        write_json(path, cache, indent=1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="1 seed, digits, 3 ep")
    parser.add_argument(
        "--setting",
        action="append",
        help="train only the settings whose 'data/model/optimizer' contains this "
        "text (repeatable), e.g. mnist1d/build_mlp; runs merge into the JSON, so "
        "processes can share the cores; a run with no --setting prints the table.",
    )
    args = parser.parse_args()
    seeds = (0,) if args.quick else (0, 1, 2)
    sets = ("digits",) if args.quick else ("digits", "mnist1d")
    epochs = {k: 3 for k in EPOCHS} if args.quick else EPOCHS
    out_path = OUT.with_name("lr_finder_quick.json") if args.quick else OUT
    cache = json.loads(out_path.read_text()) if out_path.exists() else {}
    runs = _current(cache.get("runs", {}), epochs)
    if not args.setting:
        timing, report = time_preflight(1 if args.quick else 3)
        print(
            f"preflight on digits with build_mlp: median {timing['median_s']:.2f} "
            f"s, max {timing['max_s']:.2f} s, passed={report.passed}"
        )
    rows = []
    for name in sets:
        data = recipes.datasets.load(name)
        for kind in ("build_mlp", "plain_keras"):
            for opt in ("adam", "sgd"):
                label = f"{name}/{kind}/{opt}"
                if args.setting and not any(t in label for t in args.setting):
                    continue
                suggested = {r: [] for r in RULES}
                for seed in seeds:
                    keras.backend.clear_session()
                    trainer = Trainer(kind, data, opt, seed)
                    trainer.reset(1e-3)
                    found = find_learning_rate(
                        trainer.model,
                        data.x_train,
                        data.y_train,
                        batch_size=BATCH,
                        seed=seed,
                    )
                    rates = {r: found.suggestions[r] for r in RULES}
                    for rule, rate in rates.items():
                        suggested[rule].append(rate)
                    for rate in (*GRID, *rates.values()):
                        key = _key(name, kind, opt, seed, rate, epochs)
                        if key not in runs:
                            runs[key] = trainer.train(
                                rate, epochs[name], PATIENCE[name]
                            )
                            _save(out_path, runs, epochs)

                def acc(rates, name=name, kind=kind, opt=opt):
                    return statistics.mean(
                        runs[_key(name, kind, opt, s, r, epochs)]
                        for s, r in zip(seeds, rates)
                    )

                grid = {g: acc([g] * len(seeds)) for g in GRID}
                best = max(grid, key=grid.get)
                row = {
                    "dataset": name,
                    "model": kind,
                    "optimizer": opt,
                    "best_grid_rate": best,
                    "best_grid_acc": grid[best],
                    "grid": {f"{g:g}": a for g, a in grid.items()},
                }
                for rule in RULES:
                    a = acc(suggested[rule])
                    row[rule] = {
                        "rates": suggested[rule],
                        "acc": a,
                        "ratio": a / grid[best],
                        "meets": a >= 0.98 * grid[best],
                    }
                rows.append(row)
                print(json.dumps(row))
    if args.setting:  # a part: its runs are saved; the table needs them all
        _save(out_path, runs, epochs)
        return
    _save(
        out_path,
        runs,
        epochs,
        rows=rows,
        preflight=timing,
        settings={
            "batch_size": BATCH,
            "epochs": epochs,
            "patience": PATIENCE,
            "hidden_units": list(HIDDEN),
            "tf_threads": 1,
            "seeds": list(seeds),
            "grid": list(GRID),
        },
    )
    print_table(rows, timing)


def print_table(rows, timing):
    head = "| data | model | optimizer | best grid rate | its val acc |"
    head += "".join(f" {r} rate (median) | val acc | ratio |" for r in RULES)
    print("\n" + head)
    print("|" + "---|" * (5 + 3 * len(RULES)))
    for row in rows:
        line = (
            f"| {row['dataset']} | {row['model']} | {row['optimizer']} | "
            f"{row['best_grid_rate']:g} | {row['best_grid_acc']:.3f} |"
        )
        for r in RULES:
            s = row[r]
            ok = "ok" if s["meets"] else "MISS"
            line += (
                f" {statistics.median(s['rates']):.2g} | {s['acc']:.3f} | "
                f"{s['ratio']:.1%} {ok} |"
            )
        print(line)
    print(
        f"\npreflight (digits, build_mlp): median {timing['median_s']:.2f} s, "
        f"max {timing['max_s']:.2f} s"
    )


if __name__ == "__main__":
    main()
