"""The shared context of the pre-flight checks (one copy of the model), the
priors' loss and the regularization check. The training checks are in
`recipes.checks.training`. The user's model, weights and optimizer are never
touched.
"""

from __future__ import annotations

import functools

import keras
import numpy as np

from callbacks import Finding
from callbacks.heads import prior_loss as labels_prior_loss
from callbacks.layers import walk_layers


def clone_with_weights(model, loss, optimizer=None):
    """A compiled copy of `model` with the same weights and a fresh optimizer."""
    try:
        clone = keras.models.clone_model(model)
        clone.set_weights(model.get_weights())
        for layer in walk_layers(clone):  # adapted statistics are weights, but
            if hasattr(layer, "finalize_state"):  # call() reads copies made here
                layer.finalize_state()
    except Exception as e:  # subclassed models without a config
        raise ValueError(
            "The pre-flight checks and the learning-rate range test work on a copy "
            "of the model (so yours is never changed), but this model cannot be "
            "copied with keras.models.clone_model. Use a Functional or "
            "Sequential model, or implement get_config/from_config. "
            f"Received: model of type {type(model).__name__} ({e})"
        ) from None
    clone.compile(optimizer=optimizer or keras.optimizers.Adam(1e-3), loss=loss)
    return clone


def fresh_optimizer(optimizer, learning_rate=None):
    """A new optimizer of `optimizer`'s class and settings (no state), with
    `learning_rate` instead of its own when given; Adam(1e-3) if it has none."""
    if not isinstance(optimizer, keras.optimizers.Optimizer):
        return keras.optimizers.Adam(learning_rate or 1e-3)
    config = optimizer.get_config()
    if learning_rate is not None:
        config["learning_rate"] = float(learning_rate)
    try:
        return type(optimizer).from_config(config)
    except (TypeError, ValueError):
        return keras.optimizers.Adam(learning_rate or 1e-3)


def strip_regularization(model):
    """Turns off dropout, noise and weight penalties of `model` in place."""
    for layer in walk_layers(model):
        if "Dropout" in type(layer).__name__ and hasattr(layer, "rate"):
            layer.rate = 0.0
        if isinstance(layer, keras.layers.GaussianNoise):
            layer.stddev = 0.0
    for v in model.trainable_variables:
        v.regularizer = None


def eval_loss(model, x, y):
    """`(data_loss, regularization_loss)` of `model` on `(x, y)`, eagerly
    (in training mode when it has BatchNormalization; it is a copy).

    Both come from the model's own `compute_loss` (overrides included): the
    regularization is what switching the weight penalties off takes away.
    """
    # With BatchNormalization, inference mode would normalize with the
    # moving statistics' initial values (mean 0, variance 1), not with the
    # data's: the first steps of training see batch statistics.
    batchnorm = any(
        isinstance(la, keras.layers.BatchNormalization) for la in walk_layers(model)
    )
    y_pred = model(x, training=batchnorm)
    total = float(model.compute_loss(x=x, y=y, y_pred=y_pred, training=False))
    saved = [v.regularizer for v in model.trainable_variables]
    try:
        for v in model.trainable_variables:
            v.regularizer = None
        data = float(model.compute_loss(x=x, y=y, y_pred=y_pred, training=False))
    finally:
        for v, r in zip(model.trainable_variables, saved):
            v.regularizer = r
    return data, total - data


