"""Preprocessing fitted on the training split, as the model's first layer."""

from __future__ import annotations

import numpy as np

KINDS = ("center", "standardize", "pca", "whiten", "per_channel", "mean_image")


def _check_x(x_train, kind):
    if x_train is None:
        raise ValueError(
            f"Preprocessing {kind!r} is fitted on the training data, so it needs "
            "`x_train`. Pass the training split (never validation or test data), "
            "or use preprocessing=None. Received: x_train=None"
        )
    x = np.asarray(x_train)
    if x.dtype == object or not np.issubdtype(x.dtype, np.number):
        raise TypeError(
            "`x_train` must be a numeric array. Convert it with "
            f"np.asarray(x, dtype='float32'). Received: x_train.dtype={x.dtype}"
        )
    if x.ndim < 2 or len(x) < 2:
        raise ValueError(
            "`x_train` must be an array of at least 2 examples, shaped "
            f"(num_examples, ...). Received: x_train.shape={x.shape}"
        )
    x = x.astype("float64")
    if not np.isfinite(x).all():
        bad = int((~np.isfinite(x)).sum())
        raise ValueError(
            f"`x_train` contains {bad} NaN or infinite values; statistics fitted on "
            "it would be NaN. Impute or drop them first. "
            f"Received: x_train with {bad} non-finite values"
        )
    return x


def _safe_variance(var, mean, shared_unit):
    """Variance with constant features set to 1, so they are only centered.

    `keras.layers.Normalization.adapt` divides by max(std, 1e-7): a pixel that
    is always 0 in training turns an unseen 1 into 1e7. A feature with no
    spread carries no scale to learn from, so it gets scale 1.
    """
    var = np.array(var, dtype="float64")
    constant = var <= (1e-6 * np.maximum(1.0, np.abs(mean))) ** 2
    var[constant] = 1.0
    if shared_unit and (~constant).any():
        # Pixels (and sequence steps) share one unit: a nearly constant pixel
        # (set in 1 training image of 1,000) would be scaled up ~30x more than a
        # typical one; cap that at 10x. Tabular features keep their own scales.
        var[~constant] = np.maximum(var[~constant], 1e-2 * var[~constant].mean())
    return var


def preprocessing_layer(
    kind, x_train, *, n_components=None, variance_kept=0.99, epsilon=1e-2, name=None
):
    """Returns a preprocessing layer fitted on the training split.

    The layer goes first in a model, so a saved model carries its own
    preprocessing and is fed raw data. Statistics come from `x_train` only
    (the recipe: never from validation or test data). Features that are
    constant in `x_train` get scale 1 (they are centered, never divided by ~0),
    and in images or sequences no pixel is scaled up more than 10x the
    typical pixel (flat tabular features keep their own scales).

    Kinds:
    - `"center"`: subtract the per-feature mean (the recipe's default advice).
    - `"standardize"`: subtract the per-feature mean, divide by its std.
    - `"pca"`: center and project onto the top principal components.
    - `"whiten"`: PCA whitening: project, then divide by sqrt(variance + eps).
    - `"per_channel"`: images: per-channel mean and std (VGG style).
    - `"mean_image"`: images: subtract the mean image (AlexNet style).

    The mean/std kinds are `keras.layers.Normalization` layers with fitted
    `mean`/`variance`; the PCA kinds are `recipes.PCAProjection` layers
    (flat inputs only).

    Args:
        kind: One of the kinds above.
        x_train: Training inputs, shaped `(num_examples, ...)`.
        n_components: PCA kinds: components to keep. Defaults to `None`, the
            fewest that keep `variance_kept` of the variance.
        variance_kept: PCA kinds: share of the variance to keep when
            `n_components` is None. Defaults to `0.99`.
        epsilon: `"whiten"`: added to each component's variance. Defaults to
            `1e-2`.
        name: Layer name. Defaults to `"preprocessing"`.

    Returns:
        A fitted Keras layer.

    Raises:
        ValueError: If `kind` is unknown, `x_train` is missing, not finite, or
            has the wrong rank for the kind.

    Example:

    >>> import numpy as np
    >>> x = np.array([[0.0, 5.0], [2.0, 5.0], [4.0, 5.0]])
    >>> layer = preprocessing_layer("standardize", x)
    >>> np.round(np.asarray(layer(x), "float64"), 3).tolist()
    [[-1.225, 0.0], [0.0, 0.0], [1.225, 0.0]]
    """
    import keras

    if kind not in KINDS:
        raise ValueError(
            f"Unknown preprocessing kind {kind!r}. Expected one of {KINDS}, or "
            f"None for no preprocessing. Received: kind={kind!r}"
        )
    x = _check_x(x_train, kind)
    name = name or "preprocessing"
    if kind in ("pca", "whiten"):
        from recipes.models.pca import PCAProjection

        flat = x.reshape(len(x), -1)
        if x.ndim != 2:
            raise ValueError(
                f"Preprocessing {kind!r} works on flat feature vectors; flatten "
                "the inputs (e.g. datasets.load(..., flat=True)) or use "
                f"'per_channel'. Received: x_train.shape={x.shape}"
            )
        if n_components is None:
            var = np.linalg.svd(flat - flat.mean(0), compute_uv=False) ** 2
            share = np.cumsum(var) / max(var.sum(), 1e-300)
            n_components = int(np.searchsorted(share, variance_kept) + 1)
            n_components = min(n_components, flat.shape[1])
        layer = PCAProjection(
            n_components=n_components,
            whiten=kind == "whiten",
            epsilon=epsilon,
            name=name,
        )
        layer.adapt(flat)
        return layer
    if kind in ("per_channel", "mean_image") and x.ndim < 3:
        raise ValueError(
            f"Preprocessing {kind!r} is for images or sequences shaped "
            "(num_examples, ..., channels). Use 'center' or 'standardize' for "
            f"flat features. Received: x_train.shape={x.shape}"
        )
    if kind == "per_channel":
        axis = -1
        reduce = tuple(range(x.ndim - 1))
    else:  # one statistic per feature (per pixel and channel for images)
        axis = tuple(range(1, x.ndim)) if x.ndim > 2 else -1
        reduce = 0
    mean = x.mean(axis=reduce)
    if kind in ("center", "mean_image"):
        var = np.ones_like(mean)
    else:
        var = _safe_variance(x.var(axis=reduce), mean, shared_unit=x.ndim > 2)
    return keras.layers.Normalization(
        axis=axis,
        mean=mean.astype("float32"),
        variance=var.astype("float32"),
        name=name,
    )
