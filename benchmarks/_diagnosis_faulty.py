"""Faulty programs of the diagnosis suite: each a bug a Keras user really makes.

Built from the CS231n "Training Neural Networks" lectures' failure modes and
what users report (wrong head for the loss, unscaled pixels, labels 1..C,
sorted data with validation_split, ...); none is ported from a benchmark
collection. `expected` lists acceptable root-cause checks, preferred first;
`fix_words` are keywords the right fix should contain ("a|b" = either).
"""

import _diagnosis_data as data
import keras
import numpy as np
from _diagnosis_case import L, case, dense_net, run_spec

F = "faulty"
LR_DOWN = ("learning rate", "lower|reduce|decrease|smaller")
LR_UP = ("learning rate", "raise|increase|higher|larger")


def _sparse(model, opt, metrics=("accuracy",)):
    model.compile(opt, "sparse_categorical_crossentropy", metrics=list(metrics))
    return model


def _mnist1d_mlp(seed, n_train, widths, reg, **fit):
    """An Adam MLP on MNIST-1D; `reg`: dropout, l2 and early-stopping patience
    (None: no EarlyStopping; else one keeping the best weights)."""
    xt, xv, yt, yv = data.mnist1d(seed, n_train=n_train)
    model = dense_net(40, widths, 10, dropout=reg["dropout"], l2=reg["l2"])
    stop = []
    if reg["patience"] is not None:
        stop.append(
            keras.callbacks.EarlyStopping(
                patience=reg["patience"], restore_best_weights=True
            )
        )
    model = _sparse(model, "adam")
    return run_spec(model, xt, yt, validation_data=(xv, yv), callbacks=stop, **fit)


@case(
    F,
    "SGD lr=1.0 on unscaled digits (0..16): the loss blows up, then the ReLUs die",
    expected=("diverging_loss", "dead_units", "nan_loss"),
    fix_words=LR_DOWN,
)
def faulty_lr_far_too_high_sgd(seed, lr=1.0):
    xt, xv, yt, yv = data.digits(seed, scale="raw")
    model = _sparse(dense_net(64, [256, 256], 10), keras.optimizers.SGD(lr))
    return run_spec(model, xt, yt, validation_data=(xv, yv), epochs=5)


@case(
    F,
    "SGD lr=0.5 on a regression (MSE): the loss diverges to NaN in the first epoch",
    expected=("nan_loss", "diverging_loss", "exploding_gradients"),
    fix_words=LR_DOWN,
)
def faulty_lr_too_high_regression_nan(seed, lr=0.5):
    xt, xv, yt, yv = data.friedman1(seed)
    model = dense_net(10, [64, 64], 1, out_act=None)
    model.compile(keras.optimizers.SGD(lr), "mse", metrics=["mae"])
    return run_spec(
        model, xt, yt, validation_data=(xv, yv), epochs=8, task="regression"
    )


@case(
    F,
    "Adam lr=0.1 on a ReLU MLP: most ReLUs die in the first epoch",
    expected=("dead_units", "diverging_loss", "oscillating_loss"),
    fix_words=LR_DOWN,
)
def faulty_adam_lr_too_high_dead_relu(seed, lr=0.1):
    xt, xv, yt, yv = data.digits(seed)
    model = _sparse(dense_net(64, [256, 256, 256], 10), keras.optimizers.Adam(lr))
    return run_spec(model, xt, yt, validation_data=(xv, yv), epochs=6)


@case(
    F,
    "SGD lr=1e-5: the loss barely moves from ln(10)",
    expected=("stalled_loss", "update_ratio", "underfitting"),
    fix_words=LR_UP,
)
def faulty_lr_far_too_low(seed, lr=1e-5):
    xt, xv, yt, yv = data.digits(seed)
    model = _sparse(dense_net(64, [256, 256], 10), keras.optimizers.SGD(lr))
    return run_spec(model, xt, yt, validation_data=(xv, yv), epochs=8)


