"""Relation reads and query-building steps that need the project's models: Django foreign
keys and related managers, SQLAlchemy relationships, statements and loader options, TypeORM
lazy relations and repositories."""
from __future__ import annotations

import re
from dataclasses import replace

from perfsense.rules.n_plus_one.eager import ALL, sqlalchemy_loaded
from perfsense.rules.n_plus_one.fileindex import file_index
from perfsense.rules.n_plus_one.models import model_of_name
from perfsense.rules.n_plus_one.sources import name_value
from perfsense.rules.n_plus_one.state import Context, Event, Result, State, batched_args
from perfsense.scanner.facts.model import Step


# --- Django relations -------------------------------------------------------------------
def covered(eager: frozenset[str], path: str, to_one: bool) -> bool:
    if ALL in eager or path in eager:
        return True
    if to_one and "" in eager:  # select_related() without arguments follows every foreign key
        return True
    return any(lookup.startswith(path + "__") for lookup in eager)


def django_relation(ctx: Context, name: str, i: int, state: State) -> Result:
    if state.model is None:
        return None, None
    rel = ctx.index.relation(state.model, name)
    if rel is None:
        return None, None
    path = f"{state.path}__{name}" if state.path else name
    fw = ctx.orm.frameworks["django"]
    if rel.many:
        cached = covered(state.eager, path, False)
        return None, State("django.related", rel.target, state.eager, executed=cached, element=state.element,
                           path=path, many=True)
    loaded = State("django.instance", rel.target, state.eager, element=state.element, path=path, many=state.many)
    if covered(state.eager, path, True):
        return None, loaded
    key = "generic" if rel.generic or state.many else "to_one"
    return Event(i, True, "django", "django.instance", name, fw.remedy(key).replace("{path}", path),
                 state.element, relation=path, owner=state.model, target=rel.target), loaded


def django_related(ctx: Context, step: Step, i: int, state: State) -> Result:
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
        if batched_args(ctx, step):
            return None, None
        return Event(i, False, "django", "django.queryset", name, fw.remedy(name, "django.queryset"),
                     state.element, relation=path, owner=state.model), None
    if name in queryset.chain:
        return None, State("django.queryset", state.model, frozenset(), rows=name in queryset.rows)
    return None, None


# --- SQLAlchemy -------------------------------------------------------------------------
def sqlalchemy_relation(ctx: Context, name: str, i: int, state: State) -> Result:
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


def statement(ctx: Context, name: str, state: State) -> State:
    """`session.scalars(stmt)` with `stmt = select(Order).options(selectinload(…))` earlier."""
    value = name_value(ctx.facts, ctx.func, name, file_index(ctx.project, ctx.facts))
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


def sqlalchemy_chain(ctx: Context, step: Step, state: State) -> State:
    """Track the queried model and the loader options along a SQLAlchemy chain."""
    if step.name in ("query", "get", "get_one") and step.args:
        state = replace(state, model=model_of_name(ctx.index, ctx.project, ctx.facts.path, step.args[0]))
    elif step.name in ("execute", "scalars", "scalar", "stream", "stream_scalars", "exec") and step.args:
        found = _SELECT.match(step.args[0])
        if found:
            state = replace(state, model=model_of_name(ctx.index, ctx.project, ctx.facts.path, found.group(1)))
        elif re.fullmatch(r"[A-Za-z_]\w*", step.args[0]):
            state = statement(ctx, step.args[0], state)
        state = replace(state, rows=step.name in ("execute", "stream", "exec"))
    elif step.name == "scalars":
        state = replace(state, rows=False)
    if step.name == "options" or step.args:
        state = replace(state, eager=state.eager | sqlalchemy_loaded(step.args))
    return state


def typeorm_relation(ctx: Context, name: str, i: int, state: State) -> Result:
    """Reading a lazy relation (`customer: Promise<Customer>`) loads it, one query per row."""
    if state.model is None:
        return None, None
    rel = ctx.index.relation(state.model, name)
    if rel is None or rel.eager or ALL in state.eager or name in state.eager:
        return None, None
    remedy = ctx.orm.frameworks["typeorm"].remedy("lazy").replace("{name}", name)
    return Event(i, True, "typeorm", "typeorm.instance", name, remedy, state.element, relation=name,
                 owner=state.model, target=rel.target), None


def typeorm_chain(ctx: Context, step: Step, state: State) -> State:
    """The entity a repository or a `find(Entity, …)` is for, and `relations` loaded."""
    if step.name in ("getRepository", "getTreeRepository", "find", "findBy", "findOne", "findOneBy",
                     "createQueryBuilder") and step.args and re.fullmatch(r"[A-Za-z_$][\w$]*", step.args[0]):
        model = model_of_name(ctx.index, ctx.project, ctx.facts.path, step.args[0])
        state = replace(state, model=model or state.model)
    if any("relations" in arg or "leftJoinAndSelect" in step.name or "innerJoinAndSelect" in step.name
           for arg in step.args):
        state = replace(state, eager=state.eager | {ALL})
    return state
