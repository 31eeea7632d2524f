import json
import math
import os
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from recipes.search import _findings as _search_findings
from recipes.search import space as _search_space
from recipes.search.hypermodel import RecipeHyperModel
from recipes.search.tuning import tune

HELPER = os.path.join(os.path.dirname(__file__), "_tune_helper.py")
SMALL = {"units": (8, 32), "depth": 1}


@pytest.fixture
def iris():
    from recipes import datasets

    return datasets.load("iris")


def test_two_stages_table_narrowing_and_best(iris, tmp_path, monkeypatch):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    result = tune(
        iris.x_train,
        iris.y_train,
        validation_data=iris.validation_data,
        cv=None,  # one validation set: this test is about it
        search_space=SMALL,
        seed=2,
        directory=str(tmp_path / "search"),
        stages=[{"trials": 3, "epochs": 1}, {"trials": 2, "epochs": 1, "top": 2}],
        babysit=False,
    )
    assert os.listdir(cwd) == []  # nothing written to the working directory
    table = result.table()
    assert len(table) == 5 and list(table["stage"]) == [0, 0, 0, 1, 1]
    for column in (
        "learning_rate",
        "l2",
        "dropout",
        "units",
        "batch_size",
        "val_accuracy",
        "status",
        "epochs",
        "reason",
    ):
        assert column in table.columns
    assert set(table["status"]) <= {"completed", "stopped_early"}
    assert (table["epochs"] == 1).all()
    # Stage 1 searches a narrower log range, inside stage 0's, around its best two.
    lo0, hi0, _ = result.search_spaces[0]["learning_rate"]
    lo1, hi1, _ = result.search_spaces[1]["learning_rate"]
    assert lo0 <= lo1 < hi1 <= hi0 and np.log(hi1 / lo1) < np.log(hi0 / lo0)
    stage0 = table[table["stage"] == 0].sort_values("val_accuracy", ascending=False)
    assert lo1 <= stage0["learning_rate"].iloc[:2].min()
    assert ((table[table["stage"] == 1]["learning_rate"]).between(lo1, hi1)).all()
    best = result.best_hyperparameters
    assert set(best) == {
        "learning_rate",
        "l2",
        "dropout",
        "units",
        "depth",
        "batch_size",
        "batch_norm",
    }
    assert best["learning_rate"] in set(table["learning_rate"])
    # KerasTuner keeps a [True, False] choice as 1/0; the result gives bools.
    assert isinstance(best["batch_norm"], bool)
    assert {type(v) for v in table["batch_norm"]} == {bool}
    model = result.best_model()
    assert model.predict(iris.x_test, verbose=0).shape == (len(iris.x_test), 3)
    path = result.to_csv(str(tmp_path / "trials.csv"))
    import pandas as pd

    assert len(pd.read_csv(path)) == 5
    fig = result.plot(str(tmp_path / "lr_l2.png"))
    assert open(tmp_path / "lr_l2.png", "rb").read(4) == b"\x89PNG"
    assert fig.axes[0].get_xlabel() == "learning_rate"
    # Edge warning: pretend stage 0's range ended just above the best value.
    lr = best["learning_rate"]
    result._specs[0]["learning_rate"] = _search_space.Spec(
        "learning_rate", "float", lr / 100, lr * 1.01, "log"
    )
    edges = [f for f in result._findings() if f.check == "search_range_edge"]
    lr_edges = [f for f in edges if "learning_rate" in f.message]
    assert [f.severity for f in lr_edges] == ["warning"]
    assert "upward" in lr_edges[0].suggestion
    # Only ranges have edges: a choice such as batch_norm never warns.
    assert not [f for f in edges if "batch_norm" in f.message]


