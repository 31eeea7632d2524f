"""`GradientMonitor`: vanishing and exploding gradients, layer by layer.

Example:

>>> import numpy as np, keras
>>> from callbacks import GradientMonitor
>>> x = np.random.default_rng(0).normal(size=(128, 2)).astype("float32")
>>> y = (np.hypot(x[:, 0], x[:, 1]) > 1).astype("int32")
>>> model = keras.Sequential([keras.Input((2,))] + [
...     keras.layers.Dense(32, activation="sigmoid") for _ in range(8)] + [
...     keras.layers.Dense(2, activation="softmax")])
>>> model.compile("sgd", "sparse_categorical_crossentropy")
>>> monitor = GradientMonitor(verbose=0)
>>> _ = model.fit(x, y, epochs=1, verbose=0, callbacks=[monitor])
>>> monitor.findings[0].check
'vanishing_gradients'
"""

from __future__ import annotations

import keras
import numpy as np

from callbacks._base import check_positive, checked_epoch
from callbacks._gradient_fn import float16_rms, gradient_function
from callbacks._logs import computes_in_float16, loss_scale
from callbacks._probe import ProbeMonitor, make_probe
from callbacks._state import all_finite


class GradientMonitor(ProbeMonitor):
    """Computes the loss gradient per layer on the probe batch.

    Gradients that shrink by orders of magnitude from the last layer to the
    first (sigmoid/tanh stacks, small init) mean the early layers do not
    learn; gradients that grow that much mean they blow up. Measured before
    training and after epochs 0, 1, 3, 7, 15, ... (these problems show early;
    a rare check keeps the cost negligible) on up to `batch_size` probe
    samples (with labels), using the backend's own autodiff (`tf.GradientTape`,
    `jax.grad`, `torch.autograd`) on a stateless training-mode pass that
    leaves the model untouched. A model built by its first batch is measured
    from the end of epoch 0.

    Under `mixed_float16` the loss is scaled as the model's
    `LossScaleOptimizer` scales it (see `float16_rms`): a gradient that
    underflows float16 is told apart from a dead path, and gradients that
    overflow float16 while the weights are finite are `float16_overflow`.

    Writes `grad_rms/<layer>` and `gradient_ratio` (first kernel's gradient
    RMS / last kernel's) to `logs` every epoch: NaN on the epochs that are
    not measured, and `gradient_ratio` NaN when the first or last gradient is
    0, so History, CSVLogger and TensorBoard keep every column. Checks
    `vanishing_gradients` and `exploding_gradients`.

    Args:
        probe_data: An `(x, y)` tuple to probe with, or `None` to sample the
            training data of `fit`. Defaults to `None`.
        batch_size: Most probe samples used for the gradient. Defaults to
            `256`.
        ratio: First/last gradient ratio below `1/ratio` is vanishing, above
            `ratio` exploding. Defaults to `1000.0`.
        verbose: 0, 1 or 2. Defaults to `1`.
        stop_on: `None`, `"error"` or `"warning"`. Defaults to `None`.

    Raises:
        ValueError: If `ratio <= 1` or `batch_size` is not a positive int.
    """

    def __init__(
        self, probe_data=None, batch_size=256, ratio=1000.0, verbose=1, stop_on=None
    ):
        super().__init__(probe_data, batch_size, verbose=verbose, stop_on=stop_on)
        check_positive("ratio", ratio)
        if ratio <= 1:
            raise ValueError(f"`ratio` must be > 1. Received: ratio={ratio!r}")
        self.batch_size = batch_size
        self.ratio = ratio

    def get_config(self):
        return {
            "probe_data": self.probe_data,
            "batch_size": self.batch_size,
            "ratio": self.ratio,
            "verbose": self.verbose,
            "stop_on": self.stop_on,
        }

    def reset(self):
        super().reset()
        self._fn = None
        self._float16 = False

    def on_train_end(self, logs=None):
        self._fn = None  # the compiled function holds the model

    def on_train_begin(self, logs=None):
        self.reset()
        if self._shared_probe is not None:
            probe = self._shared_probe[0]
        else:
            probe, _ = make_probe(
                self.model, self.probe_data, self.batch_size, build=False
            )
        if probe is None:
            reason = "no probe data was given and none could be read from fit"
        elif probe.y is None:
            reason = "the probe has no labels (pass `probe_data=(x, y)`)"
        else:
            self.probe = probe
            if self.model.built:
                self._run(None, None)
            return
        self.find(
            "gradient_checks_skipped",
            None,
            "info",
            message=f"GradientMonitor skips the gradient checks: {reason}.",
            suggestion="Give labelled probe data (`probe_data=(x, y)`) to get "
            "gradient checks.",
        )

    def on_epoch_end(self, epoch, logs=None):
        # A model built by its first batch is measured from epoch 0 on.
        if self.probe is not None and not self._broken:
            self._run(epoch, logs)
        if logs is not None:
            for key in self._keys:  # the same columns every epoch
                logs.setdefault(key, float("nan"))

    def _gradients(self, x, y):
        """`(rms, y_pred, underflow)` at the optimizer's loss scale (see
        `float16_rms`); the keys are known once the function is built."""
        if self._fn is None:
            self._fn = gradient_function(self.model)
            names = self._fn.layers
            if len(names) >= 2:
                self._keys = [f"grad_rms/{n}" for n in names] + ["gradient_ratio"]
            self._float16 = computes_in_float16(self.model)
        scale = loss_scale(self.model) or 1.0
        if self._float16:
            return float16_rms(self._fn, x, y, scale)
        rms, y_pred = self._fn(x, y, scale=scale, with_outputs=True)
        return rms, y_pred, {}

    def _run(self, epoch, logs):
        # Before training, then after epochs 0, 1, 3, 7, 15, ... (epoch + 1 a
        # power of two): early, when gradient problems show, and rarely later.
        if epoch is not None and not checked_epoch(epoch):
            return
        n = self.batch_size
        x = keras.tree.map_structure(lambda a: a[:n], self.probe.x)
        y = keras.tree.map_structure(lambda a: a[:n], self.probe.y)
        try:
            rms, y_pred, underflow = self._gradients(x, y)
            if epoch is not None:  # BatchNormMonitor's training-mode pass
                self.probe.keep_train_output(epoch, y_pred)
        except (ValueError, TypeError, NotImplementedError, AttributeError) as exc:
            self._broken = True
            self.find(
                "gradient_checks_skipped",
                epoch,
                "info",
                message=f"GradientMonitor skips the gradient checks: the "
                f"gradient on the probe could not be computed ({exc}).",
                suggestion="Use a Functional or Sequential model.",
            )
            return
        if len(rms) < 2:
            return
        if not all(np.isfinite(v) for v in rms.values()):
            self._not_finite(epoch)
            return
        if logs is not None:
            for name, value in rms.items():
                logs[f"grad_rms/{name}"] = value
        names = list(rms)
        first, last = rms[names[0]], rms[names[-1]]
        if first == 0 or last == 0:
            return  # a dead layer blocks the gradient: DeadUnitMonitor's case
        ratio = first / last
        if logs is not None:
            logs["gradient_ratio"] = ratio
        if ratio < 1.0 / self.ratio:
            rounds = ""
            if names[0] in underflow:
                rounds = (
                    " In float16 it even rounds to 0 at the loss scale "
                    f"{underflow[names[0]]:g}: {names[0]} gets no update at all."
                )
            self.find(
                "vanishing_gradients",
                epoch,
                "warning",
                layer=names[0],
                value=ratio,
                threshold=1.0 / self.ratio,
                message=f"The gradient reaching {names[0]} is {ratio:.1e} times "
                f"the one at {names[-1]}: the first layers barely learn.{rounds}",
                suggestion="Use ReLU instead of sigmoid/tanh in hidden layers, "
                "He initialization, BatchNormalization, or fewer layers.",
            )
        elif ratio > self.ratio:
            self.find(
                "exploding_gradients",
                epoch,
                "warning",
                layer=names[0],
                value=ratio,
                threshold=self.ratio,
                message=f"The gradient reaching {names[0]} is {ratio:.1e} times "
                f"the one at {names[-1]}: gradients grow toward the input.",
                suggestion="Use a smaller initialization (He/Xavier), add "
                "BatchNormalization, or clip gradients (`clipnorm=1.0`).",
            )

    def _not_finite(self, epoch):
        # In float16 with finite weights, the pass overflowed float16's range
        # (even unscaled): not a network blown up by its updates.
        if self._float16 and all_finite(self.model.trainable_weights):
            self.find(
                "float16_overflow",
                epoch,
                "warning",
                message="The gradients on the probe batch overflow float16 (inf "
                "or NaN even without loss scaling) while every weight is finite.",
                suggestion="Keep the activations and the loss small (normalize "
                "the inputs and the targets), or train with "
                '`keras.mixed_precision.set_global_policy("mixed_bfloat16")`.',
            )
            return
        self._broken = True
        self.find(
            "nan_loss",
            epoch,
            "error",
            message="The gradients on the probe batch are NaN or infinite.",
            suggestion="Lower the learning rate, normalize the inputs, or "
            "clip gradients (`clipnorm=1.0`).",
        )
