"""Benchmark: where a babysat `tune` trial's extra time goes, hook by hook.

Times every hook of the `Babysitter`, its monitors and `StopOnError` from
inside (a wrapper around each method), for `tune` trials of 2 epochs on
MNIST-1D (512 x 2 units, batch 128), with the trials' Babysitter
(`recipes.search.stages.TRIAL_BABYSITTER`) and with every check; and the
wall time per trial with `babysit=False` and `True`. Time spent inside the
hooks is what the Babysitter costs a trial, whatever else runs on the
machine (the wall-time difference is swamped by load on a shared machine).

Run: `nice -n 10 python benchmarks/trial_overhead.py` (writes
`benchmarks/results/trial_overhead.json`).
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import collections  # noqa: E402
import functools  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from _results import write_json  # noqa: E402

import callbacks.babysitter as _babysitter  # noqa: E402
from recipes import datasets  # noqa: E402
from recipes import training as _training  # noqa: E402
from recipes.search import stages as _stages  # noqa: E402
from recipes.search.tuning import tune  # noqa: E402

HOOKS = (
    "on_train_begin", "on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
    "on_train_batch_end", "on_test_begin", "on_test_end", "on_train_end",
)  # fmt: skip
SPACE = {
    "learning_rate": (1e-3, 2e-3), "l2": 1e-4, "dropout": 0.3, "units": 512,
    "depth": 2, "batch_size": 128,
}  # fmt: skip
SECONDS = collections.defaultdict(float)


def _timed(cls, name):
    method = getattr(cls, name)

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return method(self, *args, **kwargs)
        finally:
            SECONDS[f"{cls.__name__}.{name}"] += time.perf_counter() - start

    setattr(cls, name, wrapper)


def instrument():
    classes = {*_babysitter._ORDER, _babysitter.Babysitter, _training.StopOnError}
    for cls in classes:
        for name in HOOKS:
            if hasattr(cls, name):
                _timed(cls, name)


def run(data, workdir, name, babysit, repeats):
    SECONDS.clear()
    start = time.perf_counter()
    tune(
        data.x_train, data.y_train, validation_data=data.validation_data,
        search_space=SPACE, stages=[{"trials": repeats, "epochs": 2}],
        directory=workdir, project_name=name, seed=0, babysit=babysit,
        overwrite=True,
    )  # fmt: skip
    wall = (time.perf_counter() - start) / repeats
    # Outer hooks include the monitors' (the Babysitter calls them).
    inside = sum(
        v for k, v in SECONDS.items() if k.startswith(("Babysitter.", "StopOnError."))
    )
    hooks = {k: v / repeats for k, v in SECONDS.items() if v / repeats >= 0.002}
    return {"wall_s": wall, "in_hooks_s": inside / repeats, "hooks_s": hooks}


def main(repeats=4):
    instrument()
    data = datasets.load("mnist1d")
    workdir = tempfile.mkdtemp(prefix="trial_overhead_")
    trial = dict(_stages.TRIAL_BABYSITTER)
    results = {"load_average_at_start": os.getloadavg()[0], "trial_babysitter": trial}
    results["plain"] = run(data, workdir, "plain", False, repeats)
    results["trial_checks"] = run(data, workdir, "trial", True, repeats)
    _stages.TRIAL_BABYSITTER["checks"] = [*trial["checks"], "dead_units"]
    results["with_dead_units"] = run(data, workdir, "dead", True, repeats)
    _stages.TRIAL_BABYSITTER.pop("checks", None)  # every check
    results["every_check"] = run(data, workdir, "every", True, repeats)
    _stages.TRIAL_BABYSITTER.clear()
    _stages.TRIAL_BABYSITTER.update(trial)
    results["load_average_at_end"] = os.getloadavg()[0]
    print("| Babysitter | s a trial inside its hooks | wall s a trial |\n|---|---|---|")
    for key in ("plain", "trial_checks", "with_dead_units", "every_check"):
        r = results[key]
        print(f"| {key} | {r['in_hooks_s']:.3f} | {r['wall_s']:.2f} |")
    for key in ("trial_checks", "with_dead_units", "every_check"):
        print(f"\n{key}, per hook (s a trial):")
        for hook, s in sorted(results[key]["hooks_s"].items(), key=lambda kv: -kv[1]):
            print(f"  {hook:45s} {s:.3f}")
    print(
        f"\nload average {results['load_average_at_start']:.1f} -> "
        f"{results['load_average_at_end']:.1f}"
    )
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
    write_json(os.path.join(out, "trial_overhead.json"), results, indent=2)


if __name__ == "__main__":
    main()
