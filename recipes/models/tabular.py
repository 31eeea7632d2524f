"""Tables inside the model: a pandas DataFrame's columns, fitted on the training rows.

`TablePreprocessor` is fitted on the training rows of a DataFrame and turns
every column into numbers with Keras layers, so the saved model takes raw
rows: a numeric column is passed on with its missing values replaced by the
training median (`recipes>ImputeMissing`, plus a 0/1 missing-indicator
column when training had gaps); a string column (or one named in
`categorical`) is one-hot encoded by `keras.layers.StringLookup` over the
training values, unseen values going to an out-of-vocabulary slot. The model
behind it standardizes the numbers (`build_mlp`'s `Normalization`). An
ID-like column (every value a distinct string or integer) is dropped.

Example:

>>> import pandas as pd
>>> frame = pd.DataFrame({"age": [30.0, None, 50.0], "city": ["a", "b", "a"]})
>>> table = TablePreprocessor().fit(frame)
>>> table.encoded_names
['age', 'age (missing)', 'city=[unseen]', 'city=a', 'city=b']
"""

from __future__ import annotations

import re
import shlex

import keras
import numpy as np

from recipes.models._registry import LoadsWithRecipes

OOV = "[unseen]"


@keras.saving.register_keras_serializable(package="recipes")
class ImputeMissing(LoadsWithRecipes, keras.layers.Layer):
    """Replaces NaN by a fitted value per column; appends missing indicators.

    Args:
        fill: The value per column (the training median).
        indicators: Per column, whether to append a 0/1 "was missing" column.
    """

    def __init__(self, fill, indicators, **kwargs):
        super().__init__(**kwargs)
        self.fill = [float(v) for v in fill]
        self.indicators = [bool(v) for v in indicators]

    def call(self, x):
        x = keras.ops.cast(x, "float32")
        missing = keras.ops.isnan(x)
        fill = keras.ops.convert_to_tensor(np.asarray(self.fill, "float32"))
        filled = keras.ops.where(missing, fill, x)
        picks = [i for i, flag in enumerate(self.indicators) if flag]
        if not picks:
            return filled
        flags = keras.ops.take(keras.ops.cast(missing, "float32"), picks, axis=-1)
        return keras.ops.concatenate([filled, flags], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], len(self.fill) + sum(self.indicators))

    def get_config(self):
        return {
            **super().get_config(),
            "fill": self.fill,
            "indicators": self.indicators,
        }


@keras.saving.register_keras_serializable(package="recipes")
class TableSchema(LoadsWithRecipes, keras.layers.Layer):
    """An identity layer that carries the table's schema in the saved model.

    `recipes.load_model` reads it back: feature columns and their kinds, the
    target's name, the task and the class names.

    Args:
        schema: A JSON-ready dict.
    """

    def __init__(self, schema, **kwargs):
        super().__init__(**kwargs)
        self.schema = dict(schema)

    def call(self, x):
        return x

    def get_config(self):
        return {**super().get_config(), "schema": self.schema}


def input_key(column, taken):
    """A Keras-safe input name for a column (letters, digits, `_`), unique."""
    key = re.sub(r"\W+", "_", str(column)).strip("_") or "column"
    if key[0].isdigit():
        key = "c_" + key
    base, n = key, 1
    while key in taken:
        n += 1
        key = f"{base}_{n}"
    return key


def _is_text(series):
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    return not (is_numeric_dtype(series) or is_bool_dtype(series))


def id_like(series):
    """True for a column whose values are all distinct strings or integers."""
    values = series.dropna()
    if len(values) < 10 or len(values) < len(series) or not values.is_unique:
        return False
    if _is_text(series):
        return True
    numbers = np.asarray(values, "float64")
    return bool(np.all(numbers == np.round(numbers)))