@case(
    F,
    "bias_initializer=Constant(-5) on ReLU layers: dead from the start",
    expected=("dead_units",),
    fix_words=("bias|initializ",),
)
def faulty_relu_negative_bias(seed, bias=-5.0):
    xt, xv, yt, yv = data.digits(seed)
    init = keras.initializers.Constant(bias)
    model = _sparse(
        dense_net(64, [256, 256], 10, init="he_normal", bias_init=init),
        keras.optimizers.Adam(1e-3),
    )
    return run_spec(model, xt, yt, validation_data=(xv, yv), epochs=6)


@case(
    F,
    "house-price table, raw features on scales 1e0..1e4, SGD: NaN / diverges",
    expected=("unnormalized_input", "nan_loss", "diverging_loss"),
    fix_words=("normaliz|standardiz|scal",),
)
def faulty_unnormalized_regression_sgd(seed, standardize=False):
    xt, xv, yt, yv = data.raw_scale_regression(seed)
    if standardize:
        xt, xv = data.standardize(xt, xv)
    model = dense_net(5, [64, 64], 1, out_act=None)
    model.compile(keras.optimizers.SGD(1e-3), "mse", metrics=["mae"])
    return run_spec(
        model, xt, yt, validation_data=(xv, yv), epochs=8, task="regression"
    )


@case(
    F,
    "breast_cancer raw features (area ~1e3) into a ReLU MLP with SGD momentum",
    expected=("unnormalized_input", "oscillating_loss", "diverging_loss", "dead_units"),
    fix_words=("normaliz|standardiz|scal",),
)
def faulty_unnormalized_breast_cancer(seed, standardize=False):
    load = data.tabular if standardize else data.tabular_raw
    xt, xv, yt, yv = load("breast_cancer", seed)
    model = dense_net(30, [32, 32], 2)
    model = _sparse(model, keras.optimizers.SGD(1e-3, momentum=0.9))
    return run_spec(model, xt, yt, validation_data=(xv, yv), epochs=15)


@case(
    F,
    "pixels 0..255 not scaled, into a sigmoid MLP with SGD: saturated from the start",
    expected=("unnormalized_input", "saturated_units", "vanishing_gradients"),
    fix_words=("255|scal|normaliz",),
)
def faulty_pixels_255_sigmoid(
    seed, pixels="255", standardize=False, act="sigmoid", init="glorot_uniform"
):
    xt, xv, yt, yv = data.digits_images(seed, pixels=pixels)
    xt, xv = xt.reshape(len(xt), -1), xv.reshape(len(xv), -1)
    if standardize:
        xt, xv = data.standardize(xt, xv)
    model = dense_net(64, [128, 128], 10, act=act, init=init)
    model = _sparse(model, keras.optimizers.SGD(0.01))
    return run_spec(model, xt, yt, validation_data=(xv, yv), epochs=10)


@case(
    F,
    "5 sigmoid hidden layers, MSE on one-hot targets, plain SGD: gradients vanish",
    expected=("vanishing_gradients", "saturated_units", "stalled_loss"),
    fix_words=("relu|cross-entropy|crossentropy",),
)
def faulty_sigmoid_mse_sgd(seed, act="sigmoid", init="glorot_uniform", loss="mse"):
    xt, xv, yt, yv = data.digits(seed)
    yt, yv = keras.utils.to_categorical(yt, 10), keras.utils.to_categorical(yv, 10)
    model = dense_net(64, [64] * 5, 10, act=act, init=init)
    model.compile(keras.optimizers.SGD(0.01), loss, metrics=["accuracy"])
    return run_spec(model, xt, yt, validation_data=(xv, yv), epochs=10)


@case(
    F,
    "10-layer tanh net with RandomNormal(stddev=1) init: every unit saturated",
    expected=("saturated_units", "activation_std", "vanishing_gradients"),
    fix_words=("initializ|glorot|xavier",),
)
def faulty_tanh_large_init(seed, init=None):
    xt, xv, yt, yv = data.digits(seed)
    init = init or keras.initializers.RandomNormal(stddev=1.0)
    model = dense_net(64, [100] * 10, 10, act="tanh", init=init)
    model = _sparse(model, keras.optimizers.SGD(0.01))
    return run_spec(model, xt, yt, validation_data=(xv, yv), epochs=6)


