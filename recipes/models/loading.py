"""`load_model`: a saved recipe model with its table's schema; predictions on rows.

`keras.saving.load_model` finds the `recipes>...` layers (the table's
encoder, the PCA layer) once `import recipes` has run, before or after
`import keras`; this imports the modules that register them anyway.

Example:

>>> import recipes
>>> model = recipes.load_model("runs/mine/model.keras")  # doctest: +SKIP
>>> model.schema["features"]  # doctest: +SKIP
['age', 'city']
>>> recipes.predict_table(model, frame)  # doctest: +SKIP
"""

from __future__ import annotations

import os

import numpy as np


def load_model(path):
    """Loads a model saved by the recipe (safe mode), with its stored schema.

    Args:
        path: A `.keras` file, e.g. a run folder's `model.keras`.

    Returns:
        The `keras.Model`, with a `schema` attribute: for a model trained on
        a table, a dict with `features` (the columns it reads), `numeric`,
        `categorical` (column -> training values), `target`, `task`,
        `class_names`, `id_column` and `ignored` columns; otherwise `None`.

    Raises:
        ValueError: If `path` is not a readable `.keras` file.

    Example:

    >>> model = load_model("runs/mine/model.keras")  # doctest: +SKIP
    """
    import keras

    from recipes.models import data_loss, pca, tabular, target  # noqa: F401

    if not os.path.isfile(path) or not str(path).endswith(".keras"):
        raise ValueError(
            "`path` must be an existing .keras file (a run folder's "
            f"model.keras). Received: path={os.fspath(path)!r}"
        )
    try:
        model = keras.saving.load_model(path)
    except Exception as e:  # a zip that is not a Keras model, a bad config
        raise ValueError(
            f"{path} could not be loaded as a Keras model ({e}). "
            f"Received: path={os.fspath(path)!r}"
        ) from None
    try:
        model.schema = model.get_layer("schema").schema
    except ValueError:
        model.schema = None
    return model


def _check_columns(schema, frame):
    """Every mismatch between `frame` and the columns the model was fitted on."""
    import pandas as pd
    from pandas.api.types import is_numeric_dtype

    problems = []
    wanted = schema["features"]
    known = set(wanted) | set(schema.get("ignored") or ())
    known |= {schema.get("target"), schema.get("id_column")} - {None}
    missing = [c for c in wanted if c not in frame.columns]
    extra = [c for c in frame.columns if c not in known]
    if missing:
        problems.append(f"The table lacks the model's column(s) {missing}.")
    if extra:
        problems.append(
            f"The table has column(s) {extra} the model was not trained on "
            "(remove them)."
        )
    for col in schema["numeric"]:
        if col in frame.columns and not is_numeric_dtype(frame[col]):
            numbers = pd.to_numeric(frame[col].dropna(), errors="coerce")
            bad = frame[col].dropna()[numbers.isna()]
            if len(bad):
                problems.append(
                    f"Column {col!r} was numeric in training but holds text "
                    f"here (e.g. {str(bad.iloc[0])!r}): fix those values."
                )
    if problems:
        raise ValueError(
            " ".join(problems)
            + f" The model reads {wanted}. Received: columns {list(frame.columns)}"
        )


def predict_table(model, frame, *, batch_size=256):
    """Predictions of a table model on a DataFrame of raw rows.

    Args:
        model: A model from `load_model` with a table schema.
        frame: A pandas DataFrame with the model's feature columns (the
            target, ID and dropped columns may be there too).
        batch_size: Rows per batch. Defaults to `256`.

    Returns:
        A DataFrame: the ID column (if the model has one and `frame` holds
        it), then `predicted_<target>`, and for classification one
        `probability_<class>` column per class.

    Raises:
        ValueError: If the columns do not match the model's, or a numeric
            column holds text.
    """
    import pandas as pd

    schema = getattr(model, "schema", None)
    if not schema:
        raise ValueError(
            "This model has no table schema (it was trained on arrays); call "
            "model.predict on arrays instead. Received: a model without schema"
        )
    frame = frame.copy()
    frame.columns = [str(c) for c in frame.columns]
    _check_columns(schema, frame)
    for col in schema["numeric"]:
        frame[col] = pd.to_numeric(frame[col], errors="coerce")
    keys = schema["input_keys"]
    cols = {}
    for col in schema["features"]:
        if col in schema["numeric"]:
            values = np.asarray(frame[col], "float64").astype("float32")
        else:
            values = np.array(
                ["" if v is None or v != v else str(v) for v in frame[col]],
                dtype=object,
            )
        cols[keys[col]] = values.reshape(-1, 1)
    parts = []
    for start in range(0, len(frame), batch_size):
        batch = {k: v[start : start + batch_size] for k, v in cols.items()}
        parts.append(np.asarray(model(batch, training=False)))
    pred = np.concatenate(parts) if parts else np.zeros((0, 1))
    out = pd.DataFrame()
    id_col = schema.get("id_column")
    if id_col and id_col in frame.columns:
        out[id_col] = frame[id_col].to_numpy()
    name = schema.get("target") or "target"
    if schema.get("task") == "classification":
        classes = schema["class_names"]
        out[f"predicted_{name}"] = [classes[i] for i in pred.argmax(1)]
        for i, c in enumerate(classes):
            out[f"probability_{c}"] = pred[:, i]
    else:
        out[f"predicted_{name}"] = pred.reshape(len(frame), -1)[:, 0]
    return out
