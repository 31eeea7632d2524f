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
from recipes.run._state import DataArgs
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
    table=None,
    target_name=None,
    model=None,
    learning_rate=None,
    epochs=100,
    batch_size=None,
    patience=None,
    preflight=True,
    tune=False,
    callbacks=None,
    babysitter=None,
    output_dir=None,
    title=None,
    seed=None,
    verbose=1,
    strict=False,
    ensemble=None,
    distribution=None,
    **kwargs,
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
            inside the model by a `recipes.TablePreprocessor` (see `table`)
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
        table: An unfitted `recipes.TablePreprocessor` holding the
            DataFrame options (`categorical`, `id_column`, `drop`); a copy
            is fitted on the training rows, so the one passed stays
            unfitted. Only with a DataFrame `x`. Defaults to `None` (a
            `TablePreprocessor()` for a DataFrame).
        target_name: Name of the target, stored with the model. Defaults to
            `None`.
        model: What to train. `None`: the recipe's builder (`build_mlp`
            for feature vectors, `build_cnn` for sequences and images). A
            builder: a callable called like those,
            `builder(input_shape, num_classes, *, x_train, y_train, task,
            learning_rate, seed)` (`num_classes` None for regression),
            returning a compiled model, e.g.
            `functools.partial(recipes.build_mlp, hidden_units=(128,))`; on
            a table, a builder taking `hidden_units` that were not given
            gets the table's widths (64x64 under 1,000 training rows). A
            compiled `keras.Model`: trained as it is (its weights kept, its
            rate set). A `recipes.RecipeHyperModel` (with `tune=True`): the
            search space searched, e.g. `RecipeHyperModel("mlp",
            search_space={"depth": [1, 2]})`; the data gives its input
            shape and classes. Defaults to `None`.
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
        tune: `True` runs `recipes.tune` first on the training and
            validation splits (never the test's), one stage of 10 trials of
            `min(epochs, 10)` epochs, over the recipe's builder or the
            `RecipeHyperModel` in `model`; its files go into the run
            folder's `search/`. A `TuneResult`: a search already run, whose
            best values are trained without a new search (its trials still
            go into `search_trials.csv`, `search.png` and the report). For
            the test score to mean anything, that search must never have
            seen the test rows: run it on the training rows only and pass
            the held-out rows here as `x_test`, `y_test` (with `test_split`
            the test rows are cut from `x` here, rows the search may have
            trained on). Either way, a fresh model with the best
            hyperparameters, learning rate and batch size is then trained.
            Defaults to `False`.
        callbacks: Keras callbacks for the training run, run after the
            Babysitter (so they see its `logs` keys) as in `Model.fit`,
            e.g. `keras.callbacks.TensorBoard("tb")`. Not used by the
            search's trials or the further averaged networks. Defaults to
            `None`.
        babysitter: The `callbacks.Babysitter` that watches training, to
            share it with a callback, e.g. a
            `callbacks.BabysitterTensorBoard("tb", babysitter=sitter)` in
            `callbacks` (activation histograms per layer and epoch, the
            findings as text). Defaults to `None` (a `Babysitter()`
            printing its findings when `verbose`).
        output_dir: The run folder; must not exist or be empty. Defaults to
            `None` (`runs/<timestamp>`).
        title: Title of the report. Defaults to `None`.
        seed: Seed of the splits, initializers and training. Defaults to
            `None`.
        verbose: 0 silent, 1 one line per step and a few epoch lines.
            Defaults to `1`.
        strict: Stop before training, raising `PreflightError`, when the
            data or pre-flight checks report an error (no run folder is
            left). Defaults to `False`.
        ensemble: How many networks to train and average. The first is the
            one the Babysitter watches, whose history, curves and findings
            the report shows; the others train the same way from seeds
            `seed + 1, ...`, and the saved model averages their outputs
            (class probabilities, or the target). Needs a builder (not a
            compiled `model`, not `tune`). Defaults to `None`: 5 for a
            builder's model on a DataFrame of under 1,000 training rows,
            where one network's score moves by a point with its seed
            (README, "Tables"), else 1.
        distribution: Where the network trains. `None`: one device (the
            first GPU, or the CPU). A `tf.distribute.Strategy` on
            TensorFlow (e.g. `tf.distribute.MirroredStrategy()`), a
            `keras.distribution.DataParallel` or `ModelParallel` on JAX (e.g.
            `keras.distribution.DataParallel()`), or `"all"`: every device
            there is (TensorFlow: `MirroredStrategy` over the GPUs, JAX:
            `DataParallel` over the devices of its default platform), one
            device when there is one. The network (and the further averaged
            networks) is built, compiled and trained under it, with
            `batch_size` the global batch split across the devices; the
            checks before training, the range test and the search's trials
            run on one device. Each batch is split evenly over the devices
            (on JAX, those of the batch axis): the batch size must be a
            multiple of their number (the default is rounded down to one)
            and the training and validation rows are cut to a multiple of
            it (at most one row fewer per device). A compiled `model` must
            have been built under the same `distribution`. Defaults to
            `None`.

    Returns:
        A `BabysitResult` (model, history, findings, metrics, run_dir, ...).

    Raises:
        ValueError: On bad data (NaNs, a single class, mismatched lengths), a
            run folder that exists or cannot be written, bad arguments, or
            arguments that do not go together (`tune` with a compiled
            model or a builder, a `RecipeHyperModel` without `tune=True`,
            `ensemble` above 1 with a compiled model or `tune`, `table`
            without a DataFrame, a compiled model built outside the
            `distribution`, a batch size the distribution cannot split:
            all before the data is split), or a model
            or search made for other inputs (checked on the splits); never
            after the run folder is made.
        TypeError: On non-numeric inputs or labels, an argument of the
            wrong type, or a removed keyword (`model_kwargs`, `tune_kwargs`,
            `categorical`, `id_column`, `drop`, `tensorboard`: the message
            names the new way), or a `distribution` this backend cannot
            train under.
        PreflightError: With `strict=True`, when a check before training
            found an error (its `findings` attribute holds the errors;
            `recipes.PreflightError`, a `RuntimeError`).

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
    from recipes.run import _door

    _door.refuse_removed(kwargs)
    options = _door.run_options(
        x,
        table=table,
        task=task,
        model=model,
        learning_rate=learning_rate,
        epochs=epochs,
        batch_size=batch_size,
        patience=patience,
        preflight=preflight,
        tune=tune,
        callbacks=callbacks,
        babysitter=babysitter,
        seed=seed,
        verbose=verbose,
        strict=strict,
        ensemble=ensemble,
        distribution=distribution,
    )
    data = DataArgs(
        x,
        y,
        x_test=x_test,
        y_test=y_test,
        validation_data=validation_data,
        validation_split=validation_split,
        test_split=test_split,
        task=task,
        class_names=class_names,
        table=table,
        target_name=target_name,
    )
    return babysit_checked(data, options, output_dir=output_dir, title=title)


def babysit_checked(data, options, *, output_dir=None, title=None):
    """`babysit` past its door (private; the command line's `tune` calls
    it): `data` is a `DataArgs`, `options` the `RunOptions` its door
    checked. Splits the data, encodes a table, runs the steps into the run
    folder."""
    import keras

    from recipes.run import _door, _flow

    start = time.perf_counter()
    if options.seed is not None:
        keras.utils.set_random_seed(options.seed)
    x, x_test, validation_data, frame = data.x, data.x_test, data.validation_data, None
    if steps.is_frame(x):
        x, x_test, validation_data, frame = steps.frame_rows(x, x_test, validation_data)
    splits = steps.prepare_data(
        x,
        data.y,
        x_test=x_test,
        y_test=data.y_test,
        validation_data=validation_data,
        validation_split=data.validation_split,
        test_split=data.test_split,
        task=data.task,
        class_names=data.class_names,
        seed=options.seed,
    )
    if frame is not None:
        splits = steps.encode_frame(
            splits, frame, table=data.table, target_name=data.target_name
        )
    _door.check_against_data(splits, options)
    final, tmp = steps.open_run_dir(output_dir)
    try:
        state = _flow.run(splits, tmp, options)
        result = BabysitResult.from_state(state, run_dir=final)
        result.seconds = time.perf_counter() - start
        from recipes.run.report import write_report
        from recipes.run.report_html import write_html

        write_html(tmp, result, state, title=title)
        write_report(tmp, result, state, state.splits, title=title)  # written last
        steps.close_run_dir(tmp, final)
        if result.search is not None:  # a search run inside the run folder
            result.search.folder_moved(tmp, final)
    except BaseException:
        steps.discard_run_dir(tmp)
        raise
    say(options.verbose, f"Done in {result.seconds:.0f}s.")
    return result