class TablePreprocessor:
    """Turns a DataFrame's columns into a float matrix with Keras layers.

    Args:
        categorical: Columns to one-hot encode even if numeric (string columns
            always are). Defaults to `()`.
        id_column: A column that identifies rows: kept for the predictions,
            never a feature. Defaults to `None`.
        drop: Columns to leave out (kept in the schema as ignored).
            Defaults to `()`.
        drop_id_like: Drop other ID-like columns (all values distinct strings
            or integers) with an info finding. Defaults to `True`.

    `recipes.babysit(frame, y, table=TablePreprocessor(...))` takes an
    unfitted one for its options and fits a copy on the training rows.

    Example:

    >>> import pandas as pd
    >>> from recipes import TablePreprocessor
    >>> frame = pd.DataFrame({"size": [1.0, 2.0], "color": ["a", "b"]})
    >>> TablePreprocessor(drop=["size"]).fit(frame).feature_columns
    ['color']
    """

    def __init__(self, *, categorical=(), id_column=None, drop=(), drop_id_like=True):
        self.categorical = [str(c) for c in categorical or ()]
        self.drop = [str(c) for c in drop or ()]
        self.id_column = id_column
        self.drop_id_like = drop_id_like
        self.findings = []

    @property
    def fitted(self):
        """True once `fit` has run."""
        return hasattr(self, "ignored")

    def _finding(self, check, severity, message, suggestion="", value=None):
        from callbacks import Finding

        self.findings.append(
            Finding(
                check, severity, value=value, message=message, suggestion=suggestion
            )
        )

    def fit(self, frame):
        """Fits on the training rows; returns `self`."""
        frame = frame.copy()
        frame.columns = [str(c) for c in frame.columns]
        self.ignored = list(self.drop)
        if self.id_column is not None:
            self.ignored.append(str(self.id_column))
        used = frame.drop(columns=[c for c in self.ignored if c in frame.columns])
        problems = column_problems(used, categorical=self.categorical)
        if problems:
            raise ValueError(
                " ".join(problems) + f" Received: columns {list(frame.columns)}"
            )
        self.numeric, self.vocab, self.fill, self.flags = [], {}, [], []
        for col in frame.columns:
            s = frame[col]
            if col in self.ignored:
                continue
            if self.drop_id_like and col not in self.categorical and id_like(s):
                self.ignored.append(col)
                self.id_column = self.id_column or col
                self._finding(
                    "id_column_dropped",
                    "info",
                    f"Column {col!r} looks like an ID (all {len(s)} values are "
                    "distinct), so it is not used as a feature; it is kept to "
                    "label the predictions.",
                    "Pass --features to choose the columns yourself, or "
                    f"--drop {shlex.quote(col)}.",
                )
                continue
            if col in self.categorical or _is_text(s):
                values = sorted({str(v) for v in s.dropna()})
                self.vocab[col] = values
                continue
            numbers = np.asarray(s, "float64")
            missing = np.isnan(numbers)
            self.numeric.append(col)
            self.fill.append(float(np.nanmedian(numbers)))
            self.flags.append(bool(missing.any()))
            if missing.any():
                self._finding(
                    "missing_values_imputed",
                    "info",
                    f"Column {col!r} has {int(missing.sum())} missing values in "
                    "training; they are replaced by the training median "
                    f"{self.fill[-1]:.4g}, with a missing-indicator column.",
                    value=float(missing.mean()),
                )
            elif np.nanstd(numbers) == 0:
                self._finding(
                    "constant_column",
                    "info",
                    f"Column {col!r} has the same value in every training row, "
                    "so it carries no information.",
                    f"--drop {shlex.quote(col)}",
                )
        self.keys = {}
        for col in self.feature_columns:
            self.keys[col] = input_key(col, set(self.keys.values()))
        self.encoder = self._build_encoder()
        return self

    @property
    def feature_columns(self):
        return [*self.numeric, *self.vocab]

    @property
    def encoded_names(self):
        names = list(self.numeric)
        names += [f"{c} (missing)" for c, f in zip(self.numeric, self.flags) if f]
        for col, values in self.vocab.items():
            names += [f"{col}={v}" for v in [OOV, *values]]
        return names

    def _build_encoder(self):
        inputs, parts = {}, []
        if self.numeric:
            nums = []
            for col in self.numeric:
                key = self.keys[col]
                inputs[key] = keras.Input((1,), dtype="float32", name=key)
                nums.append(inputs[key])
            x = nums[0] if len(nums) == 1 else keras.layers.Concatenate()(nums)
            parts.append(ImputeMissing(self.fill, self.flags, name="impute")(x))
        for col, values in self.vocab.items():
            key = self.keys[col]
            inputs[key] = keras.Input((1,), dtype="string", name=key)
            lookup = keras.layers.StringLookup(
                vocabulary=values or [""],
                num_oov_indices=1,
                output_mode="one_hot",
                name=f"lookup_{key}",
            )
            parts.append(lookup(inputs[key]))
        out = parts[0] if len(parts) == 1 else keras.layers.Concatenate()(parts)
        return keras.Model(inputs, out, name="table")

    def columns(self, frame):
        """`{input key: array}` of the feature columns, raw, for the model."""
        out = {}
        for col in self.numeric:
            values = np.asarray(frame[col], "float64").astype("float32")
            out[self.keys[col]] = values.reshape(-1, 1)
        for col in self.vocab:
            s = frame[col]
            text = np.array(
                ["" if v is None or v != v else str(v) for v in s], dtype=object
            )
            out[self.keys[col]] = text.reshape(-1, 1)
        return out

    def transform(self, frame, batch_size=1024):
        """The float matrix of `frame`'s rows (what the network behind sees)."""
        cols = self.columns(frame)
        parts = []
        for start in range(0, len(frame), batch_size):
            batch = {k: v[start : start + batch_size] for k, v in cols.items()}
            parts.append(keras.ops.convert_to_numpy(self.encoder(batch)))
        width = len(self.encoded_names)
        return np.concatenate(parts) if parts else np.zeros((0, width), "float32")

    def schema(self, **extra):
        return {
            "features": self.feature_columns,
            "numeric": self.numeric,
            "categorical": {c: list(v) for c, v in self.vocab.items()},
            "input_keys": self.keys,
            "ignored": self.ignored,
            "id_column": self.id_column,
            **extra,
        }

    def wrap(self, network, **schema):
        """The whole model: raw columns -> this encoder -> `network` -> schema."""
        inputs = {
            k: keras.Input((1,), dtype=t.dtype, name=k)
            for k, t in self.encoder.input.items()
        }
        out = network(self.encoder(inputs))
        out = TableSchema(self.schema(**schema), name="schema")(out)
        return keras.Model(inputs, out, name=f"{network.name}_table")


