"""`diagnose`: many findings in, one root cause with one fix out.

A failing run shows many symptoms at once: a learning rate that is too high
makes the loss diverge, kills ReLUs and makes the updates huge; a wrong output
activation stalls the loss and spoils the initial loss. `diagnose` ranks the
warnings and errors by how far upstream their check sits and names the most
upstream one as the cause, with the findings it explains as evidence. A data
cause (NaN inputs, labels the loss cannot take, unscaled inputs) sits above
every consequence it produces: found by the pre-flight checks, it is the
verdict over the dead units, the divergence or the stall it causes.

Example:

>>> from callbacks import Finding, diagnose
>>> found = [
...     Finding("dead_units", "error", epoch=2, layer="dense", value=0.9),
...     Finding("diverging_loss", "error", epoch=1, value=9.0,
...             message="The training loss rose from 0.5 to 9.",
...             suggestion="Lower the learning rate."),
... ]
>>> verdict = diagnose(found)
>>> verdict.cause
'diverging_loss'
>>> [f.check for f in verdict.evidence]
['diverging_loss', 'dead_units']
"""

from __future__ import annotations

import dataclasses
import re

from callbacks.display import block, findings_table, verdict
from callbacks.finding import Finding, severity_rank

# Root causes first: a check explains the symptoms of the checks after it.
_RANK = (
    "data_nan",
    "label_range",
    "output_activation",
    "regularization_loss",
    "unnormalized_input",
    "held_out_scale",
    "initial_loss",
    "batchnorm_statistics",
    "nan_loss",
    "diverging_loss",
    "exploding_gradients",
    "float16_overflow",
    "oscillating_loss",
    "dead_units",
    "saturated_units",
    "vanishing_gradients",
    "activation_std",
    "update_ratio",
    "stalled_loss",
    "underfitting",
    "overfit_small_subset",
    "overfitting",
    "input_independent_baseline",
    "class_imbalance",
    "train_test_overlap",
    "constant_features",
)
# Checks that say the run is failing; an info-level finding of a latent cause
# (below) becomes the cause when one of these is a warning or error.
_FAILING = {
    "nan_loss",
    "diverging_loss",
    "stalled_loss",
    "underfitting",
    "overfit_small_subset",
    "input_independent_baseline",
    "saturated_units",
    "dead_units",
    "initial_loss",
}
_LATENT = (
    "label_range",
    "output_activation",
    "unnormalized_input",
    "initial_loss",
    "vanishing_gradients",
    "saturated_units",
)
_LEARNING_RATE_HIGH = {
    "nan_loss",
    "diverging_loss",
    "exploding_gradients",
    "oscillating_loss",
}
# Causes in the data, and the symptoms each makes before the first update
# (where no learning rate can have made them): unscaled inputs blow up the
# first layer's pre-activations (huge logits, dead or saturated units, a
# collapsing or exploding spread); labels out of scale make the initial loss.
_DATA = {
    "data_nan": {"initial_loss"},
    "label_range": {"initial_loss"},
    "unnormalized_input": {
        "initial_loss",
        "dead_units",
        "saturated_units",
        "activation_std",
        "vanishing_gradients",
        "exploding_gradients",
    },
}
_LOWER_RATE = (
    "Lower the learning rate 10x (and, if the loss still jumps, add gradient "
    "clipping with `clipnorm=1.0` in the optimizer)."
)


@dataclasses.dataclass(frozen=True)
class Diagnosis:
    """The verdict on a run: one cause, one fix, and the evidence for it.

    Args:
        cause: The check name of the root cause, e.g. `"output_activation"`.
        summary: What is wrong, in one or two sentences.
        suggestion: The one fix to try first.
        evidence: The `Finding`s that support the verdict, the cause's first.

    Example:

    >>> from callbacks import Diagnosis
    >>> Diagnosis("stalled_loss", "The loss does not move.", "Raise the "
    ...           "learning rate 10x.").cause
    'stalled_loss'
    """

    cause: str
    summary: str
    suggestion: str
    evidence: tuple = ()

    def to_dict(self):
        """The verdict as a JSON-ready dict (evidence as finding dicts)."""
        return {
            "cause": self.cause,
            "summary": self.summary,
            "suggestion": self.suggestion,
            "evidence": [f.to_dict() for f in self.evidence],
        }

    def _repr_html_(self):
        """The verdict, then its evidence as a table (Jupyter's display)."""
        evidence = findings_table(self.evidence)
        return block(verdict(self), "<h4>Evidence</h4>", evidence)

    def __str__(self):
        also = [f.check for f in self.evidence[1:]]
        text = f"Diagnosis: {self.cause}. {self.summary} Fix: {self.suggestion}"
        if also:
            text += f" (Also explains: {', '.join(dict.fromkeys(also))}.)"
        return text


_ACTIVATIONS = (
    "dead_units",
    "saturated_units",
    "activation_std",
    "vanishing_gradients",
)


def _rank(finding):
    """How far upstream a finding sits (lower is more of a root cause)."""
    if finding.check in _ACTIVATIONS:
        if finding.epoch is None:
            # at initialization: the init explains the initial loss
            return (
                _RANK.index("initial_loss")
                - 0.5
                + _ACTIVATIONS.index(finding.check) * 0.01
            )
        if finding.epoch >= 2 and finding.check != "vanishing_gradients":
            # first seen late in a failing run: a consequence, not the cause
            return _RANK.index("underfitting") + 0.5
    if finding.check == "float16_overflow" and finding.epoch is None:
        # float16 overflowing before any update: no learning rate made it
        return _RANK.index("nan_loss") - 0.5
    try:
        return _RANK.index(finding.check)
    except ValueError:
        return len(_RANK)


