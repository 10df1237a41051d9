"""`invariant-work-in-loop`: work whose result is the same on every iteration, done in
the loop or in a function the loop calls."""
from __future__ import annotations

from collections.abc import Iterable

from perfsense.rules.inefficient_loop.analysis import analyse, context_name
from perfsense.rules.inefficient_loop.base import TEST_CODE_OPTION, LoopProjectRule
from perfsense.rules.inefficient_loop.effects import MAX_DISTANCE, memoized
from perfsense.rules.inefficient_loop.examples import invariant_work as ex
from perfsense.scanner.engine.rule import Docs, FileContext, ProjectContext
from perfsense.scanner.model import Confidence, Finding, Severity


class InvariantWorkInLoop(LoopProjectRule):
    id = "invariant-work-in-loop"
    name = "InvariantWorkInLoop"
    severity = Severity.WARNING
    confidence = Confidence.MEDIUM
    summary = "A loop recomputes something that is the same on every iteration (a regex, a parse, a sort, a deep copy)."
    docs = Docs(
        what="""
            Finds work inside a loop whose inputs do not change from one iteration to the
            next: `re.compile(…)`/`new RegExp(…)` and `json.loads(…)` of constant or
            loop-invariant input, `sorted(x)` / `x.sort()` of data the loop does not change,
            deep copies (`copy.deepcopy`, `structuredClone`, `JSON.parse(JSON.stringify(x))`)
            of invariant data whose copy is only read, and `Object.keys(obj)` in a `for`
            condition. It also follows calls: a loop calling a project function that compiles a
            constant pattern, parses a constant document or deep-copies module-level data on
            every call is reported at the call, with the chain down to that work (functions
            memoized with `lru_cache`/`cache`/`memoize` are not).
        """,
        why="""
            The loop pays for the same result once per item: a sort is O(m log m) per
            iteration, a deep copy or a parse is proportional to the data's size, and a
            `RegExp` is compiled anew. Python's `re` module keeps a cache of recently compiled
            patterns, so a constant `re.compile` in a loop mostly costs a cache lookup, until
            more than a few hundred distinct patterns evict each other; `sorted`, deep copies
            and parses have no such cache. A loop over a literal of a few items is not
            reported.
        """,
        instead="""
            Compute the value once before the loop (or at module level for constants) and
            reuse it; read shared data directly instead of copying it when the copy is only
            read; cache a helper's constant work in a module-level variable.
        """,
        options=TEST_CODE_OPTION,
    )
    languages = ("python", "javascript")
    valid = ex.VALID
    invalid = ex.INVALID

    def collect(self, ctx: FileContext) -> dict:
        result = analyse(ctx)
        return {"hits": result.of(self.id), "repeated": dict(result.repeated),
                "looped": {k: v.loop for k, v in result.looped.items()}}

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        yield from self.direct(ctx)
        if not any((f.extra.get(self.id) or {}).get("repeated") for f in ctx.project.files.values()):
            return
        graph = ctx.graph
        project = ctx.project
        for path in self.targets(ctx):
            facts = project.files[path]
            for call_id, loop in sorted((facts.extra.get(self.id) or {}).get("looped", {}).items()):
                call = facts.calls[call_id]
                ref = project.function(call.callee, path, call.func)
                if ref is None or memoized(project.function_fact(ref), project.files[ref.path].language,
                                           ctx.catalogs):
                    continue
                reach = graph.reach(ref, "repeated-work")
                if not reach:
                    continue
                site, (dist, _edge) = min(reach.items(), key=lambda kv: (kv[1][0], kv[0].path, kv[0].call))
                if dist > MAX_DISTANCE:
                    continue
                helper = project.display_name(ref)
                target = project.files[site.path].calls[site.call]
                yield self.make(
                    path=path, span=call.span, context=context_name(facts, call.span),
                    chain=graph.chain(ref, site, "repeats this on every call"),
                    message=f"`{helper}()` runs `{site.label}` ({site.path}:{target.span.start.line + 1}) on "
                            f"every call, and is called for every item of {loop}; the result is the same "
                            f"each time. Do that work once (a module-level constant, or before the loop).",
                )


