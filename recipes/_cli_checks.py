"""What the command line does before its heavy imports.

Cheap checks of the flags and the run folder (so a typo fails in a fraction
of a second, not after TensorFlow's import), and the quiet import of Keras:
TensorFlow writes its C++ start-up lines (oneDNN, CUDA stubs, absl's banner,
`failed call to cuInit`) to file descriptor 2 before any log level applies.
"""

from __future__ import annotations

import contextlib
import os
import sys

from recipes._data_files import BadInput


@contextlib.contextmanager
def _native_stderr_silenced():
    """Points file descriptor 2 at /dev/null: TensorFlow's C++ start-up lines
    (oneDNN, CUDA stubs, absl's banner) are written there before any log level
    applies. Python exceptions still propagate once it is restored."""
    sys.stderr.flush()
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


def import_keras_quietly():
    """Imports keras (and its backend) with the start-up noise silenced."""
    if "keras" in sys.modules:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with _native_stderr_silenced():
        import keras  # noqa: F401


def check_output_dir(path):
    """The run folder's checks of `babysit`, before the heavy imports."""
    if path is None:
        return
    final = os.path.abspath(path)
    if os.path.exists(final) and (not os.path.isdir(final) or os.listdir(final)):
        raise BadInput(
            f"The run folder {final} already exists and is not empty; a run "
            "never overwrites another. Pass a new --output-dir. "
            f"Received: --output-dir {path}"
        )
    parent = os.path.dirname(final)
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent) or not os.access(parent, os.W_OK | os.X_OK):
        raise BadInput(
            f"Cannot write the run folder in {parent} (not a writable folder). Pass "
            f"an --output-dir you can write to. Received: --output-dir {path}"
        )


def positive(args, *names):
    """Raises `BadInput` naming the flag when one of `names` is not > 0."""
    for name in names:
        value = getattr(args, name, None)
        if value is not None and value <= 0:
            flag = "--" + name.replace("_", "-")
            raise BadInput(f"{flag} must be positive. Received: {flag} {value}")
