"""`babysit`'s door (private): every argument, and every combination of
arguments, checked before any data is split or a run folder made; and the
keywords that were removed, each answered with the new way.

Example:

>>> from recipes.run._door import refuse_removed
>>> refuse_removed({"tensorboard": "tb"})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
TypeError: `tensorboard` was removed from babysit: ...
"""

from __future__ import annotations

import inspect

from recipes.run import _devices
from recipes.run._state import RunOptions

_TABLE = "pass the DataFrame's options in `table=`"
# removed keyword -> (what to do instead, a one-line example)
REMOVED = {
    "model_kwargs": (
        "pass the builder itself, with its arguments, as `model`",
        "model=functools.partial(recipes.build_mlp, hidden_units=(128,))",
    ),
    "tune_kwargs": (
        "pass `tune=True` for the default search, or `tune=` the `TuneResult` "
        "of a search you ran with `recipes.tune` on the training rows",
        "tune=recipes.tune(x_train, y_train, max_trials=20)",
    ),
    "categorical": (
        _TABLE,
        "table=recipes.TablePreprocessor(categorical=['zip_code'])",
    ),
    "id_column": (_TABLE, "table=recipes.TablePreprocessor(id_column='customer_id')"),
    "drop": (_TABLE, "table=recipes.TablePreprocessor(drop=['notes'])"),
    "tensorboard": (
        "pass Keras' and the Babysitter's TensorBoard callbacks in `callbacks=`, "
        "and the Babysitter they read in `babysitter=`",
        "sitter = callbacks.Babysitter(); babysit(..., babysitter=sitter, "
        "callbacks=[keras.callbacks.TensorBoard('tb'), "
        "callbacks.BabysitterTensorBoard('tb', babysitter=sitter)])",
    ),
}
BUILDER_CALL = (
    "builder(input_shape, num_classes, *, x_train, y_train, task, learning_rate, seed)"
)


def refuse_removed(kwargs):
    """A `TypeError` for the first keyword of `kwargs`: the new way for a
    removed one, Python's own message for any other."""
    for name, value in kwargs.items():
        if name not in REMOVED:
            raise TypeError(f"babysit() got an unexpected keyword argument {name!r}")
        instead, example = REMOVED[name]
        raise TypeError(
            f"`{name}` was removed from babysit: {instead}. For example: "
            f"{example}. Received: {name}={value!r}"
        )


def run_options(x, *, table, task, search_args=None, **training):
    """The checked `RunOptions` of `babysit`'s training arguments (`training`
    holds its `RunOptions` fields, by name)."""
    _check_numbers(training)
    model, tune = training["model"], training["tune"]
    _check_model(model, tune, task)
    _devices.check_not_inside_one()
    distribution = _devices.resolve(training.get("distribution"))
    training["distribution"] = distribution
    _devices.check_batch_size(training["batch_size"], distribution)
    _check_table(x, table)
    training["callbacks"] = _check_callbacks(
        training["callbacks"], training["babysitter"]
    )
    ensemble = training["ensemble"]
    if ensemble is not None and ensemble > 1:
        import keras

        if isinstance(model, keras.Model) or tune is not False:
            raise ValueError(
                "`ensemble` above 1 trains more networks from a builder (the "
                "recipe's, or one passed as `model`), so it cannot be combined "
                "with a built `model` or with `tune`; pass ensemble=1 or None. "
                f"Received: ensemble={ensemble}"
            )
    if distribution is not None:
        import keras

        if isinstance(model, keras.Model):
            _devices.check_model(model, distribution)
    return RunOptions(search_args=search_args, **training)


def _check_numbers(training):
    for name in ("epochs", "batch_size", "patience", "ensemble"):
        value = training[name]
        if value is None and name != "epochs":
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(
                f"`{name}` must be a positive integer"
                + ("" if name == "epochs" else " or None (the default)")
                + f". Received: {name}={value!r}"
            )
    rate = training["learning_rate"]
    if rate is not None and not (
        isinstance(rate, (int, float)) and not isinstance(rate, bool) and rate > 0
    ):
        raise ValueError(
            "`learning_rate` must be a positive number or None. "
            f"Received: learning_rate={rate!r}"
        )


def _check_model(model, tune, task):
    """`model` (None, a compiled model, a builder or a hypermodel) and `tune`
    (a bool or a `TuneResult`), and the pairs of them that cannot go together."""
    import keras

    if not isinstance(tune, bool):
        from recipes.search.result import TuneResult

        if not isinstance(tune, TuneResult):
            raise TypeError(
                "`tune` must be True (search first), False, or the TuneResult of "
                "a search already run (its best values are trained). "
                f"Received: tune of type {type(tune).__name__}"
            )
        _check_tune_result(tune, task)
    if model is None:
        return
    if isinstance(model, keras.Model):
        if tune is not False:
            raise ValueError(
                "`tune` searches (or trains the best values of) a builder, so it "
                "cannot be combined with a built `model`; pass a "
                "RecipeHyperModel as `model` to search it. "
                f"Received: tune={'True' if tune is True else 'a TuneResult'} "
                "and a keras.Model as model"
            )
        return
    from recipes.search.hypermodel import RecipeHyperModel

    if isinstance(model, RecipeHyperModel):
        if tune is not True:
            raise ValueError(
                "A RecipeHyperModel is a search space: pass tune=True to search "
                "it, or a builder (e.g. functools.partial(recipes.build_mlp, "
                "hidden_units=(128,))) to train one model. A TuneResult already "
                "holds the hypermodel it searched. Received: model=RecipeHyperModel"
                f" and tune={'a TuneResult' if tune is not False else False}"
            )
        return
    if not callable(model):
        raise TypeError(
            "`model` must be None (the recipe's builder), a compiled keras.Model, "
            "a builder (a callable such as recipes.build_mlp) or a "
            f"RecipeHyperModel. Received: model of type {type(model).__name__}"
        )
    if tune is not False:
        raise ValueError(
            "`tune` searches a space, and a builder has none: pass a "
            "RecipeHyperModel as `model` (e.g. RecipeHyperModel('mlp', "
            "search_space={...})), or tune=False. Received: tune with a builder "
            f"{getattr(model, '__name__', type(model).__name__)} as model"
        )
    _check_builder(model)