def column_problems(frame, *, categorical=()):
    """Every problem of a table's feature columns, one sentence each."""
    problems = []
    for col in frame.columns:
        s = frame[col]
        flag = shlex.quote(str(col))
        where = f"Column {col!r}"
        if s.isna().all():
            problems.append(
                f"{where} is empty (every value is missing): --drop {flag}."
            )
            continue
        distinct = s.dropna().astype(str).nunique()
        if distinct < 2 and (col in categorical or _is_text(s)):
            problems.append(
                f"{where} has a single value ({s.dropna().iloc[0]!r}), so "
                f"it carries no information: --drop {flag}."
            )
            continue
        if _is_text(s) and col not in categorical:
            import pandas as pd

            numbers = pd.to_numeric(s.dropna(), errors="coerce")
            bad = s.dropna()[numbers.isna()]
            if 0 < len(bad) <= 0.1 * len(s.dropna()):
                problems.append(
                    f"{where} is numeric except {len(bad)} value(s) such as "
                    f"{str(bad.iloc[0])!r} (data row {bad.index[0] + 1}): fix or blank "
                    f"them, or pass --categorical {flag}."
                )
            elif distinct > 50 and distinct > 0.5 * len(s) and not id_like(s):
                problems.append(
                    f"{where} looks like free text ({distinct} distinct values "
                    f"in {len(s)} rows): --drop {flag}, or --categorical {flag}."
                )
    return problems
