"""`Progress`: `recipes.babysit`'s epoch lines (private)."""

from __future__ import annotations

import os
import time

import keras


class Progress(keras.callbacks.Callback):
    """Prints one line every `every` epochs (and the last), for long runs."""

    def __init__(self, epochs, every):
        super().__init__()
        self.epochs = epochs
        self.every = max(1, every)
        self.start = None

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if (epoch + 1) % self.every and epoch + 1 != self.epochs:
            return
        keys = ("loss", "val_loss", "accuracy", "val_accuracy", "mae", "val_mae")
        parts = [f"{k} {float(logs[k]):.4f}" for k in keys if k in logs]
        elapsed = time.perf_counter() - self.start
        print(
            f"  epoch {epoch + 1}/{self.epochs}  "
            + "  ".join(parts)
            + f"  ({elapsed:.0f}s)",
            flush=True,
        )


def tensorboard(folder, sitter):
    """Keras' `TensorBoard` and `BabysitterTensorBoard` of `sitter` into
    `folder`, for `callbacks=` after the sitter (so that they see its keys
    and findings): what the command line's `--tensorboard DIR` adds."""
    from callbacks import BabysitterTensorBoard

    return [
        BabysitterTensorBoard(folder, babysitter=sitter),
        keras.callbacks.TensorBoard(os.fspath(folder), write_graph=False),
    ]
