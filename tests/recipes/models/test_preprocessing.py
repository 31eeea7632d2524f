import keras
import numpy as np
import pytest

import recipes
from recipes.models.preprocessing import KINDS


@pytest.fixture
def images(rng):
    x = rng.normal(3.0, 2.0, size=(200, 6, 6, 3)).astype("float32")
    x[:, 0, 0, 0] = 0.0  # a pixel that is constant in training
    return x


def test_standardize_centers_and_scales_on_train_only(rng):
    x_train = rng.normal(10.0, 5.0, size=(500, 4)).astype("float32")
    x_test = rng.normal(-10.0, 1.0, size=(50, 4)).astype("float32")
    layer = recipes.preprocessing_layer("standardize", x_train)
    out = np.asarray(layer(x_train))
    np.testing.assert_allclose(out.mean(0), 0, atol=1e-4)
    np.testing.assert_allclose(out.std(0), 1, atol=1e-3)
    # test data is transformed with the training statistics, not its own
    assert np.asarray(layer(x_test)).mean() < -3


def test_constant_feature_gets_scale_one_not_1e7():
    x_train = np.zeros((100, 3), "float32")
    x_train[:, 1:] = np.random.default_rng(1).normal(size=(100, 2))
    layer = recipes.preprocessing_layer("standardize", x_train)
    unseen = np.array([[1.0, 0.0, 0.0]], "float32")
    assert abs(float(np.asarray(layer(unseen))[0, 0]) - 1.0) < 1e-6


def test_digits_standardize_keeps_test_inputs_bounded():
    data = recipes.datasets.load("digits", flat=True)
    plain = keras.layers.Normalization()
    plain.adapt(data.x_train)
    ours = recipes.preprocessing_layer("standardize", data.x_train)
    # Keras' own adapt divides always-zero pixels by 1e-7 ...
    assert np.abs(np.asarray(plain(data.x_test))).max() > 1e5
    # ... ours does not
    assert np.abs(np.asarray(ours(data.x_test))).max() < 100


def test_center_only_subtracts_mean(rng):
    x = rng.normal(5.0, 3.0, size=(300, 4)).astype("float32")
    out = np.asarray(recipes.preprocessing_layer("center", x)(x))
    np.testing.assert_allclose(out.mean(0), 0, atol=1e-4)
    np.testing.assert_allclose(out.std(0), x.std(0), rtol=1e-4)


def test_per_channel_and_mean_image(images):
    pc = np.asarray(recipes.preprocessing_layer("per_channel", images)(images))
    np.testing.assert_allclose(pc.mean(axis=(0, 1, 2)), 0, atol=1e-4)
    np.testing.assert_allclose(pc.std(axis=(0, 1, 2)), 1, atol=1e-2)
    mi = np.asarray(recipes.preprocessing_layer("mean_image", images)(images))
    np.testing.assert_allclose(mi.mean(0), 0, atol=1e-4)
    np.testing.assert_allclose(mi.std(), images.std(0).mean(), rtol=0.05)


def test_pca_and_whiten(rng):
    base = rng.normal(size=(400, 3))
    x = base @ rng.normal(size=(3, 8)) + 0.01 * rng.normal(size=(400, 8)) + 4
    x = x.astype("float32")
    pca = recipes.preprocessing_layer("pca", x)
    assert pca.n_components == 3  # 99 % of the variance lives in 3 directions
    out = np.asarray(pca(x))
    np.testing.assert_allclose(out.mean(0), 0, atol=1e-3)
    white = recipes.preprocessing_layer("whiten", x, n_components=3, epsilon=0.0)
    cov = np.cov(np.asarray(white(x)), rowvar=False)
    np.testing.assert_allclose(cov, np.eye(3), atol=0.02)


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_round_trips_in_a_saved_model(kind, tmp_path, images):
    x = images.reshape(len(images), -1) if kind in ("pca", "whiten") else images
    layer = recipes.preprocessing_layer(kind, x)
    inputs = keras.Input(x.shape[1:])
    model = keras.Model(inputs, layer(inputs))
    path = tmp_path / "pre.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)  # default safe_mode=True
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-5
    )


def test_bad_inputs():
    with pytest.raises(ValueError, match="Expected one of .*Received: kind='zca'"):
        recipes.preprocessing_layer("zca", np.zeros((4, 2)))
    with pytest.raises(ValueError, match="needs `x_train`.*Received: x_train=None"):
        recipes.preprocessing_layer("center", None)
    bad = np.ones((5, 2))
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        recipes.preprocessing_layer("standardize", bad)
    with pytest.raises(ValueError, match="images or sequences"):
        recipes.preprocessing_layer("per_channel", np.ones((5, 2)))
    with pytest.raises(ValueError, match="flat feature vectors"):
        recipes.preprocessing_layer("pca", np.ones((5, 2, 2, 1)))
    with pytest.raises(TypeError, match="numeric"):
        recipes.preprocessing_layer("center", np.array([["a", "b"], ["c", "d"]]))


def test_tabular_features_of_very_different_scales_all_get_unit_std():
    data = recipes.datasets.load("breast_cancer")  # areas ~1e3, smoothness ~1e-2
    out = np.asarray(
        recipes.preprocessing_layer("standardize", data.x_train)(data.x_train)
    )
    np.testing.assert_allclose(out.std(0), 1, atol=1e-3)


def test_a_nearly_constant_pixel_is_not_blown_up(rng):
    x = rng.normal(8.0, 4.0, size=(1000, 4, 4, 1)).astype("float32")
    x[:, 0, 0, 0] = 0.0
    x[0, 0, 0, 0] = 1.0  # set in one training image only
    layer = recipes.preprocessing_layer("standardize", x)
    unseen = np.zeros((1, 4, 4, 1), "float32")
    unseen[0, 0, 0, 0] = 16.0
    # plain standardization would give 16 / 0.03 = 500
    assert abs(float(np.asarray(layer(unseen))[0, 0, 0, 0])) < 50