def test_first_trials_are_the_defaults_then_the_previous_best(iris, tmp_path):
    result = tune(
        iris.x_train,
        iris.y_train,
        validation_data=iris.validation_data,
        cv=None,  # one validation set: this test is about it
        builder=RecipeHyperModel(
            "mlp",
            search_space={"units": (8, 64), "depth": 1, "learning_rate": (1e-5, 1e-2)},
            # A default learning rate too low to learn anything in one epoch.
            builder_kwargs={"learning_rate": 1e-5},
        ),
        seed=2,
        directory=str(tmp_path),
        stages=[{"trials": 3, "epochs": 1}, {"trials": 3, "epochs": 1, "top": 2}],
        babysit=False,
    )
    table = result.table()
    stage0, stage1 = table[table["stage"] == 0], table[table["stage"] == 1]
    first = stage0.iloc[0]
    assert first["trial_id"] == "0"
    assert (first["learning_rate"], first["l2"], first["dropout"]) == (1e-5, 1e-4, 0.5)
    assert first["batch_size"] == 32 and bool(first["batch_norm"]) is True
    assert first["units"] == 64  # build_mlp's 1024, moved into the space
    assert stage0["learning_rate"].nunique() == 3  # the others are sampled
    # Stage 1 first retrains one of stage 0's best trials, for its longer run,
    # then the defaults, moved into stage 1's narrowed ranges.
    names = ["learning_rate", "l2", "dropout", "units", "batch_size"]
    leaders = stage0[stage0["val_accuracy"] == stage0["val_accuracy"].max()]
    again = tuple(stage1.iloc[0][names])
    assert again in {tuple(row) for row in leaders[names].itertuples(index=False)}
    space = result.search_spaces[1]
    assert first["val_accuracy"] < stage0["val_accuracy"].max()
    for name, default in (("learning_rate", 1e-5), ("l2", 1e-4), ("dropout", 0.5)):
        low, high, _ = space[name]
        assert stage1.iloc[1][name] == pytest.approx(min(max(default, low), high))


def test_patience_stops_a_trial_whose_objective_stalls(iris, tmp_path):
    # A learning rate of 1e-9 (and no BatchNormalization, whose moving
    # statistics would still move) leaves the validation accuracy flat.
    result = tune(
        iris.x_train,
        iris.y_train,
        validation_data=iris.validation_data,
        cv=None,  # one validation set: this test is about it
        search_space={**SMALL, "learning_rate": 1e-9, "batch_norm": False},
        seed=0,
        directory=str(tmp_path),
        stages=[{"trials": 1, "epochs": 20, "patience": 2}],
        babysit=False,
    )
    assert list(result.table()["epochs"]) == [3]


@pytest.mark.parametrize("seed", [0, 3])
def test_same_seed_same_table(iris, tmp_path, seed):
    # seed=0 too: KerasTuner's oracle would take 0 for "draw a random seed".
    tables = []
    for run in ("a", "b"):
        result = tune(
            iris.x_train,
            iris.y_train,
            validation_data=iris.validation_data,
            cv=None,  # one validation set: this test is about it
            search_space=SMALL,
            seed=seed,
            directory=str(tmp_path / run),
            stages=[{"trials": 2, "epochs": 1}],
            babysit=False,
        )
        tables.append(result.table().drop(columns=["seconds"]))
    assert tables[0].equals(tables[1])


def test_cross_validation(iris, tmp_path):
    result = tune(
        iris.x_train,
        iris.y_train,
        cv=2,
        search_space=SMALL,
        seed=0,
        directory=str(tmp_path),
        stages=[{"trials": 1, "epochs": 2}],
        babysit=False,
    )
    table = result.table()
    assert len(table) == 1 and (table["epochs"] == 4).all()  # 2 epochs x 2 folds
    best_epoch = table["best_epoch"].iloc[0]
    assert 1 <= best_epoch <= 2
    model = result.best_model()  # with cv: refit on all of x for the best epoch
    held = round(best_epoch)  # then the annealing, over half as many again
    assert len(model.history.epoch) == held + math.ceil(held / 2)
    assert model.predict(iris.x_test, verbose=0).shape[1] == 3
    with pytest.raises(ValueError, match="no trial model"):
        result.best_model(refit=False)


