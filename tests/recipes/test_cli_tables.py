import json

import numpy as np
import pandas as pd
import pytest

import recipes
from recipes.cli import main

FAST = ["--epochs", "2", "--learning-rate", "0.01", "--no-preflight", "--quiet"]


def _messy(n=90, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    frame = pd.DataFrame(
        {
            "row id": [f"r{i:03d}" for i in range(n)],
            "blood pressure": np.round(120 + 10 * a, 1),
            "clinic": rng.choice(["north", "south", "east"], n),
            "note": ["x"] * n,
        }
    )
    frame.loc[::9, "blood pressure"] = np.nan
    frame["outcome"] = np.where(a + (frame["clinic"] == "north") > 0.3, "sick", "well")
    return frame


def _one_error_line(capsys):
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if not line.startswith("note:")]
    assert len(lines) == 1, err
    return lines[0]


def test_messy_semicolon_csv_fit_then_predict(tmp_path, capsys):
    data = tmp_path / "messy.csv"
    _messy().to_csv(data, sep=";", index=False)
    run = tmp_path / "run"
    argv = ["fit", str(data), "--target", "outcome", "--drop", "note"]
    assert main(argv + ["--output-dir", str(run), *FAST]) == 0
    findings = json.loads((run / "findings.json").read_text())
    checks = {f["check"]: f for f in findings if f["stage"] == "data"}
    assert "'row id'" in checks["id_column_dropped"]["message"]
    assert "'blood pressure'" in checks["missing_values_imputed"]["message"]
    model = recipes.load_model(str(run / "model.keras"))
    assert model.schema["features"] == ["blood pressure", "clinic"]
    assert model.schema["class_names"] == ["sick", "well"]
    assert model.schema["target"] == "outcome"
    new = _messy(12, seed=1).drop(columns=["outcome"])
    new.loc[0, "clinic"] = "west"  # unseen category: the OOV slot
    new.to_csv(tmp_path / "new.tsv", sep="\t", index=False)
    out = tmp_path / "preds.csv"
    argv = ["predict", str(run / "model.keras"), str(tmp_path / "new.tsv")]
    assert main(argv + ["--output", str(out)]) == 0
    preds = pd.read_csv(out)
    assert list(preds.columns[:2]) == ["row id", "predicted_outcome"]
    assert len(preds) == 12 and set(preds["predicted_outcome"]) <= {"sick", "well"}
    direct = recipes.predict_table(model, new)
    np.testing.assert_allclose(
        direct["probability_sick"], preds["probability_sick"], rtol=1e-4
    )


def test_every_problem_in_one_message(tmp_path, capsys):
    frame = _messy()
    frame["empty"] = np.nan
    frame["dose"] = ["1.5"] * 89 + ["high"]
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    argv = ["fit", str(path), "--target", "outcome", "--categorical", "nope"]
    assert main(argv + FAST) == 2
    err = _one_error_line(capsys)
    for part in ("'nope'", "'note'", "'empty'", "'dose'", "--drop note"):
        assert part in err, err
    assert not list(tmp_path.glob("runs*")) and not list(tmp_path.glob(".*partial*"))


@pytest.mark.parametrize(
    "case, text",
    [
        ("no rows", "no data rows"),
        ("target all missing", "all missing"),
        ("one-value categorical", "single value"),
    ],
)
def test_bad_tables_are_one_line_exit_2(tmp_path, capsys, case, text):
    frame = _messy().drop(columns=["note"])
    if case == "no rows":
        frame = frame.iloc[:0]
    elif case == "target all missing":
        frame["outcome"] = np.nan
    else:
        frame["clinic"] = "north"
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "run"
    assert (
        main(["fit", str(path), "--target", "outcome", "--output-dir", str(out)]) == 2
    )
    err = _one_error_line(capsys)
    assert text in err and not out.exists()
    if case == "one-value categorical":
        assert "--drop clinic" in err


