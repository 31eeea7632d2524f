"""Search spaces for `RecipeHyperModel` and `tune`: defaults, checks, narrowing.

A search space maps a hyperparameter name to a spec:

- a tuple `(low, high)` or `(low, high, "log" | "linear")`: a range (an
  integer range when both bounds are integers and the name is an integer
  one, such as `units`, `depth`, `filters`);
- a list: a choice among its values;
- a scalar (number, string, bool): a fixed value;
- `None`: drop it, so the builder's own default is used.

Internally every spec becomes a `Spec`. Narrowing a space between stages and
finding values at a range's edge live in `_narrowing`. This module never
imports KerasTuner.
"""

from __future__ import annotations

import dataclasses
import math

# name -> (kind, low, high, sampling) or ("choice", values)
_DEFAULTS = {
    "mlp": {
        "learning_rate": ("float", 1e-4, 1e-1, "log"),
        "l2": ("float", 1e-6, 1e-2, "log"),
        "dropout": ("float", 0.0, 0.7, "linear"),
        "units": ("int", 256, 1024, "log"),
        "depth": ("int", 1, 3, "linear"),
        "batch_size": ("choice", (32, 64, 128, 256)),
        "batch_norm": ("choice", (True, False)),
    },
    "cnn": {
        "learning_rate": ("float", 1e-4, 1e-1, "log"),
        "l2": ("float", 1e-6, 1e-2, "log"),
        "dropout": ("float", 0.0, 0.7, "linear"),
        "filters": ("int", 8, 64, "log"),
        "depth": ("int", 1, 3, "linear"),
        "batch_size": ("choice", (32, 64, 128, 256)),
    },
}
# Names that are not builder keywords: consumed by the hypermodel itself.
SPECIAL = {
    "mlp": ("units", "depth", "batch_size"),
    "cnn": ("filters", "depth", "batch_size"),
}
# Hard limits: (lowest allowed, highest allowed, is the high end exclusive).
LIMITS = {
    "learning_rate": (0.0, math.inf, True),
    "l2": (0.0, math.inf, False),
    "dropout": (0.0, 1.0, True),
    "units": (1, math.inf, False),
    "filters": (1, math.inf, False),
    "depth": (1, math.inf, False),
    "batch_size": (1, math.inf, False),
}
_INTEGER = ("units", "filters", "depth", "batch_size", "kernel_size")


@dataclasses.dataclass(frozen=True)
class Spec:
    """One hyperparameter: `kind` is 'float', 'int', 'choice' or 'fixed'."""

    name: str
    kind: str
    low: float | None = None
    high: float | None = None
    sampling: str = "linear"
    values: tuple = ()

    def to_user(self):
        """Returns the spec in the user-facing format (tuple/list/scalar)."""
        if self.kind == "fixed":
            return self.values[0]
        if self.kind == "choice":
            return list(self.values)
        return (self.low, self.high, self.sampling)

    def cast(self, value):
        """`value` as the spec's own type: KerasTuner stores a choice of
        booleans as the integers 1 and 0 (`bool` is an `int` subclass), so a
        `[True, False]` choice comes back from a trial as 1 or 0."""
        if (
            self.values
            and all(isinstance(v, bool) for v in self.values)
            and value in (0, 1)
        ):
            return bool(value)
        return value

    def nearest(self, value):
        """The legal value closest to `value` (in log terms for numbers), or
        None when no value of the spec is comparable with it."""
        if self.kind in ("fixed", "choice"):
            if value in self.values:
                return value
            options = [v for v in self.values if is_number(v)]
            if not is_number(value) or not options:
                return None
            return min(options, key=lambda v: _distance(v, value))
        if not is_number(value):
            return None
        clipped = min(max(value, self.low), self.high)
        return int(round(clipped)) if self.kind == "int" else float(clipped)


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _distance(a, b):
    return abs(math.log(a / b)) if a > 0 and b > 0 else abs(a - b)


def place(specs, values):
    """`values` moved into `specs`: each name the specs know, at its nearest
    legal value; names they lack, or values they cannot place, are left out."""
    out = {}
    for name, spec in specs.items():
        if values.get(name) is not None:
            placed = spec.nearest(values[name])
            if placed is not None:
                out[name] = placed
    return out


def _error(msg, name, spec):
    raise ValueError(f"{msg} Received: search_space[{name!r}]={spec!r}")


