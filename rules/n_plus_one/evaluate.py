"""What a value means to the database: a symbolic walk over its steps.

`Order.objects.filter(…)` is a Django queryset of `Order`; `[*]` an element of it;
`.customer` a foreign key read that loads a row unless the queryset selected it;
`prisma.user.findUnique` a query. The walk starts from a database handle (catalog
`handles`), a project model class, `self` in a model method, or a to-many relation name
on an unknown object (`customer.orders.filter(…)`), and follows the catalog's kinds.
It reports the first round trip (an `Event`) and the state reached.
"""
from __future__ import annotations

from dataclasses import replace

from perfsense.rules.n_plus_one.catalog import Kind
from perfsense.rules.n_plus_one.eager import ALL, django_lookups
from perfsense.rules.n_plus_one.relations import (
    django_related,
    django_relation,
    sqlalchemy_chain,
    sqlalchemy_relation,
    typeorm_chain,
    typeorm_relation,
)
from perfsense.rules.n_plus_one.state import Context, Event, Outcome, Result, State, batched_args
from perfsense.scanner.facts.model import Step, Value

__all__ = ["Context", "Event", "Outcome", "State", "evaluate"]


def evaluate(ctx: Context, value: Value, called: bool = False, awaited: bool = False,
             arguments: str = "") -> Outcome:
    """The database round trips along `value` (called as a function when `called`, with
    the argument source text `arguments` when known)."""
    value = _normalise(value)
    if called and ctx.orm.custom:
        batch = ctx.orm.custom_query(value.text)
        if batch is not None:
            remedy = f"call `{batch}` once for all items before the loop" if batch else \
                "load the data for all items in one call before the loop"
            index = len(value.steps) - 1 if value.steps and not value.steps[-1].call else len(value.steps)
            return Outcome((Event(index, False, "custom", "custom", value.text, remedy),), None, index + 1)
    start = _start(ctx, value, called)
    if start is None:
        return Outcome((), None)
    state: State | None = start[0]
    steps = list(value.steps)
    if called and steps and not steps[-1].call and not steps[-1].index:
        steps[-1] = Step(steps[-1].name, call=True, args=())
    elif called:
        steps.append(Step(call=True))
    events: list[Event] = []
    stopped, before = -1, None
    for i in range(start[1], len(steps)):
        if state is None:
            break
        previous = state
        last = i == len(steps) - 1
        event, state = _step(ctx, value, steps, i, state, awaited and last, arguments if last else "")
        if event is not None:
            events.append(event)
        if state is None:
            stopped, before = (i, previous) if event is None else (-1, None)
            break
    star = max((i for i, step in enumerate(steps) if step.index and step.name == "*"), default=-1)
    name = steps[stopped].name if stopped >= 0 else ""
    return Outcome(tuple(events), state, len(steps), star, stopped, before, name)


def _normalise(value: Value) -> Value:
    """`require('knex')(cfg)` -> `knex()`."""
    if value.root == "require" and value.steps and value.steps[0].call and value.steps[0].args:
        name = value.steps[0].args[0].strip("'\"`")
        return Value(name, value.steps[1:])
    return value


