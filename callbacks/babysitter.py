"""`Babysitter`: one callback that runs every babysitting check.

Example:

>>> import os, tempfile
>>> import numpy as np, keras
>>> from callbacks import Babysitter
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=(256, 8)).astype("float32")
>>> y = (x[:, 0] > 0).astype("int32")
>>> model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, "relu"),
...                           keras.layers.Dense(2, activation="softmax")])
>>> model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
>>> log = os.path.join(tempfile.mkdtemp(), "log.csv")
>>> sitter = Babysitter(verbose=0)
>>> history = model.fit(x, y, epochs=2, validation_split=0.25, verbose=0,
...                     callbacks=[sitter, keras.callbacks.CSVLogger(log)])
>>> "dead_fraction" in history.history
True
>>> [f.check for f in sitter.findings if f.severity == "error"]
[]
"""

from __future__ import annotations

import callbacks._outcome as _outcome
from callbacks._base import MonitorBase, check_choice, check_names, check_positive
from callbacks._logs import accuracy_key, append_epoch
from callbacks._probe import make_probe
from callbacks.activation_stats import ActivationStats
from callbacks.batchnorm import BatchNormMonitor
from callbacks.dead_units import DeadUnitMonitor
from callbacks.diagnosis import diagnose
from callbacks.generalization import GeneralizationWatch
from callbacks.gradients import GradientMonitor
from callbacks.heads import chance_accuracy, head_findings
from callbacks.loss_watch import LossWatch
from callbacks.update_ratio import UpdateRatioMonitor

CHECKS = {
    "nan_loss": LossWatch,
    "diverging_loss": LossWatch,
    "stalled_loss": LossWatch,
    "oscillating_loss": LossWatch,
    "dead_units": DeadUnitMonitor,
    "saturated_units": ActivationStats,
    "activation_std": ActivationStats,
    "vanishing_gradients": GradientMonitor,
    "exploding_gradients": GradientMonitor,
    "update_ratio": UpdateRatioMonitor,
    "overfitting": GeneralizationWatch,
    "underfitting": GeneralizationWatch,
    "batchnorm_statistics": BatchNormMonitor,
    "float16_overflow": LossWatch,  # and the probe and gradient checks
    "output_activation": None,  # the Babysitter's own check, at train begin
}
_ALWAYS = (
    "nan_loss",
    "float16_overflow",
    "activation_checks_skipped",
    "gradient_checks_skipped",
)
_ORDER = (  # BatchNormMonitor after the passes it shares (probe, gradient)
    LossWatch,
    DeadUnitMonitor,
    ActivationStats,
    GradientMonitor,
    BatchNormMonitor,
    UpdateRatioMonitor,
    GeneralizationWatch,
)


