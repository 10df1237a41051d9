"""What a value means to the database: a symbolic walk over its steps.

`Order.objects.filter(…)` is a Django queryset of `Order`; `[*]` an element of it;
`.customer` a foreign key read that loads a row unless the queryset selected it;
`prisma.user.findUnique` a query. The walk starts from a database handle (catalog
`handles`), a project model class, `self` in a model method, or a to-many relation name
on an unknown object (`customer.orders.filter(…)`), and follows the catalog's kinds.
It reports the first round trip (an `Event`) and the state reached.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from perfsense.rules.n_plus_one.catalog import Kind, Orm, family_of
from perfsense.rules.n_plus_one.eager import ALL, django_lookups, sqlalchemy_loaded
from perfsense.rules.n_plus_one.models import ModelIndex, ModelKey, model_of_name
from perfsense.rules.n_plus_one.sources import name_value
from perfsense.scanner.facts.model import FileFacts, Step, Value
from perfsense.scanner.project import Project


@dataclass(frozen=True, slots=True)
class State:
    kind: str
    model: ModelKey | None = None
    eager: frozenset[str] = frozenset()  # lookups loaded with the rows (ALL: any)
    executed: bool = False  # rows already loaded (prefetched): iterating runs no query
    rows: bool = False  # elements are plain rows / tuples, not model instances
    element: int = -1  # index of the `[*]` step this state derives from
    path: str = ""  # relation path from that element (`items__product`)
    many: bool = False  # the path goes through a to-many relation (prefetch, not select)


@dataclass(frozen=True, slots=True)
class Event:
    index: int  # step at which the round trip happens
    lazy: bool  # implicit load of a relation: eager loading would avoid it
    framework: str
    kind: str
    method: str
    remedy: str
    element: int = -1  # the `[*]` step the event repeats for (-1: none)
    relation: str = ""  # lazy events: relation path from the element
    owner: ModelKey | None = None  # lazy events: model the relation belongs to
    target: ModelKey | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    events: tuple[Event, ...]
    state: State | None  # state after the last step (None: not (or no longer) a database value)
    steps: int = 0  # number of steps walked (the value's steps, plus the call)
    last_element: int = -1  # index of the last `[*]` step (-1: none)
    stopped: int = -1  # index of the step the walk could not follow (-1: walked to the end)
    before: State | None = None  # the state just before that step
    stopped_name: str = ""  # the name of that step

    def at_site(self, called: bool) -> list[Event]:
        """Events that happen where the value is written, each time it runs: the call
        itself, and relation loads on the element of the innermost iteration."""
        star = self.last_element
        out = []
        for event in self.events:
            if called and event.index == self.steps - 1 or star >= 0 and event.element == star and event.index > star:
                out.append(event)
        return out


@dataclass(slots=True)
class Context:
    project: Project
    facts: FileFacts
    func: int
    orm: Orm
    index: ModelIndex
    # extra eager lookups for a collection or a fetched object: loaders written around the
    # query (`Prefetch(...)`, `selectinload(...)`, a later `qs = qs.select_related(...)`)
    eager_hook: Callable[[Value], frozenset[str]] | None = None

    @property
    def family(self) -> str:
        return family_of(self.facts.language)


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
Result = tuple[Event | None, State | None]


def _step(ctx: Context, value: Value, steps: list[Step], i: int, state: State, awaited: bool,
          arguments: str) -> Result:
    step = steps[i]
    if state.kind == "django.related":
        return _django_related(ctx, step, i, state)
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
    if ctx.eager_hook is not None:
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
        return _django_relation(ctx, name, i, state)
    if state.kind == "sqlalchemy.instance":
        return _sqlalchemy_relation(ctx, name, i, state)
    if state.kind == "typeorm.instance":
        return _typeorm_relation(ctx, name, i, state)
    return None, None


def _method(ctx: Context, value: Value, steps: list[Step], i: int, state: State, kind: Kind,
            awaited: bool, arguments: str) -> Result:
    step = steps[i]
    name = step.name
    fw = ctx.orm.frameworks[kind.framework]
    if name in kind.batched:
        return None, None
    if name in kind.query:
        if _batched_args(ctx, step, arguments):
            return None, None
        event = Event(i, False, fw.name, kind.name, name, fw.remedy(name, kind.name), state.element,
                      owner=state.model)
        target = kind.query[name]
        if not target:
            return event, None
        new = _next(ctx, step, state, kind, target, fresh=True)
        if ctx.eager_hook is not None:
            new = replace(new, eager=new.eager | ctx.eager_hook(Value(value.root, tuple(steps[:i + 1]))))
        return event, new
    if kind.accessor(name):
        return Event(i, True, fw.name, kind.name, name, fw.remedy("accessor", kind.name), state.element,
                     relation=name, owner=state.model), None
    target = kind.chain.get(name) or (kind.chain.get("*") if not name.startswith("$") else None)
    if target is None:
        return None, None
    if kind.awaited and awaited:
        if _batched_args(ctx, step, arguments):
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
        new = _sqlalchemy_chain(ctx, step, new)
    elif kind.framework == "typeorm":
        new = _typeorm_chain(ctx, step, new)
    return new


def _batched_args(ctx: Context, step: Step, arguments: str = "") -> bool:
    patterns = ctx.orm.batched_args.get(ctx.family)
    if patterns is None:
        return False
    return any(patterns.match(arg) for arg in step.args) or bool(arguments and patterns.match(arguments))


# --- Django relations -------------------------------------------------------------------
def _covered(eager: frozenset[str], path: str, to_one: bool) -> bool:
    if ALL in eager or path in eager:
        return True
    if to_one and "" in eager:  # select_related() without arguments follows every foreign key
        return True
    return any(lookup.startswith(path + "__") for lookup in eager)


def _django_relation(ctx: Context, name: str, i: int, state: State) -> Result:
    if state.model is None:
        return None, None
    rel = ctx.index.relation(state.model, name)
    if rel is None:
        return None, None
    path = f"{state.path}__{name}" if state.path else name
    fw = ctx.orm.frameworks["django"]
    if rel.many:
        cached = _covered(state.eager, path, False)
        return None, State("django.related", rel.target, state.eager, executed=cached, element=state.element,
                           path=path, many=True)
    loaded = State("django.instance", rel.target, state.eager, element=state.element, path=path, many=state.many)
    if _covered(state.eager, path, True):
        return None, loaded
    key = "generic" if rel.generic or state.many else "to_one"
    return Event(i, True, "django", "django.instance", name, fw.remedy(key).replace("{path}", path),
                 state.element, relation=path, owner=state.model, target=rel.target), loaded


def _django_related(ctx: Context, step: Step, i: int, state: State) -> Result:
    """A to-many related manager (`order.items`): `state.executed` when prefetched."""
    if not step.call or not step.name:
        return None, None
    fw = ctx.orm.frameworks["django"]
    cached = set(fw.data.get("related_cached") or ())
    queryset = ctx.orm.kinds["django.queryset"]
    name = step.name
    path = state.path
    rows = State("django.queryset", state.model, state.eager, executed=True, element=state.element, path=path,
                 many=True)
    if name in cached:
        if state.executed:
            return None, rows if name == "all" else None
        key = "to_many_count" if name in ("count", "exists") else "to_many"
        return Event(i, True, "django", "django.related", name, fw.remedy(key).replace("{path}", path),
                     state.element, relation=path, owner=state.model, target=state.model), (
            rows if name == "all" else None)
    if name in queryset.batched:
        return None, None
    if name in set(fw.data.get("related_writes") or ()):
        return Event(i, False, "django", "django.related", name, fw.remedy(name), state.element,
                     relation=path, owner=state.model), None
    if name in queryset.query:
        if _batched_args(ctx, step):
            return None, None
        return Event(i, False, "django", "django.queryset", name, fw.remedy(name, "django.queryset"),
                     state.element, relation=path, owner=state.model), None
    if name in queryset.chain:
        return None, State("django.queryset", state.model, frozenset(), rows=name in queryset.rows)
    return None, None


# --- SQLAlchemy -------------------------------------------------------------------------
def _sqlalchemy_relation(ctx: Context, name: str, i: int, state: State) -> Result:
    if state.model is None:
        return None, None
    rel = ctx.index.relation(state.model, name)
    if rel is None:
        return None, None
    if rel.dynamic:
        return None, State("sqlalchemy.query", rel.target)
    path = f"{state.path}.{name}" if state.path else name
    loaded = State("sqlalchemy.rows" if rel.many else "sqlalchemy.instance", rel.target, state.eager,
                   element=state.element, path=path)
    if rel.eager or ALL in state.eager or name in state.eager:
        return None, loaded
    owner = ctx.index.get(state.model)
    remedy = ctx.orm.frameworks["sqlalchemy"].remedy("lazy")
    remedy = remedy.replace("{owner}", owner.name if owner else "Model").replace("{name}", name)
    return Event(i, True, "sqlalchemy", "sqlalchemy.instance", name, remedy, state.element, relation=path,
                 owner=state.model, target=rel.target), loaded


_SELECT = re.compile(r"^(?:[\w.]*\.)?(?:select|query)\(\s*([A-Za-z_][\w.]*)\s*[,)]")


def _statement(ctx: Context, name: str, state: State) -> State:
    """`session.scalars(stmt)` with `stmt = select(Order).options(selectinload(…))` earlier."""
    value = name_value(ctx.facts, ctx.func, name)
    steps = value.steps
    head = value.root.rsplit(".", 1)[-1]
    if head != "select" or not steps or not steps[0].call or not steps[0].args:
        return state
    model = model_of_name(ctx.index, ctx.project, ctx.facts.path, steps[0].args[0])
    eager = state.eager
    for step in steps[1:]:
        if step.name == "options":
            eager = eager | sqlalchemy_loaded(step.args)
    return replace(state, model=model, eager=eager)


def _sqlalchemy_chain(ctx: Context, step: Step, state: State) -> State:
    """Track the queried model and the loader options along a SQLAlchemy chain."""
    if step.name in ("query", "get", "get_one") and step.args:
        state = replace(state, model=model_of_name(ctx.index, ctx.project, ctx.facts.path, step.args[0]))
    elif step.name in ("execute", "scalars", "scalar", "stream", "stream_scalars", "exec") and step.args:
        found = _SELECT.match(step.args[0])
        if found:
            state = replace(state, model=model_of_name(ctx.index, ctx.project, ctx.facts.path, found.group(1)))
        elif re.fullmatch(r"[A-Za-z_]\w*", step.args[0]):
            state = _statement(ctx, step.args[0], state)
        state = replace(state, rows=step.name in ("execute", "stream", "exec"))
    elif step.name == "scalars":
        state = replace(state, rows=False)
    if step.name == "options" or step.args:
        state = replace(state, eager=state.eager | sqlalchemy_loaded(step.args))
    return state


def _typeorm_relation(ctx: Context, name: str, i: int, state: State) -> Result:
    """Reading a lazy relation (`customer: Promise<Customer>`) loads it, one query per row."""
    if state.model is None:
        return None, None
    rel = ctx.index.relation(state.model, name)
    if rel is None or rel.eager or ALL in state.eager or name in state.eager:
        return None, None
    remedy = ctx.orm.frameworks["typeorm"].remedy("lazy").replace("{name}", name)
    return Event(i, True, "typeorm", "typeorm.instance", name, remedy, state.element, relation=name,
                 owner=state.model, target=rel.target), None


def _typeorm_chain(ctx: Context, step: Step, state: State) -> State:
    """The entity a repository or a `find(Entity, …)` is for, and `relations` loaded."""
    if step.name in ("getRepository", "getTreeRepository", "find", "findBy", "findOne", "findOneBy",
                     "createQueryBuilder") and step.args and re.fullmatch(r"[A-Za-z_$][\w$]*", step.args[0]):
        model = model_of_name(ctx.index, ctx.project, ctx.facts.path, step.args[0])
        state = replace(state, model=model or state.model)
    if any("relations" in arg or "leftJoinAndSelect" in step.name or "innerJoinAndSelect" in step.name
           for arg in step.args):
        state = replace(state, eager=state.eager | {ALL})
    return state
