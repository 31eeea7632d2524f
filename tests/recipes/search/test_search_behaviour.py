"""Issue 17: ties, cv on small validation sets, resume fingerprint, the edge
rule, progress lines and `max_trials`."""

import json
import os

import numpy as np
import pytest

from recipes.search import space as _search_space
from recipes.search.hypermodel import RecipeHyperModel
from recipes.search.tuning import tune

SMALL = {"units": (8, 32), "depth": 1}


@pytest.fixture
def iris():
    from recipes import datasets

    return datasets.load("iris")


def _blobs(n, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n).astype("int32")
    x = rng.normal(size=(n, 4)).astype("float32") + y[:, None]
    return x, y


def _trial_dirs(path):
    return [d for _, ds, _ in os.walk(path) for d in ds if d.startswith("trial_")]


def test_ties_are_broken_on_val_loss(iris, tmp_path):
    kwargs = dict(
        validation_data=iris.validation_data,
        cv=None,
        search_space=SMALL,
        seed=0,
        directory=str(tmp_path),
        stages=[{"trials": 3, "epochs": 1}],
        babysit=False,
    )
    result = tune(iris.x_train, iris.y_train, **kwargs)
    losses = list(result.table()["val_loss_at_best"])
    assert len(set(losses)) == 3 and all(np.isfinite(losses))
    # Make every trial tie on the objective, as 8 of 10 did on wine.
    for path in tmp_path.glob("search/stage_0/trial_*/trial.json"):
        saved = json.loads(path.read_text())
        saved["score"] = 1.0
        for obs in saved["metrics"]["metrics"]["val_accuracy"]["observations"]:
            obs["value"] = [1.0]
        path.write_text(json.dumps(saved))
    tied = tune(iris.x_train, iris.y_train, **kwargs)  # resumes: nothing runs
    assert set(tied.table()["val_accuracy"]) == {1.0}
    assert tied.best_trial["val_loss_at_best"] == pytest.approx(min(losses), abs=1e-4)
    assert list(tied.table(sort=True)["val_loss_at_best"]) == sorted(losses)
    # The CSV is sorted best first too.
    import pandas as pd

    csv = pd.read_csv(tied.to_csv(str(tmp_path / "trials.csv")))
    assert list(csv["val_loss_at_best"]) == sorted(losses)


def test_cv_by_default_on_a_small_validation_set(iris, tmp_path, capsys):
    result = tune(
        iris.x_train,
        iris.y_train,
        validation_data=iris.validation_data,  # 18 rows
        search_space=SMALL,
        seed=0,
        directory=str(tmp_path / "small"),
        stages=[{"trials": 1, "epochs": 1}],
        babysit=False,
        verbose=1,
    )
    assert list(result.table()["epochs"]) == [5]  # 1 epoch x 5 folds
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("[tune] The validation set would have 18 rows")
    (note,) = [f for f in result.findings if f.check == "search_cv_default"]
    assert note.severity == "info" and "18 rows" in note.message
    assert "5 folds" in note.message and "cv=None" in note.suggestion
    # The refit (always, with cv) uses train + validation.
    model = result.best_model()
    mean = np.asarray(model.get_layer("preprocessing").mean).ravel()
    everything = np.concatenate([iris.x_train, iris.x_val])
    np.testing.assert_allclose(mean, everything.mean(axis=0), rtol=1e-5)
    # cv=None keeps the one validation set, and says nothing.
    plain = tune(
        iris.x_train,
        iris.y_train,
        validation_data=iris.validation_data,
        cv=None,
        search_space=SMALL,
        seed=0,
        directory=str(tmp_path / "plain"),
        stages=[{"trials": 1, "epochs": 1}],
        babysit=False,
    )
    assert list(plain.table()["epochs"]) == [1]
    assert not [f for f in plain.findings if f.check == "search_cv_default"]


def test_no_cv_by_default_on_a_large_validation_set(tmp_path):
    x, y = _blobs(1250)
    result = tune(
        x,
        y,  # a 20 % split: 250 validation rows
        search_space=SMALL,
        seed=0,
        directory=str(tmp_path),
        stages=[{"trials": 1, "epochs": 1}],
        babysit=False,
    )
    assert list(result.table()["epochs"]) == [1]
    assert not [f for f in result.findings if f.check == "search_cv_default"]