def test_refit_trains_on_train_and_validation_for_the_best_epoch(iris, tmp_path):
    kwargs = dict(
        validation_data=iris.validation_data,
        cv=None,  # one validation set: this test is about it
        # A high fixed rate: validation accuracy peaks early, patience ends it.
        search_space={**SMALL, "learning_rate": 0.05},
        seed=0,
        directory=str(tmp_path),
        stages=[{"trials": 1, "epochs": 10, "patience": 3}],
        babysit=False,
    )
    result = tune(iris.x_train, iris.y_train, **kwargs)
    row = result.best_trial
    assert row["best_epoch"] < row["epochs"] < 10  # the precondition
    models = [result.best_model(refit=True) for _ in range(2)]
    # The trial's best epoch at its rate, then a cosine to 0 over half as many.
    held = int(row["best_epoch"])
    assert len(models[0].history.epoch) == held + math.ceil(held / 2)
    # Preprocessing fitted on every example the search saw: train + validation.
    everything = np.concatenate([iris.x_train, iris.x_val])
    mean = np.asarray(models[0].get_layer("preprocessing").mean).ravel()
    np.testing.assert_allclose(mean, everything.mean(axis=0), rtol=1e-5)
    # Seeded, so the refit is reproducible.
    a, b = (m.predict(iris.x_test, verbose=0) for m in models)
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    # refit=False is the trial's own model, fitted on the training part only.
    trial_model = result.best_model()
    trial_mean = np.asarray(trial_model.get_layer("preprocessing").mean).ravel()
    np.testing.assert_allclose(trial_mean, iris.x_train.mean(axis=0), rtol=1e-5)
    for bad in ("yes", 1):
        with pytest.raises(TypeError, match="refit"):
            result.best_model(refit=bad)
    with pytest.raises(TypeError, match="anneal"):
        result.best_model(refit=True, anneal="cosine")
    # The refit's rate is annealed to 0 over its steps, unless anneal=False.
    import keras

    def rate(model):
        return float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))

    assert models[0].optimizer.get_config()["learning_rate"]["class_name"] == (
        "CosineDecay"
    )
    assert rate(models[0]) < 1e-6
    schedule = keras.optimizers.schedules.deserialize(
        models[0].optimizer.get_config()["learning_rate"]
    )
    steps = math.ceil(len(everything) / row["batch_size"])
    assert float(schedule(held * steps - 1)) == pytest.approx(0.05)  # held
    assert float(schedule((held + 1) * steps)) < 0.05  # then decayed
    constant = result.best_model(refit=True, anneal=False)
    assert rate(constant) == pytest.approx(0.05)
    assert len(constant.history.epoch) == held
    # The annealed model reloads in safe mode.
    models[0].save(tmp_path / "refit.keras")
    reloaded = keras.saving.load_model(tmp_path / "refit.keras", safe_mode=True)
    np.testing.assert_allclose(reloaded.predict(iris.x_test, verbose=0), a, atol=1e-5)

    # A search from before trials recorded their best epoch: the refit trains
    # the epochs run less the patience that ended the trial, with a warning.
    (trial_json,) = tmp_path.glob("search/stage_0/trial_*/trial.json")
    saved = json.loads(trial_json.read_text())
    del saved["metrics"]["metrics"]["best_epoch"]
    trial_json.write_text(json.dumps(saved))
    old = tune(iris.x_train, iris.y_train, **kwargs)  # resumes: nothing to run
    assert old.best_trial["best_epoch"] is None
    with pytest.warns(UserWarning, match="did not record its best epoch"):
        model = old.best_model(refit=True, anneal=False)
    assert len(model.history.epoch) == row["epochs"] - 3 == row["best_epoch"]


def test_refit_after_a_validation_split_uses_all_of_x(iris, tmp_path):
    result = tune(
        iris.x_train,
        iris.y_train,
        cv=None,
        search_space=SMALL,
        seed=0,
        directory=str(tmp_path),
        stages=[{"trials": 1, "epochs": 1}],
        babysit=False,
    )
    refit = result.best_model(refit=True)
    mean = np.asarray(refit.get_layer("preprocessing").mean).ravel()
    np.testing.assert_allclose(mean, iris.x_train.mean(axis=0), rtol=1e-5)
    # The trial itself trained on the split's 80 %, not on all of x.
    trial_mean = np.asarray(result.best_model().get_layer("preprocessing").mean)
    assert not np.allclose(trial_mean.ravel(), iris.x_train.mean(axis=0))


