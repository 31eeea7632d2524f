"""Shared by the benchmark scripts: writing their JSON results safely, and
choosing the Keras backend from `--backend` before Keras is imported."""

import contextlib
import fcntl
import json
import os
import sys


def use_backend_argument(default="tensorflow"):
    """Sets `KERAS_BACKEND` from `--backend B` / `--backend=B` in `sys.argv`
    (read before Keras is imported: the backend is fixed at import), else
    leaves it as set, else `default`."""
    for i, arg in enumerate(sys.argv):
        if arg == "--backend" and i + 1 < len(sys.argv):
            os.environ["KERAS_BACKEND"] = sys.argv[i + 1]
        elif arg.startswith("--backend="):
            os.environ["KERAS_BACKEND"] = arg.split("=", 1)[1]
    os.environ.setdefault("KERAS_BACKEND", default)


@contextlib.contextmanager
def locked(path):
    """Holds an exclusive lock beside `path`, for processes sharing one file."""
    with open(f"{path}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def write_json(path, data, **kwargs):
    """Writes `data` to `path` whole or not at all (`kwargs` go to json.dump)."""
    tmp = f"{path}.partial"
    with open(tmp, "w") as f:
        json.dump(data, f, **kwargs)
    os.replace(tmp, path)
