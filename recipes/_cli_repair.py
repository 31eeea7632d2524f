"""`keras-recipes repair MODEL DATA`: someone's saved program, repaired.

A model file is someone else's code: it is loaded with Keras' safe mode only
(`keras.saving.load_model(path, safe_mode=True)`), and a `Lambda` layer,
whose saved Python bytecode safe mode refuses, is refused here with the
reason, never loaded unsafely. Data files are read without pickles
(`numpy.load(..., allow_pickle=False)`).

Every check of the flags, the files and the shapes runs before training, so
bad input is one line and exit status 2 with nothing written; the run folder
appears only when the repair has finished (`recipes.repair` writes it into a
temporary folder and renames it at the end).
"""

from __future__ import annotations

import json
import os
import time
import zipfile

from recipes._cli_checks import check_output_dir, import_keras_quietly, positive
from recipes._data_files import BadInput, one_line, read_table

_NPZ_HELP = (
    "np.savez(path, x_train=..., y_train=..., x_val=..., y_val=...) "
    "(x_val and y_val optional)"
)


def _has_lambda(config):
    """Whether a saved model config holds a `Lambda` layer anywhere."""
    if isinstance(config, dict):
        if config.get("class_name") == "Lambda":
            return True
        return any(_has_lambda(v) for v in config.values())
    if isinstance(config, list):
        return any(_has_lambda(v) for v in config)
    return False


def check_model_file(path):
    """The MODEL argument's cheap checks: a `.keras` file, no `Lambda`."""
    if not os.path.isfile(path):
        raise BadInput(f"No such model file: check the MODEL path. Received: {path}")
    if not path.lower().endswith(".keras"):
        raise BadInput(
            "MODEL must be a .keras file (model.save('model.keras')); legacy "
            f".h5 files and SavedModel folders are not read. Received: {path}"
        )
    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read("config.json"))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as e:
        raise BadInput(
            f"MODEL {path} is not a saved Keras model (a .keras zip holding "
            f"config.json): {one_line(e)}. Received: {path}"
        ) from None
    if _has_lambda(config):
        raise BadInput(
            f"MODEL {path} holds a Lambda layer: its saved Python code could run "
            "anything when loaded, so Keras' safe mode refuses it and repair never "
            "loads a model unsafely. Replace the Lambda with a built-in or a "
            f"registered custom layer and save again. Received: {path}"
        )


def _array(data, key, path):
    import numpy as np

    try:
        value = data[key]
    except ValueError:  # an object array: loading it would unpickle
        raise BadInput(
            f"DATA {path} holds {key!r} as pickled Python objects, which are "
            "never loaded (unpickling can run code); save numeric arrays. "
            f"Received: {key} of dtype object"
        ) from None
    if not (np.issubdtype(value.dtype, np.number) or value.dtype == bool):
        raise BadInput(
            f"DATA {path}: {key!r} must be numeric. Received: {key}.dtype={value.dtype}"
        )
    return value


def _npz(path):
    import numpy as np

    try:
        data = np.load(path, allow_pickle=False)
        keys = sorted(data.files)
    except (OSError, ValueError) as e:
        raise BadInput(
            f"DATA {path} is not a readable .npz file ({one_line(e)}). Received: {path}"
        ) from None
    plain = "x" in keys and not {"x_train", "y_train"} & set(keys)
    names = ("x", "y") if plain else ("x_train", "y_train")  # x, y: as fit's
    missing = [k for k in names if k not in keys]
    if missing:
        raise BadInput(
            f"DATA {path} must hold arrays x_train and y_train: {_NPZ_HELP}; "
            f"{' and '.join(missing)} missing. Received: arrays {keys}"
        )
    arrays = {k: _array(data, k, path) for k in names}
    val = [k for k in ("x_val", "y_val") if k in keys]
    if len(val) == 1:
        raise BadInput(
            f"DATA {path} holds {val[0]} without its partner: give both x_val and "
            f"y_val, or neither. Received: arrays {keys}"
        )
    if val:
        arrays.update({k: _array(data, k, path) for k in val})
    return (
        arrays[names[0]],
        arrays[names[1]],
        *((arrays["x_val"], arrays["y_val"]) if val else ()),
    )


def _table(path, target):
    import numpy as np
    from pandas.api.types import is_numeric_dtype

    data = read_table(path, target)
    if data["problems"]:
        raise BadInput(f"DATA {path}: {' '.join(data['problems'])} Received: {path}")
    frame = data["frame"][data["features"]]
    text = [c for c in frame.columns if not is_numeric_dtype(frame[c])]
    if text:
        raise BadInput(
            f"DATA {path}: repair feeds the columns to your model as numbers, but "
            f"{text} hold text; encode them as your training script does, or save "
            f"the arrays as .npz. Received: {path}"
        )
    return frame.to_numpy(dtype="float32"), np.asarray(data["y"])