def test_validation_labels_are_checked_before_the_first_trial(iris, tmp_path):
    x_val, y_val = iris.validation_data
    with pytest.raises(ValueError, match=r"validation_data\[1\]"):
        tune(
            iris.x_train,
            iris.y_train,
            validation_data=(x_val, y_val[:-1]),
            directory=str(tmp_path),
        )
    assert not any("trial_" in d for _, ds, _ in os.walk(tmp_path) for d in ds)


@pytest.mark.parametrize(
    "history, direction, epoch",
    [
        ([0.5, 0.7, 0.7, 0.6], "max", 2),  # the first of tied best values
        ([0.9, 0.4, float("nan"), 0.4], "min", 2),  # NaN never counts as best
        ([float("nan"), float("inf")], "max", 0),  # nothing finite: no epoch
        ([0.3], "min", 1),
    ],
)
def test_best_epoch(history, direction, epoch):
    from recipes.search.stages import best_epoch

    assert best_epoch(history, direction) == epoch


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"objective": "val_f1"}, "objective"),
        ({"search_space": {"learning_rate": (1e-2, 1e-4)}}, "inverted"),
        ({"search_space": {"l2": (-1.0, 1e-2)}}, "positive"),
        ({"builder": "transformer"}, "builder"),
        ({"stages": [{"trials": 0, "epochs": 1}]}, "trials"),
        ({"stages": [{"trials": 1, "epochs": 1, "patience": 0}]}, "patience"),
        ({"cv": 3, "y_small_class": True}, "smallest class"),
    ],
)
def test_bad_input_fails_before_the_first_trial(iris, tmp_path, kwargs, match):
    x, y = iris.x_train, iris.y_train.copy()
    if kwargs.pop("y_small_class", False):
        y[np.flatnonzero(y == 2)[2:]] = 1  # class 2 keeps two samples
    with pytest.raises(ValueError, match=match):
        tune(x, y, directory=str(tmp_path), **kwargs)
    assert not any("trial_" in d for _, ds, _ in os.walk(tmp_path) for d in ds)


def test_a_strategy_that_is_not_one_fails_before_the_first_trial(iris, tmp_path):
    with pytest.raises(TypeError, match="tf.distribute.Strategy.*type str"):
        tune(
            iris.x_train,
            iris.y_train,
            directory=str(tmp_path),
            distribution_strategy="mirrored",
        )
    assert not os.listdir(tmp_path)


def test_babysitter_stops_a_diverging_trial(iris, tmp_path):
    result = tune(
        iris.x_train,
        iris.y_train,
        validation_data=iris.validation_data,
        cv=None,  # one validation set: this test is about it
        builder=RecipeHyperModel(
            "mlp",
            search_space={
                "learning_rate": (200.0, 400.0),
                "units": 8,
                "depth": 1,
                "l2": None,
                "dropout": None,
                "batch_size": 16,
            },
            builder_kwargs={"optimizer": "sgd", "batch_norm": False},
        ),
        directory=str(tmp_path),
        stages=[{"trials": 1, "epochs": 3}],
        seed=0,
    )
    row = result.table().iloc[0]
    assert row["status"] == "stopped_early", row.to_dict()
    assert row["epochs"] < 3
    assert "nan_loss" in row["reason"] or "diverging_loss" in row["reason"]
    checks = [f.check for f in result.findings]
    # The only trial sits at the bottom of the learning-rate range (the
    # default 1e-3, moved into it): widening downward is the right advice.
    assert checks == ["trial_stopped", "search_range_edge"]
    # the epoch it stopped at, as the progress bar counts (from 1)
    assert f"(epoch {row['epochs']})" in str(result.findings[0])


def test_a_trial_stopped_after_its_first_epoch_is_found_at_epoch_1():
    row = {"stage": 0, "trial_id": "00", "status": "stopped_early", "epochs": 1}
    (found,) = _search_findings._stopped([dict(row, reason="nan_loss")])
    assert found.epoch == 0 and found.to_dict()["epoch"] == 1
    assert str(found).startswith("[info] trial_stopped (epoch 1): Stage 0 trial 00")


def _free_port_pair():
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        try:
            with socket.socket() as s:
                s.bind(("127.0.0.1", port + 1))
            return port
        except OSError:
            continue
    raise RuntimeError("no free pair of ports")


