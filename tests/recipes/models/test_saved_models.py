"""Models saved by earlier versions reload: registered names never move.

`tests/data/mlp_pca_before_layout.keras` was written by `build_mlp(...,
preprocessing="whiten")` at commit 1d257dc, before `recipes/` was split into
models/checks/search/run (its config names the module `recipes.pca_layer`).
"""

import pathlib

import keras
import numpy as np

import recipes  # noqa: F401  (registers the `recipes>` classes with Keras)

DATA = pathlib.Path(__file__).resolve().parents[2] / "data"


def test_a_model_saved_before_the_layout_move_reloads_in_safe_mode():
    from recipes.models.pca import PCAProjection

    model = keras.saving.load_model(DATA / "mlp_pca_before_layout.keras")
    expected = np.load(DATA / "mlp_pca_before_layout.npz")
    assert isinstance(model.get_layer("preprocessing"), PCAProjection)
    np.testing.assert_allclose(
        model.predict(expected["x"], verbose=0), expected["y_pred"], atol=1e-6
    )