def _start(ctx: Context, value: Value, called: bool = False) -> tuple[State, int] | None:
    root = value.root
    if root in ("self", "cls", "this"):
        cls = ctx.project.enclosing_class(ctx.facts.path, ctx.func)
        if cls is None:
            return None
        key = (_class_path(ctx, cls), cls.qualname)
        model = ctx.index.get(key)
        if model is None:
            return None
        fw = ctx.orm.frameworks[model.framework]
        kind = fw.data.get("model_kind" if root == "cls" else "instance_kind")
        return (State(kind, key, frozenset({ALL})), 0) if kind else None
    found = ctx.project.class_of(Value(root)) if "." in root or ":" in root else None
    if found is not None:
        key = (found[1], found[0].qualname)
        model = ctx.index.get(key)
        if model is None:
            return None
        fw = ctx.orm.frameworks[model.framework]
        if value.steps and value.steps[0].call and not value.steps[0].name:
            kind = fw.data.get("instance_kind")
            return (State(kind, key, frozenset({ALL})), 1) if kind else None
        kind = fw.data.get("model_kind")
        return (State(kind, key), 0) if kind else None
    if ctx.family == "python":
        found_model = _django_lookup(ctx, value)
        if found_model is not None:
            return found_model
    handles = ctx.orm.handles.get(ctx.family, [])
    for k in range(len(value.steps) + 1):
        text = Value(root, value.steps[:k]).text
        for patterns, kind in handles:
            if patterns.match(text):
                return State(kind), k
        if k == 0 and not _may_be_handle(ctx, root):
            break
    if ctx.family == "python" and value.steps and not value.steps[0].call and not value.steps[0].index:
        return _duck_related(ctx, value, called)
    return None


def _django_lookup(ctx: Context, value: Value) -> tuple[State, int] | None:
    """`apps.get_model("shop", "Order")` / `get_user_model()` (a model by name), or a model
    class of another package followed by a manager (`Group.objects`)."""
    fw = ctx.orm.frameworks.get("django")
    if fw is None:
        return None
    lookups = set(fw.data.get("model_lookups") or ())
    steps = value.steps
    for k, step in enumerate(steps[:3]):
        name = step.name or (value.root.rsplit(".", 1)[-1] if k == 0 else "")
        if step.call and name in lookups:
            literals = [a.strip("'\"") for a in step.args if a[:1] in "'\""]
            target = literals[-1].rsplit(".", 1)[-1] if literals else ("User" if name == "get_user_model" else "")
            keys = [key for key in ctx.index.by_name.get(target, ()) if ctx.index.models[key].framework == "django"]
            return State("django.model", keys[0] if len(keys) == 1 else None), k + 1
    if steps and not steps[0].call and steps[0].name in ("objects", "_default_manager") \
            and fw.patterns("external_models").match(value.root):
        return State("django.model"), 0
    return None


def _class_path(ctx: Context, cls) -> str:
    facts = ctx.facts
    return facts.path if any(c is cls for c in facts.classes) else next(
        (p for p, f in ctx.project.files.items() if any(c is cls for c in f.classes)), facts.path)


def _may_be_handle(ctx: Context, root: str) -> bool:
    """Cheap filter: only roots that can start a handle pattern are tried with steps."""
    return not root.startswith(("param:", "local:", "<"))


def _duck_related(ctx: Context, value: Value, called: bool) -> tuple[State, int] | None:
    """`customer.orders.filter(…)` on an object of unknown type: `orders` is a to-many
    relation name of the project's Django models and a manager method is called on it."""
    name = value.steps[0].name
    targets = ctx.index.many_names.get(name)
    if not targets or len(value.steps) < 2 or not (value.steps[1].call or (called and len(value.steps) == 2)):
        return None
    method = value.steps[1].name
    if method not in set(ctx.orm.frameworks["django"].data.get("duck_methods") or ()):
        return None
    target = next(iter(targets)) if len(targets) == 1 else None
    # whether the caller prefetched the relation is unknown: count it as loaded
    return State("django.related", target, frozenset({ALL}), executed=True, path=name), 1


# --- one step ---------------------------------------------------------------------------



def _step(ctx: Context, value: Value, steps: list[Step], i: int, state: State, awaited: bool,
          arguments: str) -> Result:
    step = steps[i]
    if state.kind == "django.related":
        return django_related(ctx, step, i, state)
    kind = ctx.orm.kinds.get(state.kind)
    if kind is None:
        return None, None
    if step.index:
        return None, _index(ctx, value, steps, i, state, kind)
    if not step.call:
        return _attribute(ctx, step, i, state, kind)
    if not step.name:
        return None, (replace(state, kind=kind.call) if kind.call else None)
    return _method(ctx, value, steps, i, state, kind, awaited, arguments)


