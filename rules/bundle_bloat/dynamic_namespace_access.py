"""`dynamic-namespace-access`: a namespace import of a big package used dynamically."""
from __future__ import annotations

from collections.abc import Iterable

from perfsense.rules.bundle_bloat.collect import bundle_facts
from perfsense.rules.bundle_bloat.describe import form
from perfsense.rules.bundle_bloat.examples_namespace import INVALID, VALID
from perfsense.rules.bundle_bloat.index import bundle_index
from perfsense.scanner.engine.rule import Docs, ProjectContext, ProjectRule
from perfsense.scanner.model import Category, ChainStep, Confidence, Finding, Location, Severity


class DynamicNamespaceAccess(ProjectRule):
    id = "dynamic-namespace-access"
    name = "DynamicNamespaceAccess"
    category = Category.BUNDLE_BLOAT
    languages = ("javascript",)
    severity = Severity.WARNING
    confidence = Confidence.HIGH
    summary = ("A namespace import of an icon set or large library is used dynamically, so nothing of it "
               "is tree-shaken.")
    tags = ("bundle-size", "frontend", "tree-shaking")
    docs = Docs(
        what="""
            Finds namespace imports (`import * as Icons from '@mui/icons-material'`,
            `import * as operators from 'rxjs/operators'`) of icon sets and large
            tree-shakeable libraries in browser code when the namespace is
            used dynamically: indexed with a computed key (`Icons[item.icon]`), passed or
            spread whole, aliased or iterated. Also finds imports of an export that is itself
            the whole collection (`fas` from Font Awesome, `icons` from lucide-react). The
            finding is at the import; the dynamic use is shown with it. (A `require` of
            these packages is reported by `whole-library-import`.)
        """,
        why="""
            Bundlers drop the unused exports of a namespace only when every access names
            its member (`Icons.Settings`). One computed lookup and they must keep every
            export, because any of them might be asked for at run time: thousands of icon
            components (hundreds of kB), every rxjs operator, every date-fns locale. Static
            member access (`THREE.Mesh`, `d3.scaleLinear`) tree-shakes and is not reported;
            the cost is negligible for small packages, which are not in the catalog.
        """,
        instead="""
            Import the members the code uses by name (or by path, for icon sets) and map
            the dynamic keys with a small object: `const ICONS = { Settings: SettingsIcon,
            People: PeopleIcon }` then `ICONS[item.icon]`. For icons chosen by users at run
            time, load them with `import()` (`lucide-react/dynamic`).
        """,
        options="""
            None. Add large packages of your own with `[[catalog.bundles.packages]]` entries
            (`module`, `what`, `kind = "namespace"`, `size-kb`, `instead`) in the config.
        """,
    )
    valid = VALID
    invalid = INVALID

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        index = bundle_index(ctx)
        for path in index.front_files(ctx.targets()):
            uses = bundle_facts(index.project.files[path]).uses
            seen = set()
            for imp, entry in index.packages(path):
                span = index.statement(path, imp)
                use = uses.get(imp.local) if imp.local else None
                if entry.kind != "namespace" or use is None or span in seen:
                    continue
                cost = index.cost(entry, imp.module, path)
                if imp.name in entry.names and use.value_uses:
                    seen.add(span)
                    yield self.make(
                        path=path, span=span, context=index.context(path),
                        message=f"`{imp.local}` from `{imp.module}` is {entry.what}: all of it ships in the "
                                f"browser bundle ({cost}). Use {entry.instead}.",
                    )
                elif imp.name == "*" and imp.kind == "esm" and use.dynamic_line is not None:
                    seen.add(span)
                    where = use.dynamic_span or span
                    yield self.make(
                        path=path, span=span, context=index.context(path),
                        chain=[ChainStep(location=Location(path, where),
                                         message=f"`{use.dynamic_text}`: {use.dynamic_how}")],
                        message=f"{form(index, path, imp)} is {use.dynamic_how} (`{use.dynamic_text}`, line "
                                f"{use.dynamic_line + 1}), so the bundler keeps {entry.what} ({cost}). "
                                f"Use {entry.instead}.",
                    )