@case(
    F,
    "30-layer ReLU MLP with Glorot-uniform init, SGD: the signal collapses to ~0",
    expected=("activation_std", "vanishing_gradients", "stalled_loss"),
    fix_words=("he|initializ",),
)
def faulty_relu30_xavier(seed, init="glorot_uniform", lr=0.01):
    xt, xv, yt, yv = data.digits(seed)
    model = dense_net(64, [64] * 30, 10, init=init)
    model = _sparse(model, keras.optimizers.SGD(lr))
    return run_spec(model, xt, yt, validation_data=(xv, yv), epochs=6)


@case(
    F,
    "Dense(10, activation='relu') head under categorical_crossentropy",
    expected=("output_activation", "initial_loss"),
    fix_words=("softmax",),
)
def faulty_relu_head_cce(seed, out_act="relu"):
    xt, xv, yt, yv = data.digits(seed)
    yt, yv = keras.utils.to_categorical(yt, 10), keras.utils.to_categorical(yv, 10)
    model = dense_net(64, [128], 10, out_act=out_act)
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    return run_spec(model, xt, yt, validation_data=(xv, yv), epochs=10)


@case(
    F,
    "linear head (no activation) under sparse categorical CE with from_logits=False",
    expected=("output_activation", "initial_loss"),
    fix_words=("softmax|from_logits",),
)
def faulty_linear_head_no_from_logits(seed, out_act=None):
    xt, xv, yt, yv = data.mnist1d(seed)
    model = _sparse(dense_net(40, [128, 128], 10, out_act=out_act), "adam")
    return run_spec(model, xt, yt, validation_data=(xv, yv), epochs=10, batch_size=64)


@case(
    F,
    "Dense(1, activation='softmax') on a binary target with MSE: output is always 1",
    expected=("output_activation",),
    fix_words=("sigmoid",),
)
def faulty_softmax_one_unit_mse(seed, out_act="softmax", loss="mse"):
    xt, xv, yt, yv = data.tabular("breast_cancer", seed)
    model = dense_net(30, [16], 1, out_act=out_act)
    model.compile("adam", loss, metrics=["accuracy"])
    return run_spec(model, xt, yt, validation_data=(xv, yv), epochs=10, task="binary")


@case(
    F,
    "Dense(1, activation='softmax') with binary_crossentropy on moons",
    expected=("output_activation",),
    fix_words=("sigmoid",),
)
def faulty_softmax_one_unit_bce(seed, out_act="softmax"):
    xt, xv, yt, yv = data.moons(seed)
    model = dense_net(2, [32, 32], 1, out_act=out_act)
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    return run_spec(model, xt, yt, validation_data=(xv, yv), epochs=10, task="binary")


@case(
    F,
    "multi-hot tags under softmax + categorical_crossentropy (should be sigmoid)",
    expected=("output_activation",),
    fix_words=("sigmoid",),
)
def faulty_multi_hot_softmax(seed, out_act="softmax", loss="categorical_crossentropy"):
    xt, xv, yt, yv = data.multi_hot(seed)
    model = dense_net(20, [64, 64], 5, out_act=out_act)
    model.compile(
        "adam",
        loss,
        metrics=[keras.metrics.BinaryAccuracy(name="accuracy")],
    )
    return run_spec(
        model, xt, yt, validation_data=(xv, yv), epochs=10, task="multilabel"
    )


@case(
    F,
    "wine labels 1..3 (from a CSV) with Dense(3, softmax) and sparse CE",
    expected=("label_range",),
    fix_words=("0|label",),
)
def faulty_labels_one_based(seed, first_label=1):
    xt, xv, yt, yv = data.tabular("wine", seed)
    model = _sparse(dense_net(13, [32, 32], 3), "adam")
    yt, yv = yt + first_label, yv + first_label
    return run_spec(model, xt, yt, validation_data=(xv, yv), epochs=20, batch_size=16)


@case(
    F,
    "softmax head AND from_logits=True (double softmax): learns slowly",
    expected=("output_activation", "stalled_loss", "initial_loss"),
    fix_words=("from_logits|softmax",),
)
def faulty_double_softmax(seed, from_logits=True):
    xt, xv, yt, yv = data.mnist1d(seed)
    model = dense_net(40, [128, 128], 10)
    model.compile(
        keras.optimizers.SGD(0.05),
        keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits),
        metrics=["accuracy"],
    )
    return run_spec(model, xt, yt, validation_data=(xv, yv), epochs=10, batch_size=64)


