"""`LossWatch`: NaN, diverging, stalled and oscillating training loss.

Example:

>>> from callbacks import LossWatch
>>> watch = LossWatch(verbose=0)
>>> watch.on_train_begin()
>>> for epoch, loss in enumerate([2.30, 2.30, 2.30]):
...     watch.on_epoch_end(epoch, {"loss": loss})
>>> watch.findings[0].check
'stalled_loss'
"""

from __future__ import annotations

import math

import keras
import numpy as np

from callbacks._base import MonitorBase, check_positive
from callbacks._logs import (
    accuracy_key,
    computes_in_float16,
    learning_rate,
    loss_scale,
    stall_fix,
)
from callbacks._state import Reader, all_finite, raw_model
from callbacks.heads import chance_loss

_LOWER_LR = "Lower the learning rate (try 3-10x smaller)"
_CHUNKS = 8


class LossWatch(MonitorBase):
    """Reads the epoch training loss the way the lecture says to babysit it.

    - `nan_loss` (error): the loss or a weight is NaN/inf. Checked first.
    - `float16_overflow` (warning): under `mixed_float16`, the
      `LossScaleOptimizer`'s loss scale fell below 1: nearly every step's
      gradients overflowed float16 and the step was skipped.
    - `diverging_loss` (error): the loss climbs above 1.5x its best value,
      undoing over half of the progress since the first epoch, or above 3x
      the priors' loss (10x in the first epoch): the learning rate is too
      high.
    - `stalled_loss` (warning): after three epochs the loss has made almost no
      progress (under 5 %) from where it started (the first epoch's loss, or
      the priors' loss when higher), or it has sat at the priors' loss for
      three epochs: learning rate too low, bad initialization, a wrong head
      or a dead network. A plateau after real progress is not a stall, and a
      run that already converged (training accuracy >= 0.99) never stalls.
    - `oscillating_loss` (warning): within an epoch, the mean loss of 8
      stretches of batches (read from the running loss at 7 batches, no
      per-batch work) jumps up and down by over 20 % of a still-high level;
      or over the last 4-5 epochs the loss changes direction twice with
      swings larger than a quarter of all progress.

    Args:
        min_delta: Progress (relative loss decrease from where the run
            started) below which the run is stalled after three epochs.
            Defaults to `0.05`.
        verbose: 0, 1 or 2. Defaults to `1`.
        stop_on: `None`, `"error"` or `"warning"`. Defaults to `None`.

    Raises:
        ValueError: If `min_delta` is not in (0, 1).
    """

    def __init__(self, min_delta=0.05, verbose=1, stop_on=None):
        super().__init__(verbose=verbose, stop_on=stop_on)
        check_positive("min_delta", min_delta, below=1, what="a relative change")
        self.min_delta = min_delta
        # The loss of predicting the labels' frequencies, or None (unknown:
        # `prior` falls back to ln(C)). A `Babysitter` sets it from the
        # labels of its probe.
        self.prior_loss = None

    def get_config(self):
        config = super().get_config()
        config.update(min_delta=self.min_delta)
        return config

    def reset(self):
        super().reset()
        self.losses = []
        self.rates = []
        self.nan = False
        self._penalty_begin = 0.0
        self._marks = []
        self._points = []
        self._start = None

    # ---- within-epoch loss: the running mean read at a few batches ---------
    def _tracker(self):
        for metric in getattr(raw_model(self), "metrics", None) or []:
            if metric.name == "loss":
                return metric
        return None

    def on_epoch_begin(self, epoch, logs=None):
        self._penalty_begin = self._penalty()
        self.rates.append(learning_rate(self.model))
        steps = (self.params or {}).get("steps") or 0
        self._marks = [(0, 0.0)]
        self._points = []
        tracker = self._tracker()
        if steps >= 4 * _CHUNKS and tracker is not None:
            picks = np.linspace(0, steps, _CHUNKS + 1)[1:-1]
            self._points = sorted({int(p) for p in picks})
            self._reader = Reader(raw_model(self), tracker.variables)

    def on_train_batch_begin(self, batch, logs=None):
        if self._points and batch >= self._points[0]:
            self._points = [p for p in self._points if p > batch]
            # A copy of the running mean's state, read at the end of the epoch
            # (no JAX state sync, no wait for the step in flight).
            self._marks.append((batch, self._reader.snapshot()))

    def _mean(self, values):
        tracker = self._tracker()
        if [v.name for v in tracker.variables] == ["total", "count"]:
            total, count = (float(keras.ops.convert_to_numpy(v)) for v in values)
            return total / count if count else 0.0
        return float(keras.ops.convert_to_numpy(tracker.stateless_result(values)))

    def _chunks(self, loss):
        # Mean loss of each chunk of batches, from the running epoch mean.
        steps = (self.params or {}).get("steps") or 0
        marks = self._marks
        if len(marks) < 4 or not steps:
            return None
        marks = [(b, m if isinstance(m, float) else self._mean(m)) for b, m in marks]
        marks += [(steps, loss)]
        return [
            (b2 * m2 - b1 * m1) / (b2 - b1)
            for (b1, m1), (b2, m2) in zip(marks[:-1], marks[1:])
            if b2 > b1
        ]

    def _weights_finite(self):
        if self.model is None:
            return True
        return all_finite(self.model.trainable_weights)  # once per epoch

    def _penalty(self):
        """The model's regularization losses now (once per epoch), or 0."""
        losses = getattr(self.model, "losses", None) if self.model else None
        if not losses:
            return 0.0
        penalty = sum(float(keras.ops.convert_to_numpy(v)) for v in losses)
        return penalty if math.isfinite(penalty) else 0.0

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.nan or "loss" not in logs:
            return
        loss = float(logs["loss"])
        self._loss_scale(epoch)
        weights_finite = self._weights_finite()
        if not math.isfinite(loss) or not weights_finite:
            self.nan = True
            why = "the updates blew the weights up."
            if weights_finite and computes_in_float16(self.model):
                why = (
                    "every weight is finite, so a value of the mixed_float16 "
                    "pass overflowed float16 (above 65504)."
                )
            self.find(
                "nan_loss",
                epoch,
                "error",
                value=loss,
                message=f"The training loss or a weight became NaN/infinite: {why}",
                suggestion=f"{_LOWER_LR}, normalize the inputs, or clip "
                "gradients (`clipnorm=1.0`).",
            )
            return
        # Compare the data loss: the logged loss includes the regularization
        # penalty, which a wide net with a large L2 starts with at 10x ln(C).
        # The epoch's loss is a mean over its batches, so the penalty taken
        # off is the mean of the epoch's first and last (never below 0).
        penalty = 0.5 * (self._penalty_begin + self._penalty())
        loss = max(loss - penalty, 0.0)
        self.losses.append(loss)
        acc_key = accuracy_key(logs)
        converged = acc_key is not None and float(logs[acc_key]) >= 0.99
        chunks = self._chunks(loss)
        if chunks and self._start is None:
            self._start = chunks[0]
        self._diverging(epoch, loss)
        if not converged:
            self._stalled(epoch, loss)
            self._bouncing(epoch, chunks)
        self._oscillating(epoch)

    def _loss_scale(self, epoch):
        # Under mixed_float16 the LossScaleOptimizer halves its scale at every
        # step whose gradients overflow float16 (and skips the step): a scale
        # under 1 means most steps overflow, whatever the scale.
        scale = loss_scale(self.model) if self.model is not None else None
        if scale is None or scale >= 1.0:
            return
        start = self.model.optimizer.initial_scale
        self.find(
            "float16_overflow",
            epoch,
            "warning",
            value=scale,
            threshold=1.0,
            message=f"The loss scale fell from {start:g} to {scale:.2g}: the "
            "LossScaleOptimizer halves it and skips the step whenever the "
            "gradients overflow float16, so nearly every step was skipped.",
            suggestion="Keep the activations and the loss small (normalize the "
            "inputs and the targets, lower the learning rate), or train with "
            '`keras.mixed_precision.set_global_policy("mixed_bfloat16")`.',
        )

    def _bouncing(self, epoch, chunks):
        # Within one epoch: chunk losses jump up and down (tiny batches, high
        # momentum) while the loss level is still high.
        if not chunks or len(chunks) < 4:
            return
        chance = chance_loss(self.model) if self.model is not None else None
        level = float(np.mean(chunks))
        if level < 0.5 * (chance if chance is not None else self._start):
            return
        diffs = np.diff(chunks)
        turns = int(np.sum(np.sign(diffs[1:]) != np.sign(diffs[:-1])))
        rough = float(np.mean(np.abs(diffs))) / max(level, 1e-12)
        if turns >= len(diffs) / 2 and rough > 0.2:
            self.find(
                "oscillating_loss",
                epoch,
                "warning",
                value=rough,
                threshold=0.2,
                message=f"Within the epoch the loss jumps by {rough:.0%} of its "
                f"level from one stretch of batches to the next, around "
                f"{level:.3g}, instead of decreasing.",
                suggestion="Lower the learning rate or the momentum, or use a "
                "larger batch size (batches of a few samples are very noisy).",
            )

    def _diverging(self, epoch, loss):
        chance, chance_name = self.prior()
        best = min(self.losses[:-1]) if len(self.losses) > 1 else None
        # In the first epoch only a blow-up counts (10x): a first epoch may
        # start high (heavy dropout, a large init) without diverging.
        factor = 10.0 if len(self.losses) == 1 else 3.0
        rising = len(self.losses) == 1 or loss > self.losses[-2]
        if chance is not None and loss > factor * chance and rising:
            value, threshold = loss, factor * chance
            why = f"is {loss:.3g}, over {factor:.0f}x {chance_name}"
        elif (
            best is not None
            and loss > 1.5 * best
            # a rise that undoes a real part of the progress, not noise on a
            # loss already near zero
            and loss - best > 0.5 * (self.losses[0] - best)
        ):
            value, threshold = loss, 1.5 * best
            why = f"rose from its best {best:.3g} to {loss:.3g}"
        else:
            return
        self.find(
            "diverging_loss",
            epoch,
            "error",
            value=value,
            threshold=threshold,
            message=f"The training loss {why}: training is diverging.",
            suggestion=f"{_LOWER_LR}, or add gradient clipping (`clipnorm=1.0`).",
        )

    def prior(self):
        """The loss a run starts from when it predicts the label frequencies.

        Returns:
            `(loss, its name for messages)`: `prior_loss` when set, else ln(C)
            of a C-class cross-entropy (see `callbacks.heads.chance_loss`),
            else `(None, None)`.
        """
        if self.prior_loss is not None:
            return self.prior_loss, f"the priors' loss {self.prior_loss:.3g}"
        chance = chance_loss(self.model) if self.model is not None else None
        return (chance, f"ln(C) {chance:.3g}") if chance is not None else (None, None)

    def _stalled(self, epoch, loss):
        if len(self.losses) < 3:
            return
        prior, prior_name = self.prior()
        start = max(self.losses[0], prior or 0.0)
        progress = (start - min(self.losses)) / max(abs(start), 1e-12)
        at_prior = prior is not None and all(
            0.97 * prior <= v <= 1.5 * prior for v in self.losses[-3:]
        )
        if progress >= self.min_delta and not at_prior:
            return
        why = (
            f"has stayed at {prior_name} (predicting the class "
            "frequencies) for three epochs"
            if at_prior
            else f"fell only {max(progress, 0.0):.1%} in {len(self.losses)} epochs "
            f"(from {start:.3g})"
        )
        self.find(
            "stalled_loss",
            epoch,
            "warning",
            value=loss,
            threshold=0.97 * prior if at_prior else self.min_delta,
            message=f"The training loss {why}: the network is not learning.",
            suggestion=stall_fix(self.model, self.rates),
        )

    def _oscillating(self, epoch):
        window = self.losses[-5:]
        if len(window) < 4:
            return
        diffs = np.diff(window)
        turns = int(np.sum(np.sign(diffs[1:]) != np.sign(diffs[:-1])))
        swing = float(np.mean(np.abs(diffs)))
        progress = self.losses[0] - min(self.losses)
        if turns >= 2 and swing > 0.05 * np.mean(window) and swing > 0.25 * progress:
            self.find(
                "oscillating_loss",
                epoch,
                "warning",
                value=swing,
                threshold=0.25 * progress,
                message=f"The training loss goes up and down by {swing:.3g} from "
                "epoch to epoch instead of decreasing.",
                suggestion="Lower the learning rate or the momentum, or use a "
                "larger batch size (batches of a few samples are very noisy).",
            )
