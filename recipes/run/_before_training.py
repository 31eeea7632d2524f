"""The stages of `recipes.babysit` before training (private): the random
search and the learning-rate range test, each adding its findings to the
run's state."""

from __future__ import annotations

import os


def say(verbose, text):
    """Prints one line of `babysit`'s progress when `verbose`."""
    if verbose:
        print(text, flush=True)


# Trained at when the range test finds nothing (a rate below its range):
# on diabetes at batch 37 it suggested 1e-8 (R² 0.03 against RidgeCV's 0.34).
FALLBACK_RATE = 1e-3


def search(state, options):
    """`recipes.tune` (or the `TuneResult` given); returns the best values
    and `make(rate)`, a fresh model with them fixed. Sets the state's rate
    when the search tuned it."""
    import keras_tuner

    from recipes.search.hypermodel import RecipeHyperModel

    splits, seed = state.splits, options.seed
    if options.tune is True:
        result = _search(state, options)
    else:
        result = options.tune
        say(options.verbose, "Training the best values of the search given ...")
    state.search = result
    state.add("search", result.findings)
    best = dict(result.best_hyperparameters)
    state.best_hyperparameters = best
    searched = result.hypermodel
    state.builder = f"recipes.build_{searched.builder}"
    if "learning_rate" in best:
        state.learning_rate = float(best["learning_rate"])
        state.lr_source = "random search"
    result.to_csv(os.path.join(state.folder, "search_trials.csv"))

    def make(learning_rate):
        fixed = RecipeHyperModel(
            searched.builder,
            splits.x_train.shape[1:],
            splits.num_classes,
            x_train=splits.x_train,
            y_train=splits.y_train,
            search_space={**best, "learning_rate": learning_rate},
            builder_kwargs=searched.builder_kwargs,
            seed=seed,
        )
        return fixed.build(keras_tuner.HyperParameters())

    return best, make


def _search(state, options):
    """`recipes.tune` on the training and validation splits (never the
    test's), into the run folder's `search/`."""
    from recipes.search.tuning import tune

    splits = state.splits
    builder = options.model  # a RecipeHyperModel, or None: the recipe's
    if builder is None:
        builder = "mlp" if splits.x_train.ndim == 2 else "cnn"
    name = repr(builder)
    if not isinstance(builder, str):
        name = f"RecipeHyperModel({builder.builder!r})"
    say(options.verbose, f"Random search (recipes.tune, builder={name}) ...")
    kwargs = {
        "stages": [{"trials": 10, "epochs": min(options.epochs, 10)}],
        "seed": options.seed,
        "directory": state.folder,
        "project_name": "search",
        "overwrite": True,
        **(options.search_args or {}),
    }
    return tune(
        splits.x_train,
        splits.y_train,
        validation_data=(splits.x_val, splits.y_val),
        builder=builder,
        task=splits.task,
        **kwargs,
    )


def lr_test(state, verbose):
    """The range test's suggested rate (or `FALLBACK_RATE` when it found
    none, with a warning); its result and findings go into the state."""
    from recipes.checks.lr_finder import find_learning_rate

    say(verbose, "Learning-rate range test (recipes.find_learning_rate) ...")
    splits = state.splits
    test = find_learning_rate(
        state.model, splits.x_train, splits.y_train, batch_size=state.batch_size
    )
    state.lr_test = test
    found = list(getattr(test, "findings", []) or [])
    rate = float(test.suggested_learning_rate)
    first = float(test.learning_rates[0])
    if rate < first:  # the loss was lowest at the first rate: nothing found
        from callbacks import Finding

        found.append(
            Finding(
                "lr_range_test_fallback",
                "warning",
                value=rate,
                threshold=first,
                message=f"The range test suggested {rate:.3g}, below the first "
                f"rate it tried ({first:.3g}): the training loss never fell, so "
                f"the run trains at Adam's default {FALLBACK_RATE:g} instead.",
                suggestion="Pass a learning rate, or a larger batch size (a noisy "
                "loss at a small batch hides the fall).",
            )
        )
        rate = FALLBACK_RATE
    state.add("lr_range_test", found)
    return rate
