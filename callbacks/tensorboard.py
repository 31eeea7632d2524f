"""`BabysitterTensorBoard`: activation histograms and findings for TensorBoard.

Keras' own `TensorBoard` callback writes weight histograms; activation
histograms were documented once and never written (tensorflow#39755,
keras#15972). This companion of the `Babysitter` writes, into an event file
TensorBoard reads, each watched layer's activations on a fixed probe of the
training data (before training and after every epoch) and each `Finding` as
text at its epoch, with the verdict at the end.

It writes with `tensorboard`'s pure-Python record writer and protocol
buffers, so it works on every Keras backend and never imports TensorFlow on
JAX or PyTorch. It only reads the model (the probe is an inference-mode
forward pass), so the run it watches is bit-identical without it.

Example:

>>> import tempfile
>>> import numpy as np, keras
>>> from callbacks import Babysitter, BabysitterTensorBoard
>>> folder = tempfile.mkdtemp()  # e.g. "logs"
>>> x = np.random.default_rng(0).normal(size=(128, 4)).astype("float32")
>>> y = (x[:, 0] > 0).astype("int32")
>>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, "relu"),
...                           keras.layers.Dense(2, activation="softmax")])
>>> model.compile("adam", "sparse_categorical_crossentropy")
>>> sitter = Babysitter(verbose=0)
>>> board = BabysitterTensorBoard(folder, babysitter=sitter)  # after the sitter
>>> _ = model.fit(x, y, epochs=2, verbose=0, callbacks=[sitter, board])
>>> board.steps  # 0: before training, then each epoch counted from 1
[0, 1, 2]
"""

from __future__ import annotations

import os
import socket
import time

import keras
import numpy as np

from callbacks._probe import make_probe


def _tensorboard():
    """The pieces of `tensorboard` used here (none imports TensorFlow)."""
    try:
        from tensorboard.compat.proto import event_pb2
        from tensorboard.plugins.histogram import summary as histogram
        from tensorboard.plugins.text import summary as text
        from tensorboard.summary.writer.record_writer import RecordWriter
    except ImportError as e:  # pragma: no cover - tensorboard is a dependency
        raise ImportError(
            "BabysitterTensorBoard writes TensorBoard event files with the "
            "`tensorboard` package; install it with `pip install tensorboard`. "
            f"Received: {e}"
        ) from None
    return event_pb2, histogram, text, RecordWriter


def _finding_markdown(finding):
    where = f" ({finding.layer})" if finding.layer else ""
    text = f"**[{finding.severity}] {finding.check}**{where}: {finding.message}"
    if finding.suggestion:
        text += f"  \n*Fix:* {finding.suggestion}"
    return text


