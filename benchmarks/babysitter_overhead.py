"""Training-time overhead of `callbacks.Babysitter` and of each monitor alone.

The issue's setup: an MLP 784-256-256-10 (Dense -> BatchNormalization ->
ReLU), Adam, 60,000 x 784 synthetic float32 inputs, batch 128, fitted from a
fresh model each time, all in one process. Three measures, because the
machine is shared (wall-clock times drift by tens of percent between fits):

1. Wall clock, paired: in each repeat the baseline (no callback) and
   `Babysitter()` at its defaults run back to back (order alternating between
   repeats); the ratio of their steady-state seconds per epoch (epochs after
   the first, so graph tracing is excluded) is taken per pair, and the median
   over repeats is reported. Each repeat also fits the baseline a second
   time: the ratio of the two baseline fits (an A/A control, which would be
   1.000x on a quiet machine) shows how much of the Babysitter's ratio is
   noise.
2. The same ratio in process CPU time (`time.process_time`, all threads):
   other tenants of the machine stretch wall time but barely our CPU time.
3. Time inside the callback's own hooks (every hook is wrapped with a
   timer), per epoch, as a share of the baseline epoch of the same repeat:
   for `Babysitter` and for each monitor alone; and the same time as a
   share of the whole baseline fit of the repeat (its first epoch, which
   builds and compiles the train step, included: the "rest of the fit" the
   budget names; steady epochs alone are the stricter measure). This is the
   part of the overhead the callback itself adds, and drift barely touches
   it. The
   one-time setup in `on_train_begin` (probe model and its trace, checks
   before training) is reported apart, in seconds.

Budget (issue 15), on each backend: the Babysitter's own hooks at most 1.5 %
of the rest of the fit, and its one-time setup at most 0.1 s per fit. (On
JAX, train steps run asynchronously: each hook first waits, untimed, for the
steps in flight, whose time is training, not the hook's; the batch hooks are
timed in the calling thread's CPU time, see `_clock_of`.) Results go to
`benchmarks/results/babysitter_overhead.json` (TensorFlow) and
`babysitter_overhead_<backend>.json` (JAX, PyTorch).

Usage:

    python benchmarks/babysitter_overhead.py [--backend tensorflow|jax|torch]
        [--epochs 6] [--repeats 7] [--monitor-repeats 3]

(about 20 minutes on 2 cores at the defaults; the figures in the README come
from `--epochs 6 --repeats 5 --monitor-repeats 1` on TensorFlow and JAX and
`--repeats 3 --monitor-repeats 0` on PyTorch, one after the other on quiet
cores). `benchmarks/check_costs.py` times one call of each pass, and
`benchmarks/jax_batch_reads.py` is the control behind JAX's batch-hook clock.
"""

import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _results import use_backend_argument  # noqa: E402

use_backend_argument()  # before Keras is imported: it fixes the backend

import keras  # noqa: E402
import numpy as np  # noqa: E402

import callbacks  # noqa: E402


class _Clock(keras.callbacks.Callback):
    """Timestamps each epoch end, wall and process CPU (placed last)."""

    def on_train_begin(self, logs=None):
        self.ends = []
        self.cpu_ends = []

    def on_epoch_end(self, epoch, logs=None):
        self.ends.append(time.perf_counter())
        self.cpu_ends.append(time.process_time())


_HOOKS = (
    "on_train_begin",
    "on_train_end",
    "on_epoch_begin",
    "on_epoch_end",
    "on_train_batch_begin",
)  # never on_train_batch_end: keeps async


def _settle(callback):
    """Waits for the steps JAX has dispatched but not finished.

    JAX runs train steps asynchronously: the first read of a value in a hook
    waits for the steps in flight, which is training time, not the hook's.
    """
    model = getattr(callback, "_model", None)
    state = getattr(model, "_jax_state", None)
    if keras.backend.backend() == "jax" and state:
        import jax

        jax.block_until_ready(state)


def _clock_of(name):
    """The clock a hook is timed with.

    Wall time, except for JAX's batch hooks: mid-epoch, Keras runs the
    batch-end callbacks (History, the progress bar) in a thread pool that
    waits on each step's logs, and a read made in `on_train_batch_begin` can
    then wait tens of milliseconds for the interpreter lock and the steps in
    flight, even after `_settle`. `benchmarks/jax_batch_reads.py` shows that
    wait is the training's own time (epochs take as long with the reads as
    without, while much wall time passes inside them). What the batch hooks
    do is issue copies of a few variables from the calling thread, so its
    CPU time is their cost (the copies themselves, under a megabyte, would
    show in the control's process CPU time).
    """
    if keras.backend.backend() == "jax" and name == "on_train_batch_begin":
        return time.thread_time
    return time.perf_counter


