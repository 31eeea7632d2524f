"""Base class of the monitors that look at activations on a probe (private).

Example:

>>> from callbacks import DeadUnitMonitor
>>> DeadUnitMonitor(verbose=0).probe_size
1024
"""

from __future__ import annotations

import numpy as np

from callbacks._base import MonitorBase, check_positive, checked_epoch, checks_left
from callbacks._probe.model import NOT_BUILT
from callbacks._probe.probe import make_probe


class ProbeMonitor(MonitorBase):
    """A monitor that runs a check on probe activations before training and
    after epochs 0, 1, 3, 7, 15, ... and the fit's last one (`checked_epoch`;
    an early-stopped fit's last epoch is checked at the end of training).
    Its figures (`keys`) are in the logs of every epoch, NaN on the epochs
    it does not check or cannot measure, so History, CSVLogger and
    TensorBoard keep every column.

    Under `mixed_float16` activations that leave float16's range (inf or
    NaN while the weights are finite) are `float16_overflow`, not a NaN
    network: the check goes on with the layers that stayed finite.

    Args:
        probe_data: Inputs (or an `(x, y)` tuple) to probe with, or `None` to
            take `probe_size` evenly spaced samples of the training data
            passed to `fit` (or of the validation data). Defaults to `None`.
        probe_size: Most samples in the probe. Defaults to `1024`.
        verbose: 0, 1 or 2, see `MonitorBase`. Defaults to `1`.
        stop_on: `None`, `"error"` or `"warning"`. Defaults to `None`.
    """

    def __init__(self, probe_data=None, probe_size=1024, verbose=1, stop_on=None):
        super().__init__(verbose=verbose, stop_on=stop_on)
        check_positive("probe_size", probe_size, integer=True)
        self.probe_data = probe_data
        self.probe_size = probe_size
        self.probe = None

    def get_config(self):
        config = super().get_config()
        config.update(probe_data=self.probe_data, probe_size=self.probe_size)
        return config

    def reset(self):
        super().reset()
        self.probe = None
        self._broken = False
        self._pending = False
        self._keys = []  # the figures the check writes to the logs
        self._last_epoch = self._checked = None

    def on_train_begin(self, logs=None):
        self.reset()
        if self._shared_probe is not None:
            self.probe, reason = self._shared_probe
        else:
            self.probe, reason = make_probe(
                self.model, self.probe_data, self.probe_size
            )
        if reason == NOT_BUILT:  # built by its first batch: watch from epoch 0
            self._pending = True
            return
        self._skip(reason)
        if reason is None:
            self._keys = self.keys()
            self._run(None, None)

    def _skip(self, reason):
        if reason is not None:
            self.probe = None
            self.find(
                "activation_checks_skipped",
                None,
                "warning" if "subclassed" in reason else "info",
                message=f"{type(self).__name__} skips its activation checks: "
                f"{reason}. The loss checks still run.",
                suggestion="Build the model with the Functional or Sequential "
                "API (or pass `probe_data`) to get activation checks.",
            )

    def on_epoch_end(self, epoch, logs=None):
        self._last_epoch = epoch
        if self._pending:
            self._pending = False
            reason = self.probe.build()
            self._skip(reason)
            if reason is None:
                self._keys = self.keys()
        if logs is not None:
            for key in self._keys:  # the same columns every epoch
                logs[key] = float("nan")
        if self.probe is None or self._broken:
            return
        if checked_epoch(epoch, (self.params or {}).get("epochs")):
            self._run(epoch, logs)

    def on_train_end(self, logs=None):
        # A fit stopped early (EarlyStopping): its last epoch is checked too.
        last = self._last_epoch
        if last is None or last == self._checked or self._broken:
            return
        if self.probe is not None and not self._pending:
            self._ending = True
            self._run(last, None)

    def _run(self, epoch, logs):
        self._checked = epoch
        epochs = (self.params or {}).get("epochs")
        left = None if epoch is None else checks_left(epoch, epochs)
        acts = self.probe.activations(epoch, left)
        finite = self.probe.weights_finite
        bad = [i for i, a in enumerate(acts) if not np.isfinite(a).all()]
        if finite and bad and all(self.probe.float16[i] for i in bad):
            self._float16_overflow(epoch, self.probe.layers[bad[0]][0])
        elif bad or not finite:
            self._broken = True
            self.find(
                "nan_loss",
                epoch,
                "error",
                message="The activations on the probe are NaN or infinite: the "
                "weights have blown up (this is not a dead network).",
                suggestion="Lower the learning rate (try 10x smaller), "
                "normalize the inputs, or clip gradients (`clipnorm=1.0`).",
            )
            return
        self.check(epoch, {} if logs is None else logs, acts)

    def _float16_overflow(self, epoch, name):
        self.find(
            "float16_overflow",
            epoch,
            "warning",
            layer=name,
            message=f"The activations of {name} overflow float16 (inf or NaN "
            "on the probe while every weight is finite): under mixed_float16 "
            "values above 65504 do not exist.",
            suggestion="Keep the activations small (normalize the inputs, He/"
            "Xavier initialization, BatchNormalization), or train with "
            '`keras.mixed_precision.set_global_policy("mixed_bfloat16")` '
            "(float32's range).",
        )

    def keys(self):
        """Subclasses: the figures `check` writes to the logs, given
        `self.probe.layers` (written as NaN on the epochs not measured)."""
        return []

    def check(self, epoch, logs, acts):
        """Subclasses: inspect `acts` (one 2-D float32 array per watched
        layer; a layer that overflowed float16 holds inf or NaN)."""
        raise NotImplementedError
