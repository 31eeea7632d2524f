"""The stages of `tune`: the default coarse-to-fine plan and its checks.

Private; `recipes.search.stages` re-exports `DEFAULT_STAGES`, `parse_stages`
and `top_count`.

Example:

>>> from recipes.search._stage_spec import parse_stages, top_count
>>> parse_stages([{"trials": 4, "epochs": 2}])[0]["top"]
0.25
>>> top_count(0.25, 10)
3
"""

from __future__ import annotations

import math

# Coarse (many short trials over the full ranges), then narrower and longer,
# then a few trials trained to convergence (patience ends them at a plateau).
DEFAULT_STAGES = (
    {"trials": 24, "epochs": 10},
    {"trials": 8, "epochs": 50, "top": 0.25, "patience": 15},
    {"trials": 4, "epochs": 300, "top": 0.5, "patience": 40},
)
_STAGE_KEYS = ("trials", "epochs", "top", "margin", "patience")


def parse_stages(stages):
    """Checks `stages` and returns a list of dicts with every key filled."""
    if isinstance(stages, dict) or not isinstance(stages, (list, tuple)):
        raise TypeError(
            "`stages` must be a list of dicts such as [{'trials': 20, 'epochs': "
            f"5}}, {{'trials': 10, 'epochs': 25}}]. Received: stages={stages!r}"
        )
    if not stages:
        raise ValueError(
            f"`stages` needs at least one stage. Received: stages={stages!r}"
        )
    out = []
    for i, stage in enumerate(stages):
        if not isinstance(stage, dict):
            raise TypeError(
                f"Each stage must be a dict with 'trials' and 'epochs'. "
                f"Received: stages[{i}]={stage!r}"
            )
        unknown = sorted(set(stage) - set(_STAGE_KEYS))
        if unknown:
            raise ValueError(
                f"Stage {i} has unknown keys {unknown}; expected one of "
                f"{list(_STAGE_KEYS)}. Received: stages[{i}]={stage!r}"
            )
        s = {"top": 0.25, "margin": 0.1, "patience": None, **stage}
        for key in ("trials", "epochs"):
            v = s.get(key)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(
                    f"Stage {i} needs a positive integer {key!r}. "
                    f"Received: stages[{i}]={stage!r}"
                )
        top = s["top"]
        if not (0 < top < 1 or (isinstance(top, int) and top >= 1)):
            raise ValueError(
                f"Stage {i}'s 'top' is a fraction in (0, 1) or a count >= 1 of "
                f"the previous stage's trials to narrow around. "
                f"Received: stages[{i}]={stage!r}"
            )
        patience = s["patience"]
        if patience is not None and (
            isinstance(patience, bool) or not isinstance(patience, int) or patience < 1
        ):
            raise ValueError(
                f"Stage {i}'s 'patience' (epochs without a better objective before "
                f"a trial stops) must be a positive integer or None. "
                f"Received: stages[{i}]={stage!r}"
            )
        if not 0 <= s["margin"] < 1:
            raise ValueError(
                f"Stage {i}'s 'margin' must be in [0, 1). "
                f"Received: stages[{i}]={stage!r}"
            )
        out.append(s)
    return out


def top_count(top, completed):
    """How many of `completed` trials the next stage narrows around."""
    k = top if top >= 1 else math.ceil(top * completed)
    return int(max(2, min(k, completed)))