@case(
    F,
    "labels shuffled apart from the inputs (a broken join): nothing to learn",
    expected=(
        "input_independent_baseline",
        "underfitting",
        "stalled_loss",
        "overfitting",
    ),
    fix_words=("label",),
)
def faulty_shuffled_labels(seed, broken_join=True):
    xt, xv, yt, yv = data.digits(seed)
    if broken_join:
        rng = np.random.default_rng(seed)
        yt, yv = rng.permutation(yt), rng.permutation(yv)
    model = _sparse(dense_net(64, [128, 128], 10), "adam")
    return run_spec(model, xt, yt, validation_data=(xv, yv), epochs=15)


@case(
    F,
    "a plain 256-256 MLP on MNIST-1D for 30 epochs, no regularization: train "
    "0.98, validation 0.61 and its loss rising (first filed here as healthy)",
    expected=("overfitting",),
    fix_words=("regulariz|dropout|data|early",),
)
def faulty_mnist1d_mlp_overfits(seed, dropout=0.0, l2=None, patience=None):
    reg = dict(dropout=dropout, l2=l2, patience=patience)
    return _mnist1d_mlp(seed, 4000, [256, 256], reg, epochs=30, batch_size=128)


@case(
    F,
    "textbook overfitting: 100 samples, 2 x 1024 ReLU, 40 epochs",
    expected=("overfitting",),
    fix_words=("regulariz|dropout|data|early",),
)
def faulty_overfit_small_data(seed, dropout=0.0, l2=None, patience=None, n=100):
    reg = dict(dropout=dropout, l2=l2, patience=patience)
    return _mnist1d_mlp(seed, n, [1024, 1024], reg, epochs=40, batch_size=16)


@case(
    F,
    "underfitting: logistic regression on concentric circles (not linearly separable)",
    expected=("underfitting", "stalled_loss"),
    fix_words=("capacity|larger|bigger|layer|deeper|wider|nonlinear",),
)
def faulty_underfit_linear_circles(seed, hidden=()):
    xt, xv, yt, yv = data.circles(seed)
    model = dense_net(2, hidden, 2)
    model = _sparse(model, keras.optimizers.Adam(1e-2))
    return run_spec(model, xt, yt, validation_data=(xv, yv), epochs=20)


@case(
    F,
    "L2(0.1) on every layer: the penalty dominates, the net underfits",
    expected=("regularization_loss", "underfitting"),
    fix_words=("regulariz|l2|weight decay",),
)
def faulty_l2_far_too_strong(seed, l2=0.1):
    xt, xv, yt, yv = data.mnist1d(seed)
    model = _sparse(dense_net(40, [256, 256], 10, l2=l2), "adam")
    return run_spec(model, xt, yt, validation_data=(xv, yv), epochs=15, batch_size=128)


@case(
    F,
    "Dropout(0.9) after every hidden layer: the net cannot fit",
    expected=("underfitting", "stalled_loss"),
    fix_words=("dropout",),
)
def faulty_dropout_0_9(seed, dropout=0.9):
    xt, xv, yt, yv = data.mnist1d(seed)
    model = _sparse(dense_net(40, [128, 128, 128], 10, dropout=dropout), "adam")
    return run_spec(model, xt, yt, validation_data=(xv, yv), epochs=15, batch_size=128)


@case(
    F,
    "data sorted by label + validation_split=0.2: validation holds only 8s and 9s",
    expected=("class_imbalance", "label_range", "overfitting"),
    fix_words=("shuffl",),
)
def faulty_validation_split_sorted(seed, shuffle=False):
    xt, xv, yt, yv = data.digits(seed)
    x, y = np.concatenate([xt, xv]), np.concatenate([yt, yv])
    order = np.argsort(y, kind="stable")
    if shuffle:  # as the fix: shuffle the rows before fit takes the last 20 %
        order = np.random.default_rng(seed).permutation(len(y))
    model = _sparse(dense_net(64, [128, 64], 10), "adam")
    return run_spec(model, x[order], y[order], validation_split=0.2, epochs=10)


