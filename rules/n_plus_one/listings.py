"""List endpoints and pages that render every object of a queryset: DRF serializers used
by list views (or with `many=True`) and Django admin changelists (`list_display`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from perfsense.rules.n_plus_one.analysis import Analysis
from perfsense.rules.n_plus_one.eager import ALL, django_lookups
from perfsense.rules.n_plus_one.models import ModelKey, model_of_name
from perfsense.rules.n_plus_one.sources import collected, eager_hook
from perfsense.scanner.facts.model import Call, ClassFact, FileFacts, Step, Value
from perfsense.scanner.patterns import PatternSet
from perfsense.scanner.project import FunctionRef

SERIALIZERS = PatternSet(["rest_framework.serializers.*Serializer", "rest_framework.serializers.Serializer"])
LIST_VIEWS = PatternSet(["rest_framework.viewsets.*ViewSet", "rest_framework.generics.List*",
                         "rest_framework.generics.*ListAPIView", "rest_framework.generics.ListCreateAPIView",
                         "rest_framework.mixins.ListModelMixin"])
ADMINS = PatternSet(["django.contrib.admin.ModelAdmin", "django.contrib.admin.options.ModelAdmin",
                     "django.contrib.gis.admin.*Admin"])
METHOD_FIELDS = PatternSet(["rest_framework.serializers.SerializerMethodField"])


@dataclass(frozen=True, slots=True)
class Listing:
    """Where objects of a queryset are rendered one by one."""

    path: str
    func: int  # function whose context evaluates the queryset (module for class attributes)
    queryset: Value  # resolved
    eager: frozenset[str]  # loaders written around it
    where: str  # `OrderViewSet` / `OrderSerializer(…, many=True)` in `export()`


def class_key(path: str, cls: ClassFact) -> tuple[str, str]:
    return path, cls.qualname


def based_on(analysis: Analysis, path: str, cls: ClassFact, patterns: PatternSet) -> bool:
    project = analysis.project
    for klass, owner in project.class_chain(path, cls):
        for base in klass.bases:
            if patterns.match(project.resolve(base, owner).text):
                return True
    return False


def attribute(cls: ClassFact, name: str) -> Value | None:
    values = [v for n, v, _t in cls.attributes if n == name]
    return values[-1] if values else None


def inner_class(facts: FileFacts, cls: ClassFact, name: str) -> ClassFact | None:
    return next((c for c in facts.classes if c.qualname == f"{cls.qualname}.{name}"), None)


def meta_model(analysis: Analysis, path: str, cls: ClassFact) -> ModelKey | None:
    for klass, owner in analysis.project.class_chain(path, cls):
        meta = inner_class(analysis.project.files[owner], klass, "Meta")
        value = attribute(meta, "model") if meta is not None else None
        if value is not None:
            found = analysis.project.class_of(analysis.project.resolve(value, owner))
            key = (found[1], found[0].qualname) if found is not None else None
            return key if key in analysis.index.models else None
    return None


def field_call(facts: FileFacts, cls: ClassFact, value: Value, used: set[int]) -> Call | None:
    """The call in the class body that made a class attribute (for its position)."""
    if not value.steps or not value.steps[-1].call:
        return None
    args = value.steps[-1].args
    for call in facts.calls:
        if call.id not in used and cls.span.contains(call.span) and call.callee.text == callee_of(value).text \
                and tuple(a.text for a in call.args) == args:
            used.add(call.id)
            return call
    return None


def callee_of(value: Value) -> Value:
    """`a.b.F` for the value `a.b.F(…)`."""
    last = value.steps[-1]
    return Value(value.root, value.steps[:-1] + ((Step(last.name),) if last.name else ()))


def view_listings(analysis: Analysis, serializer: Value) -> list[Listing]:
    """List views that serialize with `serializer`, and `Serializer(qs, many=True)` calls."""
    out: list[Listing] = []
    project = analysis.project
    target = project.resolve(serializer, "").text
    for path in sorted(project.files):
        facts = project.files[path]
        for cls in facts.classes:
            value = attribute(cls, "serializer_class")
            if value is None or project.resolve(value, path).text != target:
                continue
            if not based_on(analysis, path, cls, LIST_VIEWS):
                continue
            out.extend(_class_querysets(analysis, path, cls))
        for call in facts.calls:
            if project.resolve(call.callee, path, call.func).text != target or not call.args:
                continue
            if not any(a.name == "many" and a.text.endswith("True") for a in call.args):
                continue
            first = call.args[0]
            if first.name is None and first.value is not None:
                hook = eager_hook(project, facts, call.func, analysis.orm)
                value = analysis.resolved(facts, call.func, first.value)
                name = project.display_name(FunctionRef(path, call.func))
                out.append(Listing(path, call.func, value, hook(value), f"`{name}()`"))
    return out


def _class_querysets(analysis: Analysis, path: str, cls: ClassFact) -> list[Listing]:
    """The queryset a view class lists: its `queryset` attribute and what `get_queryset`
    returns, with the loaders written in the class."""
    project = analysis.project
    facts = project.files[path]
    values: list[tuple[int, Value]] = []
    method = next((fid for name, fid in cls.methods if name == "get_queryset"), None)
    if method is None or _uses_base_queryset(facts, method):
        for klass, owner in project.class_chain(path, cls):
            value = attribute(klass, "queryset")
            if value is not None:
                values.append((0, project.resolve(value, owner)))
                break
    if method is not None:
        for call in facts.calls:
            if call.func == method and call.returned:
                returned = call.callee.extend(Step(call=True, args=tuple(a.text for a in call.args)))
                values.append((method, project.resolve(returned, path, method)))
    eager: set[str] = set()
    for call in facts.calls:
        if cls.span.contains(call.span) and call.name in ("select_related", "prefetch_related"):
            eager |= django_lookups(tuple(a.text for a in call.args))
        elif cls.span.contains(call.span) and call.name == "Prefetch":
            eager.add(call.args[0].literal if call.args and call.args[0].literal else ALL)
    return [Listing(path, func, value, frozenset(eager), f"`{cls.name}`") for func, value in values
            if value.steps]


def admin_listing(analysis: Analysis, path: str, cls: ClassFact) -> tuple[ModelKey, Listing] | None:
    """The changelist of a `ModelAdmin`: the model it is registered for, its default
    queryset and what `list_select_related` (or Django's own select of the foreign keys
    named in `list_display`) loads."""
    project = analysis.project
    key = _registered_model(analysis, path, cls)
    if key is None:
        return None
    model = analysis.index.models[key]
    module = project.files[key[0]].module
    queryset = Value(f"{module}.{key[1]}", (Step("_default_manager"), Step("all", call=True)))
    eager: set[str] = set()
    related = _text_attr(cls, "list_select_related")
    if related is not None:
        eager |= {ALL} if "True" in related else set(_QUOTED.findall(related))
    else:
        eager |= {n for n in list_display(cls) if (r := analysis.index.relation(key, n)) and not r.many}
    for call in project.files[path].calls:
        if cls.span.contains(call.span) and call.name in ("select_related", "prefetch_related"):
            eager |= django_lookups(tuple(a.text for a in call.args))
    return key, Listing(path, 0, queryset, frozenset(eager), f"the `{cls.name}` changelist ({model.name})")


_QUOTED = re.compile(r"""['"]([\w.]+)['"]""")


