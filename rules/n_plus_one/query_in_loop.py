"""`query-in-loop`: a query run once per item of a loop, directly or through helpers."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from perfsense.rules.n_plus_one.analysis import Analysis, code, loop_step, loop_where, site_query
from perfsense.rules.n_plus_one.examples_query import INVALID, VALID
from perfsense.rules.n_plus_one.helpers import helper_targets, query_chain
from perfsense.rules.n_plus_one.sources import (
    call_arguments,
    call_exit,
    call_text,
    repeating_loops,
    reportable,
)
from perfsense.scanner.callgraph import CallGraph
from perfsense.scanner.engine.rule import Docs, ProjectContext, ProjectRule
from perfsense.scanner.facts.model import Call, FileFacts, Loop
from perfsense.scanner.model import Category, Confidence, Finding, Severity
from perfsense.scanner.project import FunctionRef


class QueryInLoop(ProjectRule):
    id = "query-in-loop"
    name = "QueryInLoop"
    category = Category.N_PLUS_ONE
    severity = Severity.WARNING
    confidence = Confidence.HIGH
    summary = "A database query runs once per item of a loop (N+1 queries), directly or through a helper."
    tags = ("database", "orm", "n-plus-one")
    docs = Docs(
        what="""
            Finds database queries made once per item of a loop: ORM look-ups
            (`Model.objects.get/filter(…).exists()/count()/create()`, SQLAlchemy
            `session.execute/scalars/get`, `Model.query…first()`, Sequelize `findOne`/`findByPk`,
            Prisma `findUnique`/`findFirst`, Mongoose `findById`, TypeORM `findOneBy`, Knex
            builders, `pg`/`mysql2`/`asyncpg`/`psycopg`/`sqlite3` queries), per-item writes
            (`save()`, `update()`), and querysets iterated inside another loop. Loops include
            comprehensions, generator expressions, `for await`, iteration callbacks
            (`items.map(async …)`, `forEach`) and `Promise.all(items.map(…))`, which still sends
            one query per item. A loop that calls a project function that queries (in any
            file, any number of calls deep, model methods included) is reported at the call,
            with the chain of calls down to the query.
        """,
        why="""
            Each query is a round trip to the database: network latency, parsing, planning and
            locking, typically 0.5-5 ms even when the row is cached. A loop over 1,000 items
            pays it 1,000 times where one batched query pays it once, so the page or job slows
            down linearly with the data and the database does far more work. The cost is
            negligible only when the loop is known to be tiny; loops over small literal
            collections, `while` loops (retries, pagination), and loops that stop right after
            the query (a `break`/`return` follows it) are not reported.
        """,
        instead="""
            Load everything the loop needs before it, with one query, and look items up in a
            dict: `filter(pk__in=ids)` / `in_bulk(ids)` (Django), `where(Model.id.in_(ids))`
            (SQLAlchemy), `findAll({ where: { id: ids } })` (Sequelize),
            `findMany({ where: { id: { in: ids } } })` (Prisma), `find({ _id: { $in: ids } })`
            (Mongoose), `findBy({ id: In(ids) })` (TypeORM), `whereIn` (Knex),
            `WHERE id = ANY($1)` (SQL). Compute counts and totals with one grouped query or
            `annotate(…)`, and write with `bulk_create`/`bulk_update`/`bulkCreate`/`updateMany`.
            For a helper, add a batched variant that takes all ids.
        """,
        options="""
            `include-tests` (default `false`): also report in test code (`tests/` and `test/`
            folders, `test_*.py`, `*_test.py`, `conftest.py`, `*.test.ts`, `*.spec.js`, …).
            `max-helper-queries` (default 6): a helper called in a loop is reported when it
            reaches at most this many different queries; one that runs more is a whole unit of
            work per item (processing a message, placing an order) that a batched query cannot
            replace. Django migrations are never reported: they run once. Your own query functions
            are declared in the config (`[[catalog.queries]] call = "db.fetch_one"`,
            `batch = "db.fetch_many"`) and then count as queries everywhere.
        """,
    )
    valid = VALID
    invalid = INVALID
    default_options: ClassVar[Mapping[str, Any]] = {"include-tests": False, "max-helper-queries": 6}

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        analysis = ctx.project.derived("n-plus-one:analysis", lambda p: Analysis(p, ctx.catalogs))
        graph = ctx.graph
        seen: set[tuple] = set()
        for path in ctx.targets():
            facts = ctx.project.files[path]
            if not reportable(facts, bool(self.options.get("include-tests"))):
                continue
            for call in facts.calls:
                args = (call_arguments(facts, call),)
                loops = repeating_loops(facts, call.func, call.loop, call_exit(facts, call), args)
                if not loops:
                    continue
                for finding in self._call(analysis, graph, facts, call, loops, ctx):
                    key = (path, loops[0].id, finding.message.split("`", 2)[1])
                    if key not in seen:  # the same query written twice in one loop (if/else branches)
                        seen.add(key)
                        yield finding
            yield from self._iterations(analysis, facts)

    def _call(self, analysis: Analysis, graph: CallGraph, facts: FileFacts, call: Call, loops: list[Loop],
              ctx: ProjectContext) -> Iterable[Finding]:
        outcome = analysis.call(facts, call)
        context = ctx.project.display_name(FunctionRef(facts.path, call.func))
        query = site_query(ctx.project, facts, call, ctx.catalogs)
        if query is not None:
            yield self.make(
                path=facts.path, span=call.span, context=context, chain=(loop_step(facts.path, loops[0]),),
                message=f"`{query.label}` runs a query for every item {loop_where(loops[0])}; "
                        f"{query.event.remedy}.")
            return
        if outcome.events:
            return  # a relation load: lazy-relation-in-loop
        consumed = self._consumed(analysis, facts, call)
        if consumed:
            yield self.make(
                path=facts.path, span=call.span, context=context, chain=(loop_step(facts.path, loops[0]),),
                message=f"`{code(call_text(facts, call))}(…)` evaluates the query `{consumed}` for every "
                        f"item {loop_where(loops[0])}; load the rows for all items in one query before the loop.")
            return
        for ref, via in helper_targets(analysis, graph, facts, call, outcome):
            if not 0 < len(graph.reach(ref, "db-query")) <= int(self.options.get("max-helper-queries", 6)):
                continue  # no query, or a whole unit of work per item (many different queries)
            found = query_chain(analysis, graph, ref, via)
            if found is None:
                continue
            chain, site, remedy = found
            helper = ctx.project.display_name(ref)
            target = ctx.project.files[site.path].calls[site.call]
            yield self.make(
                path=facts.path, span=call.span, context=context, chain=chain,
                message=f"`{helper}()` runs a query (`{site.label}`, {site.path}:{target.span.start.line + 1}) "
                        f"for every item {loop_where(loops[0])}; give it a batched variant for all items: "
                        f"{remedy}.")
            return

    def _consumed(self, analysis: Analysis, facts: FileFacts, call: Call) -> str:
        """`len(qs)`, `list(qs)`: a builtin that evaluates a lazy queryset given to it."""
        if call.callee.steps or call.callee.root not in analysis.orm.consumers or not call.args:
            return ""
        arg = call.args[0]
        if arg.value is None or arg.name is not None:
            return ""
        outcome = analysis.value(facts, call.func, arg.value)
        state = outcome.state
        kind = analysis.orm.kinds.get(state.kind) if state is not None else None
        if kind is None or not kind.iterate_query or state.executed or outcome.events:
            return ""
        return code(arg.text)

    def _iterations(self, analysis: Analysis, facts: FileFacts) -> Iterable[Finding]:
        """A lazy queryset iterated by a loop nested in another loop: one query per outer item."""
        for loop in facts.loops:
            if loop.iterable is None or loop.kind not in ("for", "for-of", "comprehension"):
                continue
            outer = repeating_loops(facts, loop.func, loop.parent)
            if not outer:
                continue
            outcome = analysis.value(facts, loop.func, loop.iterable)
            state = outcome.state
            kind = analysis.orm.kinds.get(state.kind) if state is not None else None
            if kind is None or not kind.iterate_query or state.executed or outcome.events:
                continue
            fw = analysis.orm.framework(kind.name)
            yield self.make(
                path=facts.path, span=loop.header, chain=(loop_step(facts.path, outer[0]),),
                context=analysis.project.display_name(FunctionRef(facts.path, loop.func)),
                message=f"Iterating `{code(loop.iter_text)}` runs a query for every item {loop_where(outer[0])}; "
                        f"{fw.remedy(kind.name)}.")
