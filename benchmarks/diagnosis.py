"""Diagnosis quality of `callbacks.Babysitter` on a labeled suite of runs.

Each case is a small faulty or healthy training run on bundled (scikit-learn)
or synthetic data, repeated over 3 seeds with plain Keras and
`Babysitter(verbose=0)` at its defaults. For each case the script prints
whether the expected check fired (warning or error) in every seed, the epoch
of first detection (`init` = before the first epoch), and any other
warning/error checks; healthy controls must produce none. It also prints per
check: detections, misses and false alarms. Results go to
`benchmarks/results/diagnosis.json`.

Usage:

    nice -n 10 python benchmarks/diagnosis.py [--seeds 3] [--only name,...]
"""

import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
from sklearn.datasets import load_digits, load_iris, make_circles  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from callbacks import Babysitter  # noqa: E402

L = keras.layers


def _split(x, y, seed=0, test=0.2):
    xt, xv, yt, yv = train_test_split(
        x, y, test_size=test, random_state=seed, stratify=y
    )
    mean, std = xt.mean(0), xt.std(0)
    std[std < 1e-6] = 1.0  # constant pixels of the training split
    return [(a - mean) / std for a in (xt, xv)] + [yt, yv]


def digits(standardize=True):
    x, y = load_digits(return_X_y=True)
    x = x.astype("float32")
    if standardize:
        return _split(x, y)
    xt, xv, yt, yv = train_test_split(x, y, test_size=0.2, random_state=0, stratify=y)
    return xt, xv, yt, yv


def mlp(inputs, widths, act="relu", init="he_normal", bias=None, bn=False, out=10):
    x = inp = keras.Input((inputs,))
    for w in widths:
        kw = {"kernel_initializer": init}
        if bias is not None:
            kw["bias_initializer"] = keras.initializers.Constant(bias)
        if bn:
            x = L.Dense(w, **kw)(x)
            x = L.BatchNormalization()(x)
            x = L.ReLU()(x)
        else:
            x = L.Dense(w, activation=act, **kw)(x)
    return keras.Model(inp, L.Dense(out, activation="softmax")(x))


def run(model, opt, data, epochs, batch_size=32):
    xt, xv, yt, yv = data
    model.compile(opt, "sparse_categorical_crossentropy", metrics=["accuracy"])
    sitter = Babysitter(verbose=0)
    model.fit(
        xt,
        yt,
        validation_data=(xv, yv),
        epochs=epochs,
        batch_size=batch_size,
        verbose=0,
        callbacks=[sitter],
    )
    return sitter.findings


def case_bias_minus5():
    return run(mlp(64, [256, 256], bias=-5.0), keras.optimizers.Adam(1e-3), digits(), 3)


def case_adam(lr):
    return lambda: run(mlp(64, [256, 256, 256]), keras.optimizers.Adam(lr), digits(), 3)


def case_sgd_lr1():
    return run(
        mlp(64, [256, 256, 256]),
        keras.optimizers.SGD(1.0),
        digits(standardize=False),
        3,
    )


def case_sigmoid8():
    x, y = make_circles(1000, noise=0.1, factor=0.5, random_state=0)
    data = _split(x.astype("float32"), y)
    model = mlp(2, [32] * 8, act="sigmoid", init="glorot_uniform", out=2)
    return run(model, keras.optimizers.SGD(0.1), data, 3)


def case_tanh10():
    init = keras.initializers.RandomNormal(stddev=1.0)
    return run(
        mlp(64, [100] * 10, act="tanh", init=init),
        keras.optimizers.SGD(0.01),
        digits(),
        3,
    )


def case_sgd_tiny():
    return run(mlp(64, [256, 256]), keras.optimizers.SGD(1e-6), digits(), 3)


def case_relu30():
    model = mlp(64, [64] * 30, init="glorot_uniform")
    return run(model, keras.optimizers.SGD(0.01), digits(), 3)


def case_overfit():
    xt, xv, yt, yv = digits()
    xt, yt = xt[:100], yt[:100]
    return run(
        mlp(64, [1024, 1024]),
        keras.optimizers.Adam(1e-3),
        (xt, xv, yt, yv),
        15,
        batch_size=16,
    )


def case_oscillation():
    xt, xv, yt, yv = digits()
    data = (xt[:400], xv, yt[:400], yv)
    opt = keras.optimizers.SGD(0.03, momentum=0.95)
    model = mlp(64, [64, 64], act="tanh", init="glorot_uniform")
    return run(model, opt, data, 8, batch_size=1)


def case_recipe_mlp():
    return run(mlp(64, [256, 256], bn=True), keras.optimizers.Adam(1e-3), digits(), 10)