def _start(args, env=None):
    full_env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})}
    return subprocess.Popen(
        [sys.executable, HELPER, *args],
        env=full_env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _kill(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _wait(proc, timeout):
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(proc)
        pytest.fail(f"process {proc.args} did not finish within {timeout} s")
    assert proc.returncode == 0, err.decode()[-3000:]


def _status(path):
    with open(path) as f:
        return json.load(f)["status"]


def test_resume_after_kill_finishes_only_remaining_trials(tmp_path):
    stage_dir = tmp_path / "search" / "stage_0"
    args = [
        str(tmp_path),
        json.dumps([{"trials": 3, "epochs": 2}]),
        "1.0",
        str(tmp_path / "out.json"),
    ]
    proc = _start(args)
    try:
        deadline = time.time() + 90
        second = stage_dir / "trial_1" / "trial.json"
        while not second.exists():  # trial 1 starts once trial 0 is done
            if time.time() > deadline or proc.poll() is not None:
                pytest.fail("the search did not reach its second trial")
            time.sleep(0.2)
        time.sleep(1.0)  # now in the middle of trial 1
    finally:
        _kill(proc)
    assert _status(stage_dir / "trial_0" / "trial.json") == "COMPLETED"
    assert _status(second) == "RUNNING"
    side0 = (stage_dir / "trial_0" / "recipes_trial.json").read_text()
    assert not (tmp_path / "out.json").exists()

    _wait(_start(args), timeout=120)
    rows = json.loads((tmp_path / "out.json").read_text())["rows"]
    assert [r["trial_id"] for r in rows] == ["0", "1", "2"]
    assert all(r["status"] == "completed" for r in rows)
    # Trial 0 was not run again: its record is untouched.
    assert (stage_dir / "trial_0" / "recipes_trial.json").read_text() == side0


def test_chief_and_two_workers_split_the_trials(tmp_path):
    port = _free_port_pair()
    stages = json.dumps([{"trials": 4, "epochs": 2}, {"trials": 2, "epochs": 1}])
    base = {"KERASTUNER_ORACLE_IP": "127.0.0.1", "KERASTUNER_ORACLE_PORT": str(port)}
    procs = {}
    try:
        for tuner_id in ("chief", "tuner0", "tuner1"):
            out = str(tmp_path / f"{tuner_id}.json")
            procs[tuner_id] = _start(
                [str(tmp_path), stages, "0.7", out],
                env={**base, "KERASTUNER_TUNER_ID": tuner_id},
            )
        deadline = time.time() + 150
        for proc in procs.values():
            _wait(proc, timeout=max(1, deadline - time.time()))
    finally:
        for proc in procs.values():
            _kill(proc)
    chief = json.loads((tmp_path / "chief.json").read_text())
    assert chief["role"] == "chief"
    rows = chief["rows"]
    assert [(r["stage"], r["status"]) for r in rows] == [(0, "completed")] * 4 + [
        (1, "completed")
    ] * 2
    workers = {r["tuner_id"] for r in rows}
    assert workers == {"tuner0", "tuner1"}, rows
    for tuner_id in ("tuner0", "tuner1"):
        assert (
            json.loads((tmp_path / f"{tuner_id}.json").read_text())["role"] == "worker"
        )


def test_a_trial_file_being_written_by_another_process_is_skipped(tmp_path):
    # A worker that finishes early reads the shared folder while the chief
    # rewrites another trial's trial.json: that trial must not crash the table.
    from keras_tuner.engine.hyperparameters import HyperParameters
    from keras_tuner.engine.trial import Trial

    from recipes.search import stages as _stages
    from recipes.search._trial_rows import _load_trials

    done = tmp_path / "trial_0"
    done.mkdir()
    Trial(HyperParameters(), trial_id="0", status="COMPLETED").save(
        str(done / "trial.json")
    )
    (done / _stages.SIDE_FILE).write_text(json.dumps({"epochs_run": 3}))
    busy = tmp_path / "trial_1"
    busy.mkdir()
    (busy / "trial.json").write_text("")  # mid-write

    loaded = _load_trials(str(tmp_path))
    assert [(t.trial_id, side) for t, side in loaded] == [("0", {"epochs_run": 3})]