def _order(finding):
    epoch = -1 if finding.epoch is None else finding.epoch
    return (_rank(finding), -severity_rank(finding.severity), epoch)


def diagnose(findings):
    """Ranks findings into one root cause with one fix.

    Only warnings and errors count, except that an info finding of a latent
    cause (`unnormalized_input`, targets far from unit scale in
    `label_range`, a moderately high `initial_loss`, mild
    `vanishing_gradients`, `saturated_units` on a run that still learned)
    becomes the cause when the run is failing in a way it explains (a stalled
    or diverging loss, underfitting, dead units, a failed pre-flight training
    check). A data cause found at warning or error outranks every consequence
    it produces; at info it also outranks a learning rate too high (a
    diverging or NaN loss) when the network was already broken at
    initialization in a way the data explains (a far too high initial loss,
    dead or saturated units before the first update), since no learning rate
    acts before the first update.

    Args:
        findings: An iterable of `Finding`s (from the pre-flight checks, the
            callbacks, or both).

    Returns:
        A `Diagnosis`, or `None` when no finding is a warning or an error.

    Raises:
        TypeError: If an item is not a `Finding`.

    Example:

    >>> from callbacks import diagnose
    >>> diagnose([]) is None
    True
    """
    findings = list(findings)
    for f in findings:
        if not isinstance(f, Finding):
            raise TypeError(
                "`diagnose` takes callbacks.Finding objects. "
                f"Received: an item of type {type(f).__name__}"
            )
    bad = sorted((f for f in findings if f.severity != "info"), key=_order)
    if not bad:
        return None
    lead = _collapse_over_dead(bad)
    latent = [f for f in findings if f.severity == "info" and f.check in _LATENT]
    for cause in sorted(latent, key=_order):
        if _rank(cause) < _rank(lead) and _explains(cause, lead, bad):
            lead = cause
            break
    evidence = [lead] + [f for f in bad if f is not lead and _rank(f) >= _rank(lead)]
    return Diagnosis(
        cause=lead.check,
        summary=_summary(lead, bad),
        suggestion=_suggestion(lead, bad),
        evidence=tuple(evidence),
    )


def _explains(cause, lead, bad):
    """Whether an info finding of a latent cause explains a failing run.

    A learning rate too high (divergence, NaN, as an error) explains the run
    by itself, unless a data cause also broke the network before its first
    update: a symptom at initialization that the data cause makes and no
    learning rate can. Otherwise a failing run (a stall, divergence,
    underfitting, dead units, a failed pre-flight training check) is the
    latent cause's doing; a data cause explains the learning-rate symptoms
    (oscillation, exploding gradients) too.
    """
    at_init = _DATA.get(cause.check, ())
    if lead.check in _LEARNING_RATE_HIGH and lead.severity == "error":
        return any(f.epoch is None and f.check in at_init for f in bad)
    failing = _FAILING | (_LEARNING_RATE_HIGH if cause.check in _DATA else set())
    return any(f.check in failing for f in bad)


def _collapse_over_dead(bad):
    """The first finding, except that ReLUs partly dead at initialization next
    to a collapsing activation spread (a deep net with too small an init) are
    the collapse's doing: only fully dead layers (a negative bias) are the
    dead units' own cause."""
    lead = bad[0]
    if lead.check != "dead_units" or lead.epoch is not None:
        return lead
    at_init = [f for f in bad if f.epoch is None]
    dead_error = any(f.check == "dead_units" and f.severity == "error" for f in at_init)
    collapse = [f for f in at_init if f.check == "activation_std"]
    return collapse[0] if collapse and not dead_error else lead


_DIED = (
    "Lower the learning rate 10x (with tiny batches, lower the momentum too); "
    "LeakyReLU keeps units from dying."
)


def _summary(lead, bad):
    if lead.check == "dead_units" and lead.epoch is not None:
        return (
            "ReLUs died during training: the updates are too large (the "
            f"learning rate, or momentum with tiny batches). {lead.message}"
        )
    if lead.check in _LEARNING_RATE_HIGH:
        return f"The learning rate is too high. {lead.message}".strip()
    if lead.check == "update_ratio" and lead.threshold and lead.value is not None:
        if lead.value > lead.threshold:
            return f"The learning rate is too high. {lead.message}".strip()
    return lead.message or f"{lead.check} ({lead.severity})."


def _suggestion(lead, bad):
    if lead.check == "dead_units" and lead.epoch is not None:
        return _DIED
    if lead.check in _LEARNING_RATE_HIGH and lead.check != "nan_loss":
        return _LOWER_RATE
    if lead.check == "nan_loss" and not any(f.check == "data_nan" for f in bad):
        return _LOWER_RATE
    return _first_fix(lead.suggestion) or "See the evidence below."


def _first_fix(text):
    """The first sentence of a suggestion: one fix, not a list of options."""
    text = (text or "").strip()
    first = re.split(r"(?<!e\.g)(?<!i\.e)\.\s", text, maxsplit=1)[0]
    return first if first.endswith(".") else first + "."
