"""Benchmark: random search against grid search (Bergstra & Bengio 2012), digits.

Same budget (9 and 16 trials) over the learning rate (matters) and dropout in
[0, 0.1] (barely matters). Grid search (`keras_tuner.GridSearch`) tries only
3 or 4 distinct learning rates; random search tries 9 or 16. Each trial
trains `build_mlp` (64 units) for 3 epochs on digits; 5 seeds (the seed
drives the random sampling and the training). Reports how often random's
best validation accuracy beats grid's best, and by how much.

Run: `nice -n 10 python benchmarks/random_vs_grid.py`
(writes `benchmarks/results/random_vs_grid.json`).
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import math  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402

import keras  # noqa: E402
import keras_tuner  # noqa: E402
import numpy as np  # noqa: E402
from _results import write_json  # noqa: E402

from recipes import datasets  # noqa: E402
from recipes.search.hypermodel import RecipeHyperModel  # noqa: E402

EPOCHS = 3
LR = (1e-4, 1e-1)


def grid_space(n):
    k = int(math.isqrt(n))
    lrs = np.geomspace(*LR, k)
    return {
        "learning_rate": [float(f"{v:.4g}") for v in lrs],
        "dropout": [float(v) for v in np.linspace(0.0, 0.1, k)],
    }


BASE = {"units": 64, "depth": 1, "batch_size": 64, "l2": 1e-5}


def run(kind, n, seed, data, workdir):
    if kind == "grid":
        space = {**BASE, **grid_space(n)}
        tuner_cls = keras_tuner.GridSearch
    else:
        space = {**BASE, "learning_rate": LR, "dropout": (0.0, 0.1)}
        tuner_cls = keras_tuner.RandomSearch
    hypermodel = RecipeHyperModel(
        "mlp", x_train=data.x_train, y_train=data.y_train, search_space=space, seed=seed
    )
    tuner = tuner_cls(
        hypermodel,
        objective="val_accuracy",
        max_trials=n,
        seed=seed,
        directory=workdir,
        project_name=f"{kind}_{n}_{seed}",
    )
    keras.utils.set_random_seed(seed)
    tuner.search(
        data.x_train,
        data.y_train,
        validation_data=data.validation_data,
        epochs=EPOCHS,
        verbose=0,
    )
    best = tuner.oracle.get_best_trials(1)[0]
    return float(best.score), len(tuner.oracle.trials)


def main():
    data = datasets.load("digits")
    workdir = tempfile.mkdtemp(prefix="bench_rvg_")
    rows, out = [], {"epochs": EPOCHS, "runs": []}
    for n in (9, 16):
        wins, deltas = 0, []
        for seed in range(5):
            g, gn = run("grid", n, seed, data, workdir)
            r, rn = run("random", n, seed, data, workdir)
            wins += int(r > g)
            deltas.append(r - g)
            out["runs"].append(
                {
                    "trials": n,
                    "seed": seed,
                    "grid": g,
                    "random": r,
                    "grid_trials": gn,
                    "random_trials": rn,
                }
            )
            print(f"n={n} seed={seed} grid={g:.3f} random={r:.3f}", flush=True)
        rows.append((n, wins, statistics.median(deltas), statistics.mean(deltas)))
    print("\n| trials | random beats grid | median gain | mean gain |")
    print("|---|---|---|---|")
    for n, wins, med, mean in rows:
        print(f"| {n} | {wins}/5 seeds | {med:+.3f} | {mean:+.3f} |")
    out["summary"] = [
        dict(zip(("trials", "random_wins", "median_gain", "mean_gain"), r))
        for r in rows
    ]
    results = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
    os.makedirs(results, exist_ok=True)
    write_json(os.path.join(results, "random_vs_grid.json"), out, indent=2)


if __name__ == "__main__":
    main()
