"""The loss gradient of each kernel on the probe, on every backend (private).

Each backend's own differentiation around a training-mode `stateless_call`
and `stateless_compute_loss`: `tf.GradientTape` on TensorFlow, `jax.grad` on
JAX (traced once per fit into a jaxpr, see `_grads_jax`),
`torch.autograd.grad` on PyTorch. Being stateless, the pass leaves the
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


def _loss_of_values(model, values, fixed, metrics, x, y):
    y_pred, fixed = model.stateless_call(values, fixed, x, training=True)
    loss, _ = model.stateless_compute_loss(
        values, fixed, metrics, x=x, y=y, y_pred=y_pred, training=True
    )
    return loss, y_pred


def _loss(model, values, x, y):
    fixed = [v.value for v in model.non_trainable_variables]
    metrics = [v.value for v in model.metrics_variables]
    return _loss_of_values(model, values, fixed, metrics, x, y)


def _grads_tensorflow(model, picks, x, y):
    import tensorflow as tf

    values = [tf.convert_to_tensor(v.value) for v in model.trainable_variables]
    with tf.GradientTape() as tape:
        tape.watch(values)
        loss, y_pred = _loss(model, values, x, y)
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
    """`grads(x, y)` on JAX: `jax.grad` over the training-mode pass, run
    through `_traced_jax` (eagerly if the model cannot be traced)."""
    import jax

    def gradient(values, fixed, metrics, x, y):
        def loss_of(chosen):
            full = list(values)
            for i, value in zip(picks, chosen):
                full[i] = value
            return _loss_of_values(model, full, fixed, metrics, x, y)

        return jax.grad(loss_of, has_aux=True)([values[i] for i in picks])

    run = _traced_jax(gradient)

    def grads(x, y):
        args = (
            [v.value for v in model.trainable_variables],
            [v.value for v in model.non_trainable_variables],
            [v.value for v in model.metrics_variables],
            x,
            y,
        )
        out = run(*args)
        return gradient(*args) if out is None else out

    return grads


def _grads_torch(model, picks, x, y):
    import torch

    values = [v.value.detach() for v in model.trainable_variables]
    for i in picks:
        values[i] = values[i].clone().requires_grad_(True)
    # An unseeded Dropout draws on torch's global generator: fork it, so the
    # training run draws the same masks with and without the check.
    with torch.random.fork_rng(), torch.enable_grad():
        loss, y_pred = _loss(model, values, x, y)
        chosen = [values[i] for i in picks]
        grads = torch.autograd.grad(loss, chosen, allow_unused=True)
    return grads, keras.tree.map_structure(lambda t: t.detach(), y_pred)


def _eager(grads_of):
    """A `(model, picks) -> grads(x, y)` factory of an eager gradient pass."""
    return lambda model, picks: lambda x, y: grads_of(model, picks, x, y)


_GRADS = {  # (model, picks) -> grads(x, y) -> (kernel gradients, y_pred)
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

    def fn(x, y, with_outputs=False):
        grads, y_pred = grads_of(x, y)
        out = {}
        for (_, name), g in zip(picks, grads):
            g = 0.0 if g is None else np.asarray(keras.ops.convert_to_numpy(g))
            out[name] = float(np.sqrt(np.mean(np.square(g, dtype="float64"))))
        return (out, first_output(y_pred)) if with_outputs else out

    return fn
