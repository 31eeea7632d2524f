"""The recipe's registered Keras classes: `import recipes` is enough to load them.

A saved model names a custom class by its registered name (`recipes>...`),
and `keras.saving.load_model` finds it only once the module that registers
it has run. `import recipes` must stay cheap (it never imports Keras), so
`register_when_keras_loads` registers the classes at once when Keras is
already imported, and otherwise right after Keras is first imported: in a
serving process, `import recipes` (before or after `import keras`) is all a
model with the table's encoder or the PCA layer needs.

Each registered class takes `LoadsWithRecipes` first among its bases: its
saved config begins with `"load_with": "import recipes"`, so the error of a
process that loads it with Keras alone (whose message quotes the config)
says what to import.

Example:

>>> import sys, recipes
>>> "recipes.models.pca" in sys.modules  # registered once Keras is imported
True
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

LOAD_WITH = "import recipes"
# The modules whose import registers a `recipes>` class with Keras.
MODULES = (
    "recipes.models.data_loss",
    "recipes.models.pca",
    "recipes.models.tabular",
    "recipes.models.target",
)


class LoadsWithRecipes:
    """Base of a registered class: its saved config says `import recipes`.

    `get_config` puts `"load_with": "import recipes"` first (not a
    constructor argument); `from_config` drops it, and loads configs saved
    before it was written.
    """

    def get_config(self):
        return {"load_with": LOAD_WITH, **super().get_config()}

    @classmethod
    def from_config(cls, config):
        config = {k: v for k, v in config.items() if k != "load_with"}
        return super().from_config(config)


def register():
    """Imports the modules that register the recipe's classes with Keras."""
    for name in MODULES:
        importlib.import_module(name)


class _ThenRegister:
    """Keras's own loader, which registers the recipe's classes once Keras
    has finished importing."""

    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        register()

    def __getattr__(self, name):  # get_resource_reader, is_package, ...
        return getattr(self.loader, name)


class _AfterKeras(importlib.abc.MetaPathFinder):
    """Finds `keras` once, with the other finders, and wraps its loader."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "keras":
            return None
        sys.meta_path.remove(self)  # once; and the search below skips it
        spec = importlib.util.find_spec(fullname)
        if spec is not None and spec.loader is not None:
            spec.loader = _ThenRegister(spec.loader)
        return spec


def register_when_keras_loads():
    """Registers the classes now if Keras is imported, else after its import.

    Imports nothing heavy: without Keras, it only adds a finder to
    `sys.meta_path` that waits for `import keras`.
    """
    if "keras" in sys.modules:
        register()
    elif not any(isinstance(f, _AfterKeras) for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterKeras())
