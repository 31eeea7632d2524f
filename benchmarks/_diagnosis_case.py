"""What a diagnosis case is, and the registry `benchmarks/diagnosis.py` reads.

A case is a function `(seed) -> dict`, registered with `@case(...)`. The
function builds and compiles its own model (its own optimizer and loss) and
returns what `model.fit` needs:

    model            the compiled keras.Model
    x, y             training arrays, or x = a tf.data.Dataset / PyDataset
                     (then y is None)
    validation_data  (x_val, y_val), a dataset, or None
    validation_split a float, or None (then fit's own split is used)
    epochs, batch_size
    fit              extra fit kwargs (class_weight, shuffle, ...)
    callbacks        the case's own callbacks (EarlyStopping, ...)
    task             "classification", "binary", "multilabel" or "regression"
    eval_data        (x_val, y_val) arrays for the final metrics when the
                     validation data is a dataset (optional)

`dict(model=..., ...)` with `run_spec(...)` fills the defaults.
"""

import dataclasses

import keras

L = keras.layers
CASES = []


@dataclasses.dataclass(frozen=True)
class Case:
    """One labeled training program of the suite.

    Attributes:
        name: Short unique name (the `--only` key).
        kind: "healthy" or "faulty".
        description: The real-world situation it mimics, one line.
        build: `(seed) -> dict` (see the module docstring).
        expected: Faulty only: acceptable root-cause check names, preferred
            first.
        fix_words: Faulty only: lowercase keywords the right fix's text must
            contain (each at a word start); "a|b" means either.
    """

    name: str
    kind: str
    description: str
    build: object
    expected: tuple = ()
    fix_words: tuple = ()


def case(kind, description, expected=(), fix_words=(), name=None):
    """Registers `fn` as a case named after it (less a leading `healthy_`/`faulty_`)."""

    def register(fn):
        n = name or fn.__name__.removeprefix(f"{kind}_")
        if any(c.name == n for c in CASES):
            raise ValueError(f"Duplicate case name. Received: name={n!r}")
        CASES.append(Case(n, kind, description, fn, tuple(expected), tuple(fix_words)))
        return fn

    return register


def run_spec(
    model,
    x,
    y=None,
    *,
    validation_data=None,
    validation_split=None,
    epochs=10,
    batch_size=32,
    task="classification",
    callbacks=(),
    eval_data=None,
    **fit,
):
    """The dict a case returns, with every key present."""
    return dict(
        model=model,
        x=x,
        y=y,
        validation_data=validation_data,
        validation_split=validation_split,
        epochs=epochs,
        batch_size=batch_size,
        task=task,
        callbacks=list(callbacks),
        eval_data=eval_data,
        fit=fit,
    )


def dense_net(
    inputs,
    widths,
    out,
    *,
    act="relu",
    out_act="softmax",
    init="glorot_uniform",
    bias_init="zeros",
    dropout=0.0,
    l2=None,
):
    """A plain Sequential MLP, the way a Keras user writes one."""
    reg = keras.regularizers.L2(l2) if l2 else None
    layers = [keras.Input((inputs,))]
    for w in widths:
        layers.append(
            L.Dense(
                w,
                activation=act,
                kernel_initializer=init,
                bias_initializer=bias_init,
                kernel_regularizer=reg,
            )
        )
        if dropout:
            layers.append(L.Dropout(dropout))
    layers.append(L.Dense(out, activation=out_act, kernel_regularizer=reg))
    return keras.Sequential(layers)
