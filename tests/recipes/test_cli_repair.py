"""`keras-recipes repair MODEL DATA`: a real repair end to end, and bad input
as one line, exit status 2 and nothing written."""

import os
import re

import keras
import numpy as np
import pytest

from recipes.cli import main


def _data(n=400):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 8)).astype("float32")
    return x, (x[:, 0] + x[:, 1] > 0).astype("int32")


def _model(*middle, rate=20.0, compiled=True):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((8,)),
            *middle,
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    if compiled:  # far too high a rate for SGD: the loss blows up
        model.compile(
            keras.optimizers.SGD(learning_rate=rate),
            "sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
    return model


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("inputs")
    x, y = _data()
    names = ["model.keras", "lambda.keras", "uncompiled.keras", "data.npz"]
    names += ["split.npz", "no_y.npz", "pickle.npz", "wide.npz", "half_val.npz"]
    paths = {name: str(root / name) for name in names}
    _model().save(paths["model.keras"])
    np.savez(paths["data.npz"], x_train=x, y_train=y)
    np.savez(
        paths["split.npz"],
        x_train=x[:300],
        y_train=y[:300],
        x_val=x[300:],
        y_val=y[300:],
    )
    lam = _model(keras.layers.Lambda(lambda t: t * 2.0))
    lam.save(paths["lambda.keras"])
    _model(compiled=False).save(paths["uncompiled.keras"])
    np.savez(paths["no_y.npz"], x_train=x)
    objects = np.empty(len(x), dtype=object)
    objects[:] = [{"row": i} for i in range(len(x))]
    np.savez(paths["pickle.npz"], x_train=objects, y_train=y)
    np.savez(paths["wide.npz"], x_train=np.zeros((50, 9), "float32"), y_train=y[:50])
    np.savez(paths["half_val.npz"], x_train=x, y_train=y, x_val=x[:10])
    return paths


def _printed(capsys):
    out = capsys.readouterr().out
    assert out.count("Repair: val_accuracy") == 1, out  # str(result), once
    assert "optimizer=keras.optimizers.SGD(learning_rate=" in out  # the code line
    return out


def _reloads(run):
    assert sorted(os.listdir(run)) == [
        "curves_after.png",
        "curves_before.png",
        "model.keras",
        "report.html",
        "report.md",
    ]
    model = keras.saving.load_model(os.path.join(run, "model.keras"), safe_mode=True)
    assert model.optimizer.learning_rate.numpy() < 20.0  # the repaired program


def test_a_real_repair_end_to_end(files, tmp_path, capsys):
    run = tmp_path / "run"
    argv = ["repair", files["model.keras"], files["data.npz"], "--epochs", "4"]
    assert main([*argv, "--seed", "0", "--output-dir", str(run)]) == 0
    out = _printed(capsys)
    # the rate is stepped down while it measures better: one retrain or more
    assert re.search(r"fixed \(\d+ retrains?", out) and "Learning rate 20 -> " in out
    assert "try 1:" in out  # not --quiet: one line a run
    _reloads(run)


def test_validation_arrays_and_quiet(files, tmp_path, capsys):
    run = tmp_path / "quiet"
    argv = ["repair", files["model.keras"], files["split.npz"], "--epochs", "3"]
    assert main([*argv, "--batch-size", "32", "--quiet", "--output-dir", str(run)]) == 0
    out = _printed(capsys)
    assert "try 1:" not in out
    _reloads(run)


@pytest.mark.parametrize(
    "model, data, extra, said",
    [
        ("lambda.keras", "data.npz", [], "holds a Lambda layer"),
        ("uncompiled.keras", "data.npz", [], "saved without compiling"),
        ("model.keras", "no_y.npz", [], "y_train missing"),
        ("model.keras", "pickle.npz", [], "pickled Python objects"),
        ("absent.keras", "data.npz", [], "check the MODEL path"),
        ("model.keras", "absent.npz", [], "check the DATA path"),
        ("model.keras", "wide.npz", [], "the model takes rows shaped (8,)"),
        ("model.keras", "half_val.npz", [], "x_val without its partner"),
        ("model.keras", "split.npz", ["--validation-split", "0.3"], "drop one"),
        ("model.keras", "data.npz", ["--epochs", "0"], "--epochs must be positive"),
        ("model.keras", "data.npz", ["--max-retrains", "-1"], "--max-retrains"),
        ("model.keras", "data.npz", ["--output-dir", "full"], "not empty"),
    ],
)
def test_bad_input_is_one_line_status_2_nothing_written(
    files, tmp_path, monkeypatch, capsys, model, data, extra, said
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("another run")
    model, data = (files.get(name, str(tmp_path / name)) for name in (model, data))
    argv = ["repair", model, data, "--epochs", "2"]
    out_dir = [] if "--output-dir" in extra else ["--output-dir", "new"]
    assert main([*argv, *extra, *out_dir]) == 2
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert err.startswith("keras-recipes repair: error: ") and said in err, err
    assert sorted(os.listdir(tmp_path)) == ["full"]  # no run folder, no .partial
    assert os.listdir(tmp_path / "full") == ["keep.txt"]


def test_help_says_the_exit_status(capsys):
    assert main(["repair", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "Exit status: 0 when the repair ran" in out and "2 on bad input" in out
    for flag in ("--epochs", "--max-retrains", "--validation-split", "--output-dir"):
        assert flag in out


def test_a_csv_of_numbers_with_text_labels(files, tmp_path, capsys):
    x, y = _data()
    rows = [
        ",".join(f"{v:.4f}" for v in r) + (",yes" if c else ",no") for r, c in zip(x, y)
    ]
    table = tmp_path / "table.csv"
    table.write_text(",".join(f"f{i}" for i in range(8)) + ",label\n" + "\n".join(rows))
    argv = ["repair", files["model.keras"], str(table), "--epochs", "3", "--quiet"]
    assert main([*argv, "--target", "label", "--output-dir", str(tmp_path / "r")]) == 0
    _printed(capsys)
    assert main(["repair", files["model.keras"], str(table)]) == 2
    assert "--target" in capsys.readouterr().err
