"""Random search, coarse to fine, on KerasTuner: `tune` and its pieces.

Floor: above `recipes.checks`; never imports `recipes.run`.

Modules: `tuning` (`tune`), `hypermodel` (`RecipeHyperModel`), `space`
(defining and checking a search space), `narrowing` (coarse to fine between
stages), `stages` (one stage's KerasTuner tuner, trials and refit),
`result` (`TuneResult`), `_trial_rows` (reading trials back from disk),
`_chief` (the distributed chief), `_folds` (one validation set or folds),
`_fingerprint` (what a search ran on, checked on resume), `_progress`
(`verbose=1`'s lines), `_plot` (`TuneResult.plot`). Use the public names from `recipes`:

>>> import recipes
>>> callable(recipes.tune)
True
"""
