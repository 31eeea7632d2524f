"""The fixes a repair can try: typed changes of a compile, a fit, a model.

A fix is a small frozen dataclass (its parameters, e.g. the factor of a
learning-rate change) with one job each, written once:

- `applies(plan)`: whether it can change this program (a subclassed model
  takes compile-, fit- and data-level fixes only);
- `apply(plan)`: the new `Plan` (a clone of the architecture, a fresh
  compile configuration, the repair's own copy of the data; never the
  user's objects);
- `change(plan)`: what it does, as a `Change`: a sentence and the Keras code
  a user would write.

This module holds the base, the `Change`, and the compile- and fit-level
fixes; the model-level ones are in `_model_fixes`, the data-level ones in
`_data_fixes`.

Example:

>>> import keras
>>> from recipes.repair.fixes import LearningRate
>>> LearningRate(0.1).name
'learning_rate'
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from recipes.repair._plan import (
    learning_rate,
    optimizer,
    optimizer_code,
    with_optimizer,
)

LEVELS = ("compile", "fit", "model", "data")


@dataclasses.dataclass(frozen=True)
class Change:
    """One change a repair made, in words and as code.

    Attributes:
        fix: The fix's name, e.g. `"learning_rate"`.
        level: `"compile"`, `"fit"`, `"model"` or `"data"`.
        description: What changed, in one sentence.
        code: The Keras (or numpy) code a user would write for it.
        note: What else the user must do (a data change: apply it to the
            pipeline too), or `""`.
    """

    fix: str
    level: str
    description: str
    code: str
    note: str = ""

    def __str__(self):
        return self.description


@dataclasses.dataclass(frozen=True)
class Fix:
    """Base of the fixes: `applies`, `apply`, `change` (see the module)."""

    name: ClassVar[str] = "fix"
    level: ClassVar[str] = "compile"
    # whether it draws another validation split (the reference is re-scored)
    resplits: ClassVar[bool] = False

    def applies(self, plan):
        """Whether this fix can change `plan`'s program."""
        return not (plan.subclassed and self.level == "model") and self._applies(plan)

    def _applies(self, plan):
        raise NotImplementedError

    def apply(self, plan):
        """The new `Plan` with this fix made (`plan` is left as it is)."""
        raise NotImplementedError

    def change(self, plan):
        """The `Change` that `apply(plan)` makes."""
        raise NotImplementedError

    def combine(self, earlier):
        """One fix doing what `earlier` then `self` do, or `None` (a result
        lists a learning rate lowered twice as one change)."""
        return None

    def further(self):
        """The next step the same way, tried after this one is accepted
        (a learning rate lowered ten times, then ten times again), or
        `None` for a fix that is whole in one step."""
        return None


class LayerFix(Fix):
    """A fix that edits some layers: `_layers(plan)` chooses them and
    `_edited(layer)` gives each one's replacement; the model is rebuilt
    with them, every other layer as it was."""

    level: ClassVar[str] = "model"

    def _layers(self, plan):
        raise NotImplementedError

    def _edited(self, layer):
        raise NotImplementedError

    def _applies(self, plan):
        return bool(self._layers(plan))

    def apply(self, plan):
        from recipes.repair._edit import rebuild

        chosen = {id(layer) for layer in self._layers(plan)}

        def replace(layer):
            return self._edited(layer) if id(layer) in chosen else None

        return plan.replace(model=rebuild(plan.model, replace=replace))


class _OptimizerFix(Fix):
    """A fix that is a new optimizer: `target(plan)` gives its config."""

    def target(self, plan):
        raise NotImplementedError

    def apply(self, plan):
        return with_optimizer(plan, *self.target(plan))

    def _code(self, plan):
        return "optimizer=" + optimizer_code(*self.target(plan))


@dataclasses.dataclass(frozen=True)
class LearningRate(_OptimizerFix):
    """Multiplies the learning rate by `factor` (0.1: ten times lower)."""

    factor: float = 0.1
    name: ClassVar[str] = "learning_rate"

    def _applies(self, plan):
        return learning_rate(plan) is not None

    def combine(self, earlier):
        if isinstance(earlier, LearningRate):
            return LearningRate(earlier.factor * self.factor)
        return None

    def further(self):
        return self

    def target(self, plan):
        class_name, config = optimizer(plan)
        config["learning_rate"] = learning_rate(plan) * self.factor
        return class_name, config

    def change(self, plan):
        old = learning_rate(plan)
        how = (
            f"{1 / self.factor:.3g}x lower"
            if self.factor < 1
            else f"{self.factor:.3g}x higher"
        )
        return Change(
            self.name,
            self.level,
            f"Learning rate {old:.3g} -> {old * self.factor:.3g} ({how}).",
            self._code(plan),
        )


