"""Faulty programs of kinds the first suite lacked: regression, data, multi-label.

Written here from what goes wrong in practice (a price column left in
currency units, a ReLU kept on a regression output, a scaler applied to the
training inputs only, labels exported as -1/+1, multi-hot tags trained with
softmax and MSE); none is ported from a benchmark collection. Like the other
faulty cases, each takes keyword arguments whose defaults are the bug, so
`benchmarks/_repair_fixed.py` builds the fixed program from the same code.
"""

import _diagnosis_data as data
import keras
import numpy as np
from _diagnosis_case import case, dense_net, run_spec
from _diagnosis_faulty import F, faulty_multi_hot_softmax


def _house_regression(seed, out_act=None, scale_target=False, price=False):
    """House prices from standardized features; MSE, Adam 1e-3, 30 epochs."""
    xt, xv, yt, yv = data.raw_scale_regression(seed, price=price)
    xt, xv = data.standardize(xt, xv)
    if scale_target:  # with the training split's mean and std
        mean, std = yt.mean(), yt.std()
        yt, yv = (yt - mean) / std, (yv - mean) / std
    model = dense_net(5, [64, 64], 1, out_act=out_act)
    model.compile(keras.optimizers.Adam(1e-3), "mse", metrics=["mae"])
    return run_spec(
        model, xt, yt, validation_data=(xv, yv), epochs=30, task="regression"
    )


@case(
    F,
    "house prices left in currency units (~350,000) under MSE, Adam 1e-3: the "
    "output cannot grow that far in the budget",
    expected=("label_range", "underfitting", "stalled_loss"),
    fix_words=("standardiz|scal", "target"),
)
def faulty_unscaled_price_target(seed, scale_target=False):
    return _house_regression(seed, scale_target=scale_target, price=True)


@case(
    F,
    "Dense(1, activation='relu') output on a standardized (half negative) "
    "regression target",
    expected=("output_activation", "dead_units"),
    fix_words=("linear",),
)
def faulty_relu_regression_output(seed, out_act="relu"):
    return _house_regression(seed, out_act=out_act)


@case(
    F,
    "multi-hot tags under softmax + MSE (should be sigmoid + binary_crossentropy)",
    expected=("output_activation",),
    fix_words=("sigmoid",),
)
def faulty_multi_hot_softmax_mse(seed, out_act="softmax", loss="mse"):
    return faulty_multi_hot_softmax(seed, out_act=out_act, loss=loss)


@case(
    F,
    "wine: the scaler fitted and applied to the training inputs only; the "
    "validation inputs stay raw",
    expected=("held_out_scale",),
    fix_words=("validation", "scal|standardiz|normaliz"),
)
def faulty_validation_unscaled(seed, scale_validation=False):
    xt, xv, yt, yv = data.tabular_raw("wine", seed)
    xt_scaled, xv_scaled = data.standardize(xt, xv)
    xv = xv_scaled if scale_validation else xv
    model = dense_net(13, [32, 32], 3)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return run_spec(
        model, xt_scaled, yt, validation_data=(xv, yv), epochs=20, batch_size=16
    )


@case(
    F,
    "breast_cancer labels exported as -1/+1 (SVM style) into sigmoid + "
    "binary_crossentropy",
    expected=("label_range",),
    fix_words=("0|label",),
)
def faulty_labels_minus_one(seed, negative=-1):
    xt, xv, yt, yv = data.tabular("breast_cancer", seed)
    yt, yv = (np.where(y == 0, negative, y).astype("float32") for y in (yt, yv))
    model = dense_net(30, [16], 1, out_act="sigmoid")
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    return run_spec(model, xt, yt, validation_data=(xv, yv), epochs=20, task="binary")
