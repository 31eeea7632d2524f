"""`preflight`: the recipe's sanity checks before the real training run."""

from __future__ import annotations

import dataclasses
import time

import keras

from callbacks import diagnose
from callbacks.finding import worst_first
from callbacks.heads import loss_kind
from recipes import _validate
from recipes.checks import data as data_checks
from recipes.checks import model as model_checks
from recipes.checks import rows as row_checks
from recipes.checks import training as training_checks
from recipes.checks.model import Context

CHECKS = {
    "data_nan": data_checks.data_nan,
    "label_range": data_checks.label_range,
    "output_activation": data_checks.output_activation,
    "constant_features": data_checks.constant_features,
    "unnormalized_input": data_checks.unnormalized_input,
    "class_imbalance": row_checks.class_imbalance,
    "train_test_overlap": row_checks.train_test_overlap,
    "held_out_scale": row_checks.held_out_scale,
    "initial_loss": data_checks.initial_loss,
    "regularization_loss": model_checks.regularization_loss,
    "overfit_small_subset": training_checks.overfit_small_subset,
    "input_independent_baseline": training_checks.input_independent_baseline,
}
_NEEDS_LOSS = ("initial_loss", "regularization_loss")
_NEEDS_TRAINING = ("overfit_small_subset", "input_independent_baseline")


@dataclasses.dataclass
class PreflightReport:
    """What the pre-flight checks found.

    Attributes:
        findings: `callbacks.Finding`s, errors first.
        checks: Dict of check name -> `"ok"`, `"found"` or `"skipped: why"`.
        seconds: Wall-clock time the checks took.

    Example:

    >>> report = recipes.preflight(model, x, y)  # doctest: +SKIP
    >>> report.passed, [f.check for f in report.errors]  # doctest: +SKIP
    (True, [])
    """

    findings: list
    checks: dict
    seconds: float = 0.0

    @property
    def passed(self):
        """True when no finding has severity `"error"`."""
        return not any(f.severity == "error" for f in self.findings)

    @property
    def errors(self):
        """The findings of severity `"error"`."""
        return [f for f in self.findings if f.severity == "error"]

    @property
    def diagnosis(self):
        """The verdict (`callbacks.Diagnosis`): one cause and one fix, or None."""
        return diagnose(self.findings)

    def to_dict(self):
        """The report as JSON-ready dict."""
        return {
            "passed": self.passed,
            "seconds": self.seconds,
            "checks": dict(self.checks),
            "diagnosis": None if self.diagnosis is None else self.diagnosis.to_dict(),
            "findings": [f.to_dict() for f in self.findings],
        }

    def to_markdown(self):
        """The report as a markdown section with one row per check."""
        lines = [
            "## Pre-flight checks",
            "",
            f"**{'passed' if self.passed else 'FAILED'}**: {len(self.errors)} "
            f"error(s), {len(self.findings)} finding(s), {self.seconds:.1f} s.",
            "",
        ]
        verdict = self.diagnosis
        if verdict is not None:
            lines += [
                f"**Diagnosis: {verdict.cause}.** {verdict.summary} "
                f"**Fix:** {verdict.suggestion}",
                "",
            ]
        lines += [
            "| check | status | finding | fix |",
            "|---|---|---|---|",
        ]
        for name, status in self.checks.items():
            found = [f for f in self.findings if f.check == name]
            if not found:
                lines.append(f"| {name} | {status} | | |")
            for f in found:
                msg, fix = (s.replace("|", "\\|") for s in (f.message, f.suggestion))
                lines.append(f"| {name} | {f.severity} | {msg} | {fix} |")
        return "\n".join(lines) + "\n"

    def table(self):
        """One row a finding: severity, check, epoch, layer, value, threshold,
        message, suggestion (`Finding.to_dict`). A pandas DataFrame when
        pandas is installed, else a list of dicts."""
        from callbacks.display import findings_frame

        return findings_frame(self.findings)

    def _repr_html_(self):
        """The verdict, then one row a check (Jupyter's display)."""
        from recipes.checks._display import preflight_html

        return preflight_html(self)

    def __str__(self):
        head = (
            f"Pre-flight: {'passed' if self.passed else 'FAILED'} "
            f"({len(self.errors)} error(s), {len(self.findings)} finding(s), "
            f"{len(self.checks)} checks, {self.seconds:.1f} s)"
        )
        verdict = self.diagnosis
        body = [f"  {verdict}"] if verdict is not None else []
        body += [f"  {f}" for f in self.findings]
        skipped = [f"  {n}: {s}" for n, s in self.checks.items() if s != "ok"]
        skipped = [s for s in skipped if "skipped" in s]
        return "\n".join([head, *body, *skipped])


