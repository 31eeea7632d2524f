"""One run of `benchmarks/tabular.py`'s network, with its learning curves.

For diagnosing a table's run: prints the learning rate the run used, the
epochs trained, the test score beside the linear baseline, and each epoch's
training and validation loss and accuracy (from the run's history). The
split, the defaults and the seed are the benchmark's.

    python benchmarks/tabular_curves.py wine 2
    python benchmarks/tabular_curves.py diabetes 0 --batch-size 64
"""

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tabular  # noqa: E402

KEYS = ("loss", "data_loss", "val_loss", "val_data_loss", "accuracy", "val_accuracy")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", choices=sorted(tabular._sets()))
    parser.add_argument("seed", type=int)
    parser.add_argument("--batch-size", type=int, help="default: babysit's")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import pandas as pd

    import recipes

    x, y, task = tabular._sets()[args.data]()
    frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(x.shape[1])])
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        r = recipes.babysit(
            frame,
            y,
            task=task,
            seed=args.seed,
            batch_size=args.batch_size,
            output_dir=os.path.join(tmp, "run"),
            verbose=0,
        )
    h = r.history
    key = "accuracy" if task == "classification" else "r2"
    print(
        f"{args.data} seed {args.seed}: learning rate {r.learning_rate:.3g}, "
        f"{len(h['loss'])} epochs, {time.perf_counter() - start:.0f} s; test {key} "
        f"{r.metrics[key]:.4f}, {r.baselines['linear']['name']} "
        f"{r.baselines['linear'][key]:.4f}"
    )
    for k in KEYS + ("learning_rate",):
        if k in h:
            print(f"{k:14s}", " ".join(f"{v:.3g}" for v in h[k]))


if __name__ == "__main__":
    main()
