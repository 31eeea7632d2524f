"""What one call of each of the Babysitter's passes costs, on one backend.

The issue's MLP (`babysitter_overhead.build`, 784-256-256-10 with BN, fitted
for one epoch on 2,560 samples first), then, each timed over `--calls`
calls after a warm-up call (milliseconds a call, median):

- the probe's inference pass (`callbacks._probe.Probe.activations`) on
  1,024 samples and on 32 (the difference is the matrix products; the rest
  is per-layer overhead);
- the same pass computing `isfinite` of every weight as device ops (what
  the probe did before) and the numpy check that replaced it
  (`callbacks._state.all_finite`);
- the gradient check (`callbacks._gradient_fn.gradient_function`) on 256
  samples (what `GradientMonitor` runs: eager on TensorFlow and PyTorch; on
  JAX a jaxpr traced at the first call of a fit, then evaluated);
- on JAX, the first call of a fit (tracing the jaxpr, then running it), the
  eager `jax.grad` the check ran before, and the same gradient compiled with
  `jax.jit`, on a fresh model: tracing and lowering, XLA's compile (default
  options and `xla_backend_optimization_level=0`), and a call after.

Usage:

    python benchmarks/check_costs.py --backend tensorflow|jax|torch [--calls 20]

(under a minute; prints a table, writes
`benchmarks/results/check_costs_<backend>.json`).
"""

import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _results import use_backend_argument  # noqa: E402

use_backend_argument()  # before Keras is imported: it fixes the backend

import argparse  # noqa: E402

import babysitter_overhead as overhead  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
from _results import write_json  # noqa: E402

from callbacks._gradient_fn import gradient_function  # noqa: E402
from callbacks._probe import Probe  # noqa: E402
from callbacks._state import all_finite  # noqa: E402


def per_call(fn, calls):
    fn()
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))


def probe_pass(model, x):
    probe = Probe(model, x, None)
    probe.build()

    def run():
        probe._cache = (None, None)  # a new epoch: no cached pass
        probe.activations(0)

    return run


def with_device_flags(model, x):
    """The probe's pass plus `isfinite` of every weight as device ops."""
    run = probe_pass(model, x)
    ops = keras.ops

    def both():
        run()
        flags = [ops.all(ops.isfinite(w)) for w in model.weights]
        return bool(ops.convert_to_numpy(ops.all(ops.stack(flags))))

    return both


def jax_jit_costs(x, y):
    """Trace + lower, compile (two option sets) and call of the jitted gradient."""
    import jax

    out = {}
    for label, options in (
        ("default", None),
        ("O0", {"xla_backend_optimization_level": 0}),
    ):
        model = overhead.build()
        model.fit(x, y, epochs=1, verbose=0)
        picks = [i for i, v in enumerate(model.trainable_variables) if v.ndim == 2]

        def grads(values, fixed, metrics, x, y, model=model, picks=picks):
            def loss_of(chosen):
                full = list(values)
                for i, value in zip(picks, chosen):
                    full[i] = value
                y_pred, _ = model.stateless_call(full, fixed, x, training=True)
                loss, _ = model.stateless_compute_loss(
                    full, fixed, metrics, x=x, y=y, y_pred=y_pred, training=True
                )
                return loss

            return jax.grad(loss_of)([values[i] for i in picks])

        args = (
            [v.value for v in model.trainable_variables],
            [v.value for v in model.non_trainable_variables],
            [v.value for v in model.metrics_variables],
            x[:256],
            y[:256],
        )
        start = time.perf_counter()
        lowered = jax.jit(grads).lower(*args)
        traced = time.perf_counter()
        compiled = lowered.compile(options) if options else lowered.compile()
        built = time.perf_counter()
        jax.block_until_ready(compiled(*args))
        out[label] = {
            "trace_and_lower_ms": 1000 * (traced - start),
            "compile_ms": 1000 * (built - traced),
            "call_ms": per_call(
                lambda c=compiled, a=args: jax.block_until_ready(c(*a)), 10
            ),
        }
        keras.backend.clear_session()
    return out


def jax_gradient_costs(model, x, y, calls):
    """The first call of a fit's gradient check (trace + run), and the eager
    `jax.grad` over `stateless_call` that it replaced."""
    import jax

    from callbacks._gradient_fn import _loss

    start = time.perf_counter()
    gradient_function(model)(x, y)  # a new function: traces, then runs
    first = 1000 * (time.perf_counter() - start)
    values = [v.value for v in model.trainable_variables]
    eager = jax.grad(lambda v: _loss(model, v, x, y), has_aux=True)
    return {
        "gradient check, first call of a fit (trace + run)": first,
        "gradient check, eager jax.grad (before)": per_call(
            lambda: jax.block_until_ready(eager(values)), calls
        ),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default=None, help="read before Keras loads")
    parser.add_argument("--calls", type=int, default=20)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2560, 784)).astype("float32")
    y = rng.integers(0, 10, 2560).astype("int32")
    model = overhead.build()
    model.fit(x, y, epochs=1, verbose=0)
    grad = gradient_function(model)
    costs = {
        "probe pass, 1,024 samples": per_call(probe_pass(model, x[:1024]), args.calls),
        "probe pass, 32 samples": per_call(probe_pass(model, x[:32]), args.calls),
        "probe pass + isfinite device ops, 1,024": per_call(
            with_device_flags(model, x[:1024]), args.calls
        ),
        "numpy finiteness check (all_finite)": per_call(
            lambda: all_finite(model.weights), args.calls
        ),
        "gradient check, 256 samples": per_call(
            lambda: grad(x[:256], y[:256], with_outputs=True), args.calls
        ),
    }
    backend = keras.backend.backend()
    if backend == "jax":
        costs.update(jax_gradient_costs(model, x[:256], y[:256], args.calls))
    print(f"\n{backend}: ms a call, median of {args.calls}\n| pass | ms |\n|---|---|")
    for name, ms in costs.items():
        print(f"| {name} | {ms:.1f} |")
    result = {"backend": backend, "calls": args.calls, "ms": costs}
    if backend == "jax":
        result["jit"] = jax_jit_costs(x, y)
        for label, row in result["jit"].items():
            print(
                f"| gradient, jax.jit ({label}): trace + lower / compile / call | "
                f"{row['trace_and_lower_ms']:.0f} / {row['compile_ms']:.0f} / "
                f"{row['call_ms']:.1f} |"
            )
    out = os.path.join(
        os.path.dirname(__file__), "results", f"check_costs_{backend}.json"
    )
    write_json(out, result, indent=1)
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