@case(
    F,
    "batch_size=1 with SGD momentum 0.99: the loss jumps around / blows up",
    # its ReLUs die from the huge steps rather than oscillate (as the suite
    # before this one found too): dead units during training are the cause
    expected=("oscillating_loss", "diverging_loss", "nan_loss", "dead_units"),
    fix_words=("batch|momentum|learning rate",),
)
def faulty_batch1_momentum_099(seed, batch_size=1, momentum=0.99):
    xt, xv, yt, yv = data.digits(seed)
    model = dense_net(64, [64, 64], 10)
    model = _sparse(model, keras.optimizers.SGD(0.01, momentum=momentum))
    return run_spec(
        model,
        xt[:400],
        yt[:400],
        validation_data=(xv, yv),
        epochs=5,
        batch_size=batch_size,
    )


@case(
    F,
    "12-layer ReLU net, RandomNormal(stddev=0.5) init, SGD: gradients explode",
    expected=("exploding_gradients", "nan_loss", "diverging_loss", "activation_std"),
    fix_words=("initializ|clip|he",),
)
def faulty_exploding_gradients(seed, init=None, lr=1e-3):
    xt, xv, yt, yv = data.digits(seed)
    init = init or keras.initializers.RandomNormal(stddev=0.5)
    model = dense_net(64, [64] * 12, 10, init=init)
    model = _sparse(model, keras.optimizers.SGD(lr))
    return run_spec(model, xt, yt, validation_data=(xv, yv), epochs=5)


@case(
    F,
    "missing values left as NaN in 2 % of the input cells (wine table)",
    expected=("data_nan", "nan_loss"),
    fix_words=("nan|missing|impute",),
)
def faulty_nan_in_inputs(seed, impute=False):
    xt, xv, yt, yv = data.tabular("wine", seed)
    rng = np.random.default_rng(seed)
    xt = xt.copy()
    xt[rng.random(xt.shape) < 0.02] = np.nan
    if impute:  # the training column means (~0: the columns are standardized)
        xt = np.where(np.isnan(xt), np.nanmean(xt, 0), xt).astype("float32")
    model = _sparse(dense_net(13, [32, 32], 3), "adam")
    return run_spec(model, xt, yt, validation_data=(xv, yv), epochs=10, batch_size=16)


@case(
    F,
    "BatchNormalization(momentum=0.999), 5 steps/epoch: moving stats lag; val ~chance",
    expected=("batchnorm_statistics", "overfitting"),
    fix_words=("momentum",),
)
def faulty_batchnorm_lagging(seed, momentum=0.999):
    xt, xv, yt, yv = data.digits_images(seed, pixels="255")
    xt, yt = xt[:300], yt[:300]
    inp = keras.Input((8, 8, 1))
    x = L.BatchNormalization(momentum=momentum)(inp)  # "normalizes the input"
    for filters in (32, 64):
        x = L.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = L.BatchNormalization(momentum=momentum)(x)
        x = L.Activation("relu")(x)
    x = L.GlobalAveragePooling2D()(x)
    model = keras.Model(inp, L.Dense(10, activation="softmax")(x))
    model = _sparse(model, keras.optimizers.Adam(3e-3))
    return run_spec(model, xt, yt, validation_data=(xv, yv), epochs=20, batch_size=64)


@case(
    F,
    "BatchNorm CNN at the default momentum 0.99, 300 images / batch 64 = 5 steps/epoch",
    expected=("batchnorm_statistics", "overfitting"),
    fix_words=("momentum",),
)
def faulty_batchnorm_default_momentum_few_steps(seed, momentum=0.99):
    xt, xv, yt, yv = data.digits_images(seed)
    xt, yt = xt[:300], yt[:300]
    inp = keras.Input((8, 8, 1))
    x = inp
    for filters in (32, 64):
        x = L.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = L.BatchNormalization(momentum=momentum)(x)
        x = L.Activation("relu")(x)
    x = L.GlobalAveragePooling2D()(x)
    model = keras.Model(inp, L.Dense(10, activation="softmax")(x))
    model = _sparse(model, keras.optimizers.Adam(3e-3))
    return run_spec(model, xt, yt, validation_data=(xv, yv), epochs=30, batch_size=64)
