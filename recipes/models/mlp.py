"""`build_mlp`: a multilayer perceptron that starts well."""

from __future__ import annotations

import keras

from recipes.models import _blocks


def build_mlp(
    input_shape,
    num_classes,
    *,
    hidden_units=(1024, 1024),
    activation="relu",
    kernel_initializer="auto",
    batch_norm=True,
    dropout=0.5,
    l2=1e-4,
    preprocessing="standardize",
    x_train=None,
    y_train=None,
    task="classification",
    one_hot=False,
    optimizer="adam",
    learning_rate=1e-3,
    compile=True,
    seed=None,
    name="mlp",
):
    """Builds a multilayer perceptron with the recipe's defaults.

    Every hidden block is `Dense` (no bias, BatchNormalization supplies it) ->
    `BatchNormalization` -> activation -> `Dropout`, named `dense_i`, `bn_i`,
    `<activation>_i`, `dropout_i`. The kernels are initialized for the
    activation (He for the ReLU family, Glorot for tanh/sigmoid, LeCun for
    selu). The first layer is the preprocessing, fitted on `x_train`, so the
    saved model takes raw inputs. The output layer starts with a tiny kernel
    and a bias from the class priors of `y_train`, so the initial loss is
    the loss of predicting the priors (ln C for C balanced classes).

    Inputs of any shape are flattened after preprocessing.

    Args:
        input_shape: Shape of one example, without the batch axis.
        num_classes: Number of classes (>= 2); for `task="regression"`, the
            number of targets or None (1).
        hidden_units: Width of each hidden layer. Defaults to `(1024, 1024)`.
        activation: Hidden activation: 'relu', 'leaky_relu', 'elu', 'gelu',
            'silu', 'selu', 'tanh' or 'sigmoid' (the last two warn).
            Defaults to `"relu"`.
        kernel_initializer: `"auto"` for the recipe's rule, or any Keras
            initializer (name or instance), which always wins. Defaults to
            `"auto"`.
        batch_norm: Add BatchNormalization after each Dense. Defaults to `True`.
        dropout: Dropout rate after each hidden activation. Defaults to `0.5`.
        l2: L2 penalty on every kernel. Defaults to `1e-4`.
        preprocessing: `"standardize"`, `"center"`, `"pca"`, `"whiten"`,
            `"per_channel"`, `"mean_image"`, a fitted Keras layer, or None.
            Defaults to `"standardize"`.
        x_train: Training inputs to fit the preprocessing on. Defaults to
            `None` (required when `preprocessing` is a kind name).
        y_train: Training labels, to start the output at the class priors.
            Defaults to `None` (uniform priors).
        task: `"classification"` (softmax), `"binary"` (one sigmoid unit) or
            `"regression"` (linear, MSE). Defaults to `"classification"`.
        one_hot: Labels are one-hot rows rather than class ids. Defaults to
            `False`.
        optimizer: `"adam"`, `"adamw"`, `"sgd"` (Nesterov momentum 0.9),
            `"rmsprop"`, or an optimizer instance. Defaults to `"adam"`.
        learning_rate: Learning rate for a named optimizer. Defaults to `1e-3`.
        compile: Compile the model. Defaults to `True`.
        seed: Seed for the initializers. Defaults to `None`.
        name: Model name. Defaults to `"mlp"`.

    Returns:
        A Functional `keras.Model`, compiled unless `compile=False`.

    Raises:
        ValueError: On bad shapes, labels, unknown names, or a preprocessing
            kind without `x_train`; all before anything is built.
        TypeError: On arguments of the wrong type.

    Example:

    >>> from recipes import datasets, build_mlp
    >>> data = datasets.load("iris")
    >>> model = build_mlp(data.input_shape, data.num_classes,
    ...                   x_train=data.x_train, y_train=data.y_train)
    >>> history = model.fit(data.x_train, data.y_train, epochs=2, verbose=0)
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
    from recipes import _validate

    hidden_units = _validate.check_positive_ints(hidden_units, "hidden_units")
    init = _blocks.initializer_for(activation, kernel_initializer, seed)
    reg = keras.regularizers.L2(l2) if l2 else None

    inputs, x = _blocks.input_block(input_shape, preprocessing, x_train)
    if len(x.shape) > 2:
        x = keras.layers.Flatten(name="flatten")(x)
    for i, units in enumerate(hidden_units):
        dense = keras.layers.Dense(
            units,
            use_bias=not batch_norm,
            kernel_initializer=init,
            kernel_regularizer=reg,
            name=f"dense_{i}",
        )
        x = _blocks.block(x, dense, i, activation=activation, batch_norm=batch_norm)
        if dropout:
            x = keras.layers.Dropout(dropout, seed=seed, name=f"dropout_{i}")(x)
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
