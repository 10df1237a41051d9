"""Which files end up in a browser bundle.

A file is front-end code when its nearest package.json depends on a front-end framework or
bundler and the file is not server-only (API routes, route handlers, `*.server.*`,
`"use server"`, Node built-ins, server frameworks) nor a test, story, config or script. In
a Next.js project with an `app` router, files are server components unless a
`"use client"` file (or a `pages` file) imports them. A file under no package.json is
front-end when it is .jsx/.tsx or imports a UI framework, and so is a file of an islands
framework (Astro) that renders on the server. Everything else is neutral: it
reaches the bundle only through the front-end files that import it.
"""
from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import dataclass

from perfsense.rules.bundle_bloat.catalog import BundleCatalog
from perfsense.rules.bundle_bloat.collect import bundle_facts
from perfsense.rules.bundle_bloat.graph import ImportGraph
from perfsense.rules.bundle_bloat.manifests import Manifest, Manifests
from perfsense.scanner.facts.model import FileFacts

FRONT, SERVER, NEUTRAL, EXCLUDED = "front", "server", "neutral", "excluded"
APP_ENTRIES = ("page", "layout", "template", "loading", "error", "not-found", "default")


@dataclass(frozen=True, slots=True)
class Role:
    role: str
    why: str = ""
    manifest: Manifest | None = None


def _front_package(manifest: Manifest, cat: BundleCatalog) -> bool:
    if not manifest.deps & cat.frontend_deps:
        return False
    return not (manifest.deps & cat.native_deps and "react-dom" not in manifest.deps)


def _server_reason(facts: FileFacts, cat: BundleCatalog) -> str:
    bundle = bundle_facts(facts)
    for directive in bundle.directives:
        if directive in cat.server_directives:
            return f'"{directive}"'
    if bundle.node_builtin:
        return "imports a `node:` built-in"
    for imp in facts.imports:
        if imp.kind != "dynamic" and not imp.type_only and imp.module \
                and cat.server_modules.match(imp.module):
            return f"imports `{imp.module}`"
    return ""


def classify(facts: FileFacts, manifests: Manifests, cat: BundleCatalog) -> Role:
    path = facts.path
    manifest = manifests.nearest(path)
    rel = manifest.relative(path) if manifest is not None else path
    if manifest is not None and not _front_package(manifest, cat):
        return Role(NEUTRAL, f"{manifest.path} is not a front-end package", manifest)
    if cat.not_shipped.match(rel):
        return Role(EXCLUDED, "not shipped (test, story, config or script)", manifest)
    if cat.server_paths.match(rel):
        return Role(SERVER, "server path", manifest)
    reason = _server_reason(facts, cat)
    if reason:
        return Role(SERVER, reason, manifest)
    islands = manifest is None or bool(manifest.deps & cat.island_deps)
    if islands and not path.endswith((".jsx", ".tsx")) and not any(
            imp.module and cat.framework_modules.match(imp.module) for imp in facts.imports):
        return Role(NEUTRAL, "no UI framework import (server-rendered or no package.json)", manifest)
    return Role(FRONT, "", manifest)


def _under(rel: str, dirs: Iterable[str]) -> bool:
    return any(rel == d or rel.startswith(d + "/") for d in dirs)


def _app_router(manifest: Manifest, paths: Iterable[str], cat: BundleCatalog) -> bool:
    if not manifest.deps & cat.next_deps:
        return False
    for path in paths:
        rel = manifest.relative(path)
        stem = posixpath.basename(rel).rsplit(".", 1)[0]
        if _under(rel, cat.app_dirs) and stem in APP_ENTRIES:
            return True
    return False


def roles(files: dict[str, FileFacts], manifests: Manifests, graph: ImportGraph,
          cat: BundleCatalog) -> dict[str, Role]:
    """The role of every JS/TS file of the project."""
    out = {path: classify(facts, manifests, cat) for path, facts in files.items()
           if facts.language != "python"}
    by_manifest: dict[str, list[str]] = {}
    for path, role in out.items():
        if role.manifest is not None:
            by_manifest.setdefault(role.manifest.dir, []).append(path)
    app = {folder for folder, paths in by_manifest.items()
           if _app_router(out[paths[0]].manifest, paths, cat)}  # type: ignore[arg-type]
    if not app:
        return out
    roots = []
    for path, role in out.items():
        if role.role != FRONT or role.manifest is None or role.manifest.dir not in app:
            continue
        rel = role.manifest.relative(path)
        if cat.client_directive in bundle_facts(files[path]).directives or _under(rel, cat.page_dirs):
            roots.append(path)
    client: set[str] = set()
    for root in roots:
        for path, _chain in graph.walk(root, lambda p: out.get(p, Role(EXCLUDED)).role == FRONT,
                                       frozenset(client)):
            client.add(path)
    for path, role in list(out.items()):
        if role.role == FRONT and role.manifest is not None and role.manifest.dir in app \
                and path not in client:
            out[path] = Role(SERVER, "a server component (no client file imports it)", role.manifest)
    return out
