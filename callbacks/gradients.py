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
from callbacks._gradient_fn import gradient_function
from callbacks._probe import ProbeMonitor, make_probe


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

    Writes `grad_rms/<layer>` and `gradient_ratio` (first kernel's gradient
    RMS / last kernel's) to `logs`; NaN on the epochs that are not measured,
    so History and CSVLogger columns stay aligned. Checks `vanishing_gradients` and
    `exploding_gradients`.

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
        self._keys = []

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

    def _run(self, epoch, logs):
        # Before training, then after epochs 0, 1, 3, 7, 15, ... (epoch + 1 a
        # power of two): early, when gradient problems show, and rarely later.
        if epoch is not None and not checked_epoch(epoch):
            if logs is not None:
                for key in self._keys:
                    logs[key] = float("nan")  # keeps History columns aligned
            return
        n = self.batch_size
        x = keras.tree.map_structure(lambda a: a[:n], self.probe.x)
        y = keras.tree.map_structure(lambda a: a[:n], self.probe.y)
        try:
            if self._fn is None:
                self._fn = gradient_function(self.model)
            rms, y_pred = self._fn(x, y, with_outputs=True)
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
            self._broken = True
            self.find(
                "nan_loss",
                epoch,
                "error",
                message="The gradients on the probe batch are NaN or infinite.",
                suggestion="Lower the learning rate, normalize the inputs, or "
                "clip gradients (`clipnorm=1.0`).",
            )
            return
        names = list(rms)
        first, last = rms[names[0]], rms[names[-1]]
        if first == 0 or last == 0:
            return  # a dead layer blocks the gradient: DeadUnitMonitor's case
        ratio = first / last
        self._keys = [f"grad_rms/{name}" for name in rms] + ["gradient_ratio"]
        if logs is not None:
            for name, value in rms.items():
                logs[f"grad_rms/{name}"] = value
            logs["gradient_ratio"] = ratio
        if ratio < 1.0 / self.ratio:
            self.find(
                "vanishing_gradients",
                epoch,
                "warning",
                layer=names[0],
                value=ratio,
                threshold=1.0 / self.ratio,
                message=f"The gradient reaching {names[0]} is {ratio:.1e} times "
                f"the one at {names[-1]}: the first layers barely learn.",
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