def _timed(callback):
    """Wraps the hooks of `callback` with timers.

    Returns `[seconds in on_train_begin (one-time), seconds in the others]`.
    """
    spent = [0.0, 0.0]

    def wrap(fn):
        slot = 0 if fn.__name__ == "on_train_begin" else 1
        clock = _clock_of(fn.__name__)

        def hook(*args, **kwargs):
            _settle(callback)
            start = clock()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[slot] += clock() - start

        return hook

    for name in _HOOKS:
        setattr(callback, name, wrap(getattr(callback, name)))
    return spent


def build():
    inp = keras.Input((784,))
    x = inp
    for i in range(2):
        x = keras.layers.Dense(256, kernel_initializer="he_normal", name=f"dense_{i}")(
            x
        )
        x = keras.layers.BatchNormalization(name=f"bn_{i}")(x)
        x = keras.layers.ReLU(name=f"relu_{i}")(x)
    out = keras.layers.Dense(10, activation="softmax", name="logits")(x)
    model = keras.Model(inp, out)
    model.compile(
        keras.optimizers.Adam(1e-3),
        "sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


VARIANTS = {
    "Babysitter": lambda: callbacks.Babysitter(verbose=0),
    "LossWatch": lambda: callbacks.LossWatch(verbose=0),
    "DeadUnitMonitor": lambda: callbacks.DeadUnitMonitor(verbose=0),
    "ActivationStats": lambda: callbacks.ActivationStats(verbose=0),
    "GradientMonitor": lambda: callbacks.GradientMonitor(verbose=0),
    "UpdateRatioMonitor": lambda: callbacks.UpdateRatioMonitor(verbose=0),
    "GeneralizationWatch": lambda: callbacks.GeneralizationWatch(verbose=0),
    "BatchNormMonitor": lambda: callbacks.BatchNormMonitor(verbose=0),
}

_BUILDING = [0.0]  # seconds spent building probes (sample, probe model)


def _time_probe_building():
    """Times `make_probe` inside the Babysitter: the setup's building part.

    The rest of the one-time setup is the checks before training (the
    activations and gradients of the initial weights, the output layer).
    """
    import callbacks.babysitter as sitter

    make = sitter.make_probe

    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return make(*args, **kwargs)
        finally:
            _BUILDING[0] += time.perf_counter() - start

    sitter.make_probe = timed


def fit_once(x, y, epochs, seed, callback=None):
    """Returns (steady s/epoch, whole fit s, [one-time s, per-fit hook s],
    steady CPU s/epoch)."""
    keras.utils.set_random_seed(seed)
    model, clock = build(), _Clock()
    spent = _timed(callback) if callback is not None else [0.0, 0.0]
    cbs = ([callback] if callback is not None else []) + [clock]
    _BUILDING[0] = 0.0
    start = time.perf_counter()
    model.fit(x, y, batch_size=128, epochs=epochs, verbose=0, callbacks=cbs)
    total = time.perf_counter() - start
    keras.backend.clear_session()
    steady = (clock.ends[-1] - clock.ends[0]) / (epochs - 1)
    cpu = (clock.cpu_ends[-1] - clock.cpu_ends[0]) / (epochs - 1)
    return steady, total, spent + [_BUILDING[0]], cpu


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--backend", default=None, help="tensorflow, jax or torch (read first)"
    )
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument(
        "--monitor-repeats", type=int, default=3, help="repeats of each monitor alone"
    )
    parser.add_argument("--samples", type=int, default=60_000, help="for smoke tests")
    parser.add_argument(
        "--output",
        help="results file; default: results/babysitter_overhead[_<backend>].json",
    )
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(args.samples, 784)).astype("float32")
    y = np.argmax(x @ rng.normal(size=(784, 10)), axis=1).astype("int32")
    pairs, cpu_pairs, base_epochs = [], [], []
    control, cpu_control = [], []
    hook = {name: [] for name in VARIANTS}
    hook_fit = {name: [] for name in VARIANTS}  # of the whole baseline fit
    once = {name: [] for name in VARIANTS}
    building = []  # the Babysitter's probe building, part of its setup
    _time_probe_building()

    def record(name, r, res, base, base_fit):
        steady, total, spent, _ = res
        hook[name].append(spent[1] / args.epochs / base)
        hook_fit[name].append(spent[1] / base_fit)
        once[name].append(spent[0])
        if name == "Babysitter":
            building.append(spent[2])
        print(
            f"repeat {r} {name}: {steady:.2f} s/epoch, fit {total:.1f} s, "
            f"hooks {spent[1]:.3f} s (+{spent[0]:.3f} s once)",
            flush=True,
        )

    for r in range(args.repeats):
        names = ["baseline", "Babysitter", "baseline again"]
        order = names[r % 3 :] + names[: r % 3]  # each fit takes each position
        run = {}
        for name in order:
            cb = VARIANTS["Babysitter"]() if name == "Babysitter" else None
            run[name] = fit_once(x, y, args.epochs, r, cb)
        base = run["baseline"][0]
        base_epochs.append(base)
        pairs.append(run["Babysitter"][0] / base)
        cpu_pairs.append(run["Babysitter"][3] / run["baseline"][3])
        control.append(run["baseline again"][0] / base)
        cpu_control.append(run["baseline again"][3] / run["baseline"][3])
        print(
            f"repeat {r} baseline: {base:.2f} s/epoch, again "
            f"{run['baseline again'][0]:.2f} s/epoch",
            flush=True,
        )
        base_fit = run["baseline"][1]
        record("Babysitter", r, run["Babysitter"], base, base_fit)
        if r >= args.monitor_repeats:
            continue
        for name in VARIANTS:
            if name != "Babysitter":
                res = fit_once(x, y, args.epochs, r, VARIANTS[name]())
                record(name, r, res, base, base_fit)
    print(
        f"\n{keras.backend.backend()}: MLP 784-256-256-10 (BN, ReLU), Adam, "
        f"{args.samples:,} x 784, batch 128, "
        f"{args.epochs} epochs per fit, {args.repeats} paired repeats "
        f"({args.monitor_repeats} for each monitor alone), medians; "
        f"baseline {np.median(base_epochs):.2f} s/epoch\n"
    )
    print(
        "| callbacks | wall-clock ratio (paired) | process CPU-time ratio (paired) "
        "| hook time per epoch / baseline epoch | hook time / whole baseline fit "
        "| one-time setup (s) |"
    )
    print("|---|---|---|---|---|---|")
    result = {
        "backend": keras.backend.backend(),
        "epochs": args.epochs,
        "repeats": args.repeats,
        "monitor_repeats": args.monitor_repeats,
        "baseline_seconds_per_epoch": base_epochs,
        "babysitter_paired_ratios": pairs,
        "babysitter_paired_cpu_ratios": cpu_pairs,
        "control_paired_ratios": control,
        "control_paired_cpu_ratios": cpu_control,
        "babysitter_ratio_median": float(np.median(pairs)),
        "control_ratio_median": float(np.median(control)),
        "babysitter_cpu_ratio_median": float(np.median(cpu_pairs)),
        "hook_share": hook,
        "hook_share_of_fit": hook_fit,
        "one_time_seconds": once,
        "babysitter_probe_building_seconds": building,
    }
    for name in VARIANTS:
        first = name == "Babysitter"
        wall = f"{np.median(pairs):.3f}x" if first else "-"
        cpu = f"{np.median(cpu_pairs):.3f}x" if first else "-"
        if not hook[name]:  # --monitor-repeats 0
            continue
        print(
            f"| {name} | {wall} | {cpu} | {100 * np.median(hook[name]):.2f} % "
            f"| {100 * np.median(hook_fit[name]):.2f} % "
            f"| {np.median(once[name]):.3f} |"
        )
    print(
        f"| (A/A control: baseline fitted again) | {np.median(control):.3f}x "
        f"| {np.median(cpu_control):.3f}x | - | - | - |"
    )
    for label, ratios in (
        ("Babysitter / baseline, wall", pairs),
        ("Babysitter / baseline, CPU", cpu_pairs),
        ("baseline again / baseline, wall", control),
        ("baseline again / baseline, CPU", cpu_control),
    ):
        print(f"{label}: " + ", ".join(f"{v:.3f}" for v in ratios))
    setup = once["Babysitter"]
    print(
        f"Babysitter setup: median {np.median(setup):.3f} s, of which building "
        f"the probe {np.median(building):.3f} s and the checks before training "
        f"{np.median(setup) - np.median(building):.3f} s; the first fit of the "
        f"process {setup[0]:.3f} s (each backend compiles its kernels once)"
    )
    backend = keras.backend.backend()
    name = "babysitter_overhead" + ("" if backend == "tensorflow" else f"_{backend}")
    out = args.output or os.path.join(
        os.path.dirname(__file__), "results", f"{name}.json"
    )
    with open(out, "w") as fh:
        json.dump(result, fh, indent=1)
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