def preflight(
    model,
    x,
    y,
    *,
    validation_data=None,
    test_data=None,
    checks="all",
    subset_size=20,
    overfit_steps=200,
    baseline_steps=60,
    learning_rate=None,
    seed=0,
    feature_names=None,
):
    """Runs the recipe's sanity checks before the real training run.

    CS231n's first babysitting steps, and Karpathy's "A Recipe for Training
    Neural Networks": look at the data, check the loss at initialization,
    check that regularization raises it, overfit a tiny subset, and compare
    with a model that cannot see its inputs. Each problem becomes a
    `callbacks.Finding` with a suggested fix.

    Your model is never changed: the checks run on a copy
    (`keras.models.clone_model` with your weights), so weights and optimizer
    state are the same afterwards. The two training checks take a few hundred
    compiled steps on small batches (a few seconds for an MLP on digits),
    with your own optimizer and learning rate, so they judge your setup; a
    check that cannot decide in that budget says so as info, not an error.

    Checks: `data_nan`, `label_range`, `output_activation`,
    `constant_features`, `unnormalized_input`, `class_imbalance`,
    `train_test_overlap`, `held_out_scale`, `initial_loss`, `regularization_loss`,
    `overfit_small_subset`, `input_independent_baseline`.

    Args:
        model: A compiled single-input, single-output `keras.Model`.
        x: Training inputs, shaped `(num_examples, *model_input_shape)`.
        y: Training labels or targets, as the compiled loss expects them.
        validation_data: `(x_val, y_val)`, for the overlap check and the
            baseline's held-out loss. Defaults to `None`.
        test_data: `(x_test, y_test)`, for the overlap check. Defaults to
            `None`.
        checks: `"all"` or a list of check names. Defaults to `"all"`.
        subset_size: Examples the model must memorize (also the batch size
            of the training checks). Defaults to `20`.
        overfit_steps: Most training steps to memorize them. Defaults to `200`.
        baseline_steps: Training steps for the real-vs-zeroed-inputs baseline.
            Defaults to `60`.
        learning_rate: Learning rate of the training checks, which use a
            fresh copy of the model's compiled optimizer (its class and
            settings); `None` keeps the compiled rate. Defaults to `None`.
        seed: Seed for the subsets and batch order. Defaults to `0`.
        feature_names: One name per input feature (a table's encoded
            columns), so findings name columns. Defaults to `None`.

    Returns:
        A `PreflightReport` with `.findings`, `.passed`, `.checks`, `str()`
        and `.to_markdown()`.

    Raises:
        ValueError: If the model is not compiled, the data is empty, `x` and
            `y` differ in length, their shapes do not fit the model, or a
            check name is unknown; all before any check runs.
        TypeError: If `model` is not a `keras.Model`.

    Example:

    >>> import recipes
    >>> data = recipes.datasets.load("digits")
    >>> model = recipes.build_mlp(data.input_shape, data.num_classes,
    ...                           x_train=data.x_train, y_train=data.y_train)
    >>> report = recipes.preflight(model, data.x_train, data.y_train,
    ...                            validation_data=data.validation_data)
    >>> report.passed
    True
    """
    names = [checks] if isinstance(checks, str) else list(checks)
    names = list(CHECKS) if names == ["all"] else names
    unknown = [n for n in names if n not in CHECKS]
    if unknown or not names:
        raise ValueError(
            f"Unknown check names {unknown}. Expected 'all' or a non-empty list "
            f"from {list(CHECKS)}. Received: checks={checks!r}"
        )
    start = time.perf_counter()
    ctx = Context(
        validate(model, x, y, validation_data, test_data),
        subset_size=subset_size,
        overfit_steps=overfit_steps,
        baseline_steps=baseline_steps,
        learning_rate=learning_rate,
        seed=seed,
    )
    ctx.feature_names = None if feature_names is None else list(feature_names)
    findings, status = [], {}
    for name in CHECKS:  # fixed order: later checks rely on earlier verdicts
        if name not in names and name not in ("data_nan", "label_range"):
            continue
        why = ctx.blocked if name in _NEEDS_LOSS + _NEEDS_TRAINING else None
        if name in _NEEDS_TRAINING and why is None:
            why = ctx.loss_blocked
        if why:
            status[name] = f"skipped: {why}"
            continue
        found = CHECKS[name](ctx)
        ctx.note(name, found)
        if name in names:
            findings += found
            status[name] = "found" if found else "ok"
    status = {n: status[n] for n in CHECKS if n in status}
    findings = worst_first(findings)
    return PreflightReport(findings, status, time.perf_counter() - start)


