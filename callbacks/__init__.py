"""Keras 3 callbacks that babysit a training run and say what is wrong.

Depends on keras and numpy only; never imports `recipes`.
"""

from callbacks.finding import Finding

__all__ = ["Finding"]