@pytest.mark.parametrize("cv", [1, 2.0, "five", True])
def test_bad_cv_fails_before_the_first_trial(iris, tmp_path, cv):
    with pytest.raises(ValueError, match=r"Received: cv="):
        tune(iris.x_train, iris.y_train, cv=cv, directory=str(tmp_path))
    assert not _trial_dirs(tmp_path)


def test_resume_refuses_a_search_of_other_data(iris, tmp_path):
    kwargs = dict(
        cv=None,
        search_space=SMALL,
        seed=0,
        directory=str(tmp_path),
        stages=[{"trials": 1, "epochs": 1}],
        babysit=False,
    )
    tune(iris.x_train, iris.y_train, **kwargs)
    assert len(_trial_dirs(tmp_path)) == 1
    changed = [
        ((iris.x_train * 2, iris.y_train), {}, "x"),  # same shape, other rows
        ((iris.x_train[:, :3], iris.y_train), {}, "x"),  # another shape
        ((iris.x_train, iris.y_train), {"search_space": {"units": 8}}, "search"),
        (
            (iris.x_train, iris.y_train),
            {
                "search_space": None,
                "builder": RecipeHyperModel(
                    "mlp", search_space=SMALL, builder_kwargs={"l2": 0.1}
                ),
            },
            "builder",
        ),
    ]
    for (x, y), extra, what in changed:
        with pytest.raises(ValueError, match="overwrite=True") as info:
            tune(x, y, **{**kwargs, **extra})
        assert what in str(info.value) and "project_name" in str(info.value)
        assert len(_trial_dirs(tmp_path)) == 1  # refused before any training
    # The same call resumes (nothing left to run); overwrite=True starts anew.
    again = tune(iris.x_train, iris.y_train, **kwargs)
    assert len(again.table()) == 1
    new = tune(iris.x_train * 2, iris.y_train, **{**kwargs, "overwrite": True})
    assert len(new.table()) == 1


def _edge_result(iris, tmp_path):
    return tune(
        iris.x_train,
        iris.y_train,
        validation_data=iris.validation_data,
        cv=None,
        search_space={"units": (16, 32), "depth": 1, "batch_norm": False},
        seed=1,
        directory=str(tmp_path),
        stages=[{"trials": 4, "epochs": 2}],
        babysit=False,
    )


def _lr_edges(result):
    return [
        f
        for f in result._findings()
        if f.check == "search_range_edge" and "learning_rate" in f.message
    ]


def test_edge_warning_only_when_the_edge_value_won(iris, tmp_path):
    result = _edge_result(iris, tmp_path)
    best = result.best_hyperparameters
    lr = best["learning_rate"]
    # Stage 0's range made to end just above the best learning rate.
    result._specs[0]["learning_rate"] = _search_space.Spec(
        "learning_rate", "float", lr / 1e4, lr * 1.01, "log"
    )
    others = [r for r in result._rows if r["learning_rate"] != lr]
    for r in others:  # every other trial strictly worse, away from the edge
        r["learning_rate"] = lr / 100
        r["val_accuracy"] = result.best_trial["val_accuracy"] - 0.1
    assert [f.severity for f in _lr_edges(result)] == ["warning"]
    # The defaults (away from the edge) tie with it: the tie-break picked the
    # edge trial, which says nothing about the edge, so no warning.
    others[0]["val_accuracy"] = result.best_trial["val_accuracy"]
    others[0]["val_loss_at_best"] = 99.0
    assert result.best_trial["learning_rate"] == lr  # still the best, on val_loss
    assert _lr_edges(result) == []


def test_edge_warning_never_asks_for_more_units_than_rows(iris, tmp_path):
    result = _edge_result(iris, tmp_path)
    units = result.best_hyperparameters["units"]
    result._specs[0]["units"] = _search_space.Spec("units", "int", 1, units, "log")
    for r in result._rows:  # the others away from the top, and worse
        if r is not result._best_row():
            r["units"], r["val_accuracy"] = 1, -1.0

    def unit_edges():
        return [
            f
            for f in result._findings()
            if f.check == "search_range_edge" and "units" in f.message
        ]

    assert result._n_rows == len(iris.x_train)  # the rows a trial trains on
    result._n_rows = units + 1  # too few rows for twice the width
    assert unit_edges() == []  # no advice to widen past them
    result._n_rows = 2 * units  # enough rows for twice the width
    assert ["upward" in f.suggestion for f in unit_edges()] == [True]


