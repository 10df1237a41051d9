"""`query-per-listed-object`: serializer fields and admin columns that query per object."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from perfsense.rules.n_plus_one.analysis import Analysis, code, site_query
from perfsense.rules.n_plus_one.evaluate import Context, Event, evaluate
from perfsense.rules.n_plus_one.examples_listed import INVALID, VALID
from perfsense.rules.n_plus_one.listings import (
    ADMINS,
    METHOD_FIELDS,
    SERIALIZERS,
    Listing,
    admin_listing,
    based_on,
    callee_of,
    field_call,
    list_display,
    meta_model,
    view_listings,
)
from perfsense.rules.n_plus_one.models import ModelKey
from perfsense.rules.n_plus_one.sources import ELEMENT, call_text, collected, reportable
from perfsense.scanner.engine.rule import Docs, ProjectContext, ProjectRule
from perfsense.scanner.facts.model import ClassFact, FileFacts, Step, Value
from perfsense.scanner.model import Category, Confidence, Finding, Severity, Span
from perfsense.scanner.project import FunctionRef

Use = tuple[Value, Span, bool, str]  # steps after the object, where, called, source text


class QueryPerListedObject(ProjectRule):
    id = "query-per-listed-object"
    name = "QueryPerListedObject"
    category = Category.N_PLUS_ONE
    languages = ("python",)
    severity = Severity.WARNING
    confidence = Confidence.MEDIUM
    summary = "A serializer field or admin column runs a query for every object a list view renders."
    tags = ("database", "orm", "n-plus-one", "django-rest-framework", "django-admin")
    docs = Docs(
        what="""
            Finds Django REST framework serializers used by list views (a viewset or
            `List…APIView` with `serializer_class`, or `Serializer(queryset, many=True)`)
            whose `SerializerMethodField` methods query (`obj.items.count()`,
            `Review.objects.filter(book=obj)`), whose `source="customer.email"` fields or nested
            serializers read relations, when the view's queryset does not load them; and Django
            admin `list_display` methods that read relations the changelist does not select
            (`list_select_related`). The finding is at the query in the method, or at the field.
        """,
        why="""
            The serializer or the admin column runs once per object of the page: a list of 100
            orders costs 100 extra queries per request, and pages grow slower as data grows.
            The cost is negligible for endpoints that only ever return a few objects.
        """,
        instead="""
            Load what the fields need in the view's queryset: `select_related('customer')`,
            `prefetch_related('items')`, or `annotate(item_count=Count('items'))` and read the
            annotation in the field; in the admin, set `list_select_related` or override
            `get_queryset`.
        """,
        options="""
            `include-tests` (default `false`): also report serializers and admins in test code.
        """,
    )
    valid = VALID
    invalid = INVALID
    default_options: ClassVar[Mapping[str, Any]] = {"include-tests": False}

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        self._seen: set[tuple] = set()
        analysis = ctx.project.derived("n-plus-one:analysis", lambda p: Analysis(p, ctx.catalogs))
        for path in ctx.targets():
            facts = ctx.project.files[path]
            if facts.language != "python" or not reportable(facts, bool(self.options.get("include-tests"))):
                continue
            for cls in facts.classes:
                if based_on(analysis, path, cls, SERIALIZERS):
                    yield from self._serializer(analysis, facts, cls)
                elif based_on(analysis, path, cls, ADMINS):
                    yield from self._admin(analysis, facts, cls)

    def _serializer(self, analysis: Analysis, facts: FileFacts, cls: ClassFact) -> Iterable[Finding]:
        model = meta_model(analysis, facts.path, cls)
        if model is None:
            return
        listings = [lst for lst in view_listings(analysis, Value(f"{facts.module}.{cls.qualname}"))]
        if not listings:
            return
        what = f"`{cls.name}` serializes"
        done: set[str] = set()
        for klass, owner in analysis.project.class_chain(facts.path, cls):
            yield from self._fields(analysis, analysis.project.files[owner], klass, model, listings, what, done)

    def _fields(self, analysis: Analysis, facts: FileFacts, cls: ClassFact, model: ModelKey,
                listings: list[Listing], what: str, done: set[str]) -> Iterable[Finding]:
        """The declared fields of one class of a serializer's hierarchy (subclasses first)."""
        used: set[int] = set()
        seen = self._seen
        for name, value, _text in cls.attributes:
            if name in done or value is None or not value.steps or not value.steps[-1].call:
                continue
            done.add(name)
            callee = callee_of(analysis.project.resolve(value, facts.path))
            call = field_call(facts, cls, value, used)
            if METHOD_FIELDS.match(callee.text):
                method = _method_name(value) or f"get_{name}"
                ref = _method(analysis, facts.path, cls, method)
                if ref is not None:
                    owner = analysis.project.files[ref.path]
                    for use in _object_uses(owner, ref.id):
                        yield from self._check(analysis, ref.path, use, listings, what, seen)
                    yield from self._queries(analysis, owner, ref.id, listings[0], what, seen)
            elif call is not None:
                source = _source(value) or name
                steps = tuple(Step(part) for part in source.split(".") if part and part != "*")
                nested = analysis.project.class_of(callee) is not None
                rel = analysis.index.relation(model, steps[0].name) if steps else None
                if nested and rel is not None and rel.many:
                    steps = steps + (Step("all"),)
                label = f"{name} = {code(call_text(facts, call))}(…)"
                use = (Value("obj", steps), call.span, nested and steps[-1].name == "all", label)
                if steps and ("." in source or nested):
                    yield from self._check(analysis, facts.path, use, listings, what, seen)

    def _admin(self, analysis: Analysis, facts: FileFacts, cls: ClassFact) -> Iterable[Finding]:
        found = admin_listing(analysis, facts.path, cls)
        if found is None:
            return
        _key, listing = found
        seen: set[tuple] = set()
        for column in list_display(cls):
            func = next((fid for m, fid in cls.methods if m == column), None)
            if func is not None:
                for use in _object_uses(facts, func):
                    yield from self._check(analysis, facts.path, use, [listing], "the admin lists", seen)

    def _queries(self, analysis: Analysis, facts: FileFacts, func: int, listing: Listing, what: str,
                 seen: set[tuple]) -> Iterable[Finding]:
        """Explicit queries in a field method (`Review.objects.filter(book=obj).count()`)."""
        for call in facts.calls:
            if call.func != func or call.callee.root.startswith("param:"):
                continue
            query = site_query(analysis.project, facts, call, analysis.catalogs)
            if query is not None and (facts.path, call.span, query.label) not in seen:
                seen.add((facts.path, call.span, query.label))
                yield self._finding(analysis, facts.path, call.span, query.label, query.event, listing, what)

    def _check(self, analysis: Analysis, path: str, use: Use, listings: list[Listing], what: str,
               seen: set[tuple]) -> Iterable[Finding]:
        value, span, called, text = use
        for listing in listings:
            facts = analysis.project.files[listing.path]
            eager = listing.eager
            ctx = Context(analysis.project, facts, listing.func, analysis.orm, analysis.index,
                          lambda _prefix, eager=eager: eager)
            element = listing.queryset.extend(ELEMENT)
            outcome = evaluate(ctx, Value(element.root, element.steps + value.steps), called=called)
            for event in outcome.at_site(called):
                key = (path, span, event.relation or event.method)
                if key in seen:
                    continue
                seen.add(key)
                yield self._finding(analysis, path, span, text, event, listing, what)
            if outcome.events:
                return

    def _finding(self, analysis: Analysis, path: str, span: Span, text: str, event: Event, listing: Listing,
                 what: str) -> Finding:
        remedy = event.remedy.replace("to the queryset", "to the view's queryset") if event.lazy else \
            "annotate the value on the view's queryset, or prefetch what the field needs"
        return self.make(
            path=path, span=span, context=analysis.project.display_name(FunctionRef(path, 0)),
            message=f"`{text}` runs a query for every object {what} in {listing.where} "
                    f"(queryset `{code(_text(listing.queryset))}`); {remedy}.")


