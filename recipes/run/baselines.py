"""`baselines`: what the network has to beat, on the same split.

Two baselines per run, from scikit-learn: a trivial one (the majority class,
or the mean of the target) and a linear model (`LogisticRegression` or
`RidgeCV`) on the same encoded, standardized features and the same training
split. A network that does not beat the trivial one has learned nothing; a
linear model that beats the network says the table wants a simpler model.

Example:

>>> from recipes.run.baselines import baselines  # called by recipes.babysit
"""

from __future__ import annotations

import numpy as np

from callbacks import Finding


def _scores(task, y_true, y_pred):
    from sklearn.metrics import (
        accuracy_score,
        f1_score,
        mean_absolute_error,
        mean_squared_error,
        r2_score,
    )

    if task == "classification":
        return {
            "accuracy": float(accuracy_score(y_true, y_pred)),
            "macro_f1": float(f1_score(y_true, y_pred, average="macro")),
        }
    return {
        "r2": float(r2_score(y_true, y_pred)),
        "rmse": float(np.sqrt(mean_squared_error(y_true, y_pred))),
        "mae": float(mean_absolute_error(y_true, y_pred)),
    }


def baselines(splits, *, seed=0):
    """The trivial and the linear baseline's test scores (`{}` without a test).

    Returns:
        `{"trivial": {"name", scores...}, "linear": {"name", scores...}}`,
        the scores being `accuracy`/`macro_f1` or `r2`/`rmse`/`mae`.
    """
    import warnings

    from sklearn.linear_model import LogisticRegression, RidgeCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if splits.x_test is None:
        return {}
    x = splits.x_train.reshape(len(splits.x_train), -1)
    xt = splits.x_test.reshape(len(splits.x_test), -1)
    y, yt = splits.y_train, splits.y_test
    task = splits.task
    if task == "classification":
        y, yt = y.astype("int64"), yt.astype("int64")
        majority = int(np.bincount(y).argmax())
        trivial = np.full(len(yt), majority)
        name = f"majority class ({splits.class_names[majority]})"
        linear = LogisticRegression(max_iter=2000, random_state=seed)
    else:
        y = y.reshape(len(y), -1)
        trivial = np.repeat(y.mean(0, keepdims=True), len(yt), 0)
        yt = yt.reshape(len(yt), -1)
        name = "mean of the training target"
        linear = RidgeCV(alphas=np.logspace(-3, 3, 13))
    model = make_pipeline(StandardScaler(), linear)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter
        model.fit(x, y.ravel() if y.ndim == 2 and y.shape[1] == 1 else y)
        pred = model.predict(xt).reshape(yt.shape)
    return {
        "trivial": {"name": name, **_scores(task, yt, trivial)},
        "linear": {"name": type(linear).__name__, **_scores(task, yt, pred)},
    }


def baseline_findings(metrics, found):
    """`no_better_than_baseline` (warning) and `linear_model_better` (info)."""
    if not found or not metrics:
        return []
    key = "accuracy" if "accuracy" in metrics else "r2"
    net, trivial, linear = metrics[key], found["trivial"][key], found["linear"][key]
    out = []
    margin = 0.005 if key == "accuracy" else 0.01
    if not net > trivial + margin:
        out.append(
            Finding(
                "no_better_than_baseline",
                "warning",
                value=net,
                threshold=trivial,
                message=f"The network's test {key} {net:.4g} is no better than "
                f"the {found['trivial']['name']}'s {trivial:.4g}: it has not "
                "learned anything the features tell.",
                suggestion="Look at the learning curves (did early stopping keep "
                "an untrained epoch?), raise the patience, or check that the "
                "features carry signal (the linear model's score says).",
            )
        )
    if linear > net:
        out.append(
            Finding(
                "linear_model_better",
                "info",
                value=linear,
                threshold=net,
                message=f"A linear model ({found['linear']['name']}) scores "
                f"{key} {linear:.4g} on the same split, the network {net:.4g}.",
                suggestion="On a small table a smaller network (e.g. "
                "model=functools.partial(recipes.build_mlp, hidden_units=(32,))), "
                "more regularization "
                "(a larger 'l2') or the linear model itself may be the better "
                "choice; compare them on the validation rows, not the test.",
            )
        )
    return out
