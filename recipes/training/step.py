"""`train_babysat`: the one training step of the recipe.

Every place that trains a model the recipe's way calls it: the main run of
`recipes.babysit`, the averaged networks of a small table, each trial of
`recipes.tune` and each run of `recipes.repair`. It fits the model with the
`Babysitter` (optionally stopping at its first error), early stopping, the
learning rate annealed on a plateau and a checkpoint, and returns a
`TrainedRun` whose history has every epoch of every key (NaN where a key
was not logged that epoch).

It sits below `search` (and so below `run`), since the search's trials use
it too.

Example:

>>> import numpy as np, keras
>>> from recipes.training import train_babysat
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=(128, 4)).astype("float32")
>>> y = (x[:, 0] > 0).astype("int32")
>>> keras.utils.set_random_seed(0)
>>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, "relu"),
...                           keras.layers.Dense(2, activation="softmax")])
>>> model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
>>> run = train_babysat(model, x, y, validation_data=(x[:32], y[:32]),
...                     epochs=2, batch_size=32)
>>> run.epochs_run, len(run.history["val_accuracy"])
(2, 2)
>>> run.stopped_by is None
True
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import time

import keras


@dataclasses.dataclass
class TrainedRun:
    """What one training step returns.

    Attributes:
        rows: One dict of logs per epoch (`"epoch"` counted from 1, as on
            Keras' progress bar), as the callbacks logged them.
        sitter: The `callbacks.Babysitter` that watched the run, or `None`.
        stopped_by: The error `Finding` that stopped training early
            (`stop_on_error=True`), or `None`.
        seconds: Wall time of the fit.
    """

    rows: list = dataclasses.field(repr=False)
    sitter: object = None
    stopped_by: object = None
    seconds: float = 0.0

    @property
    def history(self):
        """`{key: [one value per epoch]}` for every key any callback logged,
        NaN in the epochs a key was not logged (unlike `History.history`,
        whose lists skip those epochs)."""
        keys = dict.fromkeys(k for row in self.rows for k in row if k != "epoch")
        return {k: [row.get(k, float("nan")) for row in self.rows] for k in keys}

    @property
    def epochs_run(self):
        """How many epochs ran."""
        return len(self.rows)

    @property
    def findings(self):
        """The Babysitter's findings (`[]` without one)."""
        return [] if self.sitter is None else list(self.sitter.findings)

    def write_csv(self, path):
        """Writes the rows to a CSV file, a column per key (empty where a
        key was not logged that epoch)."""
        keys = list(dict.fromkeys(k for row in self.rows for k in row))
        with open(path, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=keys, restval="")
            writer.writeheader()
            writer.writerows(self.rows)


class StopOnError(keras.callbacks.Callback):
    """Stops training at the end of the first epoch the Babysitter has an
    error finding (NaN or diverging loss, dead network, ...), or an error
    of one of `checks`.

    The `diverging_loss` value `LossWatch` reports is already the data
    loss, the weight penalty taken off, so a large L2 alone never stops a
    run and a run that diverges under a large L2 still does.

    Args:
        sitter: The `callbacks.Babysitter` of the same `fit`, placed before
            this callback in the list.
        checks: The check names whose errors stop the run, or `None` for
            every check. Defaults to `None`.

    Attributes:
        reason: The finding that stopped the run, or `None`.
    """

    def __init__(self, sitter, checks=None):
        super().__init__()
        self.sitter = sitter
        self.checks = None if checks is None else frozenset(checks)
        self.reason = None

    def on_train_begin(self, logs=None):
        self.reason = None

    def on_epoch_end(self, epoch, logs=None):
        if self.reason is not None:
            return
        for finding in self.sitter.findings:
            if finding.severity == "error" and (
                self.checks is None or finding.check in self.checks
            ):
                self.reason = finding
                self.model.stop_training = True
                return


class EpochLog(keras.callbacks.Callback):
    """Keeps every epoch's logs as a row (`rows`): `History` appends a key
    only in the epochs that log it, and `CSVLogger` fixes its columns at the
    first epoch. Put it last, so that it sees every other callback's keys.
    """

    def on_train_begin(self, logs=None):
        self.rows = []

    def on_epoch_end(self, epoch, logs=None):
        row = {"epoch": epoch + 1}
        for key, value in (logs or {}).items():
            try:
                row[key] = float(value)
            except (TypeError, ValueError):
                continue
        self.rows.append(row)


def stopping_callbacks(
    *, patience, monitor="val_loss", mode="auto", restore_best=True, anneal_from=None
):
    """Early stopping on `monitor` and, given a learning rate, the rate cut
    by 0.3 after a third of the patience, down to a hundredth of it."""
    cbs = [
        keras.callbacks.EarlyStopping(
            monitor=monitor,
            mode=mode,
            patience=patience,
            restore_best_weights=restore_best,
        )
    ]
    if anneal_from is not None:  # anneal once validation stalls
        cbs.append(
            keras.callbacks.ReduceLROnPlateau(
                monitor=monitor,
                mode=mode,
                factor=0.3,
                patience=max(1, patience // 3),
                min_lr=anneal_from / 100,
            )
        )
    return cbs


def train_babysat(
    model,
    x,
    y=None,
    *,
    validation_data=None,
    epochs,
    batch_size=None,
    babysitter=None,
    stop_on_error=False,
    patience=None,
    monitor="val_loss",
    mode="auto",
    restore_best=True,
    anneal_from=None,
    checkpoint=None,
    callbacks=(),
    class_weight=None,
    shuffle=True,
    verbose=0,
):
    """Trains `model` the recipe's way and returns a `TrainedRun`.

    The callbacks, in order: the Babysitter (it logs its figures first, so
    every later callback sees them), `StopOnError`, the caller's own
    `callbacks`, `EarlyStopping` and `ReduceLROnPlateau`, `ModelCheckpoint`,
    and last the log that aligns the history.

    Args:
        model: A compiled Keras model; trained in place.
        x: Training inputs (anything `Model.fit` takes).
        y: Training targets, or `None` for a dataset. Defaults to `None`.
        validation_data: As in `Model.fit`. Defaults to `None`.
        epochs: Most epochs to train.
        batch_size: As in `Model.fit`. Defaults to `None` (Keras' 32).
        babysitter: A `callbacks.Babysitter` to watch the run, or `None`
            for none. Defaults to `None`.
        stop_on_error: `True`: stop at the end of the first epoch with an
            error finding (needs `babysitter`); a collection of check
            names: only on an error of one of them. Defaults to `False`.
        patience: Epochs without a better `monitor` before stopping early;
            `None` trains every epoch. Defaults to `None`.
        monitor: What early stopping, annealing and the checkpoint watch.
            Defaults to `"val_loss"`.
        mode: `"min"`, `"max"` or `"auto"`, as in `EarlyStopping`.
            Defaults to `"auto"`.
        restore_best: Early stopping restores the best epoch's weights.
            Defaults to `True`.
        anneal_from: The learning rate the run starts at: with `patience`,
            the rate is cut by 0.3 after a third of the patience without
            progress, down to a hundredth of it. `None` keeps the rate.
            Defaults to `None`.
        checkpoint: A path: the best epoch (on `monitor`) is saved there,
            weights only when it ends in `.weights.h5`. Defaults to `None`.
        callbacks: More callbacks, run after the Babysitter. Defaults to
            `()`.
        class_weight: As in `Model.fit`. Defaults to `None`.
        shuffle: As in `Model.fit`. Defaults to `True`.
        verbose: `Model.fit`'s verbosity. Defaults to `0`.

    Returns:
        A `TrainedRun`.

    Raises:
        ValueError: If `stop_on_error` is set without a `babysitter`.
    """
    if stop_on_error and babysitter is None:
        raise ValueError(
            "`stop_on_error=True` stops on the Babysitter's errors, so it needs "
            "one. Pass `babysitter=Babysitter(...)`. Received: babysitter=None"
        )
    cbs, stopper = [], None
    if babysitter is not None:
        cbs.append(babysitter)
        if stop_on_error:
            checks = None if stop_on_error is True else stop_on_error
            stopper = StopOnError(babysitter, checks)
            cbs.append(stopper)
    cbs += list(callbacks)
    if patience is not None:
        cbs += stopping_callbacks(
            patience=patience,
            monitor=monitor,
            mode=mode,
            restore_best=restore_best,
            anneal_from=anneal_from,
        )
    if checkpoint is not None:
        cbs.append(
            keras.callbacks.ModelCheckpoint(
                str(checkpoint),
                monitor=monitor,
                mode=mode,
                save_best_only=True,
                save_weights_only=str(checkpoint).endswith(".weights.h5"),
            )
        )
    log = EpochLog()
    cbs.append(log)
    start = time.perf_counter()
    with expected_traces():  # a fresh model traces its steps: not a retrace
        model.fit(
            x,
            y,
            epochs=epochs,
            batch_size=batch_size,
            validation_data=validation_data,
            callbacks=cbs,
            class_weight=class_weight,
            verbose=verbose,
            # only when asked: Keras warns of any shuffle with a dataset
            **({} if shuffle else {"shuffle": False}),
        )
    return TrainedRun(
        rows=log.rows,
        sitter=babysitter,
        stopped_by=None if stopper is None else stopper.reason,
        seconds=time.perf_counter() - start,
    )


class _KerasFirstTraces:
    """Drops TensorFlow's "retracing" warning about Keras' own step functions."""

    def filter(self, record):
        text = record.getMessage()
        return not ("tf.function retracing" in text and "TensorFlowTrainer" in text)


@contextlib.contextmanager
def expected_traces():
    """Keeps TensorFlow's "retracing" warning about fresh models quiet.

    Each new Keras model traces its own train, test and predict functions
    once, and TensorFlow counts those first traces under one key that every
    model shares (the code of Keras' step function): a few short fits of
    fresh models in a row (a search's trials and folds, the averaged
    networks, a repair's runs) print "5 out of the last 11 calls to
    <function TensorFlowTrainer...> triggered tf.function retracing" though
    no function traced twice. Inside the block that message, and only about
    Keras' own step functions, is dropped from TensorFlow's logger; a
    user's `tf.function` that retraces still warns. Other backends: nothing.
    """
    if keras.backend.backend() != "tensorflow":
        yield
        return
    import tensorflow as tf

    logger, drop = tf.get_logger(), _KerasFirstTraces()
    logger.addFilter(drop)
    try:
        yield
    finally:
        logger.removeFilter(drop)
