"""`heavy-import-not-lazy`: heavy code loaded with the page where `import()` fits."""
from __future__ import annotations

from collections.abc import Iterable

from perfsense.rules.bundle_bloat.collect import bundle_facts
from perfsense.rules.bundle_bloat.describe import chain_steps, form, spec
from perfsense.rules.bundle_bloat.examples_lazy import INVALID, VALID
from perfsense.rules.bundle_bloat.frontend import FRONT, NEUTRAL
from perfsense.rules.bundle_bloat.index import BundleIndex, bundle_index
from perfsense.rules.bundle_bloat.jsx import Render
from perfsense.scanner.engine.rule import Docs, ProjectContext, ProjectRule
from perfsense.scanner.facts.model import Import
from perfsense.scanner.model import Category, Confidence, Finding, Severity

MAX_LISTED = 3


class HeavyImportNotLazy(ProjectRule):
    id = "heavy-import-not-lazy"
    name = "HeavyImportNotLazy"
    category = Category.BUNDLE_BLOAT
    languages = ("javascript",)
    severity = Severity.WARNING
    confidence = Confidence.MEDIUM
    summary = ("A heavy library (charts, 3D, PDF, spreadsheets, editors, maps) loads with the page where "
               "`import()` fits.")
    tags = ("bundle-size", "frontend", "code-splitting")
    docs = Docs(
        what="""
            Finds heavy libraries imported statically into browser code that only needs them
            later, in three precise situations: (1) a library used only for user actions
            (`xlsx`, `exceljs`, `jspdf`, `pdfmake`, `html2canvas`, …) whose every use sits
            in an event handler or helper function; (2) a route component imported
            statically by a router file that already lazy-loads other routes, when that
            component (or the project modules it imports) pulls in a chart, 3D, map, editor
            or viewer library the rest of the router does not load; (3) a component rendered
            only on demand (in a modal, dialog, drawer or tab panel that has an open prop,
            or behind a condition such as `showChart &&` or `tab === 'map'`) that pulls in
            such a library. Landing routes, components rendered unconditionally or behind
            data conditions (`data && <Chart/>`), and web workers are not reported.
        """,
        why="""
            Everything imported statically is downloaded, parsed and compiled before the
            page becomes interactive, even when the user never opens the export menu, the
            admin page or the 3D preview. These libraries weigh 50 kB to 1 MB min+gz each;
            split off, they load in the background only for the users who need them. The
            cost is negligible for small libraries and for code every visitor runs.
        """,
        instead="""
            Load the library where it is used (`const XLSX = await import('xlsx')` inside
            the export function), or split the component off: `const ReportsPage =
            lazy(() => import('./pages/ReportsPage'))` with a `<Suspense>` boundary
            (`next/dynamic` in Next.js, `defineAsyncComponent` in Vue, `() => import(…)`
            in a route table).
        """,
        options="""
            None. The heavy packages are the `lazy: render` and `lazy: on-demand` entries of
            the bundles catalog; add your own with `[[catalog.bundles.packages]]` entries
            (`module`, `what`, `lazy`, `size-kb`) in the config.
        """,
    )
    valid = VALID
    invalid = INVALID

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        index = bundle_index(ctx)
        for path in index.front_files(ctx.targets()):
            yield from self._on_demand(index, path)
            yield from self._split_candidates(index, path)

    def _on_demand(self, index: BundleIndex, path: str) -> Iterable[Finding]:
        role = index.roles[path]
        rel = role.manifest.relative(path) if role.manifest is not None else path
        if index.cat.workers.match(rel):
            return
        uses = bundle_facts(index.project.files[path]).uses
        for imp, entry in index.packages(path):
            use = uses.get(imp.local) if imp.local else None
            if entry.lazy != "on-demand" or use is None or not use.deferred:
                continue
            yield self.make(
                path=path, span=index.statement(path, imp), context=index.context(path),
                message=f"{form(index, path, imp)} loads {entry.what} "
                        f"({index.cost(entry, imp.module, path)}) "
                        f"with the page, but only {use.deferred_in} uses it, when the user acts. "
                        f"Load it there: {entry.instead}.",
            )

    def _split_candidates(self, index: BundleIndex, path: str) -> Iterable[Finding]:
        facts = index.project.files[path]
        bundle = bundle_facts(facts)
        by_local: dict[str, list[Render]] = {}
        for render in bundle.renders:
            by_local.setdefault(render.local, []).append(render)
        lazy = sorted({spec(index, path, i) for i in facts.imports
                       if i.kind == "dynamic" and index.graph.resolve(i.module, path) is not None})
        for imp, target in index.graph.imports(path):
            renders = by_local.get(imp.local) if imp.local else None
            use = bundle.uses.get(imp.local) if imp.local else None
            if target is None or not renders or use is None or use.value_uses != len(renders):
                continue
            if index.roles.get(target) is None or index.roles[target].role not in (FRONT, NEUTRAL):
                continue
            routes = [r for r in renders if r.kind == "route"]
            if routes and lazy and all(not r.index for r in routes):
                route = f" (route `{routes[0].detail}`)" if routes[0].detail else " (a route)"
                reason = (f"`{imp.local}`{route} is imported statically although this router lazy-loads "
                          f"`{lazy[0]}`")
            elif not routes and all(r.kind == "rare" for r in renders):
                reason = (f"`{imp.local}` is only rendered on demand (`{renders[0].detail}`) "
                          "but imported statically")
            else:
                continue
            finding = self._heavy_component(index, path, imp, target, reason)
            if finding is not None:
                yield finding

    def _heavy_component(self, index: BundleIndex, path: str, imp: Import, target: str,
                         reason: str) -> Finding | None:
        elsewhere: set[str] = set()
        for file, _hops in index.graph.walk(path, self._enter(index), frozenset({target})):
            elsewhere.update(i.module for i, _e in index.packages(file))
        hits = []
        for file, hops in index.graph.walk(target, self._enter(index)):
            for inner, entry in index.packages(file):
                if entry.lazy == "render" and inner.module not in elsewhere:
                    elsewhere.add(inner.module)
                    hits.append((entry, file, inner, hops))
        if not hits:
            return None
        total = sum(entry.size_kb for entry, *_rest in hits)
        listed = [f"`{inner.module}`" for _e, _f, inner, _h in hits[:MAX_LISTED]]
        listed += ["more"] if len(hits) > MAX_LISTED else []
        names = listed[0] if len(listed) == 1 else ", ".join(listed[:-1]) + " and " + listed[-1]
        verb = "loads" if len(hits) == 1 else "load"
        entry, file, inner, hops = hits[0]
        return self.make(
            path=path, span=index.statement(path, imp), context=index.context(path),
            chain=chain_steps(index, hops, (file, inner), entry.what),
            message=f"{reason}, so {names} (~{total:,.0f} kB min+gz) {verb} with this page for every "
                    f"visitor. "
                    f"Load it on demand: {_split(index, path, imp)}.",
        )

    @staticmethod
    def _enter(index: BundleIndex):
        return lambda p: index.roles.get(p) is not None and index.roles[p].role in (FRONT, NEUTRAL)


def _split(index: BundleIndex, path: str, imp: Import) -> str:
    """The code-splitting idiom of the file's framework."""
    target = spec(index, path, imp)
    role = index.roles.get(path)
    deps = role.manifest.deps if role is not None and role.manifest is not None else frozenset()
    if deps & index.cat.next_deps:
        return f"`dynamic(() => import('{target}'))` from `next/dynamic`"
    if "vue" in deps or "nuxt" in deps:
        return (f"`defineAsyncComponent(() => import('{target}'))`, "
                f"or `() => import('{target}')` in the route table")
    return f"`lazy(() => import('{target}'))` inside a `<Suspense>` boundary"
