"""Every bad input to the builders is a clear error, before anything is built."""

import numpy as np
import pytest

import recipes

X = np.random.default_rng(0).normal(size=(20, 4)).astype("float32")
Y = np.arange(20) % 3


def build(**kw):
    args = dict(input_shape=(4,), num_classes=3, x_train=X, y_train=Y)
    args.update(kw)
    return recipes.build_mlp(args.pop("input_shape"), args.pop("num_classes"), **args)


@pytest.mark.parametrize(
    "kwargs, error, pattern",
    [
        (
            {"x_train": np.where(np.eye(20, 4) > 0, np.nan, X)},
            ValueError,
            r"`x_train` contains 4 NaN or infinite.*Received",
        ),
        (
            {"x_train": np.where(np.eye(20, 4) > 0, np.inf, X)},
            ValueError,
            r"NaN or infinite",
        ),
        (
            {"y_train": np.arange(20) % 5},
            ValueError,
            r"class ids in \[0, 3\).*Received: y_train values in \[0, 4\]",
        ),
        ({"y_train": -(np.arange(20) % 3)}, ValueError, r"class ids in \[0, 3\)"),
        (
            {"y_train": np.eye(3)[Y]},
            ValueError,
            r"looks one-hot.*argmax.*one_hot=True.*Received: y_train.shape=\(20, 3\)",
        ),
        (
            {"y_train": Y, "one_hot": True},
            ValueError,
            r"one_hot=True.*Received: y_train.shape=\(20,\)",
        ),
        ({"y_train": Y[:10]}, ValueError, r"10 entries but the inputs have 20"),
        ({"y_train": Y + 0.5}, ValueError, r"integer class ids.*task='regression'"),
        (
            {"input_shape": (5,)},
            ValueError,
            r"shaped \(4,\) but the model expects \(5,\).*Received: x_train.shape",
        ),
        ({"num_classes": 1}, ValueError, r"num_classes` >= 2.*Received: num_classes=1"),
        ({"num_classes": 0}, ValueError, r"num_classes` >= 2"),
        ({"num_classes": 3, "task": "binary"}, ValueError, r"two classes"),
        ({"task": "ranking"}, ValueError, r"`task` must be one of"),
        (
            {"activation": "relu6"},
            ValueError,
            r"Unknown activation 'relu6'. Expected one of .*'relu'.*Received",
        ),
        (
            {"kernel_initializer": "he_wonderful"},
            ValueError,
            r"Unknown kernel_initializer 'he_wonderful'.*'he_normal'.*Received",
        ),
        (
            {"preprocessing": "zca"},
            ValueError,
            r"Unknown preprocessing 'zca'. Expected one of .*'standardize'.*Received",
        ),
        (
            {"x_train": None},
            ValueError,
            r"preprocessing='standardize' is fitted on the training split.*"
            r"Received: x_train=None",
        ),
        (
            {"optimizer": "adagrad2"},
            ValueError,
            r"Unknown optimizer 'adagrad2'. Expected one of .*'adam'.*Received",
        ),
        ({"optimizer": 3}, TypeError, r"keras.optimizers.Optimizer"),
        ({"learning_rate": 0}, ValueError, r"positive number.*learning_rate=0"),
        ({"dropout": 1.0}, ValueError, r"`dropout` must be a number in \[0, 1\)"),
        ({"l2": -1.0}, ValueError, r"`l2` must be a number >= 0"),
        ({"hidden_units": (16, 0)}, ValueError, r"positive integers"),
        ({"input_shape": "abc"}, TypeError, r"tuple of positive integers"),
        ({"x_train": np.array([["a"] * 4] * 20)}, TypeError, r"numeric"),
    ],
)
def test_bad_input_is_a_clear_error(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        build(**kwargs)


def test_cnn_specific_errors():
    with pytest.raises(
        ValueError,
        match=r"\(length, channels\).*Received: "
        r"input_shape=\(4,\)",
    ):
        recipes.build_cnn((4,), 3, preprocessing=None)
    with pytest.raises(ValueError, match="PCA preprocessing flattens"):
        recipes.build_cnn(
            (8, 8, 1), 3, preprocessing="pca", x_train=np.zeros((4, 8, 8, 1))
        )
    with pytest.raises(ValueError, match="`pool` must be one of"):
        recipes.build_cnn((8, 1), 3, pool="min", preprocessing=None)
    with pytest.raises(ValueError, match="`filters` must be a non-empty"):
        recipes.build_cnn((8, 1), 3, filters=(), preprocessing=None)


def test_unknown_dataset_lists_the_names():
    with pytest.raises(
        ValueError,
        match=r"Expected one of \('digits'.*"
        r"Received: name='mnist'",
    ):
        recipes.datasets.load("mnist")