class Babysitter(MonitorBase):
    """Watches a training run with every check and says how to fix it.

    Checks the output layer against the loss and the probe's labels at the
    start (`output_activation`), then runs `LossWatch` (NaN first),
    `DeadUnitMonitor`, `ActivationStats`, `GradientMonitor`,
    `BatchNormMonitor`, `UpdateRatioMonitor` and `GeneralizationWatch`,
    attached to it (`MonitorBase.attach`): they share one probe model (built
    once per `fit`, called directly) and report to it. It keeps every
    `Finding` in `findings`, in the order they were made, and grades them by
    the outcome: a symptom on a run that is learning well (`learning_well`)
    is info, and so, at the end, is a stall the run recovered from or an
    overfit that passed. Once the loss or weights are NaN only `LossWatch`
    and `GeneralizationWatch` go on (a NaN network is not a dead one).

    Every per-epoch figure is kept in `figures` (a dict of lists, one value
    per epoch, like `History.history`; NaN on the epochs a check skips: the
    probe and gradient checks run after epochs 0, 1, 3, 7, 15, ..., the probe
    checks after the last epoch too). The summary figures go into the epoch
    `logs` (`dead_fraction`, `saturated_fraction`, `gradient_ratio`,
    `update_ratio`, `generalization_gap`), so `History` records them; the
    per-layer ones (`dead_fraction/<layer>`, `saturated_fraction/<layer>`,
    `activation_std/<layer>`, `grad_rms/<layer>`, `update_ratio/<layer>`) too
    with `log_layers=True`, or by default when `fit(verbose=0)` prints no
    progress bar they would crowd. Put `Babysitter` BEFORE `CSVLogger`,
    `TensorBoard` or `EarlyStopping` in the callbacks list so they see the
    keys too.

    The Babysitter never changes the run: the loss and weights are
    bit-identical to the same seeded fit without it, whatever the input (the
    probe reads arrays without shuffling them, a state-free copy of a
    `tf.data.Dataset`, a `PyDataset` by index, never a Python generator).

    Args:
        probe_data: Inputs, or an `(x, y)` tuple (labels enable the gradient
            check), for the activation checks; `None` takes `probe_size`
            evenly spaced samples of the training data passed to `fit` (or of
            the validation data). Defaults to `None`.
        checks: `"all"` or a list of check names (see `CHECKS`). `nan_loss`
            always runs. Defaults to `"all"`.
        stop_on: `None`, `"error"` or `"warning"`: set
            `model.stop_training = True` at the first finding that severe.
            Defaults to `None`.
        verbose: 0 silent; 1 prints each error when found and the diagnosis
            once, at the end of training; 2 prints every finding when found.
            Defaults to `1`.
        probe_size: Most samples in the probe. Defaults to `1024`.
        update_samples: Batches per epoch on which update ratios are measured.
            Defaults to `2`.
        log_layers: `True` writes the per-layer figures into the epoch `logs`
            too (so `History`, `CSVLogger` and `TensorBoard` get them),
            `False` only the summary figures, `"auto"` the per-layer ones
            only when `fit(verbose=0)` shows no progress bar. Every figure is
            in `figures` either way. Defaults to `"auto"`.

    Raises:
        ValueError: If `checks` names an unknown check, or another argument
            is out of range.
        TypeError: If `checks` is neither `"all"` nor a list of strings.
    """

    def __init__(
        self,
        probe_data=None,
        checks="all",
        stop_on=None,
        verbose=1,
        probe_size=1024,
        update_samples=2,
        log_layers="auto",
    ):
        super().__init__(verbose=verbose, stop_on=stop_on)
        check_choice("log_layers", log_layers, (True, False, "auto"))
        checks = check_names(checks, CHECKS)
        check_positive("probe_size", probe_size, integer=True)
        check_positive("update_samples", update_samples, integer=True)
        self.probe_data = probe_data
        self.checks = checks
        self.probe_size = probe_size
        self.update_samples = update_samples
        self.log_layers = log_layers
        self.figures = {}
        self.monitors = []
        self._batch_monitors = []

    def get_config(self):
        config = super().get_config()
        config.update(
            probe_data=self.probe_data,
            checks=self.checks,
            probe_size=self.probe_size,
            update_samples=self.update_samples,
            log_layers=self.log_layers,
        )
        return config

    def _enabled(self):
        return set(CHECKS) if self.checks == "all" else set(self.checks)

    def emit(self, finding, key=None):
        if finding.check not in self._enabled() and finding.check not in _ALWAYS:
            return False
        if _outcome.dropped(finding, self.findings):
            return False
        well = self.learning_well()
        return super().emit(_outcome.graded(finding, self.findings, well), key=key)

    def _prints(self, finding):  # warnings: in the diagnosis, at the end
        return self.verbose == 2 or finding.severity == "error"

    def learning_well(self):
        """Whether the run is learning well so far (see `_outcome.learning_well`):
        a symptom found on such a run is graded info. False before epoch 1 ends."""
        watch = self._monitor(LossWatch)
        if watch is None:
            return False
        chance = self._majority or chance_accuracy(self.model)
        return _outcome.learning_well(
            watch.losses, watch.prior()[0], self._epochs, chance
        )

    def _monitor(self, cls):
        return next((m for m in self.monitors if isinstance(m, cls)), None)

    def diagnosis(self):
        """The verdict on this run: the warnings and errors found so far
        ranked into one root cause with one fix (see `callbacks.diagnose`).

        Returns:
            A `Diagnosis` with `cause`, `summary`, `suggestion` and
            `evidence`, or `None` when nothing is wrong.
        """
        return diagnose(self.findings)

    def _build_monitors(self):
        wanted = {CHECKS[c] for c in self._enabled()} - {None} | {LossWatch}
        return [
            cls(samples=self.update_samples, verbose=0)
            if cls is UpdateRatioMonitor
            else cls(verbose=0)
            for cls in _ORDER
            if cls in wanted
        ]

    def reset(self):
        super().reset()
        self.figures = {}

    def _layers_in_logs(self):
        if self.log_layers == "auto":
            return (self.params or {}).get("verbose", 1) == 0
        return self.log_layers

    def on_train_begin(self, logs=None):
        self.reset()
        self.monitors = self._build_monitors()
        probe = make_probe(self.model, self.probe_data, self.probe_size)
        for monitor in self.monitors:
            monitor.attach(self, probe)
            monitor.set_model(self.model)
            monitor.set_params(self.params)
        self._batch_monitors = [
            m for m in self.monitors if isinstance(m, (LossWatch, UpdateRatioMonitor))
        ]
        self._epochs, self._last_epoch = [], None
        y = None if probe[0] is None else probe[0].y
        y = y if _outcome.is_array(y) else None
        prior, self._majority = _outcome.label_facts(self.model, y)
        self._monitor(LossWatch).prior_loss = prior
        for monitor in self.monitors:
            monitor.on_train_begin(logs)
        if "output_activation" in self._enabled():
            for finding in head_findings(self.model, y):
                self.emit(finding)

    def _nan(self):
        return any(f.check == "nan_loss" for f in self.findings)

    def on_epoch_begin(self, epoch, logs=None):
        for monitor in self.monitors:
            monitor.on_epoch_begin(epoch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        for monitor in self._batch_monitors:
            monitor.on_train_batch_begin(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._epochs.append(_outcome.EpochFigures.of(logs or {}, accuracy_key))
        self._last_epoch = epoch
        if self._nan():
            self._batch_monitors = []  # a NaN network needs no more sampling
        logs = {} if logs is None else logs
        scratch = dict(logs)  # the monitors read logs and add their figures
        for monitor in self.monitors:
            if self._nan() and not isinstance(
                monitor, (LossWatch, GeneralizationWatch)
            ):
                continue
            monitor.on_epoch_end(epoch, scratch)
        append_epoch(self.figures, {k: v for k, v in scratch.items() if k not in logs})
        layers = self._layers_in_logs()
        for key, values in self.figures.items():
            if layers or "/" not in key:
                logs[key] = values[-1]

    def on_train_end(self, logs=None):
        self._ending = True  # findings from here on print on their own line
        for monitor in self.monitors:
            monitor.on_train_end(logs)
        self.findings = self._regraded()
        verdict = self.diagnosis()
        if self.verbose and verdict is not None:
            print(f"\nBabysitter: {verdict}")
        for monitor in self.monitors:  # drop the probe model and its arrays
            if hasattr(monitor, "probe"):
                monitor.probe = None

    def _regraded(self):
        """The findings graded by the run's outcome, at the end of training."""
        bn = self._monitor(BatchNormMonitor)
        gen = self._monitor(GeneralizationWatch)
        epochs = (self.params or {}).get("epochs")
        last = self._last_epoch
        return _outcome.regraded(
            self.findings,
            learning_well=self.learning_well(),
            caught_up=None if bn is None else bn.caught_up,
            overfitting_passed=(
                None if gen is None or not gen.history else not gen.still_overfitting()
            ),
            stopped=epochs is not None and last is not None and last + 1 < epochs,
        )
