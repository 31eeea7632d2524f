"""`PreflightError`: `babysit(strict=True)` stopped before training.

Example:

>>> from callbacks import Finding
>>> from recipes.run.errors import PreflightError
>>> error = PreflightError([Finding("data_nan", "error", message="NaNs")])
>>> error.findings[0].check, isinstance(error, RuntimeError)
('data_nan', True)
"""

from __future__ import annotations


class PreflightError(RuntimeError):
    """`babysit(strict=True)` stopped before training: a check found an error.

    No run folder is left. Catch it as `recipes.PreflightError` (a
    `RuntimeError`).

    Args:
        findings: The error findings, in the order found.

    Attributes:
        findings: The error findings, in the order found.
    """

    def __init__(self, findings):
        self.findings = list(findings)
        checks = ", ".join(sorted({f.check for f in self.findings}))
        super().__init__(
            f"{len(self.findings)} error finding(s) before training ({checks}); "
            "nothing was trained. Fix them, or run without strict."
        )
