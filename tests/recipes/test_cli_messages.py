"""The command line speaks command line: flags in messages, cheap checks first,
no TensorFlow start-up noise, `--strict` before training, the model's size."""

import os
import re
import subprocess
import sys

import numpy as np
import pytest

from recipes._cli_parser import as_flags, build_parser
from recipes.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# TensorFlow's native log lines ("I0000 00:00:... port.cc:153] ...") and banners.
TF_NOISE = re.compile(
    r"^[IWEF]\d{4} |absl::|oneDNN|cuInit|cuda|rebuild TensorFlow", re.M
)


def _npz(path, x, y):
    np.savez(path, x=x, y=y)
    return str(path)


def _x(n=80):
    return np.random.default_rng(0).normal(size=(n, 4)).astype("float32")


def _cli(tmp_path, *argv, env=None):
    """Runs `python -m recipes` in a fresh interpreter (nothing imported yet)."""
    code = (
        "import sys; from recipes.cli import main; rc = main(sys.argv[1:]); "
        "print('IMPORTED', sorted({'keras', 'tensorflow'} & set(sys.modules))); "
        "sys.exit(rc)"
    )
    full_env = dict(os.environ, PYTHONPATH=ROOT, **(env or {}))
    if env is not None:
        full_env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # as on a fresh clone
    return subprocess.run(
        [sys.executable, "-c", code, *argv],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=full_env,
        timeout=300,
    )


def test_python_argument_names_become_flags():
    parser = build_parser()
    said = as_flags(
        "`y` must hold integer class ids for task='classification'; use "
        "task='regression'. Pass a new `output_dir`. Received: "
        "output_dir='runs/a', learning_rate=0.1, id_column=\"id\", num_classes=3",
        parser,
    )
    assert "--task classification" in said and "--task regression" in said
    assert "Pass a new --output-dir." in said
    assert "--output-dir runs/a, --learning-rate 0.1, --id-column id" in said
    assert "task=" not in said and "output_dir" not in said
    assert "num_classes=3" in said  # not a flag: left as it is


@pytest.mark.parametrize(
    "case, expected",
    [
        ("real labels as classes", "--task regression"),
        ("one class", "--task regression"),
        ("run folder not empty", "Pass a new --output-dir"),
        ("bad epochs", "--epochs must be positive"),
    ],
)
def test_cheap_checks_fail_before_keras_is_imported(tmp_path, case, expected):
    x = _x()
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "old.txt").write_text("another run")
    argv = {
        "real labels as classes": [
            "fit",
            _npz(tmp_path / "r.npz", x, x[:, 0]),
            "--task",
            "classification",
        ],
        "one class": ["fit", _npz(tmp_path / "o.npz", x, np.zeros(80, "int64"))],
        "run folder not empty": [
            "fit",
            _npz(tmp_path / "g.npz", x, (x[:, 0] > 0).astype("int64")),
            "--output-dir",
            "full",
        ],
        "bad epochs": ["demo", "--epochs", "0"],
    }[case]
    proc = _cli(tmp_path, *argv)
    assert proc.returncode == 2, proc.stderr
    err = proc.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert expected in err
    assert not re.search(r"\b[a-z_]+=['\"\d]", err), err  # no Python keywords
    assert "IMPORTED []" in proc.stdout  # failed before keras / tensorflow


def test_strict_stops_before_training_on_a_preflight_error(tmp_path, capsys):
    # Every feature constant: constant_features is an error before training.
    path = _npz(tmp_path / "c.npz", np.ones((80, 4), "float32"), np.arange(80) % 2)
    out = tmp_path / "run"
    argv = ["fit", path, "--strict", "--output-dir", str(out), "--epochs", "50"]
    assert main(argv + ["--quiet", "--learning-rate", "0.01"]) == 1
    printed = capsys.readouterr()
    assert "[error] constant_features" in printed.out
    assert "epoch 1/" not in printed.out  # nothing trained
    err = printed.err.strip()
    assert len(err.splitlines()) == 1, err
    assert "--strict" in err and "before training" in err
    assert not out.exists() and os.listdir(tmp_path) == ["c.npz"]


def test_without_strict_the_same_data_trains(tmp_path, capsys):
    path = _npz(tmp_path / "c.npz", np.ones((80, 4), "float32"), np.arange(80) % 2)
    argv = ["fit", path, "--output-dir", str(tmp_path / "run"), "--epochs", "1"]
    assert main(argv + ["--quiet", "--learning-rate", "0.01"]) == 0
    out = capsys.readouterr().out
    # the summary: parameters against training rows, and the file's size
    line = next(s for s in out.splitlines() if s.startswith("Model: "))
    assert re.search(
        r"[\d,]+ parameters for \d+ training rows \([\d,]+ per row\)", line
    )
    assert "model.keras" in line and "MB" in line


def test_demo_prints_no_tensorflow_start_up_lines(tmp_path):
    argv = ["demo", "--epochs", "1", "--learning-rate", "0.01", "--batch-size"]
    argv += ["256", "--no-preflight", "--quiet", "--output-dir", "run"]
    proc = _cli(tmp_path, *argv, env={"KERAS_BACKEND": "tensorflow"})
    assert proc.returncode == 0, proc.stderr
    assert "Test accuracy" in proc.stdout
    assert not TF_NOISE.search(proc.stderr + proc.stdout), proc.stderr
    assert "IMPORTED ['keras', 'tensorflow']" in proc.stdout  # it did load TF


def test_fit_with_tensorboard_writes_activations_findings_and_scalars(tmp_path):
    from tensorboard.backend.event_processing import event_accumulator as ea

    x = _x(120)
    path = _npz(tmp_path / "g.npz", x, (x[:, 0] > 0).astype("int64"))
    board = tmp_path / "tb"
    argv = ["fit", path, "--output-dir", str(tmp_path / "run"), "--epochs", "3"]
    argv += ["--tensorboard", str(board), "--learning-rate", "0.01", "--quiet"]
    argv += ["--no-preflight"]
    assert main(argv) == 0
    ours = ea.EventAccumulator(str(board / "babysitter"), {ea.TENSORS: 0})
    ours.Reload()
    tags = ours.Tags()["tensors"]
    histograms = [t for t in tags if t.startswith("activations/")]
    assert histograms and "diagnosis" in tags
    assert [e.step for e in ours.Tensors(histograms[0])] == [0, 1, 2, 3]
    keras_logs = ea.EventAccumulator(str(board / "train"), {ea.TENSORS: 0})
    keras_logs.Reload()
    assert "epoch_loss" in keras_logs.Tags()["tensors"]  # Keras' own scalars


def test_tensorboard_must_be_a_folder(tmp_path, capsys):
    (tmp_path / "tb").write_text("a file")
    path = _npz(tmp_path / "g.npz", _x(), np.arange(80) % 2)
    assert main(["fit", path, "--tensorboard", str(tmp_path / "tb")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--tensorboard" in err
