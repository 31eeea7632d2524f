"""Shared machinery of the babysitting monitors (private).

Every monitor keeps its results on a public `findings` list, stores only its
arguments in `__init__`, resets its state in `on_train_begin` and survives
`copy.deepcopy` (KerasTuner deep-copies callbacks for every trial).

Example:

>>> from callbacks import LossWatch
>>> watch = LossWatch(verbose=0)
>>> watch.findings
[]
"""

from __future__ import annotations

import copy
import math

import keras

from callbacks.finding import Finding, severity_rank

_STOP_ON = (None, "error", "warning")


def check_choice(name, value, choices):
    """Raises a ValueError unless `value` is one of `choices`."""
    if value not in choices:
        raise ValueError(
            f"`{name}` must be one of {choices}. Pass one of those values. "
            f"Received: {name}={value!r}"
        )


def check_names(checks, known):
    """`checks` as a list, or `"all"`; raises unless every name is in `known`."""
    if checks == "all":
        return checks
    if isinstance(checks, str) or not all(isinstance(c, str) for c in checks):
        raise TypeError(
            "`checks` must be 'all' or a list of check names. "
            f"Received: checks={checks!r}"
        )
    unknown = sorted(set(checks) - set(known))
    if unknown:
        raise ValueError(
            f"Unknown check name(s) {unknown}. Expected names from "
            f"{sorted(known)}. Received: checks={checks!r}"
        )
    return list(checks)


def check_positive(name, value, integer=False, allow_zero=False, below=None, what=""):
    """Raises a TypeError/ValueError unless `value` is a positive number
    (and, with `below`, less than it; `what` says what the number is)."""
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds):
        kind = "an int" if integer else "a number"
        raise TypeError(f"`{name}` must be {kind}. Received: {name}={value!r}")
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise ValueError(
            f"`{name}` must be a finite number > 0. Pass a positive value. "
            f"Received: {name}={value!r}"
        )
    if below is not None and value >= below:
        raise ValueError(
            f"`{name}` is {what or 'a number'} in (0, {below:g}). "
            f"Received: {name}={value!r}"
        )


def checked_epoch(epoch, epochs=None):
    """Whether the rare checks run after `epoch` (counted from 0).

    After epochs 0, 1, 3, 7, 15, ... (epoch + 1 a power of two: problems
    show early, and a longer fit pays less per epoch) and, given the fit's
    `epochs`, after its last one (the probe checks pass it; the gradient
    and BatchNorm checks do not).
    """
    return not (epoch + 1) & epoch or (epochs is not None and epoch + 1 >= epochs)


def checks_left(epoch, epochs):
    """How many `checked_epoch`s come after `epoch`, or None without `epochs`."""
    if epochs is None:
        return None
    return sum(checked_epoch(e, epochs) for e in range(epoch + 1, epochs))


