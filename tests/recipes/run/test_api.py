"""`babysit`'s single-level arguments at work: a builder as `model`, a
`TablePreprocessor` as `table`, `callbacks` and `babysitter`, a `TuneResult`
or a `RecipeHyperModel` to search."""

import functools

import keras
import numpy as np
import pytest

import callbacks
import recipes
from recipes import datasets
from recipes.run import _defaults, _door
from recipes.run._state import DataArgs
from recipes.run._steps import Splits
from recipes.run.babysit import babysit_checked

FAST = dict(epochs=2, preflight=False, learning_rate=1e-2, seed=0, verbose=0)


@pytest.fixture(scope="module")
def iris():
    return datasets.load("iris", seed=0)


def _table_splits(rows=100):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, 3)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    return Splits(x, y, x, y, None, None, "classification", 2, ["0", "1"], table=1)


def _widths(model):
    return [layer.units for layer in model.layers if layer.name.startswith("dense_")]


def test_a_builder_on_a_table_gets_the_tables_widths_unless_it_set_them():
    splits = _table_splits()

    def build(builder):
        return _defaults.default_model(
            splits, learning_rate=1e-3, seed=0, builder=builder
        )

    assert _widths(build(None)) == [64, 64]  # the recipe's: sized for 100 rows
    assert _widths(build(recipes.build_mlp)) == [64, 64]
    assert _widths(build(functools.partial(recipes.build_mlp, dropout=0.1))) == [64, 64]
    given = functools.partial(recipes.build_mlp, hidden_units=(8,))
    assert _widths(build(given)) == [8]
    assert _defaults.builder_name(given, splits) == (
        "recipes.build_mlp(hidden_units=(8,))"
    )
    assert _defaults.builder_name(None, splits) == "recipes.build_mlp"


def test_a_builder_callbacks_and_a_babysitter_of_ones_own(iris, tmp_path):
    seen = []

    class Keys(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(sorted(logs))

    sitter = callbacks.Babysitter(verbose=0)
    result = recipes.babysit(
        iris.x_train,
        iris.y_train,
        model=functools.partial(recipes.build_mlp, hidden_units=(8,)),
        babysitter=sitter,
        callbacks=[Keys()],
        output_dir=tmp_path / "run",
        **FAST,
    )
    assert _widths(result.model) == [8]
    assert len(seen) == 2  # run after the Babysitter: its keys are in `logs`
    assert any(key.startswith("dead_fraction/") for key in seen[0])
    assert sitter.model is result.model  # the Babysitter given watched the run
    report = (tmp_path / "run" / "report.md").read_text()
    assert "from `recipes.build_mlp(hidden_units=(8,))`" in report


def test_a_table_carries_the_dataframe_options(tmp_path):
    import pandas as pd

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a", "b", "note"])
    y = (frame["a"] > 0).astype(int).to_numpy()
    table = recipes.TablePreprocessor(drop=["note"])
    recipes.babysit(
        frame, y, table=table, ensemble=1, output_dir=tmp_path / "run", **FAST
    )
    assert not table.fitted  # a copy was fitted on the training rows
    model = recipes.load_model(str(tmp_path / "run" / "model.keras"))
    assert "note" in model.schema["ignored"]
    assert "note" not in model.schema["features"]


def test_a_search_given_is_trained_not_run_again(iris, tmp_path):
    searched = recipes.tune(
        iris.x_train,
        iris.y_train,
        validation_data=iris.validation_data,
        cv=None,
        search_space={"units": (8, 16), "depth": 1, "batch_size": 32},
        stages=[{"trials": 2, "epochs": 1}],
        directory=str(tmp_path / "tuning"),
        seed=0,
    )
    best = searched.best_hyperparameters
    result = recipes.babysit(
        iris.x_train,
        iris.y_train,
        validation_data=iris.validation_data,
        x_test=iris.x_test,  # rows the search never saw
        y_test=iris.y_test,
        tune=searched,
        epochs=2,
        preflight=False,
        output_dir=tmp_path / "run",
        seed=0,
        verbose=0,
    )
    run = tmp_path / "run"
    assert result.search is searched
    assert not (run / "search").exists()  # no new search
    assert result.learning_rate == pytest.approx(best["learning_rate"])
    assert _widths(result.model) == [best["units"]]
    lines = (run / "search_trials.csv").read_text().splitlines()
    assert len(lines) == 3  # the header and the two trials
    assert (run / "search.png").stat().st_size > 0
    assert "## Random search: the best 2 of 2 trials" in (run / "report.md").read_text()


def test_tune_true_searches_the_hypermodel_given(iris, tmp_path):
    # The command line's way in: the default search with its stages and folds.
    space = recipes.RecipeHyperModel(
        "mlp", search_space={"units": (8, 16), "depth": 1, "batch_norm": False}
    )
    options = _door.run_options(
        iris.x_train,
        table=None,
        task="auto",
        search_args={"stages": [{"trials": 2, "epochs": 1}], "cv": None},
        model=space,
        tune=True,
        callbacks=None,
        babysitter=None,
        batch_size=None,
        patience=None,
        ensemble=None,
        strict=False,
        **FAST,
    )
    data = DataArgs(iris.x_train, iris.y_train)
    result = babysit_checked(data, options, output_dir=tmp_path / "run")
    table = result.search.table()
    assert len(table) == 2 and set(table["depth"]) == {1}
    assert table["units"].between(8, 16).all()
    assert not table["batch_norm"].any()
    assert (tmp_path / "run" / "search" / "stage_0").is_dir()
    assert not any(layer.name.startswith("bn_") for layer in result.model.layers)
