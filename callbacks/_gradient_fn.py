"""The loss gradient of each kernel on the probe, on every backend (private).

Each backend's own differentiation around a training-mode `stateless_call`
and `stateless_compute_loss`: `tf.GradientTape` on TensorFlow, `jax.grad` on
JAX (traced once per fit into a jaxpr, see `_grads_jax`),
`torch.autograd.grad` on PyTorch. Like the training step under
`mixed_float16`, the pass differentiates the loss times a loss scale and
divides the gradients by it: float16 gradients are scaled up out of the
range where they round to 0. Being stateless, the pass leaves the
model untouched: BatchNormalization's moving statistics, Dropout's seed
generators (and torch's global generator, forked) and the loss metrics keep
their values, so the run is
bit-identical with and without the check. The backend's module is imported
only when the function is built (never TensorFlow on JAX or PyTorch).

Example:

>>> import numpy as np, keras
>>> from callbacks._gradient_fn import gradient_function
>>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, "relu"),
...                           keras.layers.Dense(2, activation="softmax")])
>>> model.compile("sgd", "sparse_categorical_crossentropy")
>>> fn = gradient_function(model)
>>> rms = fn(np.ones((8, 3), "float32"), np.zeros((8,), "int32"))
>>> sorted(rms) == sorted(layer.name for layer in model.layers)
True
"""

from __future__ import annotations

import keras
import numpy as np

from callbacks.update_ratio import kernel_layers


def _loss_of_values(model, values, fixed, metrics, x, y, scale):
    y_pred, fixed = model.stateless_call(values, fixed, x, training=True)
    loss, _ = model.stateless_compute_loss(
        values, fixed, metrics, x=x, y=y, y_pred=y_pred, training=True
    )
    return loss * keras.ops.cast(scale, loss.dtype), y_pred


def _loss(model, values, x, y, scale):
    fixed = [v.value for v in model.non_trainable_variables]
    metrics = [v.value for v in model.metrics_variables]
    return _loss_of_values(model, values, fixed, metrics, x, y, scale)


def _grads_tensorflow(model, picks, x, y, scale):
    import tensorflow as tf

    values = [tf.convert_to_tensor(v.value) for v in model.trainable_variables]
    with tf.GradientTape() as tape:
        tape.watch(values)
        loss, y_pred = _loss(model, values, x, y, scale)
    return tape.gradient(loss, [values[i] for i in picks]), y_pred


def _jaxpr_as_fun():
    try:
        from jax.extend.core import jaxpr_as_fun
    except ImportError:  # jax < 0.4.30
        from jax.core import jaxpr_as_fun
    return jaxpr_as_fun


def _traced_jax(function):
    """`function(*args)` on JAX, traced once per input structure and shapes
    into a jaxpr (`jax.make_jaxpr`), then evaluated op by op.

    An eager Keras pass on JAX spends most of its time in Keras' and JAX's
    Python around the ops (an eager `jax.grad` over `stateless_call`: about
    60-75 ms a call for a 784-256-256 MLP), and `jax.jit` would compile for half
    a second each fit. Evaluating the jaxpr runs the same primitives as the
    eager pass without that Python, in about a third of the time
    (`benchmarks/check_costs.py`).
    `function` must take every value that changes between calls (variables'
    values, the batch) as an argument: what it reads otherwise is frozen at
    the trace. Returns `run(*args)`, which gives None for a function that
    cannot be traced (Python control flow on values): call it eagerly then.
    """
    import jax

    traced = {}  # input structure and shapes -> (function, output tree)

    def run(*args):
        flat, tree = jax.tree_util.tree_flatten(args)
        key = (tree, tuple((np.shape(a), str(getattr(a, "dtype", ""))) for a in flat))
        if key not in traced:
            try:
                closed, shape = jax.make_jaxpr(function, return_shape=True)(*args)
                traced[key] = (
                    _jaxpr_as_fun()(closed),
                    jax.tree_util.tree_structure(shape),
                )
            except (TypeError, ValueError, NotImplementedError):
                traced[key] = None  # not traceable: the caller goes eager
        if traced[key] is None:
            return None
        fun, out_tree = traced[key]
        return jax.tree_util.tree_unflatten(out_tree, fun(*flat))

    return run


def _grads_jax(model, picks):
    """`grads(x, y, scale)` on JAX: `jax.grad` over the training-mode pass,
    run through `_traced_jax` (eagerly if the model cannot be traced)."""
    import jax

    def gradient(values, fixed, metrics, x, y, scale):
        def loss_of(chosen):
            full = list(values)
            for i, value in zip(picks, chosen):
                full[i] = value
            return _loss_of_values(model, full, fixed, metrics, x, y, scale)

        return jax.grad(loss_of, has_aux=True)([values[i] for i in picks])

    run = _traced_jax(gradient)

    def grads(x, y, scale):
        args = (
            [v.value for v in model.trainable_variables],
            [v.value for v in model.non_trainable_variables],
            [v.value for v in model.metrics_variables],
            x,
            y,
            np.float32(scale),  # an argument: a new scale needs no new trace
        )
        out = run(*args)
        return gradient(*args) if out is None else out

    return grads


