"""What a search was run on, stored beside it, so a rerun resumes only a match.

`tune` writes `recipes_search.json` into its project folder: the data's
shapes and dtypes and a hash of a sample of its rows, the builder and its
fixed arguments, the search space, the objective and the split. A rerun with
`overwrite=False` compares before any training and refuses a mismatch with
one clear error instead of returning the old search (whose models may not
even take the new data's shape).
"""

from __future__ import annotations

import hashlib
import json
import os

import numpy as np

FILE = "recipes_search.json"
_SAMPLE_ROWS = 256


def _array(a):
    a = np.asarray(a)
    digest = hashlib.sha256()
    if len(a):
        idx = np.unique(np.linspace(0, len(a) - 1, _SAMPLE_ROWS).astype("int64"))
        digest.update(np.ascontiguousarray(a[idx]).tobytes())
    return {"shape": list(a.shape), "dtype": str(a.dtype), "hash": digest.hexdigest()}


def fingerprint(
    x, y, validation_data, *, builder, builder_kwargs, specs, objective, split
):
    """A JSON-able dict describing the search's data, builder and space."""
    return {
        "x": _array(x),
        "y": _array(y),
        "validation_data": None
        if validation_data is None
        else [_array(validation_data[0]), _array(validation_data[1])],
        "builder": builder,
        "builder_kwargs": repr(sorted((builder_kwargs or {}).items())),
        "search_space": {n: repr(s.to_user()) for n, s in specs.items()},
        "objective": [objective.name, objective.direction],
        "split": split,
    }


def check_or_write(root, current, *, write=True):
    """Raises if `root` holds a search of something else; else stores `current`.

    A folder without the file (new, or a search from an older keras-recipes)
    is accepted and the file written.
    """
    path = os.path.join(root, FILE)
    if os.path.exists(path):
        with open(path) as f:
            stored = json.load(f)
        differ = [k for k in current if stored.get(k) != current[k]]
        if differ:
            raise ValueError(
                f"{root} holds a search of different {', '.join(differ)} than this "
                "call's, so it cannot be resumed (its trials and models belong to "
                "the other search). To start anew pass `overwrite=True` (deletes "
                "it) or another `project_name`. "
                f"Received: project folder {root!r}, differing: {differ}"
            )
        return
    if write:
        os.makedirs(root, exist_ok=True)
        with open(path + ".partial", "w") as f:
            json.dump(current, f, indent=1)
        os.replace(path + ".partial", path)
