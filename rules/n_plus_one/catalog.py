"""The ORM catalog (rules/catalogs/orm.yaml), compiled for matching."""
from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from typing import Any

from perfsense.scanner.catalog import Catalogs
from perfsense.scanner.patterns import PatternSet


@dataclass(frozen=True, slots=True)
class Kind:
    name: str  # "django.queryset"
    framework: str
    query: dict[str, str | None] = field(default_factory=dict)
    batched: frozenset[str] = frozenset()
    chain: dict[str, str | None] = field(default_factory=dict)
    attrs: dict[str, str | None] = field(default_factory=dict)
    call: str | None = None
    iterate: str | None = None
    iterate_query: bool = False
    eager: frozenset[str] = frozenset()
    rows: frozenset[str] = frozenset()
    awaited: bool = False
    accessors: tuple[re.Pattern[str], ...] = ()
    not_accessors: frozenset[str] = frozenset()

    def accessor(self, name: str) -> bool:
        return name not in self.not_accessors and any(p.fullmatch(name) for p in self.accessors)


@dataclass(frozen=True, slots=True)
class Framework:
    name: str
    language: str  # "python" | "javascript"
    data: dict[str, Any]
    model_bases: PatternSet
    model_fields: PatternSet
    remedies: dict[str, str]

    def patterns(self, key: str, sub: str | None = None) -> PatternSet:
        node = self.data.get(key) or {}
        if sub is not None:
            node = node.get(sub) or []
        return PatternSet(node)

    def remedy(self, *keys: str) -> str:
        for key in keys:
            if key and key in self.remedies:
                return self.remedies[key]
        return "load the data for all items in one query before the loop"


@dataclass(frozen=True, slots=True)
class Orm:
    frameworks: dict[str, Framework]
    kinds: dict[str, Kind]
    handles: dict[str, list[tuple[PatternSet, str]]]  # family -> [(patterns, kind)]
    batched_args: dict[str, PatternSet]
    consumers: frozenset[str]
    custom: tuple[tuple[PatternSet, str], ...] = ()  # the user's own query functions, with their batch form
    transactions: tuple[tuple[str, str, str], ...] = ()  # (method, receiver kind, parameter attribute)

    def custom_query(self, callee: str) -> str | None:
        """The batched alternative of a user-declared query function (`""` when none is given)."""
        for patterns, batch in self.custom:
            if patterns.match(callee):
                return batch
        return None

    def framework(self, kind: str) -> Framework:
        return self.frameworks[self.kinds[kind].framework]

    def by_language(self, family: str) -> list[Framework]:
        return [fw for fw in self.frameworks.values() if fw.language == family]


def _accessor(pattern: str) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(pattern).replace("(?s:", "(?:"))


def _kind(name: str, framework: str, data: dict[str, Any]) -> Kind:
    return Kind(
        name=name, framework=framework, query=dict(data.get("query") or {}),
        batched=frozenset(data.get("batched") or ()), chain=dict(data.get("chain") or {}),
        attrs=dict(data.get("attrs") or {}), call=data.get("call"), iterate=data.get("iterate"),
        iterate_query=bool(data.get("iterate_query")), eager=frozenset(data.get("eager") or ()),
        rows=frozenset(data.get("rows") or ()), awaited=bool(data.get("awaited")),
        accessors=tuple(_accessor(p) for p in data.get("accessors") or ()),
        not_accessors=frozenset(data.get("not_accessors") or ()),
    )


def _compile(catalogs: Catalogs) -> Orm:
    data = catalogs.get("orm") or {}
    frameworks: dict[str, Framework] = {}
    kinds: dict[str, Kind] = {}
    handles: dict[str, list[tuple[PatternSet, str]]] = {"python": [], "javascript": []}
    for name, entry in (data.get("frameworks") or {}).items():
        language = str(entry.get("language", "python"))
        frameworks[name] = Framework(
            name=name, language=language, data=entry,
            model_bases=PatternSet(entry.get("model_bases") or ()),
            model_fields=PatternSet(entry.get("model_fields") or ()),
            remedies={str(k): str(v) for k, v in (entry.get("remedies") or {}).items()},
        )
        for kind_name, kind_data in (entry.get("kinds") or {}).items():
            kinds[kind_name] = _kind(kind_name, name, kind_data or {})
        for kind_name, patterns in (entry.get("handles") or {}).items():
            handles.setdefault(language, []).append((PatternSet(patterns or ()), kind_name))
    batched = {lang: PatternSet(pats or ()) for lang, pats in (data.get("batched_args") or {}).items()}
    consumers = frozenset((data.get("consumers") or {}).get("python") or ())
    custom = []
    entries = catalogs.get("queries")
    for entry in entries if isinstance(entries, list) else ():
        if isinstance(entry, dict) and entry.get("call"):
            custom.append((PatternSet([str(entry["call"])]), str(entry.get("batch") or "")))
    transactions = tuple((str(t.get("method", "")), str(t.get("receiver", "")), str(t.get("param") or ""))
                         for t in data.get("transactions") or () if isinstance(t, dict))
    return Orm(frameworks, kinds, handles, batched, consumers, tuple(custom), transactions)


def orm(catalogs: Catalogs) -> Orm:
    return catalogs.derived("n-plus-one:orm", _compile)


def family_of(language: str) -> str:
    return "python" if language == "python" else "javascript"
