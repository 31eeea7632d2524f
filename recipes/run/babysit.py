"""`babysit`: the whole recipe on one data set, into a run folder.

Example:

>>> import recipes
>>> data = recipes.datasets.load("iris")
>>> result = recipes.babysit(data.x_train, data.y_train, epochs=3,
...                          output_dir="runs/iris")  # doctest: +SKIP
>>> result.metrics["accuracy"]  # doctest: +SKIP
0.93
"""

from __future__ import annotations

import time

from recipes.run import _steps as steps
from recipes.run._before_training import say
from recipes.run._state import RunOptions
from recipes.run.result import BabysitResult


def babysit(
    x,
    y,
    *,
    x_test=None,
    y_test=None,
    validation_data=None,
    validation_split=0.15,
    test_split=0.2,
    task="auto",
    class_names=None,
    categorical=None,
    id_column=None,
    drop=None,
    target_name=None,
    model=None,
    model_kwargs=None,
    learning_rate=None,
    epochs=100,
    batch_size=None,
    patience=None,
    preflight=True,
    tune=False,
    tune_kwargs=None,
    output_dir=None,
    title=None,
    seed=None,
    verbose=1,
    strict=False,
    tensorboard=None,
    ensemble=None,
):
    """Runs the whole recipe on `(x, y)` and writes a run folder explaining it.

    The steps, each composed from the toolkit: validate the data and split it
    (train / validation / test, stratified); build a model that starts well
    (`build_mlp` for feature vectors, `build_cnn` for sequences and images)
    unless `model` is given; pre-flight checks (`recipes.preflight`); a
    learning-rate range test (`recipes.find_learning_rate`) when no
    `learning_rate` is given; optionally a random search (`recipes.tune`);
    training with `callbacks.Babysitter`, `EarlyStopping` (best weights
    restored) and `ModelCheckpoint`; `recipes.evaluate` once on the test
    split; and the report. The run folder holds `report.md`, `history.csv`,
    `findings.json`, `metrics.json`, `model.keras` and PNG figures. It is
    written under a hidden temporary name and renamed at the end, so a failed
    run never looks finished.

    Args:
        x: Training inputs, `(num_examples, ...)`, numeric and finite; or a
            pandas DataFrame of raw columns (strings, missing values), encoded
            inside the model by `recipes.models.tabular.TablePreprocessor`
            fitted on the training rows (`model.keras` then takes raw
            columns; reload it with `recipes.load_model`).
        y: Integer class ids (classification) or real targets (regression).
        x_test: Held-out test inputs. Defaults to `None` (split off
            `test_split` of `x`).
        y_test: Held-out test labels. Defaults to `None`.
        validation_data: `(x_val, y_val)`. Defaults to `None` (split off
            `validation_split` of the training data).
        validation_split: Share of the training data used for validation
            when `validation_data` is None. Defaults to `0.15`.
        test_split: Share of `x` held out for the test when `x_test` is
            None; `0` skips the test evaluation. Defaults to `0.2`.
        task: `"auto"` (integer labels with at most 50 values are classes),
            `"classification"` or `"regression"`. Defaults to `"auto"`.
        class_names: One name per class, for the report. Defaults to `None`.
        categorical: DataFrame columns to one-hot encode even if numeric
            (string columns always are). Defaults to `None`.
        id_column: A DataFrame column identifying rows, never a feature.
            Defaults to `None` (ID-like columns are found and dropped).
        drop: DataFrame columns to leave out; they stay in the schema, so
            `predict` accepts tables that still have them. Defaults to `None`.
        target_name: Name of the target, stored with the model. Defaults to
            `None`.
        model: A compiled Keras model to train instead of the default
            builder. Defaults to `None`.
        model_kwargs: Extra arguments of the default builder, e.g.
            `{"hidden_units": (128,)}`. Defaults to `None`.
        learning_rate: The rate to train with; `None` runs the range test
            and takes its suggestion. Defaults to `None`.
        epochs: Most training epochs (early stopping usually ends sooner).
            Defaults to `100`.
        batch_size: Mini-batch size. Defaults to `None`: 64, or for
            classification on a DataFrame whose training rows give fewer
            than 8 steps an epoch, `rows // 8` (at least 16).
        patience: Epochs without a better validation loss before stopping
            (ReduceLROnPlateau cuts the rate after a third of them).
            Defaults to `None` (10).
        preflight: Run the pre-flight checks. Defaults to `True`.
        tune: Run `recipes.tune` first (classification, default models
            only; its files go into the run folder's `search/`), then train
            a fresh model with the best hyperparameters, learning rate and
            batch size. Defaults to `False`.
        tune_kwargs: Extra arguments of `recipes.tune`; the default search
            is one stage of 10 trials of `min(epochs, 10)` epochs, e.g.
            `{"stages": [{"trials": 20, "epochs": 5}]}`. Defaults to `None`.
        output_dir: The run folder; must not exist or be empty. Defaults to
            `None` (`runs/<timestamp>`).
        title: Title of the report. Defaults to `None`.
        seed: Seed of the splits, initializers and training. Defaults to
            `None`.
        verbose: 0 silent, 1 one line per step and a few epoch lines.
            Defaults to `1`.
        strict: Stop before training when the data or pre-flight checks
            report an error (no run folder is left). Defaults to `False`.
        tensorboard: A TensorBoard log folder, or `None`. Given, training
            writes Keras' own `TensorBoard` logs there (losses, metrics, the
            Babysitter's per-epoch figures) and `callbacks.BabysitterTensorBoard`
            events in its `babysitter/` run (activation histograms per layer
            and epoch, the findings as text). Defaults to `None`.
        ensemble: How many networks to train and average. The first is the
            one the Babysitter watches, whose history, curves and findings
            the report shows; the others train the same way from seeds
            `seed + 1, ...`, and the saved model averages their outputs
            (class probabilities, or the target). Defaults to `None`: 5 for
            the recipe's own model on a DataFrame of under 1,000 training
            rows, where one network's score moves by a point with its seed
            (README, "Tables"), else 1.

    Returns:
        A `BabysitResult` (model, history, findings, metrics, run_dir, ...).

    Raises:
        ValueError: On bad data (NaNs, a single class, mismatched lengths), a
            run folder that exists or cannot be written, or bad arguments.
        TypeError: On non-numeric inputs or labels.
        RuntimeError: With `strict=True`, a `PreflightError` (its `findings`
            attribute holds the errors) when a check before training found
            an error.

    Example:

    >>> import recipes
    >>> data = recipes.datasets.load("digits")
    >>> result = recipes.babysit(
    ...     data.x_train, data.y_train, x_test=data.x_test, y_test=data.y_test,
    ...     validation_data=data.validation_data, epochs=30,
    ...     class_names=data.class_names, output_dir="runs/digits",
    ... )  # doctest: +SKIP
    >>> print(result.summary())  # doctest: +SKIP
    """
    import keras

    from recipes.run import _flow

    start = time.perf_counter()
    if model is not None and not isinstance(model, keras.Model):
        raise TypeError(
            "`model` must be a compiled keras.Model or None (the recipe's "
            f"builder). Received: model of type {type(model).__name__}"
        )
    for name, value in (
        ("epochs", epochs),
        ("batch_size", batch_size),
        ("patience", patience),
        ("ensemble", ensemble),
    ):
        if value is None and name != "epochs":
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(
                f"`{name}` must be a positive integer"
                + ("" if name == "epochs" else " or None (the default)")
                + f". Received: {name}={value!r}"
            )
    if tune and model is not None:
        raise ValueError(
            "`tune=True` searches the recipe's own builder, so it cannot be "
            "combined with `model`. Received: tune=True and a model"
        )
    if ensemble is not None and ensemble > 1 and (model is not None or tune):
        raise ValueError(
            "`ensemble` above 1 trains more networks from the recipe's own "
            "builder, so it cannot be combined with `model` or `tune=True`; "
            f"pass ensemble=1 or None. Received: ensemble={ensemble}"
        )
    if learning_rate is not None and not (
        isinstance(learning_rate, (int, float)) and learning_rate > 0
    ):
        raise ValueError(
            "`learning_rate` must be a positive number or None. "
            f"Received: learning_rate={learning_rate!r}"
        )
    if seed is not None:
        keras.utils.set_random_seed(seed)
    frame = None
    if steps.is_frame(x):
        x, x_test, validation_data, frame = steps.frame_rows(x, x_test, validation_data)
    splits = steps.prepare_data(
        x,
        y,
        x_test=x_test,
        y_test=y_test,
        validation_data=validation_data,
        validation_split=validation_split,
        test_split=test_split,
        task=task,
        class_names=class_names,
        seed=seed,
    )
    if frame is not None:
        splits = steps.encode_frame(
            splits,
            frame,
            categorical=categorical,
            id_column=id_column,
            drop=drop,
            target_name=target_name,
        )
    final, tmp = steps.open_run_dir(output_dir)
    try:
        options = RunOptions(
            model=model,
            model_kwargs=model_kwargs,
            learning_rate=learning_rate,
            epochs=epochs,
            batch_size=batch_size,
            patience=patience,
            preflight=preflight,
            tune=tune,
            tune_kwargs=tune_kwargs,
            seed=seed,
            verbose=verbose,
            strict=strict,
            tensorboard=tensorboard,
            ensemble=ensemble,
        )
        state = _flow.run(splits, tmp, options)
        result = BabysitResult.from_state(state, run_dir=final)
        result.seconds = time.perf_counter() - start
        from recipes.run.report import write_report
        from recipes.run.report_html import write_html

        write_html(tmp, result, state, title=title)
        write_report(tmp, result, state, state.splits, title=title)  # written last
        steps.close_run_dir(tmp, final)
    except BaseException:
        steps.discard_run_dir(tmp)
        raise
    say(verbose, f"Done in {result.seconds:.0f}s.")
    return result
