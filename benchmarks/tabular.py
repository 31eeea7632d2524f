"""Tables: the recipe's `fit` defaults against a linear model and gradient boosting.

For each data set and seed, the split `keras-recipes fit` makes (20 % test,
stratified for classes; 15 % of the rest for validation) is made once; the
network is `recipes.babysit` with the command line's defaults (pre-flight,
range test, 100 epochs, patience 10) on a DataFrame, as `fit` on a CSV runs
it; `LogisticRegression` / `RidgeCV` (standardized features) and
`HistGradientBoosting{Classifier,Regressor}` train on the same training and
validation rows and are scored on the same test rows. Prints a table of the
median over seeds and writes `benchmarks/results/tabular.json`.

    python benchmarks/tabular.py                 # 5 seeds, every data set
    python benchmarks/tabular.py --seeds 3 --only diabetes wine
    python benchmarks/tabular.py --merge a.json b.json   # runs made in parallel
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _results import write_json  # noqa: E402

# The bar: the network's median >= the linear model's and >= gradient
# boosting's minus this (1 accuracy point, 0.03 R²).
TOLERANCE = {"classification": 0.01, "regression": 0.03}


def _sets():
    from sklearn import datasets as d

    def friedman():
        x, y = d.make_friedman1(n_samples=2000, noise=1.0, random_state=0)
        return x, y, "regression"

    return {
        "wine": lambda: (*d.load_wine(return_X_y=True), "classification"),
        "breast_cancer": lambda: (
            *d.load_breast_cancer(return_X_y=True),
            "classification",
        ),
        "diabetes": lambda: (*d.load_diabetes(return_X_y=True), "regression"),
        "digits": lambda: (*d.load_digits(return_X_y=True), "classification"),
        "friedman1": friedman,
    }


def _score(task, y, pred):
    from sklearn.metrics import accuracy_score, r2_score

    return accuracy_score(y, pred) if task == "classification" else r2_score(y, pred)


def run_one(name, x, y, task, seed):
    import pandas as pd
    from sklearn.ensemble import HistGradientBoostingClassifier as HGBC
    from sklearn.ensemble import HistGradientBoostingRegressor as HGBR
    from sklearn.linear_model import LogisticRegression, RidgeCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    import recipes
    from recipes.run import _steps

    frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(x.shape[1])])
    splits = _steps.prepare_data(
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
    fit_x = np.concatenate([splits.x_train, splits.x_val])
    fit_y = np.concatenate([splits.y_train, splits.y_val])
    out = {}
    if task == "classification":
        linear = LogisticRegression(max_iter=5000)
        boost = HGBC(random_state=seed)
    else:
        linear, boost = RidgeCV(alphas=np.logspace(-3, 3, 13)), HGBR(random_state=seed)
    for key, model in (
        ("linear", make_pipeline(StandardScaler(), linear)),
        ("gb", boost),
    ):
        start = time.perf_counter()
        model.fit(fit_x, fit_y)
        out[key] = _score(task, splits.y_test, model.predict(splits.x_test))
        out[f"{key}_seconds"] = time.perf_counter() - start
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        result = recipes.babysit(
            frame,
            y,
            task=task,
            seed=seed,
            output_dir=os.path.join(tmp, "run"),
            verbose=0,
        )
    m = result.metrics
    out["network"] = m["accuracy"] if task == "classification" else m["r2"]
    out["network_seconds"] = time.perf_counter() - start
    out["parameters"] = int(result.model.count_params())
    out["members"] = m.get("members", [])  # each network of the average alone
    out["test_rows"] = int(m["num_examples"])
    return out


def _round(value):
    if isinstance(value, list):
        return [round(v, 4) for v in value]
    return round(value, 4)


def print_table(results):
    """The Markdown table of the medians over seeds, with wall seconds."""
    metric = {"classification": "accuracy", "regression": "R²"}
    print()
    print(
        "| data set | metric | network | linear | gradient boosting | "
        "network - linear | network - GB | bar met | parameters | network s | GB s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        med = {
            k: statistics.median(run[k] for run in r["runs"])
            for k in r["runs"][0]
            if k != "members"
        }
        margin = TOLERANCE[r["task"]]
        met = med["network"] >= med["linear"] and med["network"] >= med["gb"] - margin
        print(
            f"| {name} ({r['rows']} rows) | {metric[r['task']]} | "
            f"{med['network']:.4f} | {med['linear']:.4f} | {med['gb']:.4f} | "
            f"{med['network'] - med['linear']:+.4f} | {med['network'] - med['gb']:+.4f}"
            f" | {'yes' if met else 'no'} ({len(r['runs'])} seeds)"
            f" | {med['parameters']:,.0f} | {med['network_seconds']:.0f} | "
            f"{med['gb_seconds']:.1f} |"
        )


def print_members(results):
    """Per seed, the average against each of its networks alone (runs of
    tables small enough to be averaged)."""
    rows = [
        (name, run)
        for name, r in results.items()
        for run in r["runs"]
        if run.get("members")
    ]
    if not rows:
        return
    print()
    print("| data set | seed | average | its networks alone | linear |")
    print("|---|---|---|---|---|")
    for name, run in rows:
        alone = " / ".join(f"{v:.4f}" for v in run["members"])
        print(
            f"| {name} | {run.get('seed', '-')} | {run['network']:.4f} | {alone} | "
            f"{run['linear']:.4f} |"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument(
        "--first-seed", type=int, default=0, help="seeds first..first+seeds-1"
    )
    parser.add_argument("--only", nargs="+")
    parser.add_argument(
        "--output",
        default=os.path.join(os.path.dirname(__file__), "results", "tabular.json"),
    )
    parser.add_argument(
        "--merge",
        nargs="+",
        metavar="JSON",
        help="merge these results files (runs made in parallel, one data set "
        "each) into --output and print their table; runs nothing",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if args.merge:
        results = {}
        for path in args.merge:  # one data set's runs may come from several
            with open(path) as f:
                for name, r in json.load(f).items():
                    if name in results:
                        results[name]["runs"] += r["runs"]
                    else:
                        results[name] = r
        order = list(_sets())
        results = dict(sorted(results.items(), key=lambda kv: order.index(kv[0])))
        write_json(args.output, results, indent=2)
        print_table(results)
        print_members(results)
        return
    results = {}
    for name, load in _sets().items():
        if args.only and name not in args.only:
            continue
        x, y, task = load()
        rows = []
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            rows.append({"seed": seed, **run_one(name, x, y, task, seed)})
            print(name, seed, {k: _round(v) for k, v in rows[-1].items()}, flush=True)
        results[name] = {"task": task, "rows": len(x), "runs": rows}
        write_json(args.output, results, indent=2)
    print_table(results)
    print_members(results)


if __name__ == "__main__":
    main()
