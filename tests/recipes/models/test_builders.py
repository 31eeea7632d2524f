import warnings

import keras
import numpy as np
import pytest

import recipes
from recipes import datasets


@pytest.fixture(scope="module")
def digits():
    return datasets.load("digits")


def _layer_types(model):
    return [type(layer).__name__ for layer in model.layers]


def test_mlp_blocks_are_named_dense_bn_activation(digits):
    model = recipes.build_mlp(
        digits.input_shape, 10, hidden_units=(16, 8), x_train=digits.x_train
    )
    names = [layer.name for layer in model.layers]
    for i in range(2):
        assert f"dense_{i}" in names and f"bn_{i}" in names and f"relu_{i}" in names
        assert (
            names.index(f"dense_{i}")
            < names.index(f"bn_{i}")
            < names.index(f"relu_{i}")
        )
        # BN supplies the shift, so the Dense has no bias
        assert not model.get_layer(f"dense_{i}").use_bias
    assert names[1] == "preprocessing" and model.get_layer("flatten")
    assert model.get_layer("output").activation.__name__ == "softmax"
    assert model.optimizer is not None and model.loss == (
        "sparse_categorical_crossentropy"
    )


def test_mlp_without_batch_norm_keeps_bias_and_dropout_l2_options(digits):
    model = recipes.build_mlp(
        digits.input_shape,
        10,
        hidden_units=(8,),
        batch_norm=False,
        dropout=0.25,
        l2=1e-3,
        x_train=digits.x_train,
        compile=False,
    )
    assert "BatchNormalization" not in _layer_types(model)
    assert model.get_layer("dense_0").use_bias
    assert model.get_layer("dropout_0").rate == 0.25
    assert model.get_layer("dense_0").kernel_regularizer.l2 == pytest.approx(1e-3)
    assert not model.compiled  # compile=False


@pytest.mark.parametrize(
    "activation, expected",
    [
        ("relu", "HeNormal"),
        ("leaky_relu", "HeNormal"),
        ("elu", "HeNormal"),
        ("gelu", "HeNormal"),
        ("tanh", "GlorotUniform"),
        ("sigmoid", "GlorotUniform"),
        ("selu", "LecunNormal"),
    ],
)
def test_auto_initializer_follows_activation(activation, expected):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = recipes.build_mlp(
            (4,), 3, hidden_units=(4,), activation=activation, preprocessing=None
        )
    assert type(model.get_layer("dense_0").kernel_initializer).__name__ == expected


def test_explicit_initializer_wins():
    model = recipes.build_mlp(
        (4,),
        3,
        hidden_units=(4,),
        preprocessing=None,
        kernel_initializer="glorot_normal",
    )
    init = model.get_layer("dense_0").kernel_initializer
    assert type(init).__name__ == "GlorotNormal"
    inst = keras.initializers.RandomNormal(stddev=0.01)
    model = recipes.build_mlp(
        (4,), 3, hidden_units=(4,), preprocessing=None, kernel_initializer=inst
    )
    assert model.get_layer("dense_0").kernel_initializer is inst


