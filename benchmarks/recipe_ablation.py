"""Recipe ablation: the recipe's defaults against the naive setup and against
each recommendation switched off in turn, plus scikit-learn baselines, and the
lecture's initialization experiment.

Run:  python benchmarks/recipe_ablation.py [--quick] [--part digits|mnist1d|init]
                                          [--row TEXT ...] [--tables]
Each part writes benchmarks/results/recipe_ablation_<part>.json (parts can run in
parallel; with --row, processes measuring different rows of one part merge into
its JSON, as long as the protocol and builder defaults are the same); every run
prints the markdown tables of all parts measured so far.

Training protocol (every Keras row): the optimizer as configured, batch 64, up to
300 epochs, EarlyStopping on val_accuracy (patience 40, best weights restored),
then one evaluation on the test split. Median over 3 seeds; seed s fixes both the
weights and the data split (`datasets.load(name, seed=s)`; MNIST-1D keeps its published
test set), and the scikit-learn baselines use the same splits.
"""

import argparse
import json
import os
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
warnings.filterwarnings("ignore")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from _results import locked, write_json  # noqa: E402

import recipes  # noqa: E402
from recipes import datasets  # noqa: E402

RESULTS = os.path.join(os.path.dirname(__file__), "results", "recipe_ablation_{}.json")
PARTS = ("digits", "mnist1d", "init")
PATIENCE = 40