def _array(value, name):
    return _validate.as_numeric(value, name)


def validate(model, x, y, validation_data=None, test_data=None):
    """Checks the model and data fit together; returns a dict for `Context`.

    Raises ValueError/TypeError before anything is trained.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"`model` must be a keras.Model. Received: model={type(model).__name__}"
        )
    if not getattr(model, "compiled", False) or getattr(model, "loss", None) is None:
        raise ValueError(
            "The model is not compiled: the checks need its loss. Call "
            "model.compile(optimizer=..., loss=...) first. Received: an uncompiled "
            f"model {model.name!r}"
        )
    try:
        in_shape, out_shape = model.input_shape, model.output_shape
    except (AttributeError, ValueError):
        raise ValueError(
            "The model has no known input shape. Start it with keras.Input(shape) "
            f"or build it first. Received: model {model.name!r}"
        ) from None
    if isinstance(in_shape, list) or isinstance(out_shape, list):
        raise ValueError(
            "Only single-input, single-output models are supported. Received: "
            f"input_shape={in_shape}, output_shape={out_shape}"
        )
    x, y = _array(x, "x").astype("float32"), _array(y, "y")
    if len(x) == 0 or x.ndim < 2:
        raise ValueError(
            "`x` must be a non-empty array shaped (num_examples, ...). "
            f"Received: x.shape={x.shape}"
        )
    if len(y) != len(x):
        raise ValueError(
            f"`x` has {len(x)} examples but `y` has {len(y)} labels; they must "
            f"match one to one. Received: len(x)={len(x)}, len(y)={len(y)}"
        )
    want = tuple(in_shape[1:])
    if len(want) != x.ndim - 1 or any(
        w not in (None, g) for w, g in zip(want, x.shape[1:])
    ):
        raise ValueError(
            f"`x` examples are shaped {x.shape[1:]} but the model expects "
            f"{want}. Reshape the data or rebuild the model. "
            f"Received: x.shape={x.shape}"
        )
    kind, from_logits = loss_kind(model.loss)
    units = int(out_shape[-1])
    ok = {
        "sparse": y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1),
        "one_hot": y.ndim == 2 and y.shape[1] == units,
        "binary": y.ndim == 1 or (y.ndim == 2 and y.shape[1] == units),
        "regression": y.size // len(y) == units,
    }.get(kind, True)
    if not ok:
        hint = {
            "sparse": "one-hot labels need categorical_crossentropy (or y.argmax(1))",
            "one_hot": "class ids need sparse_categorical_crossentropy "
            "(or keras.utils.to_categorical)",
        }.get(kind, f"the model has {units} output(s)")
        raise ValueError(
            f"`y` is shaped {y.shape}, which does not fit the loss {model.loss!r} "
            f"and the model's {units} output(s): {hint}. Received: y.shape={y.shape}"
        )
    held_out = []
    for name, pair in (("validation", validation_data), ("test", test_data)):
        if pair is None:
            continue
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ValueError(
                f"`{name}_data` must be a tuple (x, y). Received: {name}_data of "
                f"type {type(pair).__name__}"
            )
        xo = _array(pair[0], f"{name}_data[0]").astype("float32")
        if xo.shape[1:] != x.shape[1:] or len(xo) != len(pair[1]) or not len(xo):
            raise ValueError(
                f"`{name}_data` must hold non-empty inputs shaped like `x` "
                f"{x.shape[1:]} and as many labels. Received: x shape {xo.shape}, "
                f"{len(pair[1])} labels"
            )
        held_out.append((name, xo, _array(pair[1], f"{name}_data[1]")))
    return dict(
        model=model,
        x=x,
        y=y,
        held_out=held_out,
        kind=kind,
        from_logits=from_logits,
        units=units,
    )
