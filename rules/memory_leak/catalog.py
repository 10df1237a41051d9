"""The resource catalog (rules/catalogs/resources.yaml), compiled for matching."""
from __future__ import annotations

from dataclasses import dataclass

from perfsense.scanner.catalog import Catalogs
from perfsense.scanner.facts.model import Call, last_name
from perfsense.scanner.patterns import PatternSet


@dataclass(frozen=True, slots=True)
class Resource:
    index: int
    kind: str
    what: str
    calls: PatternSet
    methods: frozenset[str]
    release: frozenset[str]  # last names of releasing functions
    release_methods: frozenset[str]
    when: tuple[tuple[str, str], ...]
    passing: str
    complete: frozenset[str]
    fix: str
    chain: bool = False


@dataclass(frozen=True, slots=True)
class Compiled:
    resources: tuple[Resource, ...]
    repeating_calls: PatternSet
    repeating_methods: frozenset[str]
    once_events: frozenset[str]
    effects: PatternSet
    mounts: dict[str, frozenset[str]]  # mount method -> unmount methods of its pair
    grow: frozenset[str]
    evict: frozenset[str]
    constructors: PatternSet
    literals: frozenset[str]
    unbounded_caches: PatternSet
    sized_caches: PatternSet
    task_spawners: PatternSet


def family_of(language: str) -> str:
    return "python" if language == "python" else "javascript"


def _names(entry: dict, key: str) -> list[str]:
    return [str(v) for v in entry.get(key, []) or []]


def _compile(catalogs: Catalogs) -> dict[str, Compiled]:
    data = catalogs.get("resources")
    out: dict[str, Compiled] = {}
    lifecycle = data.get("lifecycle", {}) or {}
    mounts: dict[str, frozenset[str]] = {}
    for pair in lifecycle.get("classes", []) or []:
        for name in _names(pair, "mount"):
            mounts[name] = frozenset(_names(pair, "unmount"))
    caches = data.get("caches", {}) or {}
    for family in ("python", "javascript"):
        resources = []
        for index, entry in enumerate(data.get(family, []) or []):
            resources.append(Resource(
                index=index, kind=str(entry.get("kind", "resource")), what=str(entry.get("what", "resource")),
                calls=PatternSet(_names(entry, "calls")), methods=frozenset(_names(entry, "methods")),
                release=frozenset(n.rsplit(".", 1)[-1] for n in _names(entry, "release")),
                release_methods=frozenset(_names(entry, "release_methods")),
                when=tuple((str(k), str(v)) for k, v in (entry.get("when") or {}).items()),
                passing=str(entry.get("passing", "escape")), complete=frozenset(_names(entry, "complete")),
                fix=str(entry.get("fix", "release it when done")), chain=bool(entry.get("chain", False)),
            ))
        repeating = (data.get("repeating", {}) or {}).get(family, {}) or {}
        coll = (data.get("collections", {}) or {}).get(family, {}) or {}
        out[family] = Compiled(
            resources=tuple(resources),
            repeating_calls=PatternSet(_names(repeating, "calls")),
            repeating_methods=frozenset(_names(repeating, "methods")),
            once_events=frozenset(_names(repeating, "once_events")),
            effects=PatternSet(_names(lifecycle, "effects")),
            mounts=mounts,
            grow=frozenset(_names(coll, "grow")), evict=frozenset(_names(coll, "evict")),
            constructors=PatternSet(_names(coll, "constructors")), literals=frozenset(_names(coll, "literals")),
            unbounded_caches=PatternSet(_names(caches, "unbounded")),
            sized_caches=PatternSet(_names(caches, "sized")),
            task_spawners=PatternSet(_names(caches, "task_spawners")),
        )
    return out


def compiled(catalogs: Catalogs, language: str) -> Compiled:
    return catalogs.derived("resources", _compile)[family_of(language)]


def method_of(call: Call) -> str:
    """The method name of `x.m(...)` calls, '' for plain function calls."""
    steps = call.callee.steps
    if steps and steps[-1].name and not steps[-1].call and not steps[-1].index:
        return steps[-1].name
    return ""


def _acquiring(catalogs: Catalogs) -> dict[str, frozenset[str] | None]:
    """Per family: the called names (`call.name`) an acquisition can have; None when a
    pattern is not a plain dotted name (then no name can be ruled out)."""
    out: dict[str, frozenset[str] | None] = {}
    for family, cat in catalogs.derived("resources", _compile).items():
        names: set[str] | None = set()
        for res in cat.resources:
            patterns = list(res.calls.exact) + [p for p, _r in res.calls.globs]
            if any(c in p for p in patterns for c in "*()[]"):
                names = None
                break
            names.update(last_name(p) for p in patterns)
            names.update(res.methods)
        out[family] = frozenset(names) if names is not None else None
    return out


def acquiring_names(catalogs: Catalogs, family: str) -> frozenset[str] | None:
    return catalogs.derived("resources-names", _acquiring)[family]


def might_acquire(call: Call, family: str, catalogs: Catalogs) -> bool:
    """A cheap first test on the called name, before any matching or resolution."""
    names = acquiring_names(catalogs, family)
    return names is None or call.name in names


def match_resource(cat: Compiled, call: Call, resolved_text: str) -> Resource | None:
    """The catalog resource a call acquires, if any."""
    method = method_of(call)
    for res in cat.resources:
        if res.calls and res.calls.match(resolved_text):
            if all(_kwarg(call, key) == value for key, value in res.when):
                return res
        elif method and method in res.methods:
            return res
    return None


def _kwarg(call: Call, key: str) -> str | None:
    for arg in call.args:
        if arg.name == key:
            return arg.text.partition("=")[2].strip() or arg.text
    return None
