"""The runs `benchmarks/repair.py` compares, and the one metric it reads off them.

A run spec is what a diagnosis case returns (`_diagnosis_case`). Every run is
scored by `metric` on the spec's own validation data, the same way for the
buggy program, the repaired model, the fixed program and the random search:
accuracy for "classification" (argmax), "binary" and "multilabel" (outputs
thresholded at 0.5, or 0 for logits), R^2 for "regression". A score is
clipped to [0, 1] (R^2 below 0, predicting worse than the mean, counts as 0)
and non-finite predictions score 0; the unclipped figure is kept as `raw`.
"""

import time

import keras
import numpy as np
from diagnosis import fit_kwargs

import recipes

# The random search: what a user tries without a diagnosis.
OPTIMIZERS = ("sgd", "sgd_momentum", "adam")
BATCH_SIZES = (16, 32, 64, 128)
EPOCH_FACTORS = (1, 2)
ACTIVATIONS = ("relu", "tanh")
_SWAPPABLE = ("relu", "tanh", "sigmoid", "elu", "selu", "gelu", "silu", "swish")


def validation_arrays(spec):
    """`(x_val, y_val)` arrays of the spec, as fit sees its validation data."""
    if spec["eval_data"] is not None:
        return spec["eval_data"]
    if isinstance(spec["validation_data"], tuple):
        return spec["validation_data"]
    if spec["validation_split"]:
        n = int(len(spec["x"]) * (1 - spec["validation_split"]))  # the tail
        return spec["x"][n:], spec["y"][n:]
    raise ValueError("The spec has no validation arrays to score on.")


def _from_logits(model):
    loss = getattr(model, "loss", None)
    config = loss.get_config() if hasattr(loss, "get_config") else {}
    return bool(getattr(loss, "from_logits", config.get("from_logits", False)))


def metric(model, spec):
    """`(score, raw)` of `model` on the spec's validation data (module doc)."""
    xv, yv = validation_arrays(spec)
    pred = np.asarray(model.predict(xv, batch_size=256, verbose=0), "float64")
    yv = np.asarray(yv, "float64")
    pred = pred.reshape(len(pred), -1)
    task = spec["task"]
    if task == "regression":
        if not np.all(np.isfinite(pred)):
            return 0.0, float("nan")
        y = yv.reshape(-1)
        raw = 1 - np.sum((y - pred[:, 0]) ** 2) / np.sum((y - y.mean()) ** 2)
        return float(np.clip(raw, 0.0, 1.0)), float(raw)
    threshold = 0.0 if _from_logits(model) else 0.5
    if task == "multilabel":
        raw = np.mean((pred > threshold) == (yv > 0.5))
    elif task == "binary" and pred.shape[1] == 1:
        raw = np.mean((pred[:, 0] > threshold) == yv.reshape(-1))
    else:  # classification, or a binary task given a 2-unit head
        truth = yv.argmax(-1) if yv.ndim == 2 and yv.shape[1] > 1 else yv.reshape(-1)
        raw = np.mean(pred.argmax(-1) == truth)
    return float(raw), float(raw)


def train(spec, model=None, **overrides):
    """Fits `model` (default: the spec's) as the spec says, `overrides` on top
    of its fit arguments; returns a row: score, raw, epochs, seconds, crash."""
    model = model or spec["model"]
    kw = fit_kwargs(spec, list(spec["callbacks"]))
    kw.update(overrides)
    start, history, crash = time.perf_counter(), None, None
    try:
        history = model.fit(**kw)
    except Exception as e:  # noqa: BLE001 - a crash is a result here
        crash = f"{type(e).__name__}: {e}"[:300]
    row = {"seconds": round(time.perf_counter() - start, 1), "crash": crash}
    row["epochs"] = len(history.history.get("loss", [])) if history else 0
    row["score"], row["raw"] = metric(model, spec)
    return row


def _has_swappable(model):
    return any(
        layer.get_config().get("activation") in _SWAPPABLE for layer in model.layers
    )


def sample_trials(model, seed, n):
    """The first `n` random-search settings for this program and seed (a fixed
    sequence, so a longer search starts with a shorter one's trials)."""
    rng = np.random.default_rng([seed, 20240])
    swap = _has_swappable(model)
    out = []
    for _ in range(n):
        trial = {
            "learning_rate": float(10 ** rng.uniform(-4, -1)),
            "optimizer": str(rng.choice(OPTIMIZERS)),
            "batch_size": int(rng.choice(BATCH_SIZES)),
            "epoch_factor": int(rng.choice(EPOCH_FACTORS)),
        }
        trial["activation"] = str(rng.choice(ACTIVATIONS)) if swap else None
        out.append(trial)
    return out


def _optimizer(name, learning_rate):
    if name == "adam":
        return keras.optimizers.Adam(learning_rate)
    momentum = 0.9 if name == "sgd_momentum" else 0.0
    return keras.optimizers.SGD(learning_rate, momentum=momentum)


