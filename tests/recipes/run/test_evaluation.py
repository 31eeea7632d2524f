import keras
import numpy as np
import pytest

from recipes.run.evaluation import evaluate


def _identity_model(units, activation, loss):
    """A model whose output is its input: predictions are known exactly."""
    model = keras.Sequential(
        [
            keras.Input((units,)),
            keras.layers.Dense(
                units,
                activation=activation,
                kernel_initializer="identity",
                bias_initializer="zeros",
            ),
        ]
    )
    model.compile("sgd", loss)
    return model


def test_classification_matches_hand_counts():
    model = _identity_model(3, "softmax", "sparse_categorical_crossentropy")
    pred = np.array([0, 1, 2, 2, 1, 0])  # the class each row votes for
    x = np.eye(3, dtype="float32")[pred] * 5.0
    y = np.array([0, 1, 2, 1, 1, 2])
    out = evaluate(model, x, y, class_names=["a", "b", "c"])
    assert out["task"] == "classification"
    assert out["accuracy"] == pytest.approx(4 / 6)
    assert out["confusion_matrix"] == [[1, 0, 0], [0, 2, 1], [1, 0, 1]]
    b = out["per_class"][1]
    assert b["class"] == "b" and b["support"] == 3
    assert b["precision"] == pytest.approx(1.0)
    assert b["recall"] == pytest.approx(2 / 3)
    assert out["loss"] > 0


def test_one_hot_labels_and_binary_sigmoid():
    model = _identity_model(3, "softmax", "categorical_crossentropy")
    x = np.eye(3, dtype="float32") * 5
    out = evaluate(model, x, np.eye(3, dtype="float32"))
    assert out["accuracy"] == 1.0
    binary = _identity_model(1, "sigmoid", "binary_crossentropy")
    x = np.array([[-3.0], [2.0], [4.0], [-1.0]], "float32")
    out = evaluate(binary, x, np.array([0, 1, 0, 0]))
    assert out["task"] == "binary"
    assert out["confusion_matrix"] == [[2, 1], [0, 1]]


def test_regression_metrics():
    model = _identity_model(1, None, "mse")
    x = np.array([[1.0], [2.0], [3.0], [4.0]], "float32")
    y = np.array([1.0, 2.0, 3.0, 6.0])
    out = evaluate(model, x, y)
    assert out["task"] == "regression"
    assert out["mae"] == pytest.approx(0.5)
    assert out["rmse"] == pytest.approx(1.0)
    assert out["loss"] == pytest.approx(1.0, rel=1e-5)
    assert "accuracy" not in out


def test_bad_input_is_explained():
    model = _identity_model(3, "softmax", "sparse_categorical_crossentropy")
    x = np.eye(3, dtype="float32")
    with pytest.raises(ValueError, match="Received: len"):
        evaluate(model, x, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"class ids in \[0, 3\)"):
        evaluate(model, x, np.array([0, 1, 5]))
    with pytest.raises(ValueError, match="class_names"):
        evaluate(model, x, np.array([0, 1, 2]), class_names=["a"])
    with pytest.raises(ValueError, match="task"):
        evaluate(model, x, np.array([0, 1, 2]), task="ranking")