def test_sigmoid_hidden_layers_warn_once_with_reason():
    from recipes.models import _blocks

    _blocks._warned.discard("sigmoid")
    with pytest.warns(UserWarning, match="saturates.*zig-zag.*'relu'"):
        recipes.build_mlp((4,), 3, activation="sigmoid", preprocessing=None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        recipes.build_mlp((4,), 3, activation="sigmoid", preprocessing=None)


def _data_loss(model, x, y):
    probs = model.predict(x, verbose=0)
    return float(keras.losses.sparse_categorical_crossentropy(y, probs).numpy().mean())


def test_initial_loss_is_the_priors_loss(digits):
    model = recipes.build_mlp(
        digits.input_shape, 10, x_train=digits.x_train, y_train=digits.y_train, seed=0
    )
    loss = _data_loss(model, digits.x_train, digits.y_train)
    counts = np.bincount(digits.y_train, minlength=10) / len(digits.y_train)
    prior_loss = -(counts * np.log(counts)).sum()
    assert abs(loss - prior_loss) / prior_loss < 0.02
    # A default Glorot output layer starts well above it
    plain = keras.Sequential(
        [
            keras.Input(digits.input_shape),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    assert _data_loss(plain, digits.x_train, digits.y_train) > prior_loss * 1.1


def test_initial_loss_follows_imbalanced_priors(rng):
    x = rng.normal(size=(400, 5)).astype("float32")
    y = (rng.random(400) < 0.9).astype("int64")  # 90 % class 1
    model = recipes.build_mlp((5,), 2, x_train=x, y_train=y, seed=0)
    prior_loss = -(0.9 * np.log(0.9) + 0.1 * np.log(0.1))
    assert abs(_data_loss(model, x, y) - prior_loss) / prior_loss < 0.05
    binary = recipes.build_mlp((5,), 2, task="binary", x_train=x, y_train=y, seed=0)
    p = binary.predict(x, verbose=0).ravel()
    assert abs(p.mean() - y.mean()) < 0.02
    assert binary.loss == "binary_crossentropy"


def test_regression_head_starts_at_target_mean(rng):
    x = rng.normal(size=(300, 3)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5]) + 7.0).astype("float32")
    model = recipes.build_mlp((3,), None, task="regression", x_train=x, y_train=y)
    pred = model.predict(x, verbose=0)
    assert pred.shape == (300, 1)
    # the output predicts the standardized target: ~0 +- 0.1 std at the start
    assert abs(pred.mean() - y.mean()) < 0.1 * y.std()
    assert model.get_layer("output").activation.__name__ == "linear"
    model.fit(x, y, epochs=3, verbose=0)


def test_cnn_2d_and_1d_blocks(digits):
    model = recipes.build_cnn(
        digits.input_shape,
        10,
        filters=(8, 16),
        x_train=digits.x_train,
        y_train=digits.y_train,
    )
    assert type(model.get_layer("conv_0")).__name__ == "Conv2D"
    assert not model.get_layer("conv_0").use_bias
    assert type(model.get_layer("pool_0")).__name__ == "MaxPooling2D"
    assert type(model.get_layer("global_pool")).__name__ == "GlobalAveragePooling2D"
    seq = np.random.default_rng(0).normal(size=(50, 40, 1)).astype("float32")
    model1d = recipes.build_cnn(
        (40, 1), 3, filters=(4,), dense_units=(8,), pool="average", x_train=seq
    )
    assert type(model1d.get_layer("conv_0")).__name__ == "Conv1D"
    assert type(model1d.get_layer("dense_1")).__name__ == "Dense"
    assert model1d.predict(seq, verbose=0).shape == (50, 3)


def test_builders_train_on_digits(digits):
    model = recipes.build_mlp(
        digits.input_shape,
        10,
        hidden_units=(64,),
        x_train=digits.x_train,
        y_train=digits.y_train,
        seed=0,
    )
    model.fit(digits.x_train, digits.y_train, epochs=3, batch_size=64, verbose=0)
    assert model.evaluate(digits.x_val, digits.y_val, verbose=0)[1] > 0.75


def _all_kinds(digits):
    x, y = digits.x_train[:200], digits.y_train[:200]
    xf = x.reshape(len(x), -1)
    yield (
        "mlp",
        recipes.build_mlp(
            digits.input_shape, 10, hidden_units=(8,), x_train=x, y_train=y
        ),
        x,
    )
    yield (
        "mlp_pca",
        recipes.build_mlp(
            (64,), 10, hidden_units=(8,), preprocessing="whiten", x_train=xf
        ),
        xf,
    )
    yield (
        "mlp_binary",
        recipes.build_mlp(
            (64,), 2, task="binary", hidden_units=(8,), x_train=xf, y_train=(y > 4)
        ),
        xf,
    )
    yield (
        "mlp_regression",
        recipes.build_mlp(
            (64,),
            None,
            task="regression",
            hidden_units=(8,),
            x_train=xf,
            y_train=y.astype("float32"),
        ),
        xf,
    )
    yield (
        "cnn2d",
        recipes.build_cnn(digits.input_shape, 10, filters=(4, 8), x_train=x, y_train=y),
        x,
    )
    yield (
        "cnn1d",
        recipes.build_cnn(
            (64, 1),
            10,
            filters=(4,),
            dense_units=(8,),
            preprocessing="standardize",
            x_train=xf[..., None],
        ),
        xf[..., None],
    )


def test_every_model_kind_round_trips_in_safe_mode(digits, tmp_path):
    for kind, model, x in _all_kinds(digits):
        model.fit(
            x,
            np.zeros(len(x))
            if "regression" in kind
            else (
                digits.y_train[:200] > 4 if "binary" in kind else digits.y_train[:200]
            ),
            epochs=1,
            verbose=0,
        )
        path = tmp_path / f"{kind}.keras"
        model.save(path)
        loaded = keras.saving.load_model(path, safe_mode=True)
        np.testing.assert_allclose(
            loaded.predict(x, verbose=0),
            model.predict(x, verbose=0),
            rtol=1e-5,
            atol=1e-6,
            err_msg=kind,
        )


def test_recommendations_are_data():
    recs = recipes.recommendations()
    topics = [r["topic"] for r in recs]
    assert topics[:4] == [
        "activation",
        "preprocessing",
        "weight initialization",
        "batch normalization",
    ]
    assert all(r["reason"] and r["source"] for r in recs)


@pytest.mark.parametrize(
    "name, cls",
    [("adam", "Adam"), ("adamw", "AdamW"), ("sgd", "SGD"), ("rmsprop", "RMSprop")],
)
def test_optimizer_names_and_learning_rate(name, cls):
    model = recipes.build_mlp(
        (4,),
        3,
        hidden_units=(4,),
        preprocessing=None,
        optimizer=name,
        learning_rate=0.02,
        name="tiny",
    )
    assert type(model.optimizer).__name__ == cls
    assert float(model.optimizer.learning_rate) == pytest.approx(0.02)
    assert model.name == "tiny"
    if name == "sgd":
        assert float(model.optimizer.momentum) == pytest.approx(0.9)
    custom = keras.optimizers.SGD(0.5)
    model = recipes.build_mlp((4,), 3, preprocessing=None, optimizer=custom)
    assert model.optimizer is custom


def test_one_hot_labels_and_a_fitted_layer_as_preprocessing(rng):
    x = rng.normal(2.0, 3.0, size=(90, 4)).astype("float32")
    y = np.arange(90) % 3
    layer = recipes.preprocessing_layer("center", x)
    model = recipes.build_mlp(
        (4,),
        3,
        hidden_units=(8,),
        preprocessing=layer,
        y_train=np.eye(3)[y],
        one_hot=True,
    )
    assert model.loss == "categorical_crossentropy"
    assert model.get_layer("preprocessing") is layer
    model.fit(x, np.eye(3)[y], epochs=1, verbose=0)


def test_seed_makes_builds_identical():
    a = recipes.build_mlp((4,), 3, hidden_units=(8,), preprocessing=None, seed=3)
    b = recipes.build_mlp((4,), 3, hidden_units=(8,), preprocessing=None, seed=3)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