def _spec(name, spec, default):
    if isinstance(spec, Spec):
        return spec
    if isinstance(spec, list):
        if not spec:
            _error(
                f"The choice list for {name!r} is empty. Give at least one value, "
                "or None to drop the hyperparameter.",
                name,
                spec,
            )
        values = tuple(dict.fromkeys(spec))
        if len(values) == 1:
            return Spec(name, "fixed", values=values)
        return Spec(name, "choice", values=values)
    if isinstance(spec, tuple):
        if len(spec) not in (2, 3):
            _error(
                f"A range for {name!r} is (low, high) or (low, high, sampling).",
                name,
                spec,
            )
        low, high = spec[0], spec[1]
        if default is not None and default[0] in ("float", "int"):
            sampling = default[3]
        else:
            sampling = "linear"
        if len(spec) == 3:
            sampling = spec[2]
        if sampling not in ("linear", "log"):
            _error(f"Sampling must be 'linear' or 'log' for {name!r}.", name, spec)
        for b in (low, high):
            if isinstance(b, bool) or not isinstance(b, (int, float)):
                _error(f"Range bounds for {name!r} must be numbers.", name, spec)
            if not math.isfinite(b):
                _error(f"Range bounds for {name!r} must be finite.", name, spec)
        if low >= high:
            _error(
                f"The range for {name!r} is empty or inverted (low >= high). "
                "Pass (low, high) with low < high, or a single value to fix it.",
                name,
                spec,
            )
        if sampling == "log" and low <= 0:
            _error(
                f"A log range for {name!r} needs a positive lower bound. Use "
                "a small positive number such as 1e-6, or sampling='linear'.",
                name,
                spec,
            )
        is_int = name in _INTEGER or (
            isinstance(low, int) and isinstance(high, int) and default is None
        )
        if default is not None and default[0] == "float":
            is_int = False
        if is_int and not (float(low).is_integer() and float(high).is_integer()):
            _error(f"{name!r} takes integers; give integer bounds.", name, spec)
        kind = "int" if is_int else "float"
        cast = int if is_int else float
        return Spec(name, kind, cast(low), cast(high), sampling)
    if isinstance(spec, (int, float, str, bool)):
        return Spec(name, "fixed", values=(spec,))
    raise TypeError(
        f"Each search-space entry must be a (low, high[, sampling]) tuple, a "
        f"list of choices, a single value, or None. Received: "
        f"search_space[{name!r}] of type {type(spec).__name__}"
    )


def _check_limits(spec):
    if spec.name not in LIMITS:
        return
    lo_lim, hi_lim, exclusive = LIMITS[spec.name]
    if spec.kind in ("float", "int"):
        values = (spec.low, spec.high)
    else:
        values = spec.values
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            _error(f"{spec.name!r} takes numbers.", spec.name, spec.to_user())
        too_high = v >= hi_lim if exclusive else v > hi_lim
        too_low = v <= lo_lim if spec.name == "learning_rate" else v < lo_lim
        if too_low or too_high:
            _error(
                f"{spec.name!r} must lie in [{lo_lim}, {hi_lim}"
                f"{')' if exclusive else ']'}; {v} does not.",
                spec.name,
                spec.to_user(),
            )


def resolve(builder, search_space=None, allowed=()):
    """Merges `search_space` into the builder's defaults and checks it.

    Args:
        builder: `"mlp"` or `"cnn"`.
        search_space: Dict of overrides (see the module docstring), or None.
        allowed: Builder keyword names that may be tuned besides the defaults.

    Returns:
        A dict name -> `Spec`, in a stable order (defaults first).
    """
    defaults = _DEFAULTS[builder]
    if search_space is None:
        search_space = {}
    if not isinstance(search_space, dict):
        raise TypeError(
            "`search_space` must be a dict mapping hyperparameter names to "
            "(low, high) ranges, lists of choices, fixed values or None. "
            f"Received: search_space of type {type(search_space).__name__}"
        )
    merged = {n: d for n, d in defaults.items()}
    merged.update(search_space)
    out = {}
    for name, spec in merged.items():
        if name not in defaults and name not in allowed:
            raise ValueError(
                f"Unknown hyperparameter {name!r} for builder={builder!r}. Expected "
                f"one of {sorted(set(defaults) | set(allowed))}. "
                f"Received: search_space[{name!r}]={spec!r}"
            )
        if spec is None:
            continue
        if spec is defaults.get(name):
            d = spec
            if d[0] == "choice":
                s = Spec(name, "choice", values=d[1])
            else:
                s = Spec(name, d[0], d[1], d[2], d[3])
        else:
            s = _spec(name, spec, defaults.get(name))
        _check_limits(s)
        out[name] = s
    return out


def full_space(builder, specs):
    """A `search_space` dict that reproduces `specs` exactly (dropped -> None)."""
    out = {name: None for name in _DEFAULTS[builder]}
    out.update(specs)
    return out