def naive_model(input_shape, num_classes):
    """The setup the recipe replaces: sigmoid, raw inputs, N(0, 0.01), no BN,
    plain SGD 0.01."""
    init = keras.initializers.RandomNormal(stddev=0.01)
    inputs = keras.Input(input_shape)
    x = keras.layers.Flatten()(inputs)
    for units in (512, 512):
        x = keras.layers.Dense(units, activation="sigmoid", kernel_initializer=init)(x)
    out = keras.layers.Dense(
        num_classes, activation="softmax", kernel_initializer=init
    )(x)
    model = keras.Model(inputs, out)
    model.compile(
        keras.optimizers.SGD(0.01),
        "sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def configs(data):
    """name -> function(seed) returning a compiled model."""
    base = dict(x_train=data.x_train, y_train=data.y_train)
    shape, n = data.input_shape, data.num_classes
    out = {
        "recipe build_mlp": lambda s: recipes.build_mlp(shape, n, seed=s, **base),
        "naive (sigmoid, raw, N(0,0.01), no BN, SGD)": lambda s: naive_model(shape, n),
        "- ReLU (sigmoid instead)": lambda s: recipes.build_mlp(
            shape, n, activation="sigmoid", seed=s, **base
        ),
        "- preprocessing (raw inputs)": lambda s: recipes.build_mlp(
            shape, n, preprocessing=None, seed=s, y_train=data.y_train
        ),
        "- He init (N(0, 0.01))": lambda s: recipes.build_mlp(
            shape,
            n,
            seed=s,
            kernel_initializer=keras.initializers.RandomNormal(stddev=0.01, seed=s),
            **base,
        ),
        "- BatchNormalization": lambda s: recipes.build_mlp(
            shape, n, batch_norm=False, seed=s, **base
        ),
        "- prior-matched output (plain Glorot head)": lambda s: _plain_head(
            recipes.build_mlp(shape, n, seed=s, **base)
        ),
        "- regularization (no dropout, no l2)": lambda s: recipes.build_mlp(
            shape, n, dropout=0.0, l2=0.0, seed=s, **base
        ),
    }
    if data.name == "mnist1d":
        # The two extra rows are measured on digits only, to keep MNIST-1D's
        # run within the time a 2-core machine has.
        del out["- prior-matched output (plain Glorot head)"]
        del out["- regularization (no dropout, no l2)"]
        out["recipe build_cnn"] = lambda s: recipes.build_cnn(shape, n, seed=s, **base)
    return out


def _plain_head(model):
    """Re-initialize the output layer the Keras default way (Glorot, zero bias)."""
    layer = model.get_layer("output")
    kernel, bias = layer.get_weights()
    fan_in, fan_out = kernel.shape
    limit = np.sqrt(6 / (fan_in + fan_out))
    rng = np.random.default_rng(0)
    layer.set_weights(
        [
            rng.uniform(-limit, limit, kernel.shape).astype("float32"),
            np.zeros_like(bias),
        ]
    )
    return model


def data_loss(model, x, y):
    probs = model.predict(x, verbose=0, batch_size=1024)
    return float(np.mean(keras.losses.sparse_categorical_crossentropy(y, probs)))


def run_keras(data, make, seed, max_epochs, target):
    keras.utils.set_random_seed(seed)
    model = make(seed)
    init_loss = data_loss(model, data.x_train, data.y_train)
    t0 = time.perf_counter()
    hist = model.fit(
        data.x_train,
        data.y_train,
        validation_data=data.validation_data,
        epochs=max_epochs,
        batch_size=64,
        verbose=0,
        callbacks=[
            keras.callbacks.EarlyStopping(
                monitor="val_accuracy", patience=PATIENCE, restore_best_weights=True
            )
        ],
    )
    val = hist.history["val_accuracy"]
    reach = next((i + 1 for i, v in enumerate(val) if v >= target), None)
    test_acc = float(model.evaluate(data.x_test, data.y_test, verbose=0)[1])
    keras.backend.clear_session()
    return dict(
        test_accuracy=test_acc,
        initial_loss=init_loss,
        epochs_to_target=reach,
        epochs_run=len(val),
        seconds=time.perf_counter() - t0,
    )


def run_sklearn(data, seed):
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    xtr = data.x_train.reshape(len(data.x_train), -1)
    xte = data.x_test.reshape(len(data.x_test), -1)
    out = {}
    for name, est in (
        ("sklearn SVC (RBF, standardized)", make_pipeline(StandardScaler(), SVC())),
        (
            "sklearn MLPClassifier (standardized)",
            make_pipeline(
                StandardScaler(), MLPClassifier(max_iter=500, random_state=seed)
            ),
        ),
    ):
        est.fit(xtr, data.y_train)
        out[name] = dict(test_accuracy=float(est.score(xte, data.y_test)))
    return out


def median(rows, key):
    vals = [r[key] for r in rows if r.get(key) is not None]
    if len(vals) < len(rows):  # some seeds never reached the target
        return None
    return float(np.median(vals)) if vals else None


def protocol(max_epochs):
    """What a row's numbers depend on besides its own setup: rows measured
    under another protocol (or other builder defaults) are never merged."""
    import inspect

    def defaults(fn):
        return {
            k: repr(p.default)
            for k, p in inspect.signature(fn).parameters.items()
            if p.default is not inspect.Parameter.empty
        }

    return dict(
        batch_size=64,
        max_epochs=max_epochs,
        patience=PATIENCE,
        build_mlp=defaults(recipes.build_mlp),
        build_cnn=defaults(recipes.build_cnn),
    )


def _wanted(label, only):
    return only is None or any(o.lower() in label.lower() for o in only)


def ablation(name, seeds, max_epochs, only=None):
    splits = {s: datasets.load(name, seed=s) for s in seeds}
    data = splits[seeds[0]]
    target = 0.95 if name == "digits" else 0.7
    prior = float(np.log(data.num_classes))
    rows = {}
    for label in configs(data):
        if not _wanted(label, only):
            continue
        runs = [
            run_keras(splits[s], configs(splits[s])[label], s, max_epochs, target)
            for s in seeds
        ]
        rows[label] = dict(
            runs=runs,
            **{
                k: median(runs, k)
                for k in (
                    "test_accuracy",
                    "initial_loss",
                    "epochs_to_target",
                    "epochs_run",
                )
            },
        )
        print(
            f"  {name:8s} {label:45s} test {rows[label]['test_accuracy']:.4f}",
            flush=True,
        )
    if _wanted("sklearn", only):
        sk = [run_sklearn(splits[s], s) for s in seeds]
        for label in sk[0]:
            runs = [r[label] for r in sk]
            rows[label] = dict(runs=runs, test_accuracy=median(runs, "test_accuracy"))
    return dict(
        dataset=name,
        prior_loss=prior,
        target_val_accuracy=target,
        protocol=protocol(max_epochs),
        rows=rows,
    )


def activation_stats(depth=10, width=256, n=1000):
    """Per-layer activation std of a random deep net (the lecture's figure)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, width)).astype("float32")
    inits = {
        "small N(0, 0.01)": lambda fan_in: 0.01,
        "Xavier 1/sqrt(n)": lambda fan_in: 1 / np.sqrt(fan_in),
        "He sqrt(2/n)": lambda fan_in: np.sqrt(2 / fan_in),
    }
    out = {}
    for act in ("tanh", "relu"):
        for iname, scale in inits.items():
            h, stds = x, []
            for _ in range(depth):
                w = rng.normal(size=(width, width)) * scale(width)
                z = h @ w
                h = np.tanh(z) if act == "tanh" else np.maximum(z, 0)
                stds.append(float(h.std()))
            out[f"{act} / {iname}"] = stds
    return out


def deep_relu(seeds, epochs):
    """30-layer ReLU MLP (width 64, no BN, SGD momentum, lr 1e-3): Xavier vs He."""
    data = datasets.load("digits", flat=True)
    out = {}
    for init in ("glorot_normal", "he_normal"):
        accs = []
        for s in seeds:
            keras.utils.set_random_seed(s)
            model = recipes.build_mlp(
                data.input_shape,
                10,
                hidden_units=(64,) * 30,
                batch_norm=False,
                dropout=0.0,
                l2=0.0,
                kernel_initializer=init,
                optimizer="sgd",
                learning_rate=1e-3,
                x_train=data.x_train,
                y_train=data.y_train,
                seed=s,
            )
            model.fit(
                data.x_train, data.y_train, epochs=epochs, batch_size=32, verbose=0
            )
            accs.append(float(model.evaluate(data.x_test, data.y_test, verbose=0)[1]))
            keras.backend.clear_session()
        out[init] = dict(test_accuracy=float(np.median(accs)), runs=accs)
        print(f"  30-layer ReLU {init}: {out[init]['test_accuracy']:.3f}", flush=True)
    return out


def fmt(v, spec=".4f"):
    return "n/a" if v is None else format(v, spec)


def measure(part, seeds, quick, only=None):
    if part == "init":
        return dict(
            init_activation_std=activation_stats(),
            deep_relu_30=deep_relu(seeds, 2 if quick else 30),
        )
    return ablation(part, seeds, 3 if quick else 300, only)


def merge(path, out):
    """Adds the rows of `out` to the part saved at `path`, if measured under
    the same protocol; rows of another protocol are dropped (and said so)."""
    if not os.path.exists(path):
        return out
    with open(path) as f:
        old = json.load(f)
    if old.get("protocol") != out["protocol"] or old.get("seeds") != out["seeds"]:
        print(f"  {path}: other protocol or seeds; its rows are dropped", flush=True)
        return out
    rows = dict(old["rows"])
    rows.update(out["rows"])
    order = list(old["rows"]) + [k for k in out["rows"] if k not in old["rows"]]
    merged = dict(old, rows={k: rows[k] for k in order})
    merged["seconds"] = old.get("seconds", 0) + out["seconds"]
    return merged


def _group(label):
    """Table order: the recipe, the naive setup, each switch-off, sklearn."""
    for rank, start in enumerate(("recipe", "naive", "- ")):
        if label.startswith(start):
            return rank
    return 3


def print_tables(results):
    for part in ("digits", "mnist1d"):
        block = results.get(part)
        if not block:
            continue
        print(
            f"\n### {block['dataset']} (median of {len(block['seeds'])} seeds; "
            f"prior loss ln C = {block['prior_loss']:.4f})\n"
        )
        print(
            f"| setup | test accuracy | initial loss | epochs to "
            f"{block['target_val_accuracy']:.0%} val acc | epochs run |"
        )
        print("|---|---|---|---|---|")
        for label in sorted(block["rows"], key=_group):
            r = block["rows"][label]
            print(
                f"| {label} | {fmt(r['test_accuracy'])} | "
                f"{fmt(r.get('initial_loss'))} | "
                f"{fmt(r.get('epochs_to_target'), '.0f')} | "
                f"{fmt(r.get('epochs_run'), '.0f')} |"
            )
    init = results.get("init")
    if init:
        print("\n### Activation std per layer, 10-layer net (width 256), random data\n")
        print("| net / init | " + " | ".join(f"L{i + 1}" for i in range(10)) + " |")
        print("|---|" + "---|" * 10)
        for k, v in init["init_activation_std"].items():
            print(f"| {k} | " + " | ".join(f"{s:.2g}" for s in v) + " |")
        print(
            "\n### 30-layer ReLU MLP on digits (width 64, no BN, SGD momentum, "
            "lr 1e-3, 30 epochs)\n"
        )
        print("| init | test accuracy (median) | per seed |\n|---|---|---|")
        for k, v in init["deep_relu_30"].items():
            print(
                f"| {k} | {v['test_accuracy']:.3f} | "
                f"{', '.join(f'{a:.3f}' for a in v['runs'])} |"
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="1 seed, few epochs: checks the script runs; writes nothing.",
    )
    parser.add_argument(
        "--part",
        choices=PARTS,
        action="append",
        help="what to measure (repeatable). Defaults to all.",
    )
    parser.add_argument(
        "--row",
        action="append",
        help="measure only the rows whose label contains this text (repeatable; "
        "'sklearn' for the baselines) and merge them into the part's JSON, so "
        "several processes can share the 2 cores. Defaults to every row.",
    )
    parser.add_argument(
        "--tables",
        action="store_true",
        help="print the tables of the saved JSON files; measures nothing.",
    )
    args = parser.parse_args()
    seeds = [0] if args.quick else [0, 1, 2]
    results = {}
    for part in () if args.tables else args.part or PARTS:
        t0 = time.time()
        out = measure(part, seeds, args.quick, args.row)
        out.update(seeds=seeds, seconds=time.time() - t0)
        if not args.quick:
            os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
            with locked(RESULTS.format(part)):  # other --row processes
                if args.row and part != "init":
                    out = merge(RESULTS.format(part), out)
                write_json(RESULTS.format(part), out, indent=1)
        results[part] = out
        print(f"({part}: {out['seconds']:.0f} s)", flush=True)
    if not args.quick or args.tables:  # show every part measured so far
        for part in PARTS:
            if part not in results and os.path.exists(RESULTS.format(part)):
                with open(RESULTS.format(part)) as f:
                    results[part] = json.load(f)
    print_tables(results)


if __name__ == "__main__":
    main()
