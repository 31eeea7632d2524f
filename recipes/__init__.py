"""keras-recipes: the CS231n "Training Neural Networks" recipe for Keras 3.

Public names are loaded on first use, so `import recipes` stays cheap and
never pulls in Keras, KerasTuner or matplotlib before they are needed. It
registers the recipe's saved Keras classes (the table's encoder, the PCA
layer) once Keras is imported, before or after it: `import recipes` is
enough for `keras.saving.load_model` to load a model that holds them.

Example:

>>> import recipes
>>> data = recipes.datasets.load("digits")
>>> model = recipes.build_mlp(
...     data.input_shape, data.num_classes, x_train=data.x_train,
...     y_train=data.y_train)
"""

import importlib

from recipes.models import _registry

# public name -> module that defines it. Public names live here, never in the
# subpackages' __init__: `recipes.checks.preflight` is the module defining
# `preflight`, and importing it sets an attribute of `recipes.checks` only.
_LAZY = {
    "build_mlp": "recipes.models.mlp",
    "build_cnn": "recipes.models.cnn",
    "preprocessing_layer": "recipes.models.preprocessing",
    "load_model": "recipes.models.loading",
    "predict_table": "recipes.models.loading",
    "TablePreprocessor": "recipes.models.tabular",
    "recommendations": "recipes.advice",
    "RecipeHyperModel": "recipes.search.hypermodel",
    "tune": "recipes.search.tuning",
    "TuneResult": "recipes.search.tuning",
    "babysit": "recipes.run.babysit",
    "BabysitResult": "recipes.run.result",
    "PreflightError": "recipes.run.errors",
    "evaluate": "recipes.run.evaluation",
    "preflight": "recipes.checks.preflight",
    "PreflightReport": "recipes.checks.preflight",
    "find_learning_rate": "recipes.checks.lr_finder",
    "LRFinderResult": "recipes.checks.lr_finder",
    "RepairResult": "recipes.repair.result",
}
# public submodule -> where it lives (`from recipes import plots` predates run/)
# `recipes.repair` is the room, callable as the function `repair`
_SUBMODULES = {
    "datasets": "recipes.datasets",
    "plots": "recipes.run.plots",
    "repair": "recipes.repair",
}

__all__ = sorted([*_LAZY, *_SUBMODULES])
__version__ = "0.1.0"


_registry.register_when_keras_loads()


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(_SUBMODULES[name])
    else:
        raise AttributeError(f"module 'recipes' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return __all__
