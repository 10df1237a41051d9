"""`linear-search-in-loop`: a list scanned for every item of a loop, directly or in a helper."""
from __future__ import annotations

from collections.abc import Iterable

from perfsense.rules.inefficient_loop.analysis import analyse, context_name
from perfsense.rules.inefficient_loop.base import TEST_CODE_OPTION, LoopProjectRule
from perfsense.rules.inefficient_loop.examples import linear_search as ex
from perfsense.rules.inefficient_loop.sites import ScanSite
from perfsense.scanner.engine.rule import Docs, FileContext, ProjectContext
from perfsense.scanner.facts.model import Call
from perfsense.scanner.model import ChainStep, Confidence, Finding, Location, Severity


class LinearSearchInLoop(LoopProjectRule):
    id = "linear-search-in-loop"
    name = "LinearSearchInLoop"
    severity = Severity.WARNING
    confidence = Confidence.HIGH
    summary = "A list or array is searched from start to end once per item of a loop."
    docs = Docs(
        what="""
            Finds linear searches repeated for every item of a loop or comprehension, over a
            collection built outside it: `x in some_list` (a list variable, `list(…)`, a list
            comprehension, a list that the loop grows), `next(c for c in customers if c.id ==
            x)`, and in JavaScript/TypeScript `arr.includes(x)`, `arr.indexOf(x) !== -1` and
            `arr.find/findIndex/some/filter(e => e.key === x)`, also inside iteration callbacks
            (`rows.map(r => …)`, a filter in JSX). It also follows calls: a loop that calls a
            project function which searches its parameter by key (`for row in table: if
            row[0] == key: return row`) with the same collection on every iteration is
            reported at the call, with the helper's loop as related location.
        """,
        why="""
            Each search walks the collection: with n outer items and m searched items the loop
            does n·m comparisons, which grows with the product of both (1,000 x 10,000 is ten
            million steps). A set or dict answers in O(1). The cost is negligible when the
            searched collection is a literal or a module constant of a few items (not
            reported), or when the list is rebuilt per iteration anyway.
        """,
        instead="""
            Build a `set` (`Set`) of the keys, or a dict (`Map`) from key to item, once before
            the loop and look items up in it: `blocked = {r.id for r in rows}`,
            `by_id = new Map(customers.map(c => [c.id, c]))`.
        """,
        options=TEST_CODE_OPTION,
    )
    languages = ("python", "javascript")
    valid = ex.VALID
    invalid = ex.INVALID

    def collect(self, ctx: FileContext) -> dict:
        result = analyse(ctx)
        return {"hits": result.of(self.id), "scans": list(result.scans),
                "looped": {k: v for k, v in result.looped.items() if any(v.invariant)}}

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        yield from self.direct(ctx)
        project = ctx.project
        if not any((project.files[path].extra.get(self.id) or {}).get("looped") for path in self.targets(ctx)):
            return  # no target hands a loop's items to a call: no scan anywhere matters
        scans: dict[tuple[str, int], list[ScanSite]] = {}
        for path, facts in project.files.items():
            for site in (facts.extra.get(self.id) or {}).get("scans", ()):
                scans.setdefault((path, site.function), []).append(site)
        if not scans:
            return
        for path in self.targets(ctx):
            facts = project.files[path]
            for call_id, looped in sorted((facts.extra.get(self.id) or {}).get("looped", {}).items()):
                call = facts.calls[call_id]
                ref = project.function(call.callee, path, call.func)
                if ref is None:
                    continue
                for site in scans.get((ref.path, ref.id), ()):
                    index = _argument_index(project.function_fact(ref), project.files[ref.path].language,
                                            call, site)
                    if index is None or index >= len(looped.invariant) or not looped.invariant[index]:
                        continue
                    helper = project.display_name(ref)
                    arg = call.args[index].text
                    yield self.make(
                        path=path, span=call.span, context=context_name(facts, call.span),
                        chain=[ChainStep(location=Location(ref.path, site.span),
                                         message=f"`{helper}()` scans `{site.name}` here to find `{site.test}`")],
                        message=f"`{helper}()` scans all of `{arg}` (its `{site.name}` parameter) to find "
                                f"`{site.test}`, and is called for every item of {looped.loop}: O(n·m). Index "
                                f"`{arg}` by that key in a dict (`Map`) once before the loop and look items up "
                                f"in it.",
                    )
                    break


def _argument_index(fn, language: str, call: Call, site: ScanSite) -> int | None:
    """Which argument of `call` feeds the scanned parameter."""
    for index, arg in enumerate(call.args):
        if arg.name == site.name:
            return index
    position = site.param
    if language == "python" and fn.kind == "method" and call.callee.steps and fn.params[:1] in (("self",), ("cls",)):
        position -= 1
    positional = [i for i, arg in enumerate(call.args) if arg.name is None and not arg.text.startswith("*")]
    if position < 0 or position >= len(positional):
        return None
    return positional[position]
