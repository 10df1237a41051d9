"""`whole-library-import`: front-end imports that pull a whole library into the bundle."""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from perfsense.rules.bundle_bloat import collect as collecting
from perfsense.rules.bundle_bloat.catalog import Package, bundle_catalog
from perfsense.rules.bundle_bloat.describe import chain_steps, form, spec
from perfsense.rules.bundle_bloat.examples_whole import INVALID, VALID
from perfsense.rules.bundle_bloat.frontend import NEUTRAL
from perfsense.rules.bundle_bloat.graph import Hop
from perfsense.rules.bundle_bloat.index import BundleIndex, bundle_index
from perfsense.rules.bundle_bloat.manifests import Manifests
from perfsense.scanner.catalog import Catalogs
from perfsense.scanner.engine.rule import Docs, FileContext, ProjectContext, ProjectRule
from perfsense.scanner.facts.model import Import
from perfsense.scanner.model import Category, ChainStep, Confidence, Finding, Location, Severity


class WholeLibraryImport(ProjectRule):
    id = "whole-library-import"
    name = "WholeLibraryImport"
    category = Category.BUNDLE_BLOAT
    languages = ("javascript",)
    severity = Severity.WARNING
    confidence = Confidence.HIGH
    summary = ("A front-end import pulls a whole library (lodash, moment, core-js, aws-sdk, …) into "
               "the bundle.")
    tags = ("bundle-size", "frontend")
    docs = Docs(
        what="""
            Finds imports in browser code that bring a whole library into the bundle: any
            import of the CommonJS `lodash` build (default, namespace, named, `require`),
            a `require` of a large tree-shakeable package (icon sets, `rxjs`, `date-fns`),
            `moment` and `moment-timezone`, all moment locales, blanket polyfills
            (`core-js`, `core-js/stable`, `@babel/polyfill`), the AWS SDK v2, the
            everything-entries of chart and highlighting libraries (`chart.js/auto`,
            `echarts`, `highlight.js`, full plotly.js), and re-exports of these. A file
            counts as browser code when its nearest package.json depends on a front-end
            framework or bundler and it is not server-only (API routes, route handlers,
            `*.server.*`, `"use server"`, Node built-ins, Next.js server components), a
            test, a story, a config file or a script. When the import sits in a shared
            module that is not front-end code itself (a workspace package without a
            framework), the finding is at the front-end file's import of that module, with
            the chain of imports, once per library and file.
        """,
        why="""
            Bundlers can only drop unused code from ES modules. A CommonJS library, or an
            entry point that registers everything, ships all of its code to every visitor,
            who downloads, parses and compiles it before the page becomes interactive:
            lodash adds about 25 kB min+gz, moment 20 kB plus its locales, core-js up to
            50 kB, the AWS SDK v2 several hundred kB. The message gives the catalog's size
            estimate, and the size installed in node_modules when it is there. The cost is
            negligible in server code, tests and build scripts, which perfsense does not
            report, and when a build plugin rewrites the imports (`babel-plugin-lodash`,
            `@optimize-lodash/*` in package.json silence the lodash findings).
        """,
        instead="""
            Import what is used from a tree-shakeable build (`lodash-es`, per-method paths
            such as `lodash/debounce`), move dates to `date-fns`, `dayjs` or `Intl`, import
            only the locales, languages or chart parts in use (`highlight.js/lib/core` with
            `registerLanguage`, `chart.js` parts with `Chart.register`), use the modular AWS
            SDK v3 clients, and let `@babel/preset-env` or `@vitejs/plugin-legacy` add only
            the polyfills the target browsers need.
        """,
        options="""
            None. Add heavy packages of your own with `[[catalog.bundles.packages]]` entries
            (`module`, `what`, `kind = "whole"`, `size-kb`, `instead`) in the config.
        """,
    )
    valid = VALID
    invalid = INVALID

    @classmethod
    def scan_inputs(cls, root: str, files: Sequence[str]) -> Iterable[str]:
        """package.json files above the JS/TS files, and installed catalog packages."""
        js = [f for f in files if not f.endswith((".py", ".pyi"))]
        if not root or not js:
            return []
        packages = [entry.package for entry in bundle_catalog(Catalogs()).packages]
        return Manifests(root).inputs(js, packages)

    def collect(self, ctx: FileContext) -> collecting.BundleFacts | None:
        return collecting.collect(ctx)

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        index = bundle_index(ctx)
        for path in index.front_files(ctx.targets()):
            done: set[str] = set()
            yield from self._direct(index, path, done)
            yield from self._through_modules(index, path, done)

    def _direct(self, index: BundleIndex, path: str, done: set[str]) -> Iterable[Finding]:
        seen = set()
        for imp, entry in index.packages(path):
            span = index.statement(path, imp)
            cjs = entry.kind == "namespace" and imp.kind == "require"
            if not (entry.kind == "whole" or cjs) or span in seen:
                continue
            seen.add(span)
            done.add(entry.package)
            how = " (`require` loads its CommonJS build, which does not tree-shake)" if cjs else ""
            yield self.make(
                path=path, span=span, context=index.context(path), chain=_importers(index, path),
                message=f"{form(index, path, imp)} brings {entry.what} into the browser bundle{how} "
                        f"({index.cost(entry, imp.module, path)}). Use {entry.instead}.",
            )

    def _through_modules(self, index: BundleIndex, path: str, done: set[str]) -> Iterable[Finding]:
        role = index.roles[path]
        deps = role.manifest.deps if role.manifest is not None else frozenset()
        for imp, target in index.graph.imports(path):
            if target is None or index.roles.get(target) is None or index.roles[target].role != NEUTRAL:
                continue
            hits = []
            for entry, file, inner, hops in _whole_behind(index, target):
                if entry.package not in done and not deps & set(entry.silenced_by):
                    done.add(entry.package)
                    hits.append((entry, file, inner, hops))
            if not hits:
                continue
            entry, file, inner, hops = hits[0]
            names = ", ".join(f"`{spec(index, f, i)}`" for _e, f, i, _h in hits)
            yield self.make(
                path=path, span=index.statement(path, imp), context=index.context(path),
                chain=chain_steps(index, hops, (file, inner), entry.what),
                message=f"{form(index, path, imp)} brings {names} into the browser bundle through `{target}`"
                        f", which is not front-end code itself: {form(index, file, inner)} "
                        f"({file}) pulls in {entry.what} ({index.cost(entry, inner.module, file)}). "
                        f"Use {entry.instead} in `{file}`, or keep it out of browser code.",
            )


def _importers(index: BundleIndex, path: str, limit: int = 3) -> list[ChainStep]:
    """Where the browser bundle gets this module from: the files that import it."""
    steps: list[ChainStep] = []
    for source, imp in index.importers(path):
        location = Location(source, index.statement(source, imp))
        if len(steps) < limit and all(step.location != location for step in steps):
            steps.append(ChainStep(location=location, message=f"`{source}` imports this module"))
    return steps


def _whole_behind(index: BundleIndex, start: str) -> list[tuple[Package, str, Import, tuple[Hop, ...]]]:
    """Whole-library imports reached from a neutral module through neutral modules (memoised)."""
    memo = index.memo.setdefault("whole-behind", {})
    if start not in memo:
        neutral = lambda p: index.roles.get(p) is not None and index.roles[p].role == NEUTRAL
        memo[start] = [(entry, file, inner, hops) for file, hops in index.graph.walk(start, neutral)
                       for inner, entry in index.packages(file) if entry.kind == "whole"]
    return memo[start]