def _check_builder(builder):
    """A builder must take the arguments `babysit` calls it with."""
    try:
        signature = inspect.signature(builder)
    except (TypeError, ValueError):  # no signature to read: the call will tell
        return
    try:
        signature.bind(
            (4,),
            3,
            x_train=None,
            y_train=None,
            task="classification",
            learning_rate=1e-3,
            seed=None,
        )
    except TypeError as e:
        raise TypeError(
            f"`model` as a builder is called like recipes.build_mlp: {BUILDER_CALL}"
            " (num_classes None for regression), returning a compiled model; "
            f"this one cannot be ({e}). Received: model={builder!r}"
        ) from None


def _check_tune_result(result, task):
    if result.role == "worker":
        raise ValueError(
            "A worker's TuneResult holds no results: pass the chief's. "
            "Received: tune=TuneResult(role='worker')"
        )
    # A ValueError when no trial finished: there is nothing to train.
    result.best_hyperparameters  # noqa: B018
    if task != "auto" and task != result.task:
        raise ValueError(
            f"The search given was a {result.task} search, so it cannot train a "
            f"{task} run. Received: task={task!r}"
        )


def _check_table(x, table):
    if table is None:
        return
    from recipes.models.tabular import TablePreprocessor
    from recipes.run._steps import is_frame

    if not isinstance(table, TablePreprocessor):
        raise TypeError(
            "`table` must be a TablePreprocessor holding the DataFrame's options, "
            "e.g. TablePreprocessor(categorical=['zip']). "
            f"Received: table of type {type(table).__name__}"
        )
    if not is_frame(x):
        raise ValueError(
            "`table` holds options for a pandas DataFrame `x` (its columns); "
            "arrays are fed to the network as they are. Pass a DataFrame, or "
            f"table=None. Received: x of type {type(x).__name__} and a table"
        )
    if table.fitted:
        raise ValueError(
            "`table` must be unfitted: babysit fits it on the training rows only, "
            "so that the test rows never shape the encoding. Pass a new "
            "TablePreprocessor with the same options. Received: a fitted table"
        )


def _check_callbacks(cbs, babysitter):
    """The checked `callbacks`, as a tuple."""
    import keras

    from callbacks import Babysitter, BabysitterTensorBoard

    if babysitter is not None and not isinstance(babysitter, Babysitter):
        raise TypeError(
            "`babysitter` must be a callbacks.Babysitter, or None for the default "
            f"one. Received: babysitter of type {type(babysitter).__name__}"
        )
    if cbs is None:
        return ()
    if not isinstance(cbs, (list, tuple)) or not all(
        isinstance(cb, keras.callbacks.Callback) for cb in cbs
    ):
        raise TypeError(
            "`callbacks` must be a list of keras.callbacks.Callback, as in "
            f"Model.fit. Received: callbacks={cbs!r}"
        )
    for cb in cbs:
        if isinstance(cb, Babysitter):
            raise ValueError(
                "A run has one Babysitter, first among its callbacks: pass yours "
                "as `babysitter=`, not in `callbacks`. "
                "Received: a Babysitter in callbacks"
            )
        watched = cb.babysitter if isinstance(cb, BabysitterTensorBoard) else None
        if watched is not None and watched is not babysitter:
            raise ValueError(
                "The BabysitterTensorBoard in `callbacks` writes the findings of a "
                "Babysitter this run does not use: pass that Babysitter as "
                "`babysitter=` too. Received: babysitter="
                f"{'None' if babysitter is None else 'another Babysitter'}"
            )
    return tuple(cbs)


def check_against_data(splits, options):
    """What `model` or `tune` were built for against the data's shape and
    task (after the splits, before the run folder)."""
    import keras

    shape = tuple(splits.x_train.shape[1:])
    model, tune = options.model, options.tune
    if isinstance(model, keras.Model):
        expected = tuple(model.inputs[0].shape[1:]) if model.inputs else None
        if expected is not None and expected != shape:
            raise ValueError(
                f"The model takes inputs of shape {expected}, but the data's are "
                f"{shape}{' (the encoded table)' if splits.table else ''}. Pass a "
                f"model for this data. Received: model with input shape {expected}"
            )
    if tune is False:
        return
    hypermodel = model if tune is True else tune.hypermodel  # None: the recipe's
    given = None if hypermodel is None else hypermodel.input_shape
    if given is not None and tuple(given) != shape:
        raise ValueError(
            f"The {'search' if tune is not True else 'hypermodel'} was made for "
            f"inputs of shape {tuple(given)}, but the data's are {shape}. "
            f"Received: x with input shape {shape}"
        )
    if not isinstance(tune, bool) and tune.task != splits.task:
        raise ValueError(
            f"The search given was a {tune.task} search, but this data is "
            f"{splits.task}. Pass task= to match. Received: task={splits.task!r}"
        )
