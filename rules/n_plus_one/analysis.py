"""Shared questions of the n-plus-one rules: what a site does, where it repeats, how to say it."""
from __future__ import annotations

import re
from dataclasses import dataclass

from perfsense.rules.n_plus_one.catalog import Orm, orm
from perfsense.rules.n_plus_one.evaluate import Context, Event, Outcome, evaluate
from perfsense.rules.n_plus_one.models import ModelIndex, ModelKey, model_index
from perfsense.rules.n_plus_one.names import query_candidates
from perfsense.rules.n_plus_one.sources import call_arguments, call_text, eager_hook, scope_chain, site_value
from perfsense.scanner.catalog import Catalogs
from perfsense.scanner.facts.model import Call, FileFacts, Loop, Step, Value
from perfsense.scanner.model import ChainStep, Location
from perfsense.scanner.project import FunctionRef, Project


@dataclass(frozen=True, slots=True)
class Query:
    event: Event
    label: str  # the call as written, shortened: `Product.objects.get(…)`


class Analysis:
    """Per project-stage run: catalog, model index and evaluation contexts, memoised."""

    def __init__(self, project: Project, catalogs: Catalogs) -> None:
        self.project = project
        self.catalogs = catalogs
        self.orm: Orm = orm(catalogs)
        self.index: ModelIndex = model_index(project, self.orm)
        self._contexts: dict[tuple[str, int], Context] = {}
        self._clients: dict[tuple[str, int, str], Value | None] = {}

    def context(self, path: str, func: int) -> Context:
        key = (path, func)
        if key not in self._contexts:
            facts = self.project.files[path]
            self._contexts[key] = Context(self.project, facts, func, self.orm, self.index,
                                          eager_hook(self.project, facts, func, self.orm))
        return self._contexts[key]

    def call(self, facts: FileFacts, call: Call) -> Outcome:
        ctx = self.context(facts.path, call.func)
        value = self.resolved(facts, call.func, call.callee)
        return evaluate(ctx, value, called=True, awaited=call.awaited or call.returned,
                        arguments=call_arguments(facts, call))

    def value(self, facts: FileFacts, func: int, value: Value) -> Outcome:
        return self.evaluate_in(facts, func, self.resolved(facts, func, value), False)

    def value_called(self, facts: FileFacts, func: int, value: Value, awaited: bool) -> Outcome:
        return self.evaluate_in(facts, func, self.resolved(facts, func, value), True, awaited)

    def resolved(self, facts: FileFacts, func: int, value: Value) -> Value:
        resolved = site_value(self.project, facts, func, value)
        if resolved.root.startswith("param:") and self.orm.transactions:
            key = (facts.path, func, resolved.root)
            if key not in self._clients:
                self._clients[key] = self._transaction_client(facts, func, resolved.root[6:])
            client = self._clients[key]
            if client is not None:
                return Value(client.root, client.steps + resolved.steps)
        return resolved

    def _transaction_client(self, facts: FileFacts, func: int, name: str) -> Value | None:
        """`tx` in `prisma.$transaction(async (tx) => …)`: the client the callback gets."""
        for scope in scope_chain(facts, func):
            fn = facts.functions[scope]
            if name not in fn.params:
                continue
            if fn.callback_of is None or fn.params[:1] != (name,):
                return None
            call = facts.calls[fn.callback_of]
            callee = site_value(self.project, facts, call.func, call.callee)
            if not callee.steps or callee.steps[-1].call:
                return None
            receiver = Value(callee.root, callee.steps[:-1])
            state = evaluate(self.context(facts.path, call.func), receiver).state
            for method, kind, param in self.orm.transactions:
                if state is not None and callee.steps[-1].name == method and state.kind == kind:
                    return receiver.extend(Step(param)) if param else receiver
            return None
        return None

    def evaluate_in(self, facts: FileFacts, func: int, value: Value, called: bool, awaited: bool = False) -> Outcome:
        """Evaluate an already resolved value in the context of a function."""
        return evaluate(self.context(facts.path, func), value, called=called, awaited=awaited)

    def method(self, key: ModelKey, name: str) -> FunctionRef | None:
        """A method (or property) of a project model class, inherited ones included."""
        path, qualname = key
        cls = next((c for c in self.project.files[path].classes if c.qualname == qualname), None)
        if cls is None:
            return None
        for klass, owner in self.project.class_chain(path, cls):
            for method, func_id in klass.methods:
                if method == name:
                    return FunctionRef(owner, func_id)
        return None

    def model_name(self, key: ModelKey | None) -> str:
        model = self.index.get(key)
        return model.name if model is not None else ""