def test_verbose_prints_a_line_per_trial_and_the_top_five(iris, tmp_path, capsys):
    result = tune(
        iris.x_train,
        iris.y_train,
        validation_data=iris.validation_data,
        cv=None,
        search_space={**SMALL, "l2": 1e-4},
        seed=0,
        directory=str(tmp_path),
        stages=[{"trials": 6, "epochs": 1}],
        babysit=False,
        verbose=1,
    )
    out = capsys.readouterr().out.strip().splitlines()
    trials = [line for line in out if line.startswith("[tune] stage 0 trial")]
    assert len(trials) == 6
    for line in trials:
        assert "| lr " in line and " units " in line and "val_accuracy 0." in line
        assert "l2" not in line  # fixed: nothing to say per trial
        assert " epochs (best " in line and " s | completed" in line
    assert out[6] == "[tune] top 5 of 6 trials by val_accuracy:"
    top = out[7:]
    assert len(top) == 5
    scores = [float(line.split("val_accuracy ")[1].split()[0]) for line in top]
    assert scores == sorted(scores, reverse=True)
    best = result.best_trial
    assert f"trial {best['trial_id']} |" in top[0]
    # KerasTuner's and fit's own output only at verbose=2; 0 is silent.
    assert not any("Epoch" in line or "Search:" in line for line in out)
    with pytest.raises(ValueError, match="verbose"):
        tune(iris.x_train, iris.y_train, verbose=3, directory=str(tmp_path))


def test_plot_has_a_panel_per_searched_hyperparameter(iris, tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    result = _edge_result(iris, tmp_path)
    saved = []
    real_savefig = plt.Figure.savefig

    def spy(fig, path, **kwargs):
        saved.append([ax.get_xlabel() for ax in fig.axes if ax.axison])
        stars = [
            c for ax in fig.axes for c in ax.collections if c.get_label() == "best"
        ]
        saved.append(len(stars))
        return real_savefig(fig, path, **kwargs)

    monkeypatch.setattr(plt.Figure, "savefig", spy)
    path = str(tmp_path / "search.png")
    result.plot(path)
    assert open(path, "rb").read(4) == b"\x89PNG"
    assert result.plot().axes  # no path: the Figure, nothing written
    # Every searched name (depth and batch_norm are fixed), the best starred.
    assert saved == [["learning_rate", "l2", "dropout", "units", "batch_size"], 5]


def test_max_trials_is_one_stage_of_that_many_trials(iris, tmp_path):
    result = tune(
        iris.x_train,
        iris.y_train,
        validation_data=iris.validation_data,
        cv=None,
        search_space=SMALL,
        seed=0,
        directory=str(tmp_path),
        max_trials=2,
        babysit=False,
    )
    assert len(result.stages) == 1 and result.stages[0]["trials"] == 2
    assert result.stages[0]["epochs"] == 10
    assert list(result.table()["stage"]) == [0, 0]
    with pytest.raises(ValueError, match="not both"):
        tune(iris.x_train, iris.y_train, max_trials=2, stages=[{"trials": 1}])
    with pytest.raises(ValueError, match="max_trials=0"):
        tune(iris.x_train, iris.y_train, max_trials=0)
    with pytest.raises(TypeError, match="max_trials='2'"):
        tune(iris.x_train, iris.y_train, max_trials="2")


def test_cli_tune_takes_cv(tmp_path):
    import pandas as pd

    from recipes import cli

    path = tmp_path / "data.npz"
    x, y = _blobs(150)
    np.savez(path, x=x, y=y)
    out = tmp_path / "run"
    argv = ["tune", str(path), "--cv", "2", "--max-trials", "1"]
    argv += ["--trial-epochs", "1", "--epochs", "1", "--output-dir", str(out)]
    assert cli.main(argv) == 0
    (csv,) = out.rglob("search_trials.csv")
    assert list(pd.read_csv(csv)["epochs"]) == [2]  # 1 epoch x 2 folds


def test_time_limit_starts_no_trial_or_stage_after_it(iris, tmp_path):
    result = tune(
        iris.x_train,
        iris.y_train,
        validation_data=iris.validation_data,
        cv=None,
        search_space=SMALL,
        seed=0,
        directory=str(tmp_path),
        stages=[{"trials": 3, "epochs": 1}, {"trials": 3, "epochs": 1}],
        time_limit=1e-3,
        babysit=False,
    )
    assert list(result.table()["trial_id"]) == ["0"]  # the first always runs
    with pytest.raises(ValueError, match="time_limit=0"):
        tune(iris.x_train, iris.y_train, time_limit=0, directory=str(tmp_path))
