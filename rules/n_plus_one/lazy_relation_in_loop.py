"""`lazy-relation-in-loop`: a relation loaded once per item because the query did not load it."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from perfsense.rules.n_plus_one.analysis import Analysis, code, loop_step, loop_where
from perfsense.rules.n_plus_one.collect import Collected, collect
from perfsense.rules.n_plus_one.evaluate import Event, Outcome
from perfsense.rules.n_plus_one.examples_lazy import INVALID, VALID
from perfsense.rules.n_plus_one.helpers import instance_method
from perfsense.rules.n_plus_one.sources import call_exit, call_text, collected, repeating_loops, reportable
from perfsense.scanner.engine.rule import Docs, FileContext, ProjectContext, ProjectRule
from perfsense.scanner.facts.model import FileFacts, Loop, Step, Value
from perfsense.scanner.model import Category, ChainStep, Confidence, Finding, Location, Severity, Span
from perfsense.scanner.project import FunctionRef


class LazyRelationInLoop(ProjectRule):
    id = "lazy-relation-in-loop"
    name = "LazyRelationInLoop"
    category = Category.N_PLUS_ONE
    severity = Severity.WARNING
    confidence = Confidence.HIGH
    summary = "A related object is lazy-loaded with one query per item of a loop over query results."
    tags = ("database", "orm", "n-plus-one")
    docs = Docs(
        what="""
            Follows the rows of a query into the loop that goes over them and finds relations
            read on each row that the query did not load: Django foreign keys and one-to-one
            fields (`order.customer.name`), reverse and many-to-many managers
            (`order.items.all()`, `.count()`), generic foreign keys, SQLAlchemy `relationship()`
            attributes with the default lazy loading, TypeORM lazy relations
            (`customer: Promise<Customer>`), Sequelize association getters
            (`order.getUser()`), including relations read inside model properties, methods and
            `__str__` used in the loop. Relations come from the project's models
            (`models.py` files, declarative classes), so a nested `item.product.name` in a loop
            over `order.items.all()` is followed too. It stays silent when the query loads the
            relation: `select_related`, `prefetch_related`, `Prefetch(…)` (also added in a later
            `qs = qs.select_related(…)`), `.values()`/`.values_list()` rows, SQLAlchemy
            `joinedload`/`selectinload`/`subqueryload`/`contains_eager`/`raiseload` options or
            an eager `lazy=` strategy on the relationship, TypeORM `relations`.
        """,
        why="""
            Reading an unloaded relation runs a query, silently, for every row: a list of 200
            orders that shows each customer's name costs 201 queries instead of one or two.
            This is the classic N+1 problem; it grows with the data and is invisible in code
            review. The cost is negligible only for loops over a handful of rows.
        """,
        instead="""
            Load the relation with the query that fetches the rows: `select_related('customer')`
            for foreign keys and one-to-one fields, `prefetch_related('items')` (or
            `Prefetch('items', queryset=…)`) for reverse and many-to-many relations,
            `annotate(Count('items'))` for counts; in SQLAlchemy
            `.options(selectinload(Order.lines), joinedload(Order.customer))`; in Sequelize
            `include` the association and read `order.User`.
        """,
        options="""
            `include-tests` (default `false`): also report in test code (`tests/` and `test/`
            folders, `test_*.py`, `*_test.py`, `conftest.py`, `*.test.ts`, `*.spec.js`, …).
            Django migrations are never reported: they run once. Your own query functions
            are declared in the config (`[[catalog.queries]] call = "db.fetch_one"`,
            `batch = "db.fetch_many"`) and then count as queries everywhere.
        """,
    )
    valid = VALID
    invalid = INVALID
    default_options: ClassVar[Mapping[str, Any]] = {"include-tests": False}

    def collect(self, ctx: FileContext) -> Collected:
        return collect(ctx)

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        analysis = ctx.project.derived("n-plus-one:analysis", lambda p: Analysis(p, ctx.catalogs))
        for path in ctx.targets():
            facts = ctx.project.files[path]
            if not reportable(facts, bool(self.options.get("include-tests"))):
                continue
            seen: set[tuple] = set()
            sites = self._sites(facts)
            for func, loop, value, called, span, text, exit_kind, awaited, call in sites:
                loops = repeating_loops(facts, func, loop, exit_kind)
                if not loops:
                    continue
                if call is not None:
                    text = call_text(facts, call)  # (only for sites that repeat: it is for messages)
                if called:
                    outcome = analysis.value_called(facts, func, value, awaited)
                else:
                    outcome = analysis.value(facts, func, value)
                events = [e for e in outcome.at_site(called) if e.lazy]
                context = ctx.project.display_name(FunctionRef(path, func))
                for event in events:
                    key = (loops[0].id, event.relation, event.owner)
                    if key not in seen:
                        seen.add(key)
                        yield self._finding(analysis, path, span, text, called, event, loops[0], context)
                if not outcome.events:
                    yield from self._inlined(analysis, facts, func, value, outcome, span, text, called,
                                             loops[0], context, seen)

    def _sites(self, facts: FileFacts) -> list[tuple]:
        """(func, loop, value, called, span, text, exit, awaited, call) of reads and calls in
        loops; a called site's text is left to the caller (`call`), which needs it rarely."""
        out: list[tuple] = []
        coll = collected(facts)
        for read in coll.reads:
            if read.loop is not None:
                out.append((read.func, read.loop, read.value, False, read.span, read.text, read.exit, False, None))
        for call in facts.calls:
            if call.callee.root == "str" and not call.callee.steps and call.args and call.args[0].value:
                value = call.args[0].value.extend(Step("__str__"))
                out.append((call.func, call.loop, value, False, call.span, f"str({call.args[0].text})",
                            call_exit(facts, call), False, None))
                continue
            out.append((call.func, call.loop, call.callee, True, call.span, "", call_exit(facts, call),
                        call.awaited or call.returned, call))
        return sorted(out, key=lambda site: (site[4].start, not site[3]))

    def _finding(self, analysis: Analysis, path: str, span: Span, text: str, called: bool, event: Event,
                 loop: Loop, context: str, chain: tuple[ChainStep, ...] = ()) -> Finding:
        label = code(text) + ("()" if called else "")
        target = analysis.model_name(event.target)
        if event.kind == "django.related":
            what = f"runs a query on the `{event.relation}` relation"
        elif event.framework == "sequelize":
            what = "runs an association query"
        else:
            what = f"loads the related `{target or event.relation}` with one query"
        chain = chain or (loop_step(path, loop),)
        return self.make(path=path, span=span, context=context, chain=chain,
                         message=f"`{label}` {what} for every item {loop_where(loop)}; {event.remedy}.")

    def _inlined(self, analysis: Analysis, facts: FileFacts, func: int, value: Value, outcome: Outcome,
                 span: Span, text: str, called: bool, loop: Loop, context: str,
                 seen: set[tuple]) -> Iterable[Finding]:
        """A model property, method or `__str__` used on an element: relations it reads on
        `self`, reported once at the use with every relation it loads."""
        ref = instance_method(analysis, outcome)
        if ref is None or outcome.stopped < 0:
            return
        full = analysis.resolved(facts, func, value)
        resolved = Value(full.root, full.steps[:outcome.stopped])
        inner = analysis.project.files[ref.path]
        name = analysis.project.display_name(ref)
        events: list[Event] = []
        chain: list[ChainStep] = []
        for inner_value, inner_span, inner_called in _self_uses(inner, ref.id):
            substituted = Value(resolved.root, resolved.steps + inner_value.steps)
            for event in analysis.evaluate_in(facts, func, substituted, inner_called).at_site(inner_called):
                key = (loop.id, event.relation, event.owner)
                if event.lazy and key not in seen:
                    seen.add(key)
                    events.append(event)
                    chain.append(ChainStep(location=Location(ref.path, inner_span),
                                           message=f"`{name}` reads `self.{_path_text(inner_value)}` here"))
        if not events:
            return
        label = code(text) + ("()" if called else "")
        names = [f"`{e.relation}`" for e in events]
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        noun = "relation" if len(names) == 1 else "relations"
        yield self.make(
            path=facts.path, span=span, context=context, chain=tuple(chain),
            message=f"`{label}` reads the {listed} {noun} (in `{name}`), one query each, for every item "
                    f"{loop_where(loop)}; {_remedies(events)}.")


def _remedies(events: list[Event]) -> str:
    select = [e.relation for e in events if e.framework == "django" and "select_related" in e.remedy]
    prefetch = [e.relation for e in events if e.framework == "django" and "prefetch_related" in e.remedy
                and e.relation not in select]
    parts = []
    if select:
        parts.append("`select_related(" + ", ".join(f"'{p}'" for p in select) + ")`")
    if prefetch:
        parts.append("`prefetch_related(" + ", ".join(f"'{p}'" for p in prefetch) + ")`")
    others = list(dict.fromkeys(e.remedy for e in events if e.framework != "django"))
    out = "add " + " and ".join(parts) + " to the queryset" if parts else ""
    return "; ".join([p for p in [out, *others] if p])


def _self_uses(facts: FileFacts, func: int) -> list[tuple[Value, Span, bool]]:
    out: list[tuple[Value, Span, bool]] = []
    for read in collected(facts).reads:
        if read.func == func and read.value.root == "self":
            out.append((read.value, read.span, False))
    for call in facts.calls:
        if call.func == func and call.callee.root == "self":
            out.append((call.callee, call.span, True))
    return out


def _path_text(value: Value) -> str:
    return ".".join(step.name for step in value.steps if step.name and not step.index)
