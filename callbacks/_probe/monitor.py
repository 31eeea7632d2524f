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
    On the other epochs its figures are NaN in the logs, so History and
    CSVLogger columns stay aligned.

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
        if self.probe is None or self._broken:
            return
        if checked_epoch(epoch, (self.params or {}).get("epochs")):
            self._run(epoch, logs)
        elif logs is not None:
            for key in self._keys:
                logs[key] = float("nan")

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
        if not finite or not all(np.isfinite(a).all() for a in acts):
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
        written = {} if logs is None else logs
        before = set(written)
        self.check(epoch, written, acts)
        if logs is not None and not self._keys:
            self._keys = [k for k in written if k not in before]

    def check(self, epoch, logs, acts):
        """Subclasses: inspect `acts` (one 2-D array per watched layer)."""
        raise NotImplementedError
