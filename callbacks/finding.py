"""The one vocabulary every check speaks: a `Finding`, and its severities.

`SEVERITIES` is the one order of the severities, from the mildest; sort with
`severity_rank` or `worst_first`.

Example:

>>> from callbacks.finding import Finding, worst_first
>>> found = [Finding("a", "info"), Finding("b", "error"), Finding("c", "warning")]
>>> [f.check for f in worst_first(found)]
['b', 'c', 'a']
"""

from __future__ import annotations

import dataclasses
import math

SEVERITIES = ("info", "warning", "error")  # from the mildest to the worst


def severity_rank(severity):
    """How severe `severity` is: 0 for `"info"`, 1 `"warning"`, 2 `"error"`.

    Raises:
        ValueError: If `severity` is not one of `SEVERITIES`.
    """
    if severity not in SEVERITIES:
        raise ValueError(
            f"`severity` must be one of {SEVERITIES}. Received: severity={severity!r}"
        )
    return SEVERITIES.index(severity)


def worst_first(items, key=None):
    """`items` sorted by severity, errors first (a stable sort: items of one
    severity keep their order).

    Args:
        items: `Finding`s, or other items with `key`.
        key: Maps an item to its `Finding` (e.g. `lambda pair: pair[1]` for
            `(stage, finding)` pairs), or `None` for findings. Defaults to
            `None`.

    Returns:
        A new list.
    """
    key = key or (lambda finding: finding)
    return sorted(items, key=lambda item: -severity_rank(key(item).severity))


@dataclasses.dataclass(frozen=True)
class Finding:
    """One thing a check noticed about a model, its data or its training run.

    Checks and callbacks produce Findings; reports and the command line print
    them. A Finding is immutable and converts to a plain dict (`to_dict`) for
    JSON.

    Args:
        check: Fixed snake_case name of the check, e.g. `"dead_units"`.
        severity: One of `"info"`, `"warning"`, `"error"`.
        epoch: 0-based epoch the finding refers to (the index Keras passes
            to `on_epoch_end`), or `None` (before training). What is written
            for people and files (`str`, `to_dict`) counts from 1, as Keras'
            progress bar does: `epoch=0` prints as "epoch 1".
        layer: Name of the layer concerned, or `None` for the whole model.
        value: The measured figure (a float), or `None`.
        threshold: The figure `value` was compared with, or `None`.
        message: What is wrong, in words a person understands.
        suggestion: A concrete way to fix it.

    Example:

    >>> f = Finding("dead_units", "warning", epoch=2, layer="dense_1",
    ...             value=0.6, threshold=0.5,
    ...             message="60% of the units of dense_1 never activate.",
    ...             suggestion="Lower the learning rate or use LeakyReLU.")
    >>> f.severity
    'warning'
    """

    check: str
    severity: str
    epoch: int | None = None
    layer: str | None = None
    value: float | None = None
    threshold: float | None = None
    message: str = ""
    suggestion: str = ""

    def __post_init__(self):
        if self.severity not in SEVERITIES:
            raise ValueError(
                f"`severity` must be one of {SEVERITIES}. "
                f"Received: severity={self.severity!r}"
            )
        if not isinstance(self.check, str) or not self.check:
            raise ValueError(
                "`check` must be a non-empty string naming the check. "
                f"Received: check={self.check!r}"
            )

    def to_dict(self):
        """Returns the finding as a JSON-ready dict (NaN/inf become strings).

        `"epoch"` counts from 1 (the epoch Keras' progress bar shows), like
        `str(finding)`, the report and the figures.
        """
        out = dataclasses.asdict(self)
        if self.epoch is not None:
            out["epoch"] = int(self.epoch) + 1
        for key in ("value", "threshold"):
            v = out[key]
            if v is not None:
                v = float(v)
                out[key] = v if math.isfinite(v) else str(v)
        return out

    def __str__(self):
        where = []
        if self.epoch is not None:
            where.append(f"epoch {self.epoch + 1}")
        if self.layer is not None:
            where.append(self.layer)
        loc = f" ({', '.join(where)})" if where else ""
        text = f"[{self.severity}] {self.check}{loc}: {self.message}"
        if self.suggestion:
            text += f" Fix: {self.suggestion}"
        return text
