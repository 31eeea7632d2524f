"""Pre-flight checks and the learning-rate range test.

Floor: above `recipes.models`; never imports `recipes.search` or
`recipes.run`.

Modules: `preflight` (`preflight`, `PreflightReport`, the list of checks),
`data` (checks of the arrays alone), `model` (what the model checks
share: one copy of the model, the priors' loss; the regularization
check), `training` (overfit a tiny subset; real against zeroed inputs),
`lr_finder` (`find_learning_rate`). Use the public names from `recipes`:

>>> import recipes
>>> callable(recipes.preflight)
True
"""