def list_display(cls: ClassFact) -> list[str]:
    text = _text_attr(cls, "list_display")
    return _QUOTED.findall(text) if text else []


def _text_attr(cls: ClassFact, name: str) -> str | None:
    for attr, _value, text in cls.attributes:
        if attr == name:
            return text.split("=", 1)[1] if "=" in text else ""
    return None


def _registered_model(analysis: Analysis, path: str, cls: ClassFact) -> ModelKey | None:
    project = analysis.project
    candidates: list[Value] = []
    for decorator in cls.decorators:
        if decorator.steps and decorator.steps[-1].name == "register" and decorator.steps[-1].call:
            candidates.extend(Value(a) for a in decorator.steps[-1].args[:1])
    facts = project.files[path]
    for call in facts.calls:
        if call.name == "register" and len(call.args) >= 2 and call.args[1].text == cls.name and call.args[0].value:
            candidates.append(call.args[0].value)
    for value in candidates:
        key = model_of_name(analysis.index, project, path, value.text) if not value.steps else None
        found = key or _class_key(analysis, path, value)
        if found is not None:
            return found
    return None


def _class_key(analysis: Analysis, path: str, value: Value) -> ModelKey | None:
    found = analysis.project.class_of(analysis.project.resolve(value, path))
    key = (found[1], found[0].qualname) if found is not None else None
    return key if key in analysis.index.models else None


def _uses_base_queryset(facts: FileFacts, method: int) -> bool:
    """`get_queryset` starts from `super().get_queryset()` or `self.queryset`."""
    if any(c.func == method and c.callee.text.startswith("super().get_queryset") for c in facts.calls):
        return True
    return any(r.func == method and r.value.root == "self" and r.value.steps[:1] == (Step("queryset"),)
               for r in collected(facts).reads)
