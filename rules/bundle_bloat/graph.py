"""The module-level import graph of a project's JS/TS files: static imports resolved to
project files (relative specifiers, `@/` aliases, workspace packages)."""
from __future__ import annotations

import posixpath
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from perfsense.rules.bundle_bloat.catalog import BundleCatalog, package_name
from perfsense.rules.bundle_bloat.collect import BundleFacts, bundle_facts
from perfsense.rules.bundle_bloat.manifests import Manifests
from perfsense.scanner.facts.model import FileFacts, Import
from perfsense.scanner.project import Project

STATIC = frozenset({"esm", "require", "side-effect", "reexport"})
TS_SUFFIXES = (".ts", ".tsx", ".mts", ".cts")
MAX_VISIT = 20_000


@dataclass(frozen=True, slots=True)
class Hop:
    """`path` imports `imp` (which leads to the next hop, or is the package itself)."""

    path: str
    imp: Import


def is_static_value(facts: FileFacts, bundle: BundleFacts, imp: Import) -> bool:
    """A static import that ends up in the bundle (TypeScript drops imports used only as types)."""
    if imp.kind not in STATIC or imp.type_only or not imp.module:
        return False
    if imp.span.start.line in bundle.dev_only:
        return False
    if imp.kind == "esm" and imp.local and facts.path.endswith(TS_SUFFIXES):
        use = bundle.uses.get(imp.local)
        if use is not None and use.value_uses == 0:
            return False
    return True


class ImportGraph:
    def __init__(self, project: Project, manifests: Manifests, cat: BundleCatalog) -> None:
        self.project = project
        self.manifests = manifests
        self.cat = cat
        self._edges: dict[str, list[tuple[Import, str | None]]] = {}
        self._workspaces: dict[str, str] | None = None

    # --- resolution --------------------------------------------------------------------
    def resolve(self, module: str, importer: str) -> str | None:
        """The project file an import specifier names, if it is one."""
        if module.startswith(("./", "..")):
            return self.project.module_file(module)
        for prefix, targets in self.cat.aliases:
            if module.startswith(prefix):
                manifest = self.manifests.nearest(importer)
                base = manifest.dir if manifest is not None else ""
                for target in targets:
                    found = self._module(posixpath.join(base, target + module[len(prefix):]))
                    if found is not None:
                        return found
                return None
        folder = self.workspaces().get(package_name(module))
        if folder is None:
            return None
        sub = module[len(package_name(module)):].strip("/")
        manifest = self.manifests.at(folder)
        candidates = [sub, f"src/{sub}"] if sub else \
            [e.lstrip("./") for e in (manifest.entries if manifest else ())] + ["src/index", "index"]
        for candidate in candidates:
            found = self._module(posixpath.join(folder, candidate))
            if found is not None:
                return found
        return None

    def _module(self, rel: str) -> str | None:
        stem = posixpath.normpath(rel)
        for suffix in (".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".mts", ".cts"):
            if stem.endswith(suffix):
                stem = stem[: -len(suffix)]
                break
        return self.project.module_file("./" + stem.lstrip("./")) if stem and stem != "." else None

    def workspaces(self) -> dict[str, str]:
        """Package name -> folder, for the project's own packages (monorepo workspaces)."""
        if self._workspaces is None:
            for path in self.project.files:
                self.manifests.nearest(path)
            self._workspaces = {m.name: m.dir for m in self.manifests.all() if m.name}
        return self._workspaces

    # --- edges ---------------------------------------------------------------------------
    def imports(self, path: str) -> list[tuple[Import, str | None]]:
        """Static value imports of a file, each with the project file it leads to (or None)."""
        found = self._edges.get(path)
        if found is None:
            facts = self.project.files[path]
            bundle = bundle_facts(facts)
            found = [(imp, self.resolve(imp.module, path)) for imp in facts.imports
                     if is_static_value(facts, bundle, imp)]
            self._edges[path] = found
        return found

    def walk(self, start: str, enter: Callable[[str], bool], skip: frozenset[str] = frozenset()) \
            -> Iterator[tuple[str, tuple[Hop, ...]]]:
        """Files reachable from `start` through static imports (entering only files for which
        `enter` holds, never those in `skip`), each with the chain of imports that reaches it."""
        chains: dict[str, tuple[Hop, ...]] = {start: ()}
        queue = deque([start])
        while queue and len(chains) < MAX_VISIT:
            path = queue.popleft()
            yield path, chains[path]
            for imp, target in self.imports(path):
                if target is None or target in chains or target in skip or not enter(target):
                    continue
                chains[target] = chains[path] + (Hop(path, imp),)
                queue.append(target)
