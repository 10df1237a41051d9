"""The `blocking` effect: a call that holds the thread until I/O finishes."""
from __future__ import annotations

from collections.abc import Iterable

from perfsense.rules.blocking_io.catalog import family_of, match_blocking, might_block
from perfsense.scanner.effects import EffectKind


class BlockingEffect(EffectKind):
    """Travels up through synchronous callers only: an async callee, or a function handed
    to a thread, is not run on the caller's stack (an async callee is reported itself)."""

    name = "blocking"

    def detect(self, project, facts, call, catalogs) -> Iterable[str]:
        hit = match_blocking(project, facts, call, catalogs)
        return (hit.label,) if hit is not None else ()

    def detect_file(self, project, facts, catalogs) -> dict[int, tuple[str, ...]]:
        family = family_of(facts.language)
        return self.detect_among(project, facts, catalogs,
                                 [call.id for call in facts.calls if might_block(call, family, catalogs)])

    def passes(self, project, edge) -> bool:
        if edge.offloaded:
            return False
        callee = project.function_fact(edge.callee)
        js_handler = callee.handler is not None and project.files[edge.callee.path].language != "python"
        return not callee.is_async and not js_handler
