"""BabysitterTensorBoard: activation histograms and findings, read back with
TensorBoard's own event reader; no TensorFlow on the other backends."""

import os
import subprocess
import sys

import keras
import pytest

from callbacks import Babysitter, BabysitterTensorBoard
from tests.callbacks._models import TINY_FIT_PROGRAM, blobs, digits


def _events(folder):
    from tensorboard.backend.event_processing import event_accumulator as ea

    acc = ea.EventAccumulator(str(folder), size_guidance={ea.TENSORS: 0})
    acc.Reload()
    return acc


def _array(event):
    from tensorboard.util import tensor_util

    return tensor_util.make_ndarray(event.tensor_proto)


def test_histograms_per_layer_and_epoch_hold_every_probe_value(tmp_path):
    x, y = blobs(256)
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(16, activation="relu", name="hidden_0"),
            keras.layers.Dense(12, activation="tanh", name="hidden_1"),
            keras.layers.Dense(2, activation="softmax", name="out"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    sitter = Babysitter(verbose=0)
    board = BabysitterTensorBoard(tmp_path, babysitter=sitter, probe_size=100)
    model.fit(x, y, epochs=3, batch_size=32, verbose=0, callbacks=[sitter, board])
    assert board.steps == [0, 1, 2, 3] and board.skipped is None
    acc = _events(tmp_path / "babysitter")
    tags = acc.Tags()["tensors"]
    assert {"activations/hidden_0", "activations/hidden_1", "diagnosis"} <= set(tags)
    for tag, units in (("activations/hidden_0", 16), ("activations/hidden_1", 12)):
        events = acc.Tensors(tag)
        assert [e.step for e in events] == [0, 1, 2, 3]
        for e in events:
            histogram = _array(e)  # rows of (left edge, right edge, count)
            assert histogram.shape == (30, 3)
            assert histogram[:, 2].sum() == 100 * units
    # the tanh layer's values stay inside (-1, 1); the ReLU's are >= 0
    tanh = _array(acc.Tensors("activations/hidden_1")[-1])
    assert tanh[0, 0] >= -1 and tanh[-1, 1] <= 1
    assert _array(acc.Tensors("activations/hidden_0")[0])[0, 0] >= 0


def test_findings_are_text_at_their_epoch(tmp_path):
    # A ReLU head under cross-entropy (an error before training) and a rate
    # far too high (findings during training).
    x, y = digits(300)
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((64,)),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(10, activation="relu"),
        ]
    )
    model.compile(keras.optimizers.SGD(3.0), "sparse_categorical_crossentropy")
    sitter = Babysitter(verbose=0)
    board = BabysitterTensorBoard(tmp_path, babysitter=sitter, run="train")
    model.fit(x, y, epochs=4, batch_size=32, verbose=0, callbacks=[sitter, board])
    acc = _events(tmp_path / "train")
    tags = set(acc.Tags()["tensors"])
    assert sitter.findings
    for f in sitter.findings:
        assert f"findings/{f.check}" in tags, f.check
        events = acc.Tensors(f"findings/{f.check}")
        texts = {e.step: _array(e).item().decode() for e in events}
        step = 0 if f.epoch is None else f.epoch + 1
        # at its epoch's step (counted from 1), or, re-graded at the end of
        # the run after that text was written, at the last step
        at = [s for s, t in texts.items() if f.message in t]
        assert at and (at[0] == step or at[0] == board.steps[-1]), (f, texts)
    assert any(f.epoch is not None for f in sitter.findings)
    head = acc.Tensors("findings/output_activation")
    assert [e.step for e in head] == [0]
    assert "*Fix:*" in _array(head[0]).item().decode()
    verdict = _array(acc.Tensors("diagnosis")[0]).item().decode()
    assert verdict.startswith(f"**{sitter.diagnosis().cause}**")


def test_bad_arguments():
    with pytest.raises(TypeError, match="Received: log_dir=None"):
        BabysitterTensorBoard(None)
    with pytest.raises(ValueError, match="Received: buckets=0"):
        BabysitterTensorBoard("logs", buckets=0)


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_other_backends_write_events_without_tensorflow(backend, tmp_path):
    pytest.importorskip(backend)
    code = (
        TINY_FIT_PROGRAM + "s = callbacks.Babysitter(verbose=0)\n"
        "b = callbacks.BabysitterTensorBoard(sys.argv[1], babysitter=s)\n"
        "m.fit(x, y, epochs=2, verbose=0, callbacks=[s, b])\n"
        "print(b.steps, 'tensorflow' in sys.modules)\n"
    )
    env = dict(os.environ, KERAS_BACKEND=backend)
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[0, 1, 2] False"
    acc = _events(tmp_path / "babysitter")
    histograms = [t for t in acc.Tags()["tensors"] if t.startswith("activations/")]
    assert len(histograms) == 1
    assert [e.step for e in acc.Tensors(histograms[0])] == [0, 1, 2]