def trial_model(model, trial):
    """A fresh clone of `model` with the trial's hidden activation and
    optimizer, the model's own loss and metrics."""
    head = model.layers[-1]

    def clone_layer(layer):
        config = layer.get_config()
        act = trial["activation"]
        if act and layer is not head and config.get("activation") in _SWAPPABLE:
            config["activation"] = act
        return layer.__class__.from_config(config)

    clone = keras.models.clone_model(model, clone_function=clone_layer)
    config = model.get_compile_config()
    opt = _optimizer(trial["optimizer"], trial["learning_rate"])
    config["optimizer"] = keras.optimizers.serialize(opt)
    clone.compile_from_config(config)
    return clone


def random_search(spec, seed, n):
    """`n` random-search trials on clones of the spec's (untrained) model."""
    rows = []
    for i, trial in enumerate(sample_trials(spec["model"], seed, n)):
        keras.utils.set_random_seed(seed * 1000 + i)
        overrides = {"epochs": spec["epochs"] * trial["epoch_factor"]}
        if isinstance(spec["x"], np.ndarray):
            overrides["batch_size"] = trial["batch_size"]
        row = train(spec, trial_model(spec["model"], trial), **overrides)
        rows.append({**trial, **row})
        keras.backend.clear_session()
    return rows


def _rounded(figures):
    out = {}
    for k, v in dict(figures or {}).items():
        v = float(v)
        out[k] = round(v, 4) if np.isfinite(v) else None
    return out


def as_arrays(spec):
    """The spec with a dataset input (tf.data, PyDataset) read into arrays,
    one pass in its order, and its batch size; the validation data taken
    from `eval_data`. Array specs come back as they are."""
    if isinstance(spec["x"], np.ndarray):
        return spec
    data = spec["x"]
    batches = (
        [data[i] for i in range(len(data))]
        if hasattr(data, "__getitem__")
        else list(data)
    )
    x = np.concatenate([np.asarray(b[0]) for b in batches])
    y = np.concatenate([np.asarray(b[1]) for b in batches])
    return dict(
        spec,
        x=x,
        y=y,
        batch_size=len(batches[0][0]),
        validation_data=spec["eval_data"],
        validation_split=None,
    )


def data_changed(spec, changes):
    """The spec with the repair's data changes made to it by running their
    code as printed (what the user is told to do to their pipeline), so the
    repaired model is scored on the data it expects; `(spec, error or None)`.
    The code sees `x_train, y_train, x_val, y_val`, and, where fit takes its
    validation rows with `validation_split`, all the rows as `x, y` (a
    shuffle before the split changes those)."""
    code = [c.code for c in changes if c.level == "data"]
    if not code:
        return spec, None
    xv, yv = validation_arrays(spec)
    names = {"np": np, "x_train": spec["x"], "y_train": spec["y"]}
    names.update(x_val=np.array(xv), y_val=np.array(yv))
    split = spec["eval_data"] is None and not isinstance(spec["validation_data"], tuple)
    if split:
        names.update(x=spec["x"], y=spec["y"])
    try:
        for text in code:
            exec(text, names)  # the repair's own printed code
    except Exception as e:  # noqa: BLE001 - code that does not run is a result
        return spec, f"{type(e).__name__}: {e}"[:300]
    if split and (names["x"] is not spec["x"] or names["y"] is not spec["y"]):
        return dict(spec, x=names["x"], y=names["y"]), None  # split again
    return dict(spec, eval_data=(names["x_val"], names["y_val"])), None


def run_repair(spec, seed):
    """`recipes.repair` on the spec's model and data, with its epoch budget."""
    spec = as_arrays(spec)
    kw = dict(epochs=spec["epochs"], seed=seed, verbose=0, **spec["fit"])
    if spec["batch_size"] is not None:
        kw["batch_size"] = spec["batch_size"]
    if spec["validation_data"] is not None:
        kw["validation_data"] = spec["validation_data"]
    elif spec["validation_split"]:
        kw["validation_split"] = spec["validation_split"]
    if spec["callbacks"]:
        kw["callbacks"] = list(spec["callbacks"])
    start = time.perf_counter()
    try:
        result = recipes.repair(spec["model"], spec["x"], spec["y"], **kw)
    except Exception as e:  # noqa: BLE001
        return {
            "crash": f"{type(e).__name__}: {e}"[:500],
            "seconds": round(time.perf_counter() - start, 1),
        }
    seconds = round(time.perf_counter() - start, 1)
    scored, data_error = data_changed(spec, result.changes)
    score, raw = metric(result.model, scored)
    causes = [
        getattr(d, "cause", None)
        for d in (result.diagnosis_before, result.diagnosis_after)
    ]
    return {
        "crash": None,
        "seconds": seconds,
        "score": score,
        "raw": raw,
        "fixed": bool(result.fixed),
        "retrains": int(result.retrains),
        "changes": [
            {
                "fix": c.fix,
                "level": c.level,
                "description": c.description,
                "code": c.code,
            }
            for c in result.changes
        ],
        "data_change_error": data_error,
        "metric": result.metric,
        "before": _rounded(result.before),
        "after": _rounded(result.after),
        "cause_before": causes[0],
        "cause_after": causes[1],
        "notes": list(result.notes),
        "attempts": [
            {
                "change": a.change,
                "metric": round(float(a.metric), 4) if np.isfinite(a.metric) else None,
                "verdict": a.verdict,
                "epochs": a.epochs_run,
                "seconds": round(a.seconds, 1),
                "accepted": a.accepted,
            }
            for a in result.attempts
        ],
    }
