"""The loss gradient of each kernel on the probe, on every backend (private).

Each backend's own differentiation around a training-mode `stateless_call`
and `stateless_compute_loss`: `tf.GradientTape` on TensorFlow, `jax.grad` on
JAX, `torch.autograd.grad` on PyTorch. Being stateless, the pass leaves the
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


def _loss(model, values, x, y):
    fixed = [v.value for v in model.non_trainable_variables]
    metrics = [v.value for v in model.metrics_variables]
    y_pred, fixed = model.stateless_call(values, fixed, x, training=True)
    loss, _ = model.stateless_compute_loss(
        values, fixed, metrics, x=x, y=y, y_pred=y_pred, training=True
    )
    return loss, y_pred


def _grads_tensorflow(model, picks, x, y):
    import tensorflow as tf

    values = [tf.convert_to_tensor(v.value) for v in model.trainable_variables]
    with tf.GradientTape() as tape:
        tape.watch(values)
        loss, y_pred = _loss(model, values, x, y)
    return tape.gradient(loss, [values[i] for i in picks]), y_pred


def _grads_jax(model, picks, x, y):
    import jax

    values = [v.value for v in model.trainable_variables]
    chosen = [values[i] for i in picks]

    def loss_of(chosen):
        full = list(values)
        for i, value in zip(picks, chosen):
            full[i] = value
        return _loss(model, full, x, y)

    return jax.grad(loss_of, has_aux=True)(chosen)


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


_GRADS = {
    "tensorflow": _grads_tensorflow,
    "jax": _grads_jax,
    "torch": _grads_torch,
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
    grads_of = _GRADS[backend]
    trainable = model.trainable_variables
    wanted = {id(k): n for n, k in kernel_layers(model)}
    picks = [(i, wanted[id(v)]) for i, v in enumerate(trainable) if id(v) in wanted]

    def fn(x, y, with_outputs=False):
        grads, y_pred = grads_of(model, [i for i, _ in picks], x, y)
        out = {}
        for (_, name), g in zip(picks, grads):
            g = 0.0 if g is None else np.asarray(keras.ops.convert_to_numpy(g))
            out[name] = float(np.sqrt(np.mean(np.square(g, dtype="float64"))))
        return (out, first_output(y_pred)) if with_outputs else out

    return fn
