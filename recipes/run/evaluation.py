"""`evaluate`: the held-out numbers of a trained model, once.

Example:

>>> import recipes
>>> data = recipes.datasets.load("iris")
>>> model = recipes.build_mlp(data.input_shape, data.num_classes,
...                           x_train=data.x_train, y_train=data.y_train)
>>> metrics = recipes.evaluate(model, data.x_test, data.y_test)
>>> sorted(metrics)[:3]
['accuracy', 'class_names', 'confusion_matrix']
"""

from __future__ import annotations

import numpy as np

from callbacks.heads import loss_kind
from recipes import _validate

TASKS = ("auto", "classification", "binary", "regression")


def _infer_task(model, probs, y):
    units = probs.shape[-1] if probs.ndim > 1 else 1
    kind, _ = loss_kind(getattr(model, "loss", None))
    if units == 1:
        return "binary" if kind in ("binary", "hinge") else "regression"
    if kind in ("sparse", "one_hot", "binary", "hinge"):
        return "classification"
    if kind == "regression":
        return "regression"
    y = np.asarray(y)
    ints = y.ndim == 1 and np.all(y == np.round(y)) and y.min() >= 0
    return "classification" if ints and y.max() < units else "regression"


def _loss(model, x, y, batch_size, out):
    """Sets `loss` (the data loss) and `penalty` (regularization) in `out`."""
    out["loss"] = None
    if getattr(model, "compiled", False) and getattr(model, "loss", None):
        logs = model.evaluate(x, y, batch_size=batch_size, verbose=0, return_dict=True)
        out["loss"] = float(logs.get("data_loss", logs["loss"]))
        if "data_loss" in logs:
            out["penalty"] = float(logs["loss"]) - out["loss"]


def _classification(y_true, y_pred, num_classes, class_names):
    from sklearn.metrics import (
        accuracy_score,
        confusion_matrix,
        precision_recall_fscore_support,
    )

    labels = list(range(num_classes))
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    per_class = [
        {
            "class": str(class_names[i]),
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
            "support": int(support[i]),
        }
        for i in labels
    ]
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(np.mean(f1)),
        "per_class": per_class,
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        "class_names": [str(c) for c in class_names],
    }


def evaluate(model, x, y, *, task="auto", class_names=None, batch_size=256):
    """Measures a trained model on held-out data, with scikit-learn.

    The recipe's last stage: the test split is used once, at the end, for the
    number you report. For classification: the loss, accuracy, macro F1,
    per-class precision/recall/F1/support and the confusion matrix (rows are
    true classes, columns predictions). For regression: the loss, MAE, RMSE
    and R². Everything in the result is a plain Python value, ready for
    `json.dump`.

    Args:
        model: A trained Keras model (compiled, for the loss).
        x: Inputs, shaped like the model's input (with the batch axis).
        y: Integer class ids (or one-hot rows) for classification, 0/1 for
            a single sigmoid output, real targets for regression.
        task: `"auto"` (from the model's output units and loss),
            `"classification"`, `"binary"` or `"regression"`. Defaults to
            `"auto"`.
        class_names: One name per class, for the per-class table. Defaults
            to `None` (`"0"`, `"1"`, ...).
        batch_size: Batch size of the predictions. Defaults to `256`.

    Returns:
        A dict with `task`, `num_examples`, `loss` (the data loss, without
        the regularization penalty when the model logs `data_loss`; None for
        an uncompiled model), `penalty` (the regularization part, if known)
        and either `accuracy`, `macro_f1`, `per_class`,
        `confusion_matrix`, `class_names`, or `mae`, `rmse`, `r2`.

    Raises:
        ValueError: If `x` and `y` do not match, the labels are out of range
            for the model's outputs, or `task` is unknown.
        TypeError: If `x` or `y` is not numeric.

    Example:

    >>> import numpy as np, keras
    >>> model = keras.Sequential([keras.Input((4,)),
    ...                           keras.layers.Dense(3, activation="softmax")])
    >>> model.compile("adam", "sparse_categorical_crossentropy")
    >>> x = np.random.default_rng(0).normal(size=(20, 4)).astype("float32")
    >>> y = np.arange(20) % 3
    >>> evaluate(model, x, y)["confusion_matrix"][0]  # doctest: +SKIP
    [3, 2, 2]
    """
    if task not in TASKS:
        raise ValueError(f"`task` must be one of {TASKS}. Received: task={task!r}")
    x = _validate.check_x(x, "x")
    probs = np.asarray(model.predict(x, batch_size=batch_size, verbose=0))
    y_arr = np.asarray(y)
    if task == "auto":
        task = _infer_task(model, probs, y_arr)
    units = probs.shape[-1] if probs.ndim > 1 else 1
    out = {"task": task, "num_examples": int(len(x))}
    if task == "regression":
        y_arr = _validate.check_labels(
            y, task=task, num_classes=units, name="y", length=len(x)
        )
        from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

        target = y_arr.reshape(len(x), -1)
        pred = probs.reshape(len(x), -1)
        _loss(model, x, y_arr, batch_size, out)
        out["mae"] = float(mean_absolute_error(target, pred))
        out["rmse"] = float(np.sqrt(mean_squared_error(target, pred)))
        out["r2"] = float(r2_score(target, pred)) if len(x) > 1 else float("nan")
        return out
    num_classes = 2 if task == "binary" else units
    one_hot = task == "classification" and y_arr.ndim == 2 and y_arr.shape[1] > 1
    y_arr = _validate.check_labels(
        y, task=task, num_classes=num_classes, one_hot=one_hot, length=len(x)
    )
    if task == "binary":
        flat = probs.reshape(len(x))
        cut = 0.5 if flat.min() >= 0 and flat.max() <= 1 else 0.0
        y_pred = (flat > cut).astype("int64")
    else:
        y_pred = probs.reshape(len(x), -1).argmax(axis=1)
    y_true = y_arr.argmax(axis=1) if one_hot else y_arr.astype("int64")
    if class_names is None:
        class_names = [str(i) for i in range(num_classes)]
    elif len(class_names) != num_classes:
        raise ValueError(
            f"`class_names` must have one name per class ({num_classes}). "
            f"Received: class_names={list(class_names)!r}"
        )
    _loss(model, x, y_arr, batch_size, out)
    out.update(_classification(y_true, y_pred, num_classes, class_names))
    return out
