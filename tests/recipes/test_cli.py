import json
import os
import subprocess
import sys

import numpy as np
import pytest

from recipes.cli import main

FAST = ["--epochs", "2", "--learning-rate", "0.01", "--no-preflight", "--quiet"]


def _csv(path, rows, header="a,b,label"):
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return str(path)


def _good_csv(tmp_path, n=60):
    rng = np.random.default_rng(0)
    rows = []
    for _ in range(n):
        a, b = rng.normal(size=2)
        rows.append(f"{a:.3f},{b:.3f},{'yes' if a + b > 0 else 'no'}")
    return _csv(tmp_path / "data.csv", rows)


def _one_error_line(capsys):
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    return err


@pytest.mark.parametrize("command", [None, "demo", "fit", "check", "tune"])
def test_help_for_every_command(command, capsys):
    argv = ([command] if command else []) + ["--help"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "usage: keras-recipes" in out
    if command in ("fit", "check", "tune"):
        assert "DATA" in out and "--target" in out


def test_python_dash_m_recipes_help():
    proc = subprocess.run(
        [sys.executable, "-m", "recipes", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0
    for command in ("demo", "fit", "check", "tune"):
        assert command in proc.stdout


def test_bad_input_is_one_line_and_status_2(tmp_path, capsys):
    good = _good_csv(tmp_path)
    mixed = [f"{i},{'x' if i == 3 else i % 5},{i % 2}" for i in range(20)]
    empty = [f"{i},,{i % 2}" for i in range(20)]
    cases = {
        "missing target": (["fit", good, "--target", "colour"], "not in"),
        "no target": (["fit", good], "--target"),
        "a text value in a numeric column": (
            ["fit", _csv(tmp_path / "s.csv", mixed), "--target", "label"],
            "'b' is numeric except 1 value(s) such as 'x'",
        ),
        "an empty column": (
            ["fit", _csv(tmp_path / "m.csv", empty), "--target", "label"],
            "'b' is empty",
        ),
        "single class": (
            [
                "fit",
                _csv(tmp_path / "c.csv", ["1,2,0", "2,3,0", "4,1,0"]),
                "--target",
                "label",
            ],
            "two classes",
        ),
        "no such file": (["check", str(tmp_path / "nope.npz")], "No such"),
        "wrong type": (["fit", _csv(tmp_path / "d.txt", ["1,2,0"])], ".npz"),
        "bad flag": (["fit", good, "--target", "label", "--epochs", "0"], "--epochs"),
        "bad devices": (
            ["fit", good, "--target", "label", "--devices", "every"],
            "argument --devices: invalid choice: 'every'",
        ),
        "usage": (["fit"], "DATA"),
    }
    np.savez(tmp_path / "nox.npz", y=np.arange(4))
    cases["npz without x"] = (["fit", str(tmp_path / "nox.npz")], "'x'")
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    cases["unwritable output"] = (
        ["fit", good, "--target", "label", "--output-dir", str(blocker / "run")],
        "Cannot write",
    )
    for name, (argv, expected) in cases.items():
        assert main(argv) == 2, name
        err = _one_error_line(capsys)
        assert expected in err, (name, err)
    assert sorted(os.listdir(tmp_path)) == sorted(
        ["data.csv", "s.csv", "m.csv", "c.csv", "d.txt", "nox.npz", "blocker"]
    )


def test_fit_csv_with_string_labels_writes_a_run(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["fit", _good_csv(tmp_path), "--target", "label", "--output-dir", str(out)]
    assert main(argv + FAST) == 0
    printed = capsys.readouterr().out
    assert "Test accuracy" in printed and str(out) in printed
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test"]["class_names"] == ["no", "yes"]
    assert (out / "report.md").exists() and (out / "model.keras").exists()


def _npz(tmp_path, with_test=True):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(80, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    path = tmp_path / "d.npz"
    if with_test:
        np.savez(path, x=x[:60], y=y[:60], x_test=x[60:], y_test=y[60:])
    else:
        np.savez(path, x=x, y=y)
    return str(path)


def test_fit_npz_with_test_arrays_and_strict(tmp_path, capsys):
    # A learning rate of 1e4 blows the loss up: an error finding, and with
    # --strict exit status 1 (the run folder is still written).
    out = tmp_path / "bad"
    argv = ["fit", _npz(tmp_path), "--output-dir", str(out), "--strict"]
    argv += ["--epochs", "2", "--learning-rate", "10000", "--no-preflight", "--quiet"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "--strict" in err and "Traceback" not in err
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test"]["num_examples"] == 20  # the file's x_test, not a split
    findings = json.loads((out / "findings.json").read_text())
    assert any(f["severity"] == "error" for f in findings)


def test_check_runs_preflight_only(tmp_path, capsys):
    path = _npz(tmp_path, with_test=False)
    assert main(["check", path, "--strict"]) == 0
    out = capsys.readouterr().out
    assert "Pre-flight: passed" in out
    assert sorted(os.listdir(tmp_path)) == ["d.npz"]  # no run folder


def test_tune_writes_the_search_into_the_run(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["tune", _npz(tmp_path, with_test=False), "--output-dir", str(out)]
    argv += ["--max-trials", "2", "--trial-epochs", "1", "--epochs", "1"]
    # --devices all: one device here (no GPU), through tune's own door
    argv += ["--no-preflight", "--quiet", "--devices", "all"]
    assert main(argv) == 0
    assert (out / "search.png").stat().st_size > 0
    assert (out / "search_trials.csv").read_text().count("\n") == 3  # header + 2
    assert "(random search)" in (out / "report.md").read_text()


def test_demo_with_tiny_settings(tmp_path, capsys):
    out = tmp_path / "demo"
    argv = ["demo", "--output-dir", str(out), "--epochs", "1", "--batch-size", "256"]
    argv += ["--learning-rate", "0.01", "--no-preflight", "--quiet"]
    assert main(argv) == 0
    assert "Test accuracy" in capsys.readouterr().out
    report = (out / "report.md").read_text()
    assert report.startswith("# keras-recipes demo")
    assert "1221 train / 216 validation / 360 test" in report