def case_cnn():
    xt, xv, yt, yv = digits()
    data = (xt.reshape(-1, 8, 8, 1), xv.reshape(-1, 8, 8, 1), yt, yv)
    inp = keras.Input((8, 8, 1))
    x = L.Conv2D(
        16, 3, padding="same", activation="relu", kernel_initializer="he_normal"
    )(inp)
    x = L.Conv2D(
        32, 3, padding="same", activation="relu", kernel_initializer="he_normal"
    )(x)
    x = L.GlobalAveragePooling2D()(x)
    model = keras.Model(inp, L.Dense(10, activation="softmax")(x))
    return run(model, keras.optimizers.Adam(3e-3), data, 10)


def case_logreg_iris():
    x, y = load_iris(return_X_y=True)
    data = _split(x.astype("float32"), y, test=0.3)
    inp = keras.Input((4,))
    model = keras.Model(inp, L.Dense(3, activation="softmax")(inp))
    return run(model, keras.optimizers.Adam(0.05), data, 20, batch_size=16)


def case_tanh_sgd():
    model = mlp(64, [128, 128], act="tanh", init="glorot_uniform")
    return run(model, keras.optimizers.SGD(0.05, momentum=0.9), digits(), 10)


CASES = [
    ("relu_bias_-5", case_bias_minus5, "dead_units"),
    ("adam_lr_0.1", case_adam(0.1), "dead_units"),
    ("adam_lr_0.03", case_adam(0.03), "dead_units"),
    ("sgd_lr_1.0", case_sgd_lr1, "nan_loss"),
    ("sigmoid_x8_circles", case_sigmoid8, "vanishing_gradients"),
    ("tanh_x10_N(0,1)", case_tanh10, "saturated_units"),
    ("sgd_lr_1e-6", case_sgd_tiny, "stalled_loss"),
    ("relu_x30_xavier", case_relu30, "stalled_loss"),
    ("overfit_100_samples", case_overfit, "overfitting"),
    ("batch_1_momentum_0.95", case_oscillation, "oscillating_loss"),
    ("healthy_recipe_mlp", case_recipe_mlp, None),
    ("healthy_small_cnn", case_cnn, None),
    ("healthy_logreg_iris", case_logreg_iris, None),
    ("healthy_tanh_mlp_sgd", case_tanh_sgd, None),
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    only = set(filter(None, args.only.split(",")))
    rows, per_check = [], {}
    print(
        "| case | expected check | caught (seeds) | first epoch per seed "
        "| other warning/error checks |"
    )
    print("|---|---|---|---|---|")
    for name, fn, expected in CASES:
        if only and name not in only:
            continue
        seeds = []
        for seed in range(args.seeds):
            keras.utils.set_random_seed(seed)
            start = time.perf_counter()
            found = [f for f in fn() if f.severity != "info"]
            keras.backend.clear_session()
            hit = [f for f in found if f.check == expected]
            first = None
            if hit:
                first = "init" if hit[0].epoch is None else hit[0].epoch
            seeds.append(
                {
                    "seed": seed,
                    "detected": bool(hit),
                    "first_epoch": first,
                    "checks": sorted({f.check for f in found}),
                    "findings": [f.to_dict() for f in found],
                    "seconds": round(time.perf_counter() - start, 1),
                }
            )
        others = sorted({c for s in seeds for c in s["checks"]} - {expected})
        rows.append(
            {"case": name, "expected": expected, "seeds": seeds, "other_checks": others}
        )
        if expected:
            stat = per_check.setdefault(
                expected, {"detected": 0, "missed": 0, "false_alarms": 0}
            )
            stat["detected"] += sum(s["detected"] for s in seeds)
            stat["missed"] += sum(not s["detected"] for s in seeds)
        else:
            for s in seeds:
                for c in s["checks"]:
                    per_check.setdefault(
                        c, {"detected": 0, "missed": 0, "false_alarms": 0}
                    )
                    per_check[c]["false_alarms"] += 1
        hits = sum(s["detected"] for s in seeds)
        firsts = ",".join(str(s["first_epoch"]) for s in seeds)
        result = (
            f"{hits}/{len(seeds)}"
            if expected
            else ("clean" if not others else "FALSE ALARM")
        )
        print(
            f"| {name} | {expected or '(healthy)'} | {result} | "
            f"{firsts if expected else '-'} | {', '.join(others) or '-'} |",
            flush=True,
        )
    print("\n| check | detected | missed | false alarms on healthy |")
    print("|---|---|---|---|")
    for check, stat in sorted(per_check.items()):
        print(
            f"| {check} | {stat['detected']} | {stat['missed']} | "
            f"{stat['false_alarms']} |"
        )
    out = os.path.join(os.path.dirname(__file__), "results", "diagnosis.json")
    if not only:
        with open(out, "w") as f:
            json.dump(
                {"seeds": args.seeds, "cases": rows, "per_check": per_check},
                f,
                indent=1,
            )
        print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
