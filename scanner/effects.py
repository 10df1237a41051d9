"""Effects: what a call site does that a rule cares about, and how it travels up the call graph.

A family registers an `EffectKind` (e.g. `blocking` in rules/blocking_io, `db-query` in
rules/n_plus_one) by instantiating a subclass at import time of its module. The call graph
asks each kind which call sites perform it directly, and which edges it passes along.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from perfsense.scanner.facts.model import Call, FileFacts
from perfsense.scanner.patterns import PatternSet

if TYPE_CHECKING:
    from perfsense.scanner.callgraph import Edge
    from perfsense.scanner.catalog import Catalogs
    from perfsense.scanner.project import Project

_KINDS: dict[str, EffectKind] = {}


class EffectKind:
    name: str = ""

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name:
            _KINDS[cls.name] = cls()

    def detect(self, project: Project, facts: FileFacts, call: Call, catalogs: Catalogs) -> Iterable[str]:
        """Labels of the effects this call performs directly (usually zero or one)."""
        return ()

    def detect_file(self, project: Project, facts: FileFacts, catalogs: Catalogs) -> Mapping[int, tuple[str, ...]]:
        """`detect` for every call of a file at once: labels by Call.id, for the calls that
        perform the effect. A kind that can rule most calls out in one go overrides it with
        `detect_among` those it cannot; the answer must be the same as call by call."""
        return self.detect_among(project, facts, catalogs, range(len(facts.calls)))

    def detect_among(self, project: Project, facts: FileFacts, catalogs: Catalogs,
                     ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
        """`detect` for the calls `ids` (Call.id is the call's index in `facts.calls`)."""
        out: dict[int, tuple[str, ...]] = {}
        calls = facts.calls
        for call_id in ids:
            labels = tuple(self.detect(project, facts, calls[call_id], catalogs))
            if labels:
                out[call_id] = labels
        return out

    def passes(self, project: Project, edge: Edge) -> bool:
        """Whether the effect of the callee counts for the caller along this edge."""
        return not edge.offloaded

    # `detect` may read a call, the code of its function and of the functions around it, and
    # the project's shape. What else it reads is declared below: the call graph compares it
    # between two versions of a file before it keeps the effects of calls an edit did not touch.
    def file_context(self, project: Project, facts: FileFacts, catalogs: Catalogs) -> object:
        """Project- or file-wide data detection reads (e.g. names bound anywhere to queries)."""
        return None

    def call_inputs(self, facts: FileFacts) -> Mapping[int, object]:
        """Data computed over the whole file (facts.extra) that detection reads for a call,
        by Call.id (calls left out read none)."""
        return {}


def effect_kinds() -> list[EffectKind]:
    from perfsense.scanner.engine.registry import load_rule_modules

    load_rule_modules()
    return [_KINDS[name] for name in sorted(_KINDS)]


def _offload_patterns(catalogs: Catalogs) -> dict[str, PatternSet]:
    data = catalogs.get("blocking").get("offload", {})
    return {lang: PatternSet(data.get(lang, [])) for lang in ("python", "javascript")}


def is_offload(project: Project, facts: FileFacts, call: Call, catalogs: Catalogs) -> bool:
    """The call hands its function argument to another thread or process."""
    patterns = catalogs.derived("offload", _offload_patterns)
    family = "python" if facts.language == "python" else "javascript"
    text = project.resolve(call.callee, facts.path, call.func).text
    return patterns[family].match(text) is not None
