"""The fixed variant of every faulty program, for `benchmarks/repair.py`.

Each is the change a careful developer makes once they know the cause, as the
CS231n "Training Neural Networks" lectures teach it: a learning rate in the
usual range, inputs (or targets) standardized with the training split's
statistics, the output head and loss that fit the labels, 0-based labels,
He init for ReLU and Xavier for tanh, dropout / early stopping against
overfitting, capacity against underfitting, a faster BatchNorm momentum when
an epoch has few steps. A fixed variant is its case's own build with other
keyword arguments (each faulty case takes its bug as keyword defaults), so the
data, model and budget are the case's own apart from the fix.
"""

import dataclasses

import _diagnosis_faulty  # noqa: F401  (importing registers the cases)
import _diagnosis_faulty_kinds  # noqa: F401
from _diagnosis_case import CASES


@dataclasses.dataclass(frozen=True)
class Fixed:
    """The fixed program of the faulty case `case`.

    Attributes:
        case: The faulty case's name.
        change: The change, as the developer writes it in their code.
        kwargs: What the case's build takes to make that change.
        beyond: Why no repair can make this change from the program and its
            data (the fix brings rows or labels the program does not have),
            or `""`. The summary counts such programs apart.
    """

    case: str
    change: str
    kwargs: dict
    beyond: str = ""

    def build(self, seed):
        """The run spec of the fixed program (see `_diagnosis_case`)."""
        (faulty,) = [c for c in CASES if c.name == self.case]
        return faulty.build(seed, **self.kwargs)


FIXED = {}


def fix(name, change, beyond="", **kwargs):
    """Registers the fixed variant of case `name`."""
    if name in FIXED:
        raise ValueError(f"Duplicate fixed variant. Received: name={name!r}")
    FIXED[name] = Fixed(name, change, kwargs, beyond)


def missing():
    """Names of faulty cases that have no fixed variant."""
    return sorted(c.name for c in CASES if c.kind == "faulty" and c.name not in FIXED)


LR = "keras.optimizers.{}({})"
fix("lr_far_too_high_sgd", LR.format("SGD", "0.01"), lr=0.01)
fix("lr_too_high_regression_nan", LR.format("SGD", "0.01"), lr=0.01)
fix("adam_lr_too_high_dead_relu", LR.format("Adam", "1e-3"), lr=1e-3)
fix("lr_far_too_low", LR.format("SGD", "0.05"), lr=0.05)
fix("relu_negative_bias", "bias_initializer='zeros'", bias=0.0)
fix(
    "unnormalized_regression_sgd",
    "x = StandardScaler().fit(x_train).transform(x)",
    standardize=True,
)
fix(
    "unnormalized_breast_cancer",
    "x = StandardScaler().fit(x_train).transform(x)",
    standardize=True,
)
# x / 255 alone makes this SGD(0.01) sigmoid net slower (0.12-0.23 against
# 0.79 on seeds 0-2): the careful fix also drops the sigmoid, as the lecture says
fix(
    "pixels_255_sigmoid",
    "x = StandardScaler().fit(x_train).transform(x); "
    "Dense(128, activation='relu', kernel_initializer='he_normal')",
    standardize=True,
    act="relu",
    init="he_normal",
)
fix(
    "sigmoid_mse_sgd",
    "Dense(64, activation='relu', kernel_initializer='he_normal'); "
    "loss='categorical_crossentropy'",
    act="relu",
    init="he_normal",
    loss="categorical_crossentropy",
)
fix("tanh_large_init", "kernel_initializer='glorot_uniform'", init="glorot_uniform")
fix("relu30_xavier", "kernel_initializer='he_normal'", init="he_normal")
fix("relu_head_cce", "Dense(10, activation='softmax')", out_act="softmax")
fix("linear_head_no_from_logits", "Dense(10, activation='softmax')", out_act="softmax")
fix("softmax_one_unit_bce", "Dense(1, activation='sigmoid')", out_act="sigmoid")
fix("labels_one_based", "y = y - 1", first_label=0)
fix(
    "double_softmax",
    "SparseCategoricalCrossentropy(from_logits=False)",
    from_logits=False,
)
fix(
    "shuffled_labels",
    "join the labels to their rows by key",
    beyond="the right labels: no transform of the rows given brings them back",
    broken_join=False,
)
# EarlyStopping on val_loss stops before the accuracy peaks here (0.59 against
# 0.61-0.62 unstopped); dropout alone gains ~0.02-0.04 within the 30 epochs
fix("mnist1d_mlp_overfits", "Dropout(0.3) after each hidden layer", dropout=0.3)
# with 100 rows no regularization helps (dropout 0.5 + L2 1e-3 + early stopping:
# 0.19-0.26, as buggy): the lecture's first remedy, more data, is the fix
fix(
    "overfit_small_data",
    "collect more data: 1,000 training rows, not 100",
    beyond="900 more rows: data the program does not have",
    n=1000,
)
fix(
    "underfit_linear_circles",
    "two hidden Dense(32, activation='relu') layers",
    hidden=(32, 32),
)
fix("l2_far_too_strong", "kernel_regularizer=L2(1e-4)", l2=1e-4)
fix("dropout_0_9", "Dropout(0.2)", dropout=0.2)
fix(
    "validation_split_sorted",
    "shuffle the rows before fit(validation_split=0.2)",
    shuffle=True,
)
fix(
    "batch1_momentum_099",
    "batch_size=32; SGD(0.01, momentum=0.9)",
    batch_size=32,
    momentum=0.9,
)
# He init alone leaves SGD(1e-3) at 0.21-0.38 in 5 epochs; 0.01 is the usual rate
fix(
    "exploding_gradients",
    "kernel_initializer='he_normal'; SGD(0.01)",
    init="he_normal",
    lr=0.01,
)
fix(
    "nan_in_inputs",
    "x = SimpleImputer(strategy='mean').fit(x_train).transform(x)",
    impute=True,
)
fix("batchnorm_lagging", "BatchNormalization(momentum=0.9)", momentum=0.9)
fix(
    "batchnorm_default_momentum_few_steps",
    "BatchNormalization(momentum=0.9)",
    momentum=0.9,
)
fix(
    "unscaled_price_target",
    "y = (y - y_train.mean()) / y_train.std()  # undo on the predictions",
    scale_target=True,
)
fix("relu_regression_output", "Dense(1)  # linear output", out_act=None)
fix(
    "validation_unscaled",
    "x_val = scaler.transform(x_val)  # the scaler fitted on x_train",
    scale_validation=True,
)
fix("labels_minus_one", "y = (y > 0).astype('float32')  # 0/1", negative=0)
for name, units in (
    ("softmax_one_unit_mse", 1),
    ("multi_hot_softmax", 5),
    ("multi_hot_softmax_mse", 5),
):
    fix(
        name,
        f"Dense({units}, activation='sigmoid'); loss='binary_crossentropy'",
        out_act="sigmoid",
        loss="binary_crossentropy",
    )
