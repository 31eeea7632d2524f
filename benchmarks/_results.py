"""Shared by the benchmark scripts: writing their JSON results safely."""

import contextlib
import fcntl
import json
import os


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
