"""Control for `babysitter_overhead.py` on JAX: what a mid-epoch read costs.

`LossWatch` and `UpdateRatioMonitor` copy a few variables in
`on_train_batch_begin` (`callbacks._state.Reader`). On JAX, Keras runs the
batch-end callbacks (History, the progress bar) in a thread pool that waits
on each step's logs, and a read made meanwhile can spend tens of
milliseconds of wall time waiting, for the interpreter lock and for the
steps in flight. This script asks whether that wait costs the run anything:
the issue's MLP (`babysitter_overhead.build`, 60,000 x 784, batch 128) is
fitted with a callback that makes the Babysitter's kind of reads (the loss
tracker's state and every kernel, at 9 batches an epoch, as `Reader` does)
and with a callback that does nothing, alternating, in one process. Per fit:
the steady seconds per epoch (wall and process CPU, epochs after the first)
and the time inside the reads (wall, and CPU time of the calling thread).

If the epochs take as long with the reads as without while much wall time
passes inside them, the wait is the training's own time, and the calling
thread's CPU time is the reads' cost: that is the clock
`babysitter_overhead.py` uses for JAX's batch hooks.

Usage:

    python benchmarks/jax_batch_reads.py [--repeats 4] [--epochs 3]

(about 2 minutes; writes `benchmarks/results/jax_batch_reads.json`).
"""

import argparse
import os
import sys
import time

os.environ["KERAS_BACKEND"] = "jax"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import babysitter_overhead as overhead  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
from _results import write_json  # noqa: E402

from callbacks._state import Reader, raw_model  # noqa: E402


class Reads(keras.callbacks.Callback):
    """Copies the loss tracker's state and every kernel at 9 batches an epoch."""

    def __init__(self):
        super().__init__()
        self.wall = self.cpu = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        model = raw_model(self)
        tracker = next(m for m in model.metrics if m.name == "loss")
        kernels = [v for v in model.trainable_variables if len(v.shape) == 2]
        self.reader = Reader(model, list(tracker.variables) + kernels)
        self.kept = []

    def on_train_batch_begin(self, batch, logs=None):
        if batch % 50 == 25:
            wall, cpu = time.perf_counter(), time.thread_time()
            self.kept.append(self.reader.snapshot())
            self.wall += time.perf_counter() - wall
            self.cpu += time.thread_time() - cpu

    def on_epoch_end(self, epoch, logs=None):
        wall, cpu = time.perf_counter(), time.thread_time()
        for values in self.kept:
            [keras.ops.convert_to_numpy(v) for v in values]
        self.wall += time.perf_counter() - wall
        self.cpu += time.thread_time() - cpu


class Nothing(keras.callbacks.Callback):
    """The same hook, doing nothing (keeps the callback list's dispatch)."""

    wall = cpu = 0.0

    def on_train_batch_begin(self, batch, logs=None):
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--samples", type=int, default=60_000, help="for smoke tests")
    args = parser.parse_args()
    if args.epochs < 2:
        parser.error("--epochs must be at least 2 (the first epoch is excluded)")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(args.samples, 784)).astype("float32")
    y = np.argmax(x @ rng.normal(size=(784, 10)), axis=1).astype("int32")
    runs = {"reads": [], "nothing": []}
    for r in range(args.repeats):
        order = ["reads", "nothing"] if r % 2 else ["nothing", "reads"]
        for name in order:
            callback = Reads() if name == "reads" else Nothing()
            keras.utils.set_random_seed(r)
            model, clock = overhead.build(), overhead._Clock()
            model.fit(
                x,
                y,
                batch_size=128,
                epochs=args.epochs,
                verbose=0,
                callbacks=[callback, clock],
            )
            keras.backend.clear_session()
            steps = args.epochs - 1
            row = {
                "wall_s_per_epoch": (clock.ends[-1] - clock.ends[0]) / steps,
                "cpu_s_per_epoch": (clock.cpu_ends[-1] - clock.cpu_ends[0]) / steps,
                "reads_wall_s": callback.wall,
                "reads_thread_cpu_s": callback.cpu,
            }
            runs[name].append(row)
            print(
                f"repeat {r} {name}: "
                + ", ".join(f"{k} {v:.4f}" for k, v in row.items())
            )
    print(
        f"\nJAX, {args.samples:,} x 784, batch 128, {args.epochs} epochs a fit, "
        f"{args.repeats} alternating repeats, medians\n"
        "| callback | wall s/epoch | process CPU s/epoch | wall inside the reads "
        "(s a fit) | calling thread's CPU inside them (s a fit) |\n"
        "|---|---|---|---|---|"
    )
    summary = {}
    for name, rows in runs.items():
        med = {k: float(np.median([row[k] for row in rows])) for k in rows[0]}
        summary[name] = med
        print(
            f"| {name} | {med['wall_s_per_epoch']:.3f} | {med['cpu_s_per_epoch']:.3f} "
            f"| {med['reads_wall_s']:.3f} | {med['reads_thread_cpu_s']:.4f} |"
        )
    out = os.path.join(os.path.dirname(__file__), "results", "jax_batch_reads.json")
    write_json(out, {"runs": runs, "summary": summary, "epochs": args.epochs})
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
