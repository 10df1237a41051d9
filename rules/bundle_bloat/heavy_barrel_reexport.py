"""`heavy-barrel-reexport`: a barrel file re-exports a module that pulls a heavy library, so
every file importing anything from the barrel pays for it."""
from __future__ import annotations

from collections.abc import Iterable

from perfsense.rules.bundle_bloat.describe import chain_steps, relative
from perfsense.rules.bundle_bloat.examples_barrel import INVALID, VALID
from perfsense.rules.bundle_bloat.frontend import FRONT, NEUTRAL
from perfsense.rules.bundle_bloat.index import BundleIndex, bundle_index
from perfsense.scanner.engine.rule import Docs, ProjectContext, ProjectRule
from perfsense.scanner.facts.model import MODULE_FUNCTION, Import
from perfsense.scanner.model import Category, ChainStep, Confidence, Finding, Location, Severity


class HeavyBarrelReexport(ProjectRule):
    id = "heavy-barrel-reexport"
    name = "HeavyBarrelReexport"
    category = Category.BUNDLE_BLOAT
    languages = ("javascript",)
    severity = Severity.WARNING
    confidence = Confidence.MEDIUM
    summary = "A barrel file re-exports a module that imports a heavy library, so its importers load it too."
    tags = ("bundle-size", "frontend", "barrel-files")
    docs = Docs(
        what="""
            Finds re-exports in project barrel files (`export * from './Chart'`,
            `export { Chart } from './Chart'`) of modules that load a heavy library (a chart,
            3D, map, editor, PDF or spreadsheet library) in a way a bundler cannot drop: an
            everything-entry (`chart.js/auto`, `echarts`), a side-effect or CommonJS import,
            or module-level code that calls into it (`Chart.register(…)`, `echarts.use(…)`).
            It reports when a front-end file imports other names from the barrel and does
            not load that library anyway. The finding is at the re-export, with the
            importer and the heavy import. Packages whose package.json declares
            `"sideEffects": false` are not reported.
        """,
        why="""
            Without `"sideEffects": false`, a bundler must keep every module a barrel
            re-exports, with everything those modules import, because evaluating them
            might matter. Importing `Button` from `components/index.ts` then also loads the
            chart library another component of the barrel uses, in every page that needs a
            button. The cost is negligible when the re-exported module is light.
        """,
        instead="""
            Import heavy components from their own module (`import { Chart } from
            './components/Chart'`) and drop them from the barrel, or declare
            `"sideEffects": false` (or the list of files with side effects) in
            package.json so the bundler may skip unused re-exports.
        """,
    )
    valid = VALID
    invalid = INVALID

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        index = bundle_index(ctx)
        importers = self._importers(index)
        wanted = set(ctx.targets())
        for barrel in sorted(importers):
            if barrel not in wanted:
                continue
            role = index.roles.get(barrel)
            if role is None or role.role not in (FRONT, NEUTRAL) \
                    or (role.manifest is not None and role.manifest.side_effects_free):
                continue
            for imp, target in index.graph.imports(barrel):
                if imp.kind != "reexport" or target is None:
                    continue
                finding = self._check(index, barrel, imp, target, importers[barrel])
                if finding is not None:
                    yield finding

    @staticmethod
    def _importers(index: BundleIndex) -> dict[str, list[tuple[str, Import, set[str]]]]:
        """Barrel file -> front-end files importing named members from it, with the names."""
        out: dict[str, dict[str, tuple[Import, set[str]]]] = {}
        for path in index.front_files():
            for imp, target in index.graph.imports(path):
                if target is None or imp.kind != "esm" or imp.name in (None, "default", "*"):
                    continue
                slot = out.setdefault(target, {}).setdefault(path, (imp, set()))
                slot[1].add(imp.name)
        return {barrel: [(p, imp, names) for p, (imp, names) in sorted(files.items())]
                for barrel, files in out.items()}

    def _check(self, index: BundleIndex, barrel: str, imp: Import, target: str,
               importers: list[tuple[str, Import, set[str]]]) -> Finding | None:
        provided = self._provided(index, barrel, imp, target)
        unrelated = [(p, i, names) for p, i, names in importers if p != target and not names & provided]
        if not unrelated or not provided:
            return None
        hits = [(file, inner, entry, hops) for file, hops in index.graph.walk(target, _enter(index))
                for inner, entry in index.packages(file)
                if entry.lazy and (entry.kind == "whole" or _runs_at_load(index, file, inner))]
        for file, inner, entry, hops in hits:
            paying = [(p, i, names) for p, i, names in unrelated
                      if inner.module not in _reached(index, p, barrel)]
            if not paying:
                continue
            path, first, names = paying[0]
            shown = ", ".join(f"`{n}`" for n in sorted(names)[:3])
            chain = [ChainStep(location=Location(path, index.statement(path, first)),
                               message=f"`{path}` imports {shown} from this barrel")]
            chain += chain_steps(index, hops, (file, inner), entry.what)
            who = f"`{path}` imports" if len(paying) == 1 else \
                f"`{path}` and {len(paying) - 1} other file(s) import"
            module = relative(barrel, target)
            return self.make(
                path=barrel, span=index.statement(barrel, imp), context=index.context(barrel), chain=chain,
                message=f"This barrel re-exports `{module}`, which loads `{inner.module}` ({entry.what}, "
                        f"~{entry.size_kb:,.0f} kB min+gz) at load time; {who} other names from the barrel "
                        f"and get it too. Import `{module}` directly where it is needed, or declare "
                        f"`\"sideEffects\": false` in package.json.",
            )
        return None

    @staticmethod
    def _provided(index: BundleIndex, barrel: str, imp: Import, target: str) -> set[str]:
        """Names the barrel gets from this re-export."""
        if imp.name != "*":
            facts = index.project.files[barrel]
            return {e.name for e in facts.exports if e.source == imp.module and e.span == imp.span}
        return {e.name for e in index.project.files[target].exports if e.name not in ("default", "*")}


def _runs_at_load(index: BundleIndex, path: str, imp: Import) -> bool:
    """The import cannot be dropped when the module's exports are unused: a side-effect or
    CommonJS import, or module-level code that calls into it (`Chart.register(…)`)."""
    if imp.kind in ("side-effect", "require"):
        return True
    return any(call.func == MODULE_FUNCTION and (call.callee.root == imp.module
                                                 or call.callee.root.startswith(imp.module + "."))
               for call in index.project.files[path].calls)


def _enter(index: BundleIndex):
    return lambda p: index.roles.get(p) is not None and index.roles[p].role in (FRONT, NEUTRAL)


def _reached(index: BundleIndex, path: str, barrel: str) -> set[str]:
    """Catalog packages `path` loads without going through `barrel` (memoised)."""
    memo = index.memo.setdefault("barrel-reach", {})
    key = (path, barrel)
    if key not in memo:
        memo[key] = {i.module for file, _hops in index.graph.walk(path, _enter(index), frozenset({barrel}))
                     for i, _e in index.packages(file)}
    return memo[key]