def _grads_torch(model, picks, x, y, scale):
    import torch

    values = [v.value.detach() for v in model.trainable_variables]
    for i in picks:
        values[i] = values[i].clone().requires_grad_(True)
    # An unseeded Dropout draws on torch's global generator: fork it, so the
    # training run draws the same masks with and without the check.
    with torch.random.fork_rng(), torch.enable_grad():
        loss, y_pred = _loss(model, values, x, y, scale)
        chosen = [values[i] for i in picks]
        grads = torch.autograd.grad(loss, chosen, allow_unused=True)
    return grads, keras.tree.map_structure(lambda t: t.detach(), y_pred)


def _eager(grads_of):
    """A `(model, picks) -> grads(x, y, scale)` factory of an eager pass."""
    return lambda model, picks: lambda x, y, s: grads_of(model, picks, x, y, s)


_GRADS = {  # (model, picks) -> grads(x, y, scale) -> (kernel gradients, y_pred)
    "tensorflow": _eager(_grads_tensorflow),
    "jax": _grads_jax,
    "torch": _eager(_grads_torch),
}


def first_output(y_pred):
    """The first of a model's outputs, as a float64 numpy array."""
    if isinstance(y_pred, (list, tuple, dict)):
        y_pred = keras.tree.flatten(y_pred)[0]
    return np.asarray(keras.ops.convert_to_numpy(y_pred), dtype="float64")


def gradient_function(model):
    """Returns `fn(x, y) -> {layer: RMS of the loss gradient of its kernel}`.

    `fn(x, y, scale=s)` differentiates the loss times `s` and divides the
    gradients by `s` (in float64), as a `LossScaleOptimizer` does: under
    `mixed_float16` the scale keeps small gradients from rounding to 0 in
    float16, and too large a scale makes them overflow (inf).
    `fn(x, y, with_outputs=True)` also returns the training-mode output of
    the pass (its first output, numpy): `BatchNormMonitor` compares it with
    the inference-mode output instead of running the pass again.

    Raises:
        NotImplementedError: On a backend other than TensorFlow, JAX, PyTorch.
    """
    backend = keras.backend.backend()
    if backend not in _GRADS:
        raise NotImplementedError(f"the {backend} backend has no gradient check")
    trainable = model.trainable_variables
    wanted = {id(k): n for n, k in kernel_layers(model)}
    picks = [(i, wanted[id(v)]) for i, v in enumerate(trainable) if id(v) in wanted]
    grads_of = _GRADS[backend](model, [i for i, _ in picks])

    def fn(x, y, scale=1.0, with_outputs=False):
        grads, y_pred = grads_of(x, y, scale)
        out = {}
        for (_, name), g in zip(picks, grads):
            g = 0.0 if g is None else keras.ops.convert_to_numpy(g)
            g = np.asarray(g, dtype="float64") / scale
            out[name] = float(np.sqrt(np.mean(np.square(g))))
        return (out, first_output(y_pred)) if with_outputs else out

    fn.layers = [name for _, name in picks]
    return fn


def _finite(rms):
    return all(np.isfinite(v) for v in rms.values())


def float16_rms(fn, x, y, scale):
    """The kernel gradients' RMS of a model computing in float16, as `fn`
    (from `gradient_function`) gives them at the best loss scale near `scale`
    (the model's `LossScaleOptimizer` scale, or 1).

    A scale that makes the gradients overflow is divided by 16 until they
    are finite (down to 1), as the optimizer halves its own; a kernel whose
    gradient is then exactly 0 is tried again at scales 256x, 65536x, ...
    higher while the gradients stay finite: if it is not 0 there, it had
    only underflowed float16 (a gradient too small to round to anything but
    0), which is not a dead path.

    Returns:
        `(rms, y_pred, underflow)`: the RMS per layer, the training-mode
        output, and `{layer: scale}` for the kernels whose gradient underflows
        to 0 at the training's `scale` (the one it gets no update at).
    """
    rms, y_pred = fn(x, y, scale=scale, with_outputs=True)
    while not _finite(rms) and scale > 1.0:
        scale = max(1.0, scale / 16.0)
        rms = fn(x, y, scale=scale)
    if not _finite(rms) or all(v > 0 for v in rms.values()):
        return rms, y_pred, {}
    zeros, higher = [n for n, v in rms.items() if v == 0], scale
    for _ in range(3):
        higher *= 256.0
        more = fn(x, y, scale=higher)
        if not _finite(more):
            break
        rms = more
        if all(v > 0 for v in more.values()):
            break
    return rms, y_pred, {n: scale for n in zeros if rms[n] > 0}