class MonitorBase(keras.callbacks.Callback):
    """Base class: findings bookkeeping, printing, stopping and deep copies.

    Args:
        verbose: 0 is silent, 1 prints each warning/error finding once,
            2 prints info findings too. Defaults to `1`.
        stop_on: `None`, `"error"` or `"warning"`: set `model.stop_training`
            at the first finding of that severity or worse. Defaults to `None`.
    """

    def __init__(self, verbose=1, stop_on=None):
        super().__init__()
        check_choice("verbose", verbose, (0, 1, 2))
        check_choice("stop_on", stop_on, _STOP_ON)
        self.verbose = verbose
        self.stop_on = stop_on
        self.findings = []
        self._parent = None
        self._shared_probe = None
        self._seen = set()
        self._ending = False

    # ---- configuration / copies -------------------------------------------
    def get_config(self):
        """Returns the constructor arguments (subclasses extend it)."""
        return {"verbose": self.verbose, "stop_on": self.stop_on}

    def __deepcopy__(self, memo):
        # A fresh callback with the same arguments: the attached model and the
        # probe model are never copied (KerasTuner deep-copies per trial).
        new = type(self)(**copy.deepcopy(self.get_config(), memo))
        new.findings = list(self.findings)
        return new

    # ---- a monitor run by a Babysitter ---------------------------------------
    def attach(self, parent, probe=None):
        """Lets `parent` (a `Babysitter`) run this monitor inside it.

        Call before `on_train_begin`, as Keras calls `set_model`. The
        monitor's findings then go to `parent.emit` (which grades, prints and
        stops) instead of being printed here, and a probe monitor uses
        `probe` instead of building its own.

        Args:
            parent: An object with an `emit(finding, key=None)` method (a
                finding on several layers comes with its `key`, see
                `find_layers`), or `None` to detach.
            probe: `(probe, reason)` as `make_probe` returns it, shared by
                the monitors of one `fit`, or `None`. Defaults to `None`.
        """
        self._parent = parent
        self._shared_probe = probe

    # ---- state --------------------------------------------------------------
    def reset(self):
        """Clears the findings (called by `on_train_begin`)."""
        self.findings = []
        self._seen = set()
        self._ending = False

    def on_train_begin(self, logs=None):
        self.reset()

    def emit(self, finding, key=None):
        """Records `finding` once per `key` and acts on it.

        `key` defaults to `(check, layer, severity)`: a layer's finding is
        made once a fit, unless it grows more severe (see `find_layers` for
        the key of a finding about several layers).
        """
        if key is None:
            key = (finding.check, finding.layer, finding.severity)
        if key in self._seen:
            return False
        self._seen.add(key)
        self.findings.append(finding)
        if self._parent is not None:
            if key == (finding.check, finding.layer, finding.severity):
                self._parent.emit(finding)
            else:
                self._parent.emit(finding, key=key)
            return True
        if self.verbose and self._prints(finding):
            # Like Keras' own callbacks: start on a new line when fit's
            # progress bar has an epoch line open (on_epoch_end runs before
            # the bar finishes the line).
            lead = "\n" if self._line_open(finding) else ""
            print(f"{lead}{type(self).__name__}: {finding}")
        if self.stop_on and severity_rank(finding.severity) >= severity_rank(
            self.stop_on
        ):
            if self.model is not None:
                self.model.stop_training = True
        return True

    def _prints(self, finding):
        """Whether `verbose` asks for `finding` to be printed when found."""
        return self.verbose == 2 or finding.severity != "info"

    def _line_open(self, finding):
        verbose = (self.params or {}).get("verbose", 0)
        return verbose in (1, "auto") and finding.epoch is not None and not self._ending

    def find(
        self,
        check,
        epoch,
        severity,
        layer=None,
        value=None,
        threshold=None,
        message="",
        suggestion="",
    ):
        """Builds a `Finding` and emits it."""
        return self.emit(
            Finding(
                check=check,
                severity=severity,
                epoch=epoch,
                layer=layer,
                value=None if value is None else float(value),
                threshold=None if threshold is None else float(threshold),
                message=message,
                suggestion=suggestion,
            )
        )

    def find_layers(
        self, check, epoch, severity, hits, *, message, threshold=None, suggestion=""
    ):
        """Emits one `Finding` for every layer a check flags at one epoch.

        A big model (a nested `keras.applications` base) can have dozens of
        layers with the same symptom: one finding per check and epoch, on
        its worst layer, says so once. It is made when a layer in `hits` was
        not yet reported at `severity`, as `emit` would make a finding per
        layer.

        Args:
            check: The check's name.
            epoch: The epoch (counted from 0), or `None` before training.
            severity: The severity of the finding.
            hits: `[(layer name, value)]`, worst first (a stable sort keeps
                the graph order among equals). The finding's `layer` and
                `value` are the first one's.
            message: What is wrong, in words (for one layer, as a finding
                on that layer reads; for several, how many and the worst).
            threshold: The figure the values were compared with, or `None`.
                Defaults to `None`.
            suggestion: A concrete way to fix it. Defaults to `""`.

        Returns:
            Whether a finding was made.
        """
        keys = [(check, name, severity) for name, _ in hits]
        if not hits or all(key in self._seen for key in keys):
            return False
        self._seen.update(keys[1:])
        finding = Finding(
            check=check,
            severity=severity,
            epoch=epoch,
            layer=hits[0][0],
            value=float(hits[0][1]),
            threshold=None if threshold is None else float(threshold),
            message=message,
            suggestion=suggestion,
        )
        if len(hits) == 1:
            return self.emit(finding)
        self._seen.add(keys[0])
        return self.emit(finding, key=(check, epoch, severity, tuple(keys)))


def worst_layers(hits, text, most=3):
    """`"a (95%), b (90%), c (88%)"`: the first `most` of `hits`
    (`[(layer, value)]`), each value written by `text(value)`."""
    return ", ".join(f"{name} ({text(value)})" for name, value in hits[:most])