@dataclasses.dataclass(frozen=True)
class Optimizer(_OptimizerFix):
    """Another optimizer: `"Adam"` at `learning_rate`, or `"SGD"` with
    `momentum` at the program's own rate."""

    class_name: str = "Adam"
    learning_rate: float | None = 1e-3
    momentum: float | None = None
    name: ClassVar[str] = "optimizer"

    def _applies(self, plan):
        current, config = optimizer(plan)
        if current != self.class_name:
            return True
        return self.momentum is not None and config.get("momentum") != self.momentum

    def target(self, plan):
        current, config = optimizer(plan)
        rate = self.learning_rate or learning_rate(plan) or 0.01
        new = {"learning_rate": rate}
        for key in ("clipnorm", "global_clipnorm", "clipvalue"):
            if config.get(key) is not None:
                new[key] = config[key]
        if self.momentum is not None:
            new["momentum"] = self.momentum
        return self.class_name, new

    def change(self, plan):
        current = optimizer(plan)[0]
        what = optimizer_code(*self.target(plan)).removeprefix("keras.optimizers.")
        return Change(
            self.name,
            self.level,
            f"Optimizer {current} -> {what}.",
            self._code(plan),
        )


@dataclasses.dataclass(frozen=True)
class GradientClipping(_OptimizerFix):
    """Clips each gradient's norm at `clipnorm` in the optimizer."""

    clipnorm: float = 1.0
    name: ClassVar[str] = "gradient_clipping"

    def _applies(self, plan):
        config = optimizer(plan)[1]
        return all(config.get(k) is None for k in ("clipnorm", "global_clipnorm"))

    def target(self, plan):
        class_name, config = optimizer(plan)
        config["clipnorm"] = self.clipnorm
        return class_name, config

    def change(self, plan):
        return Change(
            self.name,
            self.level,
            f"Gradient clipping: each gradient's norm capped at {self.clipnorm:g}.",
            self._code(plan),
        )


@dataclasses.dataclass(frozen=True)
class BatchSize(Fix):
    """Trains with batches of `batch_size`."""

    batch_size: int = 32
    name: ClassVar[str] = "batch_size"
    level: ClassVar[str] = "fit"

    def _applies(self, plan):
        return (plan.batch_size or 32) != self.batch_size and self.batch_size < len(
            plan.x
        )

    def apply(self, plan):
        return plan.replace(batch_size=self.batch_size)

    def change(self, plan):
        return Change(
            self.name,
            self.level,
            f"Batch size {plan.batch_size or 32} -> {self.batch_size}.",
            f"model.fit(..., batch_size={self.batch_size})",
        )


@dataclasses.dataclass(frozen=True)
class MoreEpochs(Fix):
    """Trains `factor` times as many epochs."""

    factor: int = 2
    name: ClassVar[str] = "epochs"
    level: ClassVar[str] = "fit"

    def _applies(self, plan):
        return plan.early_stopping is None

    def apply(self, plan):
        return plan.replace(epochs=plan.epochs * self.factor)

    def change(self, plan):
        epochs = plan.epochs * self.factor
        return Change(
            self.name,
            self.level,
            f"Epochs {plan.epochs} -> {epochs}.",
            f"model.fit(..., epochs={epochs})",
        )


@dataclasses.dataclass(frozen=True)
class EarlyStopping(Fix):
    """Stops at the best validation loss and keeps that epoch's weights."""

    patience: int = 3
    name: ClassVar[str] = "early_stopping"
    level: ClassVar[str] = "fit"

    def _applies(self, plan):
        return plan.early_stopping is None and plan.epochs > self.patience + 1

    def apply(self, plan):
        return plan.replace(early_stopping=self.patience)

    def change(self, plan):
        return Change(
            self.name,
            self.level,
            "Early stopping on the validation loss, best weights restored "
            f"(patience {self.patience}).",
            "callbacks=[keras.callbacks.EarlyStopping(monitor='val_loss', "
            f"patience={self.patience}, restore_best_weights=True)]",
        )
