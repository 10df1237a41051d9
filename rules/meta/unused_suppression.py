"""`unused-suppression`: a `perfsense: ignore[...]` comment that silences nothing."""
from __future__ import annotations

from perfsense.scanner.engine.rule import Docs, Example, Rule
from perfsense.scanner.model import Category, Confidence, Severity


class UnusedSuppression(Rule):
    """Reported by the engine itself after suppressions are applied (see scanner/suppress.py)."""

    id = "unused-suppression"
    name = "UnusedSuppression"
    category = Category.META
    severity = Severity.NOTE
    confidence = Confidence.VERY_HIGH
    summary = "A `perfsense: ignore` comment names a rule that reports nothing on its line."
    docs = Docs(
        what="""
            Reports suppression comments (`# perfsense: ignore[rule-id]`,
            `// perfsense: ignore[rule-id]`, `perfsense: ignore-file[rule-id]`) that did not
            silence any finding of a rule that ran.
        """,
        why="""
            A stale suppression hides the next real problem on that line, and it tells readers
            that something is wrong where nothing is. The cost of removing it is nil.
        """,
        instead="Delete the comment, or the ids in it that no longer apply.",
    )
    valid = (
        Example(code="""
            import time

            async def handler():
                time.sleep(1)  # perfsense: ignore[blocking-call-in-async] -- startup probe only
        """),
    )
    invalid = (
        Example(code="""
            def plain():
                return 1  # perfsense: ignore[blocking-call-in-async]  # expect
        """),
    )
