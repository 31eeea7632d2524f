"""The average of several networks on a small table (recipes.run._ensemble)."""

import logging

import numpy as np
import pytest


def _frame(rows=90, seed=0):
    import pandas as pd

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 3)).astype("float32")
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(int)
    return pd.DataFrame(x, columns=["a", "b", "c"]), y


def test_default_size_averages_the_recipes_model_on_small_tables_only():
    from recipes.run._ensemble import MEMBERS, ROWS, default_size
    from recipes.run._steps import Splits

    def splits(rows, table):
        x = np.zeros((rows, 3), "float32")
        return Splits(
            x,
            np.zeros(rows),
            x,
            np.zeros(rows),
            None,
            None,
            "classification",
            2,
            [],
            table=table,
        )

    table = object()  # stands for a fitted TablePreprocessor
    assert default_size(splits(120, table), recipe_model=True, tune=False) == MEMBERS
    assert default_size(splits(ROWS - 1, table), recipe_model=True, tune=False) == 5
    assert default_size(splits(ROWS, table), recipe_model=True, tune=False) == 1
    assert default_size(splits(120, None), recipe_model=True, tune=False) == 1
    assert default_size(splits(120, table), recipe_model=False, tune=False) == 1
    assert default_size(splits(120, table), recipe_model=True, tune=True) == 1


def test_the_average_is_the_members_mean_reloads_and_leaves_the_watched_run_alone(
    tmp_path,
):
    import keras

    import recipes
    from recipes.models.loading import predict_table

    frame, y = _frame()
    kwargs = dict(
        task="classification",
        epochs=3,
        learning_rate=1e-2,
        preflight=False,
        verbose=0,
        seed=3,
    )
    single = recipes.babysit(
        frame, y, output_dir=str(tmp_path / "one"), ensemble=1, **kwargs
    )
    assert single.ensemble == 1
    assert not any(layer.name.startswith("member_") for layer in single.model.layers)

    records = []  # TensorFlow's "retracing" warning, if a predict per member
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger("tensorflow").addHandler(handler)
    try:
        result = recipes.babysit(
            frame, y, output_dir=str(tmp_path / "five"), ensemble=5, **kwargs
        )
    finally:
        logging.getLogger("tensorflow").removeHandler(handler)
    assert not [r for r in records if "retracing" in r.getMessage()]
    assert result.ensemble == 5
    # the watched network trains exactly as it would alone
    assert result.history["loss"] == single.history["loss"]
    members = [m for m in result.model.layers if m.name.startswith("member_")]
    assert len(members) == 5
    # numeric columns without gaps: the table's encoding passes them through
    encoded = frame.to_numpy("float32")
    each = [m.predict(encoded, verbose=0) for m in members]
    assert not np.allclose(each[0], each[1])  # other seeds, other networks
    np.testing.assert_allclose(
        result.model.predict(encoded, verbose=0), np.mean(each, axis=0), rtol=1e-5
    )
    assert "the average of 5 networks" in result.summary()
    alone = result.metrics["members"]  # each network's own test accuracy
    assert len(alone) == 5 and all(0 <= v <= 1 for v in alone)
    assert f"alone they score {min(alone):.4f} to {max(alone):.4f}" in result.summary()
    report = (tmp_path / "five" / "report.md").read_text()
    assert "| parameters | 5 x " in report and "| average | of 5 networks" in report
    # the saved model (raw columns in) reloads in safe mode and predicts the same
    loaded = recipes.load_model(str(tmp_path / "five" / "model.keras"))
    preds = predict_table(loaded, frame)
    probs = preds[[c for c in preds if c.startswith("probability_")]].to_numpy()
    np.testing.assert_allclose(probs, np.mean(each, axis=0), rtol=1e-4, atol=1e-6)
    assert isinstance(loaded, keras.Model)


@pytest.mark.parametrize(
    "bad, match",
    [
        (dict(ensemble=0), "`ensemble` must be a positive integer"),
        (dict(ensemble=True), "`ensemble` must be a positive integer"),
        (dict(ensemble=2, tune=True), "cannot be combined with a built `model` or"),
    ],
)
def test_bad_ensemble_is_refused_before_training(tmp_path, bad, match):
    import recipes

    frame, y = _frame(40)
    with pytest.raises(ValueError, match=match) as info:
        recipes.babysit(frame, y, output_dir=str(tmp_path / "run"), verbose=0, **bad)
    assert "Received: ensemble=" in str(info.value)
    assert not (tmp_path / "run").exists()


def test_cli_refuses_a_bad_ensemble_in_one_line(tmp_path, capsys):
    from recipes.cli import main

    frame, y = _frame(40)
    frame["label"] = y
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    code = main(
        [
            "fit",
            str(path),
            "--target",
            "label",
            "--ensemble",
            "0",
            "--output-dir",
            str(tmp_path / "run"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "--ensemble must be positive" in err
    assert not (tmp_path / "run").exists()


def test_each_further_member_stops_on_its_own_fold_of_all_rows():
    from recipes.run._ensemble import member_splits
    from recipes.run._steps import Splits

    rng = np.random.default_rng(0)
    x = np.arange(100, dtype="float32").reshape(50, 2)
    y = rng.integers(0, 2, 50)
    splits = Splits(
        x[:40],
        y[:40],
        x[40:],
        y[40:],
        None,
        None,
        "classification",
        2,
        [],
        table=object(),
    )
    parts = member_splits(splits, 4, seed=0)
    assert len(parts) == 4
    seen = [set(p.x_val[:, 0].tolist()) for p in parts]
    for i, p in enumerate(parts):
        assert len(p.x_train) + len(p.x_val) == 50  # every row, once
        assert seen[i].isdisjoint(set(p.x_train[:, 0].tolist()))
        for j in range(i):
            assert seen[i].isdisjoint(seen[j])  # a different fold each
    # a class with a single row cannot be folded: the first member's split
    y1 = np.zeros(50, int)
    y1[0] = 1
    rare = Splits(
        x[:40],
        y1[:40],
        x[40:],
        y1[40:],
        None,
        None,
        "classification",
        2,
        [],
        table=object(),
    )
    assert all(p is rare for p in member_splits(rare, 4, seed=0))
    # regression folds by rows: 3 pooled rows fold in 1 (two rows a fold)
    tiny = Splits(
        x[:2],
        x[:2, 0],
        x[2:3],
        x[2:3, 0],
        None,
        None,
        "regression",
        None,
        [],
        table=object(),
    )
    assert all(p is tiny for p in member_splits(tiny, 4, seed=0))
    regression = Splits(
        x[:40],
        x[:40, 0],
        x[40:],
        x[40:, 0],
        None,
        None,
        "regression",
        None,
        [],
        table=object(),
    )
    parts = member_splits(regression, 4, seed=0)
    assert [len(p.x_val) for p in parts] == [10, 10, 10, 10]