def test_predict_refuses_a_mismatched_table(tmp_path, capsys):
    data = tmp_path / "d.csv"
    _messy().drop(columns=["note"]).to_csv(data, index=False)
    run = tmp_path / "run"
    assert (
        main(["fit", str(data), "--target", "outcome", "--output-dir", str(run), *FAST])
        == 0
    )
    capsys.readouterr()
    new = _messy(5).drop(columns=["outcome", "note", "clinic"])
    new["colour"] = "red"
    new.to_csv(tmp_path / "n.csv", index=False)
    out = tmp_path / "p.csv"
    argv = ["predict", str(run / "model.keras"), str(tmp_path / "n.csv")]
    assert main(argv + ["--output", str(out)]) == 2
    err = _one_error_line(capsys)
    assert "['clinic']" in err and "['colour']" in err and not out.exists()
    text = _messy(5).drop(columns=["outcome", "note"])
    text["blood pressure"] = "high"
    text.to_csv(tmp_path / "t.csv", index=False)
    argv = ["predict", str(run / "model.keras"), str(tmp_path / "t.csv")]
    assert main(argv + ["--output", str(out)]) == 2
    err = _one_error_line(capsys)
    assert "'blood pressure' was numeric in training" in err


def test_babysit_takes_a_dataframe(tmp_path):
    frame = _messy().drop(columns=["note"])
    y = (frame.pop("outcome") == "sick").astype(int).to_numpy()
    result = recipes.babysit(
        frame,
        y,
        epochs=2,
        learning_rate=0.01,
        preflight=False,
        verbose=0,
        output_dir=str(tmp_path / "run"),
        seed=0,
    )
    model = recipes.load_model(str(tmp_path / "run" / "model.keras"))
    assert model.schema["categorical"]["clinic"] == ["east", "north", "south"]
    assert result.metrics["num_examples"] == 18


def _run_training(run):
    return json.loads((run / "metrics.json").read_text())["training"]


def test_small_table_defaults_at_least_8_steps_an_epoch(tmp_path):
    # 90 rows -> 61 training rows: batch 64 would be one step an epoch
    # (BatchNormalization's moving statistics barely move); 16 gives 4.
    data = tmp_path / "small.csv"
    _messy().to_csv(data, index=False)
    run = tmp_path / "run"
    argv = ["fit", str(data), "--target", "outcome", "--drop", "note"]
    assert main(argv + ["--output-dir", str(run), *FAST]) == 0
    training = _run_training(run)
    assert (training["batch_size"], training["patience"]) == (16, 10)
    assert "epochs of batch 16" in (run / "report.md").read_text()
    # The user's values win; arrays keep 64 / 10.
    run2 = tmp_path / "run2"
    argv += ["--batch-size", "8", "--patience", "3"]
    assert main(argv + ["--output-dir", str(run2), *FAST]) == 0
    assert (_run_training(run2)["batch_size"], _run_training(run2)["patience"]) == (
        8,
        3,
    )
    rng = np.random.default_rng(0)
    x = rng.normal(size=(90, 3)).astype("float32")
    recipes.babysit(
        x,
        (x[:, 0] > 0).astype(int),
        epochs=1,
        learning_rate=0.01,
        preflight=False,
        verbose=0,
        output_dir=str(tmp_path / "run3"),
        seed=0,
    )
    training = _run_training(tmp_path / "run3")
    assert (training["batch_size"], training["patience"]) == (64, 10)


def test_tune_on_a_csv_table(tmp_path, capsys):
    data = tmp_path / "messy.csv"
    _messy(120).to_csv(data, index=False)
    run = tmp_path / "run"
    argv = ["tune", str(data), "--target", "outcome", "--drop", "note"]
    argv += ["--max-trials", "2", "--trial-epochs", "2", "--epochs", "2"]
    assert main(argv + ["--output-dir", str(run), "--no-preflight", "--quiet"]) == 0
    trials = pd.read_csv(run / "search_trials.csv")
    assert len(trials) == 2
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["training"]["learning_rate_source"] == "random search"
    assert metrics["training"]["epochs_trained"] == 2
    assert "linear" in metrics["baselines"]
    assert "random search" in (run / "report.md").read_text().lower()
    model = recipes.load_model(str(run / "model.keras"))  # takes raw rows
    assert model.schema["features"] == ["blood pressure", "clinic"]
    preds = recipes.predict_table(model, _messy(10, seed=3).drop(columns=["outcome"]))
    assert set(preds["predicted_outcome"]) <= {"sick", "well"}
