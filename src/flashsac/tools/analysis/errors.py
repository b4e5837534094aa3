"""The errors of the analysis layer: each message is one line that names the input at fault and the fix."""

from __future__ import annotations

__all__ = ["AnalysisInputError", "MissingAnalysisDependencyError"]

ANALYSIS_INSTALL = "pip install 'flashsac[bench]'"
"""The install command for the optional statistics dependencies (scipy)."""


class AnalysisInputError(ValueError):
    """A run directory, paper task, method or option is unusable; the message names it and how to fix it."""


class MissingAnalysisDependencyError(RuntimeError):
    """An optional package the analysis needs (scipy, for the bootstrap) is not installed; says how to install it."""
