"""`babysit`'s door: the removed keywords, the arguments' types, and every
combination refused before the data is split or the run folder made."""

import keras
import numpy as np
import pytest

import callbacks
import recipes
from recipes import datasets
from recipes.run import _steps


@pytest.fixture(scope="module")
def iris():
    return datasets.load("iris", seed=0)


@pytest.fixture(scope="module")
def searched(iris, tmp_path_factory):
    """A finished one-trial classification search on iris."""
    return recipes.tune(
        iris.x_train,
        iris.y_train,
        validation_data=iris.validation_data,
        cv=None,
        builder=recipes.RecipeHyperModel(
            "mlp", search_space={"units": (8, 16), "depth": 1, "batch_size": 32}
        ),
        stages=[{"trials": 1, "epochs": 1}],
        directory=str(tmp_path_factory.mktemp("search")),
        seed=0,
    )


@pytest.fixture
def no_split(monkeypatch):
    """Fails any call that splits the data: the door must answer first."""

    def split(*args, **kwargs):
        raise AssertionError("the data was split before the door refused")

    monkeypatch.setattr(_steps, "prepare_data", split)


def _frame(rows=40):
    import pandas as pd

    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, 3)).astype("float32")
    return pd.DataFrame(x, columns=["a", "b", "c"]), (x[:, 0] > 0).astype(int)


def _compiled(width=4):
    model = keras.Sequential([keras.Input((width,)), keras.layers.Dense(3)])
    model.compile("adam", "sparse_categorical_crossentropy")
    return model


@pytest.mark.parametrize(
    "name, value, new_way",
    [
        ("model_kwargs", {"hidden_units": (8,)}, "model=functools.partial("),
        ("tune_kwargs", {"stages": []}, "tune=recipes.tune("),
        ("categorical", ["a"], "table=recipes.TablePreprocessor(categorical="),
        ("id_column", "id", "table=recipes.TablePreprocessor(id_column="),
        ("drop", ["c"], "table=recipes.TablePreprocessor(drop="),
        ("tensorboard", "tb", "callbacks.BabysitterTensorBoard('tb', babysitter="),
    ],
)
def test_a_removed_keyword_names_the_new_way(
    iris, tmp_path, no_split, name, value, new_way
):
    with pytest.raises(TypeError, match=f"`{name}` was removed") as info:
        recipes.babysit(
            iris.x_train, iris.y_train, output_dir=tmp_path / "run", **{name: value}
        )
    assert new_way in str(info.value)
    assert str(info.value).endswith(f"Received: {name}={value!r}")
    assert not (tmp_path / "run").exists()


def test_an_unknown_keyword_is_pythons_own_error(iris, no_split):
    with pytest.raises(TypeError, match="unexpected keyword argument 'epoch'"):
        recipes.babysit(iris.x_train, iris.y_train, epoch=3)


def _sitter():
    return callbacks.Babysitter(verbose=0)


REFUSED = [
    # (arguments, error, what the message says)
    (dict(model="mlp"), TypeError, "`model` must be None"),
    (dict(model=lambda shape: None), TypeError, "called like recipes.build_mlp"),
    (dict(model=_compiled(), tune=True), ValueError, "cannot be combined with a built"),
    (dict(model=recipes.build_mlp, tune=True), ValueError, "a builder has none"),
    (dict(model=recipes.RecipeHyperModel("mlp")), ValueError, "pass tune=True"),
    (dict(tune="yes"), TypeError, "`tune` must be True"),
    (dict(ensemble=2, model=_compiled()), ValueError, "`ensemble` above 1"),
    (dict(ensemble=3, tune=True), ValueError, "`ensemble` above 1"),
    (dict(table=recipes.TablePreprocessor()), ValueError, "pandas DataFrame `x`"),
    (dict(table={"drop": ["a"]}), TypeError, "`table` must be a TablePreprocessor"),
    (dict(callbacks=keras.callbacks.History()), TypeError, "a list of keras"),
    (dict(callbacks=[_sitter()]), ValueError, "pass yours as `babysitter=`"),
    (dict(babysitter="loud"), TypeError, "`babysitter` must be a callbacks"),
    (
        dict(callbacks=[callbacks.BabysitterTensorBoard("tb", babysitter=_sitter())]),
        ValueError,
        "a Babysitter this run does not use",
    ),
    (dict(learning_rate=True), ValueError, "`learning_rate` must be a positive"),
    (dict(epochs=0), ValueError, "`epochs` must be a positive integer"),
]


@pytest.mark.parametrize("kwargs, error, says", REFUSED)
def test_refused_at_the_door(iris, tmp_path, no_split, kwargs, error, says):
    with pytest.raises(error, match=says) as info:
        recipes.babysit(
            iris.x_train, iris.y_train, output_dir=tmp_path / "run", verbose=0, **kwargs
        )
    assert "Received: " in str(info.value)
    assert not (tmp_path / "run").exists()


def test_a_search_given_is_checked_at_the_door(iris, searched, tmp_path, no_split):
    hypermodel = recipes.RecipeHyperModel("mlp")
    with pytest.raises(ValueError, match="already holds the hypermodel"):
        recipes.babysit(iris.x_train, iris.y_train, model=hypermodel, tune=searched)
    with pytest.raises(ValueError, match="classification search, so it cannot"):
        recipes.babysit(iris.x_train, iris.y_train, tune=searched, task="regression")
    assert not (tmp_path / "run").exists()


def test_a_fitted_table_is_refused(tmp_path, no_split):
    frame, y = _frame()
    table = recipes.TablePreprocessor().fit(frame)
    with pytest.raises(ValueError, match="`table` must be unfitted"):
        recipes.babysit(frame, y, table=table, output_dir=tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_a_model_or_search_for_other_inputs_is_refused_before_the_folder(
    iris, searched, tmp_path
):
    for kwargs in (dict(model=_compiled(width=4)), dict(tune=searched)):
        with pytest.raises(ValueError, match=r"shape \(4,\).*\(3,\)|\(3,\).*\(4,\)"):
            recipes.babysit(
                iris.x_train[:, :3],
                iris.y_train,
                output_dir=tmp_path / "run",
                verbose=0,
                **kwargs,
            )
        assert not (tmp_path / "run").exists()


def test_preflight_error_is_a_public_name():
    assert "PreflightError" in recipes.__all__
    assert issubclass(recipes.PreflightError, RuntimeError)
    from recipes.run.errors import PreflightError

    assert recipes.PreflightError is PreflightError


def test_strict_raises_the_public_preflight_error(tmp_path):
    x = np.ones((80, 4), "float32")  # every feature constant: an error before training
    with pytest.raises(recipes.PreflightError) as info:
        recipes.babysit(
            x,
            np.arange(80) % 2,
            strict=True,
            learning_rate=1e-2,
            output_dir=tmp_path / "run",
            verbose=0,
        )
    assert "constant_features" in {f.check for f in info.value.findings}
    assert not (tmp_path / "run").exists()
