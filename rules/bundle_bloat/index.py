"""What the bundle-bloat rules share in the project stage: manifests, roles, import graph,
catalog matches and cost texts, built once per project context."""
from __future__ import annotations

import posixpath
from collections.abc import Iterator

from perfsense.rules.bundle_bloat.catalog import BundleCatalog, Package, bundle_catalog
from perfsense.rules.bundle_bloat.collect import bundle_facts
from perfsense.rules.bundle_bloat.frontend import FRONT, Role, roles
from perfsense.rules.bundle_bloat.graph import ImportGraph
from perfsense.rules.bundle_bloat.manifests import Manifests
from perfsense.scanner.engine.rule import ProjectContext
from perfsense.scanner.facts.model import Import
from perfsense.scanner.model import Span


class BundleIndex:
    def __init__(self, ctx: ProjectContext) -> None:
        self.project = ctx.project
        self.cat: BundleCatalog = bundle_catalog(ctx.catalogs)
        self.manifests = Manifests(self.project.root)
        self.graph = ImportGraph(self.project, self.manifests, self.cat)
        self.roles: dict[str, Role] = roles(self.project.files, self.manifests, self.graph, self.cat)
        self.memo: dict[str, dict] = {}  # per-rule memo tables

    def front(self, path: str) -> bool:
        role = self.roles.get(path)
        return role is not None and role.role == FRONT

    def front_files(self, targets: list[str] | None = None) -> list[str]:
        """Front-end files (among `targets`, the files findings are wanted for), sorted."""
        paths = self.roles if targets is None else targets
        return sorted(path for path in paths if self.front(path))

    def importers(self, path: str) -> list[tuple[str, Import]]:
        """Project files that statically import `path`, with the import (sorted by file)."""
        table = self.memo.get("importers")
        if table is None:
            table = {}
            for source in sorted(self.roles):
                for imp, target in self.graph.imports(source):
                    if target is not None and target != source:
                        table.setdefault(target, []).append((source, imp))
            self.memo["importers"] = table
        return table.get(path, [])

    def context(self, path: str) -> str:
        """What encloses a module-level import, for fingerprints: `<module ./src/app>`."""
        return f"<module {self.project.files[path].module}>"

    def statement(self, path: str, imp: Import) -> Span:
        """The whole import statement an import fact belongs to (where findings point)."""
        line = imp.span.start.line
        for span in bundle_facts(self.project.files[path]).statements:
            if span.start.line <= line <= span.end.line and span.start <= imp.span.start:
                return span
        return imp.span

    def packages(self, path: str) -> Iterator[tuple[Import, Package]]:
        """Static imports of catalog packages that reach the bundle from this file."""
        bundle = bundle_facts(self.project.files[path])
        role = self.roles.get(path)
        deps = role.manifest.deps if role is not None and role.manifest is not None else frozenset()
        for imp, target in self.graph.imports(path):
            if target is not None:
                continue
            entry = self.cat.package_for(imp.module)
            if entry is None or deps.intersection(entry.silenced_by):
                continue
            use = bundle.uses.get(imp.local) if imp.local else None
            if use is not None and use.server_only:
                continue
            yield imp, entry

    def cost(self, entry: Package, module: str, path: str) -> str:
        """`~25 kB min+gz` (catalog), with the installed size when node_modules is there."""
        text = f"~{entry.size_kb:,.0f} kB min+gz" if entry.size_kb else "an unknown size"
        measured = self.manifests.installed_size(module, entry.package, posixpath.dirname(path))
        if measured is not None and measured[0] > 0:
            size, folder, capped = measured
            more = "over " if capped else ""
            text += f"; {more}{size / 1000:,.0f} kB of JavaScript installed in `{folder}`"
        return text


def bundle_index(ctx: ProjectContext) -> BundleIndex:
    """One index per project version (kept on the project until a file changes) and catalogs."""
    table: dict[int, tuple[object, BundleIndex]] = ctx.project.derived("bundle-bloat:index", lambda _p: {})
    found = table.get(id(ctx.catalogs))
    if found is not None and found[0] is ctx.catalogs:
        return found[1]
    index = BundleIndex(ctx)
    table[id(ctx.catalogs)] = (ctx.catalogs, index)
    return index
