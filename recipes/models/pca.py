"""A fitted PCA projection (optionally whitening) as a serializable Keras layer."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from recipes.models._registry import LoadsWithRecipes


@keras.saving.register_keras_serializable(package="recipes")
class PCAProjection(LoadsWithRecipes, keras.layers.Layer):
    """Projects inputs onto their top principal components, optionally whitened.

    The lecture's PCA / whitening preprocessing (CS231n, neural-networks-2):
    center the data, rotate it onto the principal axes, keep the top
    `n_components`, and with `whiten=True` divide each component by the square
    root of its variance (plus `epsilon`), so the result has identity
    covariance. The fit is scikit-learn's `PCA`; the fitted mean, components
    and scales live in non-trainable weights, so a saved model carries them.

    Call `adapt(x_train)` once, on the training split only, before use.

    Args:
        n_components: Number of components to keep. Defaults to `None` (as
            many as input features).
        whiten: Divide each component by `sqrt(variance + epsilon)`.
            Defaults to `False`.
        epsilon: Added to each component's variance before whitening, so
            near-zero variance directions are not blown up. Defaults to `1e-2`.
        **kwargs: Base layer arguments (`name`, `dtype`, ...).

    Example:

    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=(100, 5)).astype("float32")
    >>> layer = PCAProjection(n_components=3, whiten=True)
    >>> layer.adapt(x)
    >>> layer(x).shape
    TensorShape([100, 3])
    """

    def __init__(self, n_components=None, whiten=False, epsilon=1e-2, **kwargs):
        super().__init__(**kwargs)
        if n_components is not None and (
            not isinstance(n_components, (int, np.integer)) or n_components < 1
        ):
            raise ValueError(
                "`n_components` must be a positive integer or None. "
                f"Received: n_components={n_components!r}"
            )
        if not epsilon >= 0:
            raise ValueError(f"`epsilon` must be >= 0. Received: epsilon={epsilon!r}")
        self.n_components = None if n_components is None else int(n_components)
        self.whiten = bool(whiten)
        self.epsilon = float(epsilon)
        self.is_adapted = False

    def build(self, input_shape):
        if len(input_shape) != 2 or input_shape[-1] is None:
            raise ValueError(
                "PCAProjection works on flat feature vectors of known size. "
                "Flatten images before it. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        d = int(input_shape[-1])
        k = d if self.n_components is None else self.n_components
        if k > d:
            raise ValueError(
                f"`n_components` ({k}) cannot exceed the number of input "
                f"features ({d}). Received: n_components={k}"
            )
        self.mean = self.add_weight(
            name="mean", shape=(d,), initializer="zeros", trainable=False
        )
        self.components = self.add_weight(
            name="components", shape=(d, k), initializer="zeros", trainable=False
        )
        self.scale = self.add_weight(
            name="scale", shape=(k,), initializer="ones", trainable=False
        )

    def adapt(self, data):
        """Fits the projection on `data` (the training split), with sklearn's PCA."""
        from sklearn.decomposition import PCA

        x = np.asarray(data, dtype="float64")
        if x.ndim != 2:
            x = x.reshape(len(x), -1)
        if not self.built:
            self.build((None, x.shape[1]))
        k = self.components.shape[1]
        pca = PCA(n_components=k, svd_solver="full").fit(x)
        scale = np.ones(k)
        if self.whiten:
            scale = 1.0 / np.sqrt(pca.explained_variance_ + self.epsilon)
        self.mean.assign(pca.mean_.astype("float32"))
        self.components.assign(pca.components_.T.astype("float32"))
        self.scale.assign(scale.astype("float32"))
        self.is_adapted = True

    def call(self, inputs):
        x = ops.cast(inputs, self.compute_dtype)
        return ops.matmul(x - self.mean, self.components) * self.scale

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.components.shape[1])

    def get_config(self):
        config = super().get_config()
        config.update(
            n_components=self.n_components, whiten=self.whiten, epsilon=self.epsilon
        )
        return config
