"""`BatchNormMonitor`: BatchNormalization's moving statistics lag behind.

Example:

>>> import numpy as np, keras
>>> from callbacks import BatchNormMonitor
>>> x = np.random.default_rng(0).normal(3.0, 5.0, size=(64, 8)).astype("float32")
>>> y = (x[:, 0] > 3).astype("int32")
>>> model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16),
...     keras.layers.BatchNormalization(momentum=0.999), keras.layers.ReLU(),
...     keras.layers.Dense(2, activation="softmax")])
>>> model.compile("adam", "sparse_categorical_crossentropy")
>>> monitor = BatchNormMonitor(probe_data=(x, y), verbose=0)
>>> _ = model.fit(x, y, epochs=1, verbose=0, callbacks=[monitor])
>>> isinstance(monitor.gaps, list)
True
"""

from __future__ import annotations

import contextlib

import keras
import numpy as np

from callbacks._base import MonitorBase, check_positive, checked_epoch
from callbacks._gradient_fn import first_output
from callbacks._probe import make_probe
from callbacks.heads import chance_accuracy
from callbacks.layers import walk_layers


@contextlib.contextmanager
def _own_random_state():
    """On PyTorch an unseeded Dropout draws on torch's global generator, which
    the run shares: fork it, so the training-mode pass changes nothing."""
    if keras.backend.backend() != "torch":
        yield
        return
    import torch

    with torch.random.fork_rng():
        yield


def _rows(x):
    return len(keras.tree.flatten(x)[0])


