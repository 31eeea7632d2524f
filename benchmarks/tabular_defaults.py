"""Choosing the small-table defaults on training rows only.

`benchmarks/tabular.py` scores on test rows; choosing defaults by those rows
would tune to the test. This script never sees them: for a benchmark data set
and seed it makes the same outer split, keeps only the training and
validation rows, and runs `recipes.babysit` on those with its own inner 20 %
test split (and 15 % validation), so a default is chosen by rows the
benchmark's test never uses. Tables outside the benchmark (`iris`, a
`make_classification` and a `make_regression` of shapes unlike the suite)
run on all their rows. Each variant is `babysit` keyword arguments; `old` is
the defaults before this change (batch 64, patience 10), `new` the ones
after (`None`: a batch of `rows // 8`, at least 16, when 64 would give a
classification table's epoch fewer than 8 steps; patience 10). The runs
labelled `rows//8` are that rule on regression tables, measured by `new` at
1fda7bc, where it applied to both tasks. `single` and `average` are one
network and the average of 5 (`ensemble=1` / `5`; the default under 1,000
training rows is the average since 3f43d7a: `new` rows before it are
single). The loss column is the inner test's data loss (`None` for the
first runs, made before it was recorded).
Prints one JSON line per run and a median/mean table; appends to
`benchmarks/results/tabular_defaults.json`.

    python benchmarks/tabular_defaults.py wine old new --seeds 3
    python benchmarks/tabular_defaults.py iris old new --seeds 2
"""

import argparse
import functools
import json
import os
import statistics
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _results import locked, write_json  # noqa: E402

VARIANTS = {
    "old": {"batch_size": 64, "patience": 10},
    "new": {},
    "bs16": {"batch_size": 16, "patience": 10},
    "bs16p20": {"batch_size": 16, "patience": 20},
    # "mlp": arguments of the recipe's build_mlp, passed as model=partial(...)
    "nobn": {"batch_size": 64, "patience": 10, "mlp": {"batch_norm": False}},
    # The average of networks (run/_ensemble.py), against one network
    "single": {"ensemble": 1},
    "average": {"ensemble": 5},
}
OUTPUT = os.path.join(os.path.dirname(__file__), "results", "tabular_defaults.json")


def _outside(name):
    from sklearn import datasets as d

    if name == "iris":
        return (*d.load_iris(return_X_y=True), "classification")
    if name == "make_classification":
        x, y = d.make_classification(
            n_samples=300,
            n_features=12,
            n_informative=6,
            n_classes=3,
            random_state=1,
        )
        return x, y, "classification"
    if name == "make_regression":
        x, y = d.make_regression(
            n_samples=250, n_features=10, n_informative=5, noise=20.0, random_state=1
        )
        return x, y, "regression"
    return None


def rows_for(name, seed):
    """`(x, y, task)`: a benchmark set's training rows, or a whole outside set."""
    import tabular

    from recipes.run import _steps

    outside = _outside(name)
    if outside is not None:
        x, y, task = outside
        return x.astype("float32"), y, task
    x, y, task = tabular._sets()[name]()
    s = _steps.prepare_data(
        x.astype("float32"),
        y,
        x_test=None,
        y_test=None,
        validation_data=None,
        validation_split=0.15,
        test_split=0.2,
        task=task,
        class_names=None,
        seed=seed,
    )
    return (
        np.concatenate([s.x_train, s.x_val]),
        np.concatenate([s.y_train, s.y_val]),
        task,
    )


def run_one(name, variant, seed):
    import pandas as pd

    import recipes

    x, y, task = rows_for(name, seed)
    frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(x.shape[1])])
    kwargs = dict(VARIANTS[variant])
    if "mlp" in kwargs:  # the table still sizes hidden_units, as for the default
        kwargs["model"] = functools.partial(recipes.build_mlp, **kwargs.pop("mlp"))
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        r = recipes.babysit(
            frame,
            y,
            task=task,
            seed=seed,
            output_dir=os.path.join(tmp, "run"),
            verbose=0,
            **kwargs,
        )
    key = "accuracy" if task == "classification" else "r2"
    return {
        "data": name,
        "variant": variant,
        "seed": seed,
        "network": r.metrics[key],
        "loss": r.metrics["loss"],
        "linear": r.baselines["linear"][key],
        "epochs": len(r.history["loss"]),
        "learning_rate": r.learning_rate,
        "seconds": time.perf_counter() - start,
    }


def _mean_loss(rs):
    losses = [r["loss"] for r in rs if r.get("loss") is not None]
    return f"{statistics.mean(losses):.4f} ({len(losses)})" if losses else "-"


def table(runs):
    groups = {}
    for run in runs:
        groups.setdefault((run["data"], run["variant"]), []).append(run)
    print(
        "| data | variant | runs | network median | network mean | test loss mean "
        "| linear median | epochs | s |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for (name, variant), rs in sorted(groups.items()):
        net = [r["network"] for r in rs]
        print(
            f"| {name} | {variant} | {len(rs)} | {statistics.median(net):.4f} | "
            f"{statistics.mean(net):.4f} | "
            f"{_mean_loss(rs)} | "
            f"{statistics.median(r['linear'] for r in rs):.4f} | "
            f"{statistics.mean(r['epochs'] for r in rs):.0f} | "
            f"{statistics.mean(r['seconds'] for r in rs):.0f} |"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data")
    parser.add_argument("variants", nargs="*", help=f"of {sorted(VARIANTS)}")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--table", action="store_true", help="print the table only")
    args = parser.parse_args(argv)
    for variant in args.variants:
        if variant not in VARIANTS:
            parser.error(f"unknown variant {variant!r}; choose from {sorted(VARIANTS)}")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    for variant in args.variants if not args.table else ():
        for seed in range(args.seeds):
            out = run_one(args.data, variant, seed)
            print(json.dumps(out), flush=True)
            with locked(OUTPUT):
                runs = json.load(open(OUTPUT)) if os.path.exists(OUTPUT) else []
                write_json(OUTPUT, runs + [out], indent=1)
    table(json.load(open(OUTPUT)) if os.path.exists(OUTPUT) else [])


if __name__ == "__main__":
    main()