class BabysitterTensorBoard(keras.callbacks.Callback):
    """Writes activation histograms and the Babysitter's findings for TensorBoard.

    Per watched layer (hidden ReLU / tanh / sigmoid outputs, the ones the
    `Babysitter` watches) a histogram `activations/<layer>` at step 0 (before
    training) and at step N after epoch N, counted from 1 as Keras' progress
    bar counts (Keras' `TensorBoard` callback counts its epoch scalars from
    0). Each finding of `babysitter` becomes text under `findings/<check>` at
    the step of its epoch (0 for findings before training), and the verdict
    `diagnosis` is written at the last step. Put it after the `Babysitter` in
    `callbacks=[...]`, so an epoch's findings exist when it writes.

    Args:
        log_dir: Folder of the TensorBoard logs (`tensorboard --logdir`).
        babysitter: The `Babysitter` whose findings to write, or `None` to
            write the histograms only. Defaults to `None`.
        run: Sub-folder of `log_dir` the event file goes in (a "run" in
            TensorBoard). Defaults to `"babysitter"`.
        probe_data: Inputs (or `(x, y)`) to take activations on; `None` takes
            `probe_size` evenly spaced training samples, as the Babysitter
            does. Defaults to `None`.
        probe_size: Most samples in the probe. Defaults to `1024`.
        buckets: Histogram buckets. Defaults to `30`.

    Attributes:
        steps: The steps histograms were written at, in order.
        path: The event file written, or `None` before training.
        skipped: Why no histogram was written (e.g. a subclassed model), or
            `None`.
    """

    def __init__(
        self,
        log_dir,
        babysitter=None,
        run="babysitter",
        probe_data=None,
        probe_size=1024,
        buckets=30,
    ):
        super().__init__()
        if not isinstance(log_dir, (str, os.PathLike)) or not str(log_dir):
            raise TypeError(
                f"`log_dir` must be a folder path. Received: log_dir={log_dir!r}"
            )
        for name, value in (("probe_size", probe_size), ("buckets", buckets)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(
                    f"`{name}` must be a positive integer. Received: {name}={value!r}"
                )
        self.log_dir = log_dir
        self.babysitter = babysitter
        self.run = run
        self.probe_data = probe_data
        self.probe_size = probe_size
        self.buckets = buckets
        self.steps = []
        self.path = None
        self.skipped = None

    def _write(self, step, summary):
        event = self._pb.Event(wall_time=time.time(), step=step, summary=summary)
        self._writer.write(event.SerializeToString())

    def on_train_begin(self, logs=None):
        self._pb, self._histogram, self._text, record_writer = _tensorboard()
        folder = os.path.join(os.fspath(self.log_dir), self.run or "")
        os.makedirs(folder, exist_ok=True)
        name = (
            f"events.out.tfevents.{time.time():.6f}.{socket.gethostname()}."
            f"{os.getpid()}.babysitter"
        )
        self.path = os.path.join(folder, name)
        self._writer = record_writer(open(self.path, "wb"))
        self._writer.write(
            self._pb.Event(
                wall_time=time.time(), file_version="brain.Event:2"
            ).SerializeToString()
        )
        self.steps, self.skipped, self._written, self._keys = [], None, set(), set()
        self._probe, reason = make_probe(self.model, self.probe_data, self.probe_size)
        self.skipped = reason
        self._histograms(0)
        self._findings()

    def _histograms(self, step):
        if self._probe is None:
            return
        reason = self._probe.build()  # None, or not built yet, or impossible
        if reason is not None:
            self.skipped = reason
            return
        self.skipped = None
        acts = self._probe.activations(("tensorboard", step))
        for (name, _), values in zip(self._probe.layers, acts):
            values = np.asarray(values, "float64").ravel()
            values = values[np.isfinite(values)]
            if values.size:
                summary = self._histogram.histogram_pb(
                    f"activations/{name}", values, buckets=self.buckets
                )
                self._write(step, summary)
        self.steps.append(step)

    def _findings(self, last_step=0):
        """Writes the Babysitter's new findings, one text per check and step."""
        found = getattr(self.babysitter, "findings", None) or []
        # by value, not by position: the end-of-run re-grade replaces findings
        new = [f for f in found if f not in self._written]
        self._written.update(new)
        grouped = {}
        for f in new:
            step = 0 if f.epoch is None else f.epoch + 1
            if (f.check, step) in self._keys:  # that text is written: go last
                step = max(last_step, step)
            grouped.setdefault((f.check, step), []).append(f)
        self._keys.update(grouped)
        for (check, step), group in grouped.items():
            text = "\n\n".join(_finding_markdown(f) for f in group)
            self._write(step, self._text.text_pb(f"findings/{check}", text))
        self._writer.flush()

    def on_epoch_end(self, epoch, logs=None):
        self._histograms(epoch + 1)
        self._findings()

    def on_train_end(self, logs=None):
        last = self.steps[-1] if self.steps else 0
        self._findings(last_step=last)
        diagnose = getattr(self.babysitter, "diagnosis", None)
        verdict = diagnose() if callable(diagnose) else None
        if self.babysitter is not None:
            text = (
                "No warning or error: nothing to fix."
                if verdict is None
                else f"**{verdict.cause}**: {verdict.summary}  \n"
                f"*Fix:* {verdict.suggestion}"
            )
            self._write(last, self._text.text_pb("diagnosis", text))
        self._writer.close()
        self._probe = None  # drop the probe model and its arrays