def _object_uses(facts: FileFacts, func: int) -> list[Use]:
    """Reads and calls on the object parameter of a `get_<field>(self, obj)` method."""
    fn = facts.functions[func]
    if len(fn.params) < 2:
        return []
    obj = fn.params[1]
    out: list[Use] = []
    for read in collected(facts).reads:
        if read.func == func and read.value.root == obj:
            out.append((Value("obj", read.value.steps), read.span, False, code(read.text)))
    for call in facts.calls:
        if call.func == func and call.callee.root == f"param:{obj}":
            out.append((Value("obj", call.callee.steps), call.span, True, code(call_text(facts, call)) + "()"))
    return out


def _method(analysis: Analysis, path: str, cls: ClassFact, name: str) -> FunctionRef | None:
    for klass, owner in analysis.project.class_chain(path, cls):
        for method, func_id in klass.methods:
            if method == name:
                return FunctionRef(owner, func_id)
    return None


def _method_name(value: Value) -> str:
    for arg in value.steps[-1].args:
        if arg.startswith("method_name="):
            return arg.split("=", 1)[1].strip("'\"")
    return ""


def _source(value: Value) -> str:
    for arg in value.steps[-1].args:
        if arg.startswith("source="):
            return arg.split("=", 1)[1].strip("'\"")
    return ""


def _text(value: Value) -> str:
    root = value.root.rsplit(".", 1)[-1]
    return root + Value("", value.steps).full_text