def _index(ctx: Context, value: Value, steps: list[Step], i: int, state: State, kind: Kind) -> State | None:
    if steps[i].name != "*":
        if kind.iterate and kind.name.endswith(".rows"):
            return State(kind.iterate, state.model, state.eager, rows=state.rows, element=state.element,
                         path=state.path)
        return state  # slicing a queryset keeps it a queryset
    if not kind.iterate or state.rows:
        return None
    if state.element >= 0 or state.path:  # a relation of an element: lookups stay relative to the root
        return State(kind.iterate, state.model, state.eager, element=i, path=state.path, many=state.many)
    eager = state.eager
    if ctx.eager_hook is not None and i + 1 < len(steps):  # (no later step reads the last state's lookups)
        eager = eager | ctx.eager_hook(Value(value.root, tuple(steps[:i])))
    return State(kind.iterate, state.model, eager, element=i)


def _attribute(ctx: Context, step: Step, i: int, state: State, kind: Kind) -> Result:
    name = step.name
    model = ctx.index.get(state.model)
    if kind.name.endswith(".model") and model is not None and name in model.managers:
        return None, State(f"{model.framework}.queryset", state.model)
    target = kind.attrs.get(name) or (kind.attrs.get("*") if not name.startswith("$") else None)
    if target:
        return None, State(target, state.model)
    if state.kind == "django.instance":
        return django_relation(ctx, name, i, state)
    if state.kind == "sqlalchemy.instance":
        return sqlalchemy_relation(ctx, name, i, state)
    if state.kind == "typeorm.instance":
        return typeorm_relation(ctx, name, i, state)
    return None, None


def _method(ctx: Context, value: Value, steps: list[Step], i: int, state: State, kind: Kind,
            awaited: bool, arguments: str) -> Result:
    step = steps[i]
    name = step.name
    fw = ctx.orm.frameworks[kind.framework]
    if name in kind.batched:
        return None, None
    if name in kind.query:
        if batched_args(ctx, step, arguments):
            return None, None
        event = Event(i, False, fw.name, kind.name, name, fw.remedy(name, kind.name), state.element,
                      owner=state.model)
        target = kind.query[name]
        if not target:
            return event, None
        new = _next(ctx, step, state, kind, target, fresh=True)
        if ctx.eager_hook is not None and i + 1 < len(steps):  # (no later step reads the last state's lookups)
            new = replace(new, eager=new.eager | ctx.eager_hook(Value(value.root, tuple(steps[:i + 1]))))
        return event, new
    if kind.accessor(name):
        return Event(i, True, fw.name, kind.name, name, fw.remedy("accessor", kind.name), state.element,
                     relation=name, owner=state.model), None
    target = kind.chain.get(name) or (kind.chain.get("*") if not name.startswith("$") else None)
    if target is None:
        return None, None
    if kind.awaited and awaited:
        if batched_args(ctx, step, arguments):
            return None, None
        return Event(i, False, fw.name, kind.name, name, fw.remedy(kind.name), state.element), None
    return None, _next(ctx, step, state, kind, target, fresh=False)


def _next(ctx: Context, step: Step, state: State, kind: Kind, target: str, fresh: bool) -> State:
    """The state a method call leads to (`fresh`: the result of a query, not a lazy chain)."""
    new = State(target, state.model, state.eager, state.executed or fresh, state.rows,
                -1 if fresh else state.element, "" if fresh else state.path)
    if step.name in kind.eager:
        new = replace(new, eager=new.eager | django_lookups(step.args))
    if step.name in kind.rows:
        new = replace(new, rows=True)
    if kind.framework == "sqlalchemy":
        new = sqlalchemy_chain(ctx, step, new)
    elif kind.framework == "typeorm":
        new = typeorm_chain(ctx, step, new)
    return new