def read_data(path, target=None):
    """`(x, y)` or `(x, y, x_val, y_val)` from DATA, every shape checked."""
    if not os.path.isfile(path):
        raise BadInput(f"No such data file: check the DATA path. Received: {path}")
    ext = os.path.splitext(path)[1].lower()
    if ext == ".npz":
        arrays = _npz(path)
    elif ext in (".csv", ".tsv"):
        arrays = _table(path, target)
    else:
        raise BadInput(
            f"DATA must be an .npz file ({_NPZ_HELP}) or a .csv / .tsv table of "
            f"numbers with --target COLUMN. Received: {path}"
        )
    names = ("x_train", "y_train", "x_val", "y_val")
    for (xn, x), (yn, y) in zip(
        zip(names[::2], arrays[::2]), zip(names[1::2], arrays[1::2])
    ):
        if x.ndim < 2 or len(x) < 2 or len(y) != len(x):
            raise BadInput(
                f"DATA {path}: {xn} must be shaped (rows, features...) with at "
                f"least 2 rows and {yn} must have one row per row of {xn}. "
                f"Received: {xn}.shape={x.shape}, {yn}.shape={y.shape}"
            )
    if len(arrays) == 4 and arrays[2].shape[1:] != arrays[0].shape[1:]:
        raise BadInput(
            f"DATA {path}: x_val's rows must be shaped as x_train's. "
            f"Received: x_train.shape={arrays[0].shape}, x_val.shape={arrays[2].shape}"
        )
    return arrays


def load_model(path):
    """The compiled model at `path`, loaded in safe mode only."""
    import_keras_quietly()
    import keras

    # the recipe's own registered layers, so a run folder's model.keras loads
    from recipes.models import data_loss, pca, tabular, target  # noqa: F401

    try:
        model = keras.saving.load_model(path, safe_mode=True)
    except Exception as e:  # a config it cannot rebuild, a custom object
        why = one_line(e)
        if "safe_mode" in why:
            why = f"Keras' safe mode refused it ({why}); it is never loaded unsafely"
        raise BadInput(
            f"MODEL {path} could not be loaded as a Keras model: {why}. "
            f"Received: {path}"
        ) from None
    if not getattr(model, "compiled", False) or getattr(model, "loss", None) is None:
        raise BadInput(
            f"MODEL {path} was saved without compiling it: repair starts from the "
            "program as you train it, its optimizer and loss included. Call "
            "model.compile(optimizer, loss, metrics) before model.save(...). "
            f"Received: {path} (not compiled)"
        )
    inputs = getattr(model, "inputs", None) or []
    if len(inputs) > 1:
        raise BadInput(
            f"MODEL {path} has {len(inputs)} inputs; the command line feeds one "
            f"array. Call recipes.repair in Python. Received: {path}"
        )
    return model


def check_input_shape(model, x, path):
    """x's rows against the model's input shape (None matches any size)."""
    inputs = getattr(model, "inputs", None)
    if not inputs:
        return
    want = tuple(inputs[0].shape[1:])
    got = tuple(x.shape[1:])
    fits = len(want) == len(got) and all(w in (None, g) for w, g in zip(want, got))
    if not fits:
        raise BadInput(
            f"DATA {path}: the model takes rows shaped {want}, but x_train's rows "
            f"are shaped {got}. Received: x_train.shape={x.shape}"
        )


def run_repair(args):
    """`keras-recipes repair`: checks everything, repairs, prints the result."""
    positive(args, "epochs", "batch_size")
    for name in ("max_retrains", "seed"):
        value = getattr(args, name)
        if value < 0:
            flag = "--" + name.replace("_", "-")
            raise BadInput(f"{flag} must be 0 or more. Received: {flag} {value}")
    split = args.validation_split
    if split is not None and not 0 < split < 1:
        raise BadInput(
            "--validation-split is the share of rows held out, between 0 and 1. "
            f"Received: --validation-split {split}"
        )
    check_output_dir(args.output_dir)
    check_model_file(args.model)
    arrays = read_data(args.data, args.target)
    if len(arrays) == 4 and split is not None:
        raise BadInput(
            f"--validation-split holds rows out of x_train, but DATA {args.data} "
            "brings its own x_val and y_val; drop one. "
            f"Received: --validation-split {split}"
        )
    model = load_model(args.model)
    check_input_shape(model, arrays[0], args.data)
    from recipes.repair.repair import repair

    output_dir = args.output_dir or _new_run_dir()
    result = repair(
        model,
        arrays[0],
        arrays[1],
        validation_data=tuple(arrays[2:]) or None,
        validation_split=0.2 if split is None else split,
        epochs=args.epochs,
        batch_size=args.batch_size,
        max_retrains=args.max_retrains,
        seed=args.seed,
        output_dir=output_dir,
        verbose=0 if args.quiet else 1,
    )
    if args.quiet:  # repair prints its result itself unless silent
        print(result)
    which = "repaired" if result.fixed else "baseline's (no change accepted)"
    print(
        f"Run folder: {result.run_dir} (report.md, report.html, the {which} "
        "model.keras)",
        flush=True,
    )
    return 0


def _new_run_dir():
    """`runs/<timestamp>`, as `babysit` names a run folder by default."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path, n = os.path.join("runs", stamp), 1
    while os.path.exists(path):  # two runs in the same second
        n += 1
        path = os.path.join("runs", f"{stamp}-{n}")
    return path