class Context:
    """What the checks share: the data, the loss's view of it, and one copy of
    the model (first as given, then stripped of regularization for training)."""

    def __init__(
        self, info, *, subset_size, overfit_steps, baseline_steps, learning_rate, seed
    ):
        self.__dict__.update(info)
        held = info["held_out"]
        self.arrays = [("x", self.x), ("y", self.y)]
        self.arrays += [
            (f"{n}_data[{i}]", a) for n, *p in held for i, a in enumerate(p)
        ]
        ok = np.isfinite(self.x.reshape(len(self.x), -1)).all(1)
        ok &= np.isfinite(self.y.astype("float64").reshape(len(self.y), -1)).all(1)
        self.all_finite = bool(ok.all())
        self.x, self.y = self.x[ok], self.y[ok]
        self.held_out = [(n, x) for n, x, _ in held]
        val = [p[1:] for p in held if p[0] == "validation"]
        self.x_val, self.y_val = val[0] if val else (None, None)
        loss = self.model.loss
        self.loss_name = (
            loss
            if isinstance(loss, str)
            else getattr(loss, "name", getattr(loss, "__name__", type(loss).__name__))
        )
        self.causes = []  # problems found so far
        self.memorized = True  # overfit_small_subset sets it when it runs
        self.rng = np.random.default_rng(seed)
        self.overfit_steps, self.baseline_steps = overfit_steps, baseline_steps
        self.learning_rate, self.subset_size = learning_rate, subset_size
        pick = self.rng.permutation(len(self.x))[:512]
        self.x_sample, self.y_sample = self.x[pick], self.y[pick]
        self.blocked = None if len(self.x) else "no training row is free of NaN/inf"

    def note(self, name, found):
        """Lets a check's verdict stop the checks that depend on it."""
        if name == "data_nan" and not self.all_finite:
            self.blocked = self.blocked or "the training data has NaN/inf values"
        if name == "label_range" and any(f.severity == "error" for f in found):
            self.blocked = "the labels do not fit the loss (see label_range)"
        if name in ("output_activation", "unnormalized_input") and found:
            self.causes.append(f"see {name}")

    @functools.cached_property
    def clone(self):
        return clone_with_weights(self.model, self.model.loss)

    @functools.cached_property
    def loss_at_init(self):
        return eval_loss(self.clone, self.x_sample, self.y_sample)

    @property
    def prior(self):
        return prior_loss(self)

    @property
    def loss_blocked(self):
        if not np.isfinite(sum(self.loss_at_init)):
            return "the loss at initialization is not finite (see initial_loss)"
        return None

    @functools.cached_property
    def train_clone(self):
        """The copy without regularization, compiled with a fresh copy of the
        user's own optimizer (its class and settings; `learning_rate` when
        given); call after the loss checks (it strips the copy they use)."""
        clone = self.clone
        strip_regularization(clone)
        opt = fresh_optimizer(self.model.optimizer, self.learning_rate)
        clone.compile(optimizer=opt, loss=self.model.loss)
        opt.build(clone.trainable_variables)
        self._start = clone.get_weights(), [v.numpy() for v in opt.variables]
        return clone

    def reset_train_clone(self):
        clone = self.train_clone
        clone.set_weights(self._start[0])
        for v, value in zip(clone.optimizer.variables, self._start[1]):
            v.assign(value)

    @functools.cached_property
    def subset(self):
        """`subset_size` training rows, round-robin over the classes."""
        size = min(self.subset_size, len(self.x))
        if self.kind not in ("sparse", "one_hot"):
            return self.rng.permutation(len(self.x))[:size]
        y = self.y.reshape(len(self.y), -1)
        ids = y.argmax(1) if self.kind == "one_hot" else y[:, 0].astype(int)
        queues = [
            list(self.rng.permutation(np.flatnonzero(ids == c))) for c in np.unique(ids)
        ]
        out = []
        while len(out) < size:
            out += [q.pop() for q in queues if q][: size - len(out)]
        return np.array(out)

    @functools.cached_property
    def baseline_split(self):
        """Training rows for the baseline runs and held-out `(x, y)` to score."""
        order = self.rng.permutation(len(self.x))[:500]
        if len(order) < 8:  # too few rows to hold any out
            return order, (self.x[order], self.y[order])
        if self.x_val is not None:
            keep = np.isfinite(self.x_val.reshape(len(self.x_val), -1)).all(1)
            return order, (self.x_val[keep][:512], self.y_val[keep][:512])
        cut = max(1, len(order) // 4)
        return order[cut:], (self.x[order[:cut]], self.y[order[:cut]])


def regularization_loss(ctx):
    data, reg = ctx.loss_at_init
    out = []
    if np.isfinite(data) and reg > data and reg > 0:
        out.append(
            Finding(
                "regularization_loss",
                "warning",
                value=reg,
                threshold=data,
                message=f"Regularization ({reg:.3g}) outweighs the data loss "
                f"({data:.3g}) at initialization: the model will mostly shrink "
                "its weights instead of fitting the data.",
                suggestion="Lower the L2 strength (e.g. by 10x) and search it.",
            )
        )
    clone, xs, ys = ctx.clone, ctx.x_sample, ctx.y_sample
    kernels = [v for v in clone.trainable_variables if len(v.shape) >= 2]
    if not kernels or not np.isfinite(data):
        return out
    saved = [v.regularizer for v in clone.trainable_variables]
    strength = 1e-2
    expected = strength * sum(
        float(np.square(keras.ops.convert_to_numpy(v)).sum()) for v in kernels
    )
    base = sum(eval_loss(clone, xs, ys))
    try:
        for v in kernels:  # on top of the model's own penalty
            own, l2 = v.regularizer, keras.regularizers.L2(strength)
            v.regularizer = lambda w, own=own, l2=l2: l2(w) + (own(w) if own else 0)
        added = sum(eval_loss(clone, xs, ys)) - base
    finally:
        for v, r in zip(clone.trainable_variables, saved):
            v.regularizer = r
    if expected < 1e-4 * abs(base):
        return out  # below float32 resolution at this loss: cannot decide
    if not added > 0.5 * expected:
        out.append(
            Finding(
                "regularization_loss",
                "error",
                value=added,
                threshold=0.5 * expected,
                message="Adding an L2 penalty to every kernel did not raise the "
                f"loss (+{added:.3g}, expected about +{expected:.3g}): the loss the "
                "model trains on ignores `model.losses`.",
                suggestion="If you override compute_loss or train_step, add "
                "`ops.sum(self.losses)` to the loss.",
            )
        )
    return out


def prior_loss(ctx):
    """Loss of predicting the training priors (the target mean), or None."""
    scale = getattr(ctx.model.loss, "target_scale", None)
    if scale is not None:  # StandardizedTargetLoss: MSE over the training variance
        y = np.asarray(ctx.y, "float64").reshape(len(ctx.y), -1)
        return float((y.var(0) / np.asarray(scale) ** 2).mean())
    return labels_prior_loss(ctx.kind, ctx.y, ctx.units, ctx.loss_name)