class BatchNormMonitor(MonitorBase):
    """Compares the model's outputs in training mode and in inference mode.

    In training mode BatchNormalization normalizes with the batch's own
    statistics; in inference mode (evaluation, prediction, validation) with
    moving averages that move by `1 - momentum` per step. With few steps per
    epoch and the default momentum 0.99 those averages lag for several epochs:
    validation accuracy sits at chance while training accuracy is high, and
    ReLUs look dead in inference mode only. That is neither overfitting nor
    dead units, and this check says so.

    On probe samples of the training data (the same samples in both modes),
    after epochs 0, 1, 3, 7, 15, ... and at the end of training: the accuracy
    in training mode minus the accuracy in inference mode (with labels and a
    classifier), else the relative difference of the outputs. A gap above
    `threshold` while training mode does well is `batchnorm_statistics`
    (warning). Both passes use `stateless_call`: the moving statistics, the
    dropout seeds and every other variable are left as they were.

    Args:
        probe_data: An `(x, y)` tuple (or inputs) to compare on, or `None` to
            sample the training data of `fit`. Defaults to `None`.
        probe_size: Most probe samples used. Defaults to `256`.
        threshold: Gap that counts (accuracy points, or relative output
            difference without labels). Defaults to `0.25`.
        verbose: 0, 1 or 2. Defaults to `1`.
        stop_on: `None`, `"error"` or `"warning"`. Defaults to `None`.

    Raises:
        ValueError: If `threshold` is not in (0, 1).
    """

    def __init__(
        self, probe_data=None, probe_size=256, threshold=0.25, verbose=1, stop_on=None
    ):
        super().__init__(verbose=verbose, stop_on=stop_on)
        check_positive("probe_size", probe_size, integer=True)
        check_positive("threshold", threshold, below=1, what="a gap")
        self.probe_data = probe_data
        self.probe_size = probe_size
        self.threshold = threshold

    def get_config(self):
        config = super().get_config()
        config.update(
            probe_data=self.probe_data,
            probe_size=self.probe_size,
            threshold=self.threshold,
        )
        return config

    def reset(self):
        super().reset()
        self.gaps = []  # (epoch, gap) per measurement
        self._x = self._y = self._probe = None
        self._last_epoch = None

    def on_train_begin(self, logs=None):
        self.reset()
        batchnorm = keras.layers.BatchNormalization
        if not any(isinstance(la, batchnorm) for la in walk_layers(self.model)):
            return
        if self._shared_probe is not None:
            probe = self._shared_probe[0]
        else:
            probe, _ = make_probe(
                self.model, self.probe_data, self.probe_size, build=False
            )
        if probe is None or isinstance(probe.x, (list, tuple, dict)):
            return
        n = self.probe_size
        self._x = probe.x[:n]
        # In a Babysitter the probe is shared: its epoch's inference pass and
        # the gradient check's training-mode pass give both outputs.
        self._probe = probe if self._shared_probe is not None else None
        self._y = None if probe.y is None else np.asarray(probe.y)[:n]

    def on_epoch_end(self, epoch, logs=None):
        self._last_epoch = epoch
        if self._x is not None and checked_epoch(epoch):
            self._measure(epoch, shared=True)

    def on_train_end(self, logs=None):
        if self._x is None or self._last_epoch is None:
            return
        if not self.gaps or self.gaps[-1][0] != self._last_epoch:
            self._measure(self._last_epoch)
        self._x = self._y = None

    def _outputs(self, training):
        model = self.model
        trainable = [v.value for v in model.trainable_variables]
        fixed = [v.value for v in model.non_trainable_variables]
        with _own_random_state():
            out, _ = model.stateless_call(trainable, fixed, self._x, training=training)
        return first_output(out)

    def _both(self, epoch, shared):
        # The shared passes are this epoch's, before any callback's end of
        # training restores other weights: at the end, pass again.
        probe = self._probe if shared else None
        n = _rows(self._x)
        train = probe.train_output(epoch, n) if probe is not None else None
        infer = probe.inference_output(epoch, n) if probe is not None else None
        if train is None:
            train = self._outputs(True)
        if infer is None:
            infer = self._outputs(False)
        return train, infer

    def _accuracy(self, out):
        y = self._y.reshape(len(self._y), -1)
        if out.shape[-1] == 1:
            cut = 0.5 if out.min() >= 0 and out.max() <= 1 else 0.0
            return float(((out[:, 0] > cut) == (y[:, 0] > 0.5)).mean())
        ids = y.argmax(1) if y.shape[1] > 1 else y[:, 0].astype(int)
        return float((out.argmax(-1) == ids).mean())

    def _measure(self, epoch, shared=False):
        try:
            train, infer = self._both(epoch, shared)
        except (ValueError, TypeError, NotImplementedError, AttributeError):
            self._x = None  # a model stateless_call cannot run: stop trying
            return
        if not (np.isfinite(train).all() and np.isfinite(infer).all()):
            return  # a NaN network is LossWatch's finding
        chance = chance_accuracy(self.model)
        integer_like = self._y is not None and np.array_equal(
            self._y, np.round(self._y)
        )
        if integer_like and chance is not None and train.ndim == 2:
            acc_train, acc_infer = self._accuracy(train), self._accuracy(infer)
            gap = acc_train - acc_infer
            good = acc_train >= chance + 0.5 * (1 - chance)
            what = (
                f"on training samples the model is {acc_train:.0%} accurate in "
                f"training mode but {acc_infer:.0%} in inference mode"
            )
        else:
            scale = float(np.sqrt(np.mean(train**2))) or 1.0
            gap = float(np.sqrt(np.mean((train - infer) ** 2))) / scale
            good = True
            what = (
                f"on training samples the outputs in inference mode differ from "
                f"those in training mode by {gap:.0%}"
            )
        self.gaps.append((epoch, gap))
        if gap > self.threshold and good:
            self.find(
                "batchnorm_statistics",
                epoch,
                "warning",
                value=gap,
                threshold=self.threshold,
                message=f"BatchNormalization's moving statistics lag behind: "
                f"{what}. Validation and predictions use the lagging statistics, "
                "so they look worse than the network is (this is not "
                "overfitting, and units that look dead may be alive).",
                suggestion="Lower BatchNormalization's momentum (e.g. "
                "momentum=0.9) when an epoch has few steps, or train longer "
                "before judging the validation figures.",
            )

    @property
    def caught_up(self):
        """True when the last measurement shows no lag (or none was made)."""
        return not self.gaps or self.gaps[-1][1] <= self.threshold
