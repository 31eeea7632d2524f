"""`build_cnn`: a convolutional network that starts well, 1D or 2D."""

from __future__ import annotations

import keras

from recipes import _validate
from recipes.models import _blocks

POOLS = ("max", "average", None)


def build_cnn(
    input_shape,
    num_classes,
    *,
    filters=(32, 64, 128),
    kernel_size=3,
    pool="max",
    dense_units=(),
    activation="relu",
    kernel_initializer="auto",
    batch_norm=True,
    dropout=0.3,
    l2=1e-4,
    preprocessing="per_channel",
    x_train=None,
    y_train=None,
    task="classification",
    one_hot=False,
    optimizer="adam",
    learning_rate=1e-3,
    compile=True,
    seed=None,
    name="cnn",
):
    """Builds a small convolutional network with the recipe's defaults.

    `(length, channels)` inputs get `Conv1D`, `(height, width, channels)`
    inputs `Conv2D`. Each block is conv (no bias, BatchNormalization supplies
    it) -> `BatchNormalization` -> activation, named `conv_i`, `bn_i`,
    `<activation>_i`, followed by a pooling layer `pool_i` (2x) between blocks
    while the feature map is large enough. Then global average pooling,
    optional Dense blocks, dropout and the output layer, which starts at the
    class priors' loss (see `build_mlp`). Initializers follow the activation
    (He for ReLU). The first layer is the preprocessing fitted on `x_train`.

    Args:
        input_shape: `(length, channels)` or `(height, width, channels)`.
        num_classes: Number of classes (>= 2); for `task="regression"`, the
            number of targets or None (1).
        filters: Filters of each conv block. Defaults to `(32, 64, 128)`.
        kernel_size: Kernel size of every conv. Defaults to `3`.
        pool: `"max"`, `"average"` or None: pooling between blocks.
            Defaults to `"max"`.
        dense_units: Widths of Dense blocks after global pooling. Defaults
            to `()`.
        activation: Hidden activation (see `build_mlp`). Defaults to `"relu"`.
        kernel_initializer: `"auto"` (the recipe's rule) or any Keras
            initializer. Defaults to `"auto"`.
        batch_norm: BatchNormalization after each conv/Dense. Defaults to
            `True`.
        dropout: Dropout rate before the output (and after Dense blocks).
            Defaults to `0.3`.
        l2: L2 penalty on every kernel. Defaults to `1e-4`.
        preprocessing: A kind name (`"per_channel"`, `"mean_image"`,
            `"center"`, `"standardize"`), a fitted layer, or None. Defaults to
            `"per_channel"`.
        x_train: Training inputs to fit the preprocessing on. Defaults to
            `None`.
        y_train: Training labels, to start the output at the class priors.
            Defaults to `None`.
        task: `"classification"`, `"binary"` or `"regression"`. Defaults to
            `"classification"`.
        one_hot: Labels are one-hot rows. Defaults to `False`.
        optimizer: `"adam"`, `"adamw"`, `"sgd"`, `"rmsprop"` or an instance.
            Defaults to `"adam"`.
        learning_rate: Learning rate for a named optimizer. Defaults to `1e-3`.
        compile: Compile the model. Defaults to `True`.
        seed: Seed for the initializers. Defaults to `None`.
        name: Model name. Defaults to `"cnn"`.

    Returns:
        A Functional `keras.Model`, compiled unless `compile=False`.

    Raises:
        ValueError: On an input shape of the wrong rank, bad labels, unknown
            names, or a preprocessing kind without `x_train`.
        TypeError: On arguments of the wrong type.

    Example:

    >>> from recipes import datasets, build_cnn
    >>> data = datasets.load("digits")
    >>> model = build_cnn(data.input_shape, data.num_classes,
    ...                   x_train=data.x_train, y_train=data.y_train)
    >>> model.get_layer("conv_0").__class__.__name__
    'Conv2D'
    """
    input_shape, num_classes = _blocks.common_checks(
        input_shape,
        num_classes,
        task=task,
        activation=activation,
        dropout=dropout,
        l2=l2,
        x_train=x_train,
        y_train=y_train,
        one_hot=one_hot,
        preprocessing=preprocessing,
    )
    if len(input_shape) not in (2, 3):
        raise ValueError(
            "build_cnn takes (length, channels) inputs for Conv1D or (height, "
            "width, channels) for Conv2D; add a channels axis with "
            "x[..., None], or use build_mlp for flat features. "
            f"Received: input_shape={input_shape}"
        )
    if preprocessing in ("pca", "whiten"):
        raise ValueError(
            "PCA preprocessing flattens the input, which a CNN cannot use. Use "
            "'per_channel', 'mean_image', 'center' or 'standardize'. "
            f"Received: preprocessing={preprocessing!r}"
        )
    filters = _validate.check_positive_ints(filters, "filters", allow_empty=False)
    dense_units = _validate.check_positive_ints(dense_units, "dense_units")
    if pool not in POOLS:
        raise ValueError(f"`pool` must be one of {POOLS}. Received: pool={pool!r}")
    if (
        isinstance(kernel_size, bool)
        or not isinstance(kernel_size, int)
        or kernel_size < 1
    ):
        raise ValueError(
            "`kernel_size` must be a positive integer. "
            f"Received: kernel_size={kernel_size!r}"
        )
    one_d = len(input_shape) == 2
    conv = keras.layers.Conv1D if one_d else keras.layers.Conv2D
    pool_layer = {
        ("max", True): keras.layers.MaxPooling1D,
        ("max", False): keras.layers.MaxPooling2D,
        ("average", True): keras.layers.AveragePooling1D,
        ("average", False): keras.layers.AveragePooling2D,
    }.get((pool, one_d))
    gap = (
        keras.layers.GlobalAveragePooling1D
        if one_d
        else keras.layers.GlobalAveragePooling2D
    )
    init = _blocks.initializer_for(activation, kernel_initializer, seed)
    reg = keras.regularizers.L2(l2) if l2 else None

    inputs, x = _blocks.input_block(input_shape, preprocessing, x_train)
    for i, f in enumerate(filters):
        layer = conv(
            f,
            kernel_size,
            padding="same",
            use_bias=not batch_norm,
            kernel_initializer=init,
            kernel_regularizer=reg,
            name=f"conv_{i}",
        )
        x = _blocks.block(x, layer, i, activation=activation, batch_norm=batch_norm)
        spatial = x.shape[1:-1]
        if pool_layer and i < len(filters) - 1 and min(spatial) >= 4:
            x = pool_layer(2, name=f"pool_{i}")(x)
    x = gap(name="global_pool")(x)
    for j, units in enumerate(dense_units, start=len(filters)):
        dense = keras.layers.Dense(
            units,
            use_bias=not batch_norm,
            kernel_initializer=init,
            kernel_regularizer=reg,
            name=f"dense_{j}",
        )
        x = _blocks.block(x, dense, j, activation=activation, batch_norm=batch_norm)
    if dropout:
        x = keras.layers.Dropout(dropout, seed=seed, name="dropout")(x)
    return _blocks.finish(
        inputs,
        x,
        name=name,
        compile=compile,
        optimizer=optimizer,
        learning_rate=learning_rate,
        task=task,
        num_classes=num_classes,
        y_train=y_train,
        one_hot=one_hot,
        l2=l2,
        seed=seed,
    )
