"""Which fixes to try for a verdict, in order: `candidates`.

Each root cause of `callbacks.diagnose` (`Diagnosis.cause`, a check name)
maps to an ordered list of fixes, cheapest and most likely first (the
lecture's order: the learning rate before the architecture, the data's
scale before the activations it saturates). A verdict's candidates are its
cause's fixes, then those of the other causes in its evidence, each once,
and only those that apply to the program (`Fix.applies`).

Example:

>>> from callbacks import Diagnosis
>>> from recipes.repair.candidates import fixes_for
>>> [f.name for f in fixes_for("diverging_loss")][:2]
['learning_rate', 'optimizer']
"""

from __future__ import annotations

from recipes.repair._data_fixes import (
    BinaryLabels,
    HeldOutScaling,
    ImputeMissing,
    LabelsFromZero,
    ShuffleRows,
    TargetScaling,
)
from recipes.repair._layer_settings import L2, BatchNormMomentum, Dropout
from recipes.repair._model_fixes import (
    BatchNorm,
    Capacity,
    Initializers,
    InputScaling,
    OutputHead,
    ReluHe,
)
from recipes.repair.fixes import (
    BatchSize,
    EarlyStopping,
    GradientClipping,
    LearningRate,
    MoreEpochs,
    Optimizer,
)

LOWER, HIGHER = LearningRate(0.1), LearningRate(10.0)
ADAM, MOMENTUM = Optimizer("Adam", 1e-3), Optimizer("SGD", None, momentum=0.9)

# cause -> fixes, cheapest and most likely first
BY_CAUSE = {
    "data_nan": (ImputeMissing(),),
    "label_range": (LabelsFromZero(), BinaryLabels(), ShuffleRows(), OutputHead()),
    "held_out_scale": (HeldOutScaling(), ShuffleRows()),
    "output_activation": (OutputHead(),),
    "regularization_loss": (L2(1e-4), L2(0.0)),
    "unnormalized_input": (InputScaling(), TargetScaling(), LOWER),
    "initial_loss": (OutputHead(), Initializers(), InputScaling()),
    "batchnorm_statistics": (BatchNormMomentum(0.9),),
    "nan_loss": (LOWER, GradientClipping(), InputScaling(), TargetScaling()),
    "diverging_loss": (LOWER, ADAM, GradientClipping(), InputScaling()),
    "exploding_gradients": (Initializers(), GradientClipping(), LOWER),
    "oscillating_loss": (LOWER, BatchSize(32), ADAM),
    "dead_units": (LOWER, ADAM, BatchSize(32), Initializers()),
    "saturated_units": (InputScaling(), ReluHe(), Initializers()),
    "vanishing_gradients": (ReluHe(), Initializers(), BatchNorm(), ADAM),
    "activation_std": (Initializers(), BatchNorm()),
    "update_ratio": (HIGHER, ADAM),
    "stalled_loss": (Capacity(), HIGHER, ADAM, MOMENTUM, OutputHead(), ReluHe()),
    "underfitting": (
        Capacity(),
        Dropout(0.1),
        L2(1e-4),
        ADAM,
        MoreEpochs(2),
        HIGHER,
    ),
    "overfit_small_subset": (HIGHER, ADAM),
    "overfitting": (ShuffleRows(), EarlyStopping(3), Dropout(0.3), L2(1e-4)),
}
# dead from the first step (a negative bias, a bad init): the init first
_DEAD_AT_START = (Initializers(), LOWER, ADAM)
# updates too large rather than too small
_UPDATES_TOO_LARGE = (LOWER, GradientClipping())


def fixes_for(cause, finding=None):
    """The ordered fixes for one cause (`finding`: the cause's `Finding`,
    which tells some causes apart: dead at the start or during training,
    updates too large or too small)."""
    if finding is not None:
        if cause == "dead_units" and finding.epoch is None:
            return _DEAD_AT_START
        if cause == "update_ratio" and _above(finding):
            return _UPDATES_TOO_LARGE
    return BY_CAUSE.get(cause, ())


def _above(finding):
    return (
        finding.value is not None
        and finding.threshold is not None
        and finding.value > finding.threshold
    )


def candidates(diagnosis, plan):
    """The fixes to try for `diagnosis` on `plan`, in order.

    Args:
        diagnosis: A `callbacks.Diagnosis` (`None`: nothing to fix).
        plan: The program as it stands (`_plan.Plan`).

    Returns:
        A list of `Fix`es that apply to `plan`: the cause's first, then
        those of the other causes in the evidence, each once. Fixes that
        would undo the program's intent are left out (adding dropout or L2
        to an underfitting net; weakening the regularization of an
        overfitting one).
    """
    if diagnosis is None:
        return []
    out = []
    lead = diagnosis.evidence[0] if diagnosis.evidence else None
    causes = [(diagnosis.cause, lead)]
    causes += [(f.check, f) for f in diagnosis.evidence[1:]]
    for cause, finding in causes:
        for fix in fixes_for(cause, finding):
            if fix in out or not fix.applies(plan) or _undoes(fix, cause, plan):
                continue
            out.append(fix)
    return out


def _undoes(fix, cause, plan):
    """Whether `fix` goes the wrong way for `cause` on this program."""
    if isinstance(fix, Dropout):
        rates = [getattr(layer, "rate", 0.0) for layer in plan.model.layers]
        rates = [r for r in rates if r] or [0.0]
        if cause == "underfitting":
            return max(rates) <= fix.rate  # only ever lowers dropout there
        return max(rates) >= fix.rate  # only ever raises it against overfitting
    if isinstance(fix, L2):
        strongest = max(
            (
                float(layer.kernel_regularizer.get_config().get("l2", 0) or 0)
                for layer in plan.model.layers
                if getattr(layer, "kernel_regularizer", None) is not None
            ),
            default=0.0,
        )
        if cause in ("underfitting", "regularization_loss"):
            return strongest <= fix.factor
        return strongest >= fix.factor
    return False
