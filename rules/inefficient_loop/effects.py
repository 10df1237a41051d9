"""Effects of the inefficient-loop family.

- `repeated-work`: a call that redoes the same work on every call of its function
  (compiling a constant regex, parsing a constant document, deep-copying module data).
  It travels up to callers, but not into a memoized function (`lru_cache`, `cache`,
  `lodash.memoize`), whose body does not run again for a repeated argument.
- `http-request`: an HTTP request (`fetch`, `axios`, `httpx.AsyncClient().get`, …). It
  travels up through every call, so a loop awaiting a project function that reaches one
  is awaiting a request.
"""
from __future__ import annotations

from collections.abc import Iterable

from perfsense.rules.inefficient_loop.common import family, pattern_set
from perfsense.scanner.catalog import Catalogs
from perfsense.scanner.effects import EffectKind
from perfsense.scanner.facts.model import Function
from perfsense.scanner.facts.query import call_loops

REPEATED_KEY = "invariant-work-in-loop"
MAX_DISTANCE = 3


def memoized(fn: Function, language: str, catalogs: Catalogs) -> bool:
    patterns = pattern_set(catalogs, language, "memoize")
    return any(patterns.match(dec.text) or patterns.match(dec.full_text.split("(", 1)[0])
               for dec in fn.decorators)


class RepeatedWorkEffect(EffectKind):
    name = "repeated-work"

    def detect(self, project, facts, call, catalogs) -> Iterable[str]:
        data = facts.extra.get(REPEATED_KEY) or {}
        label = (data.get("repeated") or {}).get(call.id)
        if label is None or memoized(facts.functions[call.func], facts.language, catalogs):
            return ()
        if call_loops(facts, call):
            return ()  # repeated inside the helper's own loop: reported there, once
        return (label,)

    def detect_file(self, project, facts, catalogs) -> dict[int, tuple[str, ...]]:
        return self.detect_among(project, facts, catalogs, sorted(self.call_inputs(facts)))  # (the labelled calls)

    def call_inputs(self, facts) -> dict[int, object]:
        return (facts.extra.get(REPEATED_KEY) or {}).get("repeated") or {}

    def passes(self, project, edge) -> bool:
        if edge.offloaded or edge.how == "reference":
            return False
        caller = project.files[edge.caller.path]
        if call_loops(caller, caller.calls[edge.call]):
            return False  # called per item of a loop: reported at that loop, not again above it
        callee = project.function_fact(edge.callee)
        facts = project.files[edge.callee.path]
        return not memoized(callee, facts.language, _catalogs(project))


class HttpRequestEffect(EffectKind):
    name = "http-request"

    def detect(self, project, facts, call, catalogs) -> Iterable[str]:
        return _requests(project, facts, (call,), catalogs).get(call.id, ())

    def detect_file(self, project, facts, catalogs) -> dict[int, tuple[str, ...]]:
        return _requests(project, facts, facts.calls, catalogs)

    def passes(self, project, edge) -> bool:
        return edge.how != "reference"


def _requests(project, facts, calls, catalogs) -> dict[int, tuple[str, ...]]:
    """The HTTP requests among `calls`, labelled with the resolved callee."""
    patterns = pattern_set(catalogs, family(facts.language), "http")
    if not patterns:
        return {}
    resolve, path = project.resolve, facts.path
    out: dict[int, tuple[str, ...]] = {}
    for call in calls:
        resolved = resolve(call.callee, path, call.func).text
        if patterns.match(resolved):
            out[call.id] = (resolved,)
    return out


_DEFAULT: list[Catalogs] = []


def _catalogs(project) -> Catalogs:
    """Edges are judged without the scan's catalogs at hand: the built-in memoizers."""
    if not _DEFAULT:
        _DEFAULT.append(Catalogs())
    return _DEFAULT[0]