def site_query(project: Project, facts: FileFacts, call: Call, catalogs: Catalogs) -> Query | None:
    """The explicit query a call runs itself, if any (no element context: any relation
    load that eager loading could serve is left out)."""
    if call.id not in query_candidates(project, facts, catalogs):
        return None  # the called name cannot be a query: nothing to resolve or evaluate
    analysis = project.derived("n-plus-one:analysis", lambda p: Analysis(p, catalogs))
    outcome = analysis.call(facts, call)
    for event in outcome.events:
        if not event.lazy and event.index == outcome.steps - 1:
            return Query(event, code(call_text(facts, call)) + ("(…)" if call.args else "()"))
    return None


_SPACE = re.compile(r"\s+")
_BRACKET = re.compile(r"[()\[\]{}]")


def code(text: str, limit: int = 70) -> str:
    """Source text for a message: whitespace collapsed, call arguments elided (`f(…)`)."""
    text = _SPACE.sub(" ", text).strip()
    while text.startswith("(") and _closing(text) in (-1, len(text) - 1):  # wrapped (or cut) in parentheses
        text = text[1:-1 if text.endswith(")") else None].strip()
    out: list[str] = []
    depth = 0
    inner = False  # non-blank text inside the outermost open bracket
    last = 0
    for found in _BRACKET.finditer(text):
        index = found.start()
        segment = text[last:index]
        last = index + 1
        if depth == 0:
            out.append(segment)
        elif segment and not segment.isspace():
            inner = True
        char = text[index]
        if char in "([{":
            if depth == 0:
                out.append(char)
                inner = False
            depth += 1
        elif depth > 0:
            depth -= 1
            if depth == 0:
                out.append("…" + char if inner else char)
        else:
            out.append(char)  # a closing bracket with nothing open
    segment = text[last:]
    if depth == 0:
        out.append(segment)
    elif segment and not segment.isspace():
        inner = True
    if depth > 0:
        out.append("…)")
    result = "".join(out).replace(" .", ".").replace(". ", ".")
    return result if len(result) <= limit else result[: limit - 1] + "…"


def _closing(text: str) -> int:
    """Index of the bracket closing the one that opens `text`."""
    depth = 0
    for index, char in enumerate(text):
        depth += char in "([{"
        depth -= char in ")]}"
        if depth == 0:
            return index
    return -1


def loop_label(loop: Loop) -> str:
    """`orders` (loop at line 12) -> how a message names the items a loop runs over."""
    text = code(loop.iter_text, 50) if loop.iter_text else ""
    if loop.kind == "callback" and text.endswith((".map", ".forEach", ".filter", ".reduce", ".flatMap")):
        text = text.rsplit(".", 1)[0]
    return text


def loop_where(loop: Loop) -> str:
    text = loop_label(loop)
    line = loop.header.start.line + 1
    return f"of `{text}` (loop at line {line})" if text else f"of the loop at line {line}"


def loop_step(path: str, loop: Loop) -> ChainStep:
    """A related location for a finding: the loop that repeats it."""
    text = loop_label(loop)
    return ChainStep(location=Location(path, loop.header),
                     message=f"the loop over `{text}` repeats it" if text else "this loop repeats it")
