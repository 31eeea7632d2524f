"""Models that start well: `build_mlp`, `build_cnn`, their blocks, preprocessing.

Floor: above `recipes._validate`, `recipes.datasets` and `recipes.advice`;
never imports `recipes.checks`, `recipes.search` or `recipes.run`.

Modules: `mlp` (`build_mlp`), `cnn` (`build_cnn`), `_blocks` (what both
builders share: arguments, the output layer, initializers), `preprocessing`
(`preprocessing_layer`, fitted on the training split), `pca` (the registered
`recipes>PCAProjection` layer), `saving` (`save_model`: files Keras alone
loads), `_registry` (what `import recipes` registers with Keras). Use the
public names from `recipes`:

>>> import recipes
>>> callable(recipes.build_mlp)
True
"""
