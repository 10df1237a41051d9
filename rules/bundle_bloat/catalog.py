"""The bundle catalog (rules/catalogs/bundles.yaml), compiled for matching."""
from __future__ import annotations

from dataclasses import dataclass, field

from perfsense.scanner.catalog import Catalogs
from perfsense.scanner.patterns import PatternSet


@dataclass(frozen=True, slots=True)
class Package:
    modules: PatternSet
    package: str  # npm package name (node_modules folder)
    kind: str  # "whole" | "namespace" | ""
    lazy: str  # "render" | "on-demand" | ""
    size_kb: float
    what: str
    instead: str
    names: frozenset[str]
    silenced_by: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BundleCatalog:
    packages: tuple[Package, ...]
    frontend_deps: frozenset[str]
    native_deps: frozenset[str]
    island_deps: frozenset[str]
    framework_modules: PatternSet
    next_deps: frozenset[str]
    app_dirs: tuple[str, ...]
    page_dirs: tuple[str, ...]
    client_directive: str
    aliases: tuple[tuple[str, tuple[str, ...]], ...]
    server_directives: frozenset[str]
    server_paths: PatternSet
    server_modules: PatternSet
    server_exports: frozenset[str]
    not_shipped: PatternSet
    workers: PatternSet
    dev_conditions: tuple[str, ...]
    route_elements: PatternSet
    route_props: frozenset[str]
    index_paths: frozenset[str]
    containers: frozenset[str]
    open_props: frozenset[str]
    panels: frozenset[str]
    condition_words: tuple[str, ...]
    _found: dict[str, Package | None] = field(default_factory=dict, compare=False, repr=False)

    def package_for(self, module: str) -> Package | None:
        """The catalog entry an import specifier matches (first match wins)."""
        if module in self._found:
            return self._found[module]
        hit = next((e for e in self.packages if e.modules.exact.get(module) is not None), None)
        if hit is None:
            hit = next((e for e in self.packages if e.modules.globs and e.modules.match(module)), None)
        self._found[module] = hit
        return hit


def package_name(module: str) -> str:
    """`@scope/pkg/sub` -> `@scope/pkg`; `lodash/debounce` -> `lodash`."""
    parts = module.split("/")
    return "/".join(parts[:2]) if module.startswith("@") and len(parts) > 1 else parts[0]


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value if isinstance(v, str | int | float)]
    return []


def _compile(catalogs: Catalogs) -> BundleCatalog:
    data = catalogs.get("bundles") or {}
    front = data.get("frontend") or {}
    server = data.get("server") or {}
    routes = data.get("routes") or {}
    rare = data.get("rare_render") or {}
    packages = []
    for entry in data.get("packages") or []:
        if not isinstance(entry, dict):
            continue
        modules = _strings(entry.get("modules"))
        if not modules:
            continue
        packages.append(Package(
            modules=PatternSet(modules),
            package=str(entry.get("package") or package_name(modules[0].rstrip("*").rstrip("/"))),
            kind=str(entry.get("kind") or ""), lazy=str(entry.get("lazy") or ""),
            size_kb=float(entry.get("size_kb") or 0), what=str(entry.get("what") or modules[0]),
            instead=str(entry.get("instead") or "a lighter import"),
            names=frozenset(_strings(entry.get("names"))),
            silenced_by=tuple(_strings(entry.get("silenced_by"))),
        ))
    aliases = front.get("aliases") or {}
    return BundleCatalog(
        packages=tuple(packages),
        frontend_deps=frozenset(_strings(front.get("dependencies"))),
        native_deps=frozenset(_strings(front.get("native"))),
        island_deps=frozenset(_strings(front.get("islands"))),
        framework_modules=PatternSet(_strings(front.get("framework_modules"))),
        next_deps=frozenset(_strings(front.get("next"))),
        app_dirs=tuple(_strings(front.get("app_dirs"))),
        page_dirs=tuple(_strings(front.get("page_dirs"))),
        client_directive=str(front.get("client_directive") or "use client"),
        aliases=tuple((str(k), tuple(_strings(v))) for k, v in aliases.items())
        if isinstance(aliases, dict) else (),
        server_directives=frozenset(_strings(server.get("directives"))),
        server_paths=PatternSet(_strings(server.get("paths"))),
        server_modules=PatternSet(_strings(server.get("modules"))),
        server_exports=frozenset(_strings(server.get("exports"))),
        not_shipped=PatternSet(_strings(data.get("not_shipped"))),
        workers=PatternSet(_strings(data.get("workers"))),
        dev_conditions=tuple(_strings(data.get("dev_only_conditions"))),
        route_elements=PatternSet(_strings(routes.get("elements"))),
        route_props=frozenset(_strings(routes.get("component_props"))),
        index_paths=frozenset(_strings(routes.get("index_paths"))),
        containers=frozenset(_strings(rare.get("containers"))),
        open_props=frozenset(_strings(rare.get("open_props"))),
        panels=frozenset(_strings(rare.get("panels"))),
        condition_words=tuple(w.lower() for w in _strings(rare.get("condition_words"))),
    )


def bundle_catalog(catalogs: Catalogs) -> BundleCatalog:
    return catalogs.derived("bundles", _compile)
