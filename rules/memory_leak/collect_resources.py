"""Per-file collection of acquisitions (listeners, timers, sockets, files, …) and effects."""
from __future__ import annotations

import re

import tree_sitter as ts

from perfsense.rules.memory_leak.catalog import Compiled, Resource, family_of, match_resource, might_acquire
from perfsense.rules.memory_leak.handles import classify, escapes, released
from perfsense.rules.memory_leak.records import (
    CHAINED,
    DISCARDED,
    LOCAL,
    MEMBER,
    MODULE,
    Acquisition,
    Effect,
)
from perfsense.rules.memory_leak.syntax import Syntax, bound_names, norm, root_name, text
from perfsense.rules.memory_leak.tree_index import FileIndex, outermost_function
from perfsense.scanner.engine.rule import FileContext
from perfsense.scanner.facts.model import MODULE_FUNCTION, Call, FileFacts

JS_GLOBAL_TARGETS = frozenset({"window", "document", "process", "globalThis", "global", "self", "navigator",
                               "screen", "visualViewport", "matchMedia", "history", "location"})
SELF_RELEASE = re.compile(r"\bonce\s*:\s*true\b|\bsignal\b")
HTTP = re.compile(r"http", re.IGNORECASE)


def acquiring_calls(ctx: FileContext, cat: Compiled) -> list[tuple[Call, Resource]]:
    """The calls of the file that acquire a catalog resource (by name first, then by pattern)."""
    family = family_of(ctx.language)
    out = []
    for call in ctx.facts.calls:
        if not might_acquire(call, family, ctx.catalogs):
            continue
        res = match_resource(cat, call, call.callee.text)
        if res is not None:
            out.append((call, res))
    return out


def collect_acquisitions(ctx: FileContext, syntax: Syntax, cat: Compiled, index: FileIndex,
                         found: list[tuple[Call, Resource]]) -> list[Acquisition]:
    out: list[Acquisition] = []
    for call, res in found:
        node = index.call_at(call.span)
        if node is None:
            continue
        if res.kind == "file" and any(arg.name == "fileobj" for arg in call.args):
            continue  # wraps a file object the caller owns (`tarfile.open(fileobj=buf)`)
        if res.chain and not _reschedules(ctx, call, node, syntax):
            continue
        if call.func == MODULE_FUNCTION:
            out.append(Acquisition(call=call.id, resource=res.index, kind=res.kind, label=_label(node, syntax),
                                   func=call.func, handle=MODULE, released=True, escaped=False))
            continue
        out.append(_acquisition(ctx, syntax, index, res, call, node))
    return out


def _acquisition(ctx: FileContext, syntax: Syntax, index: FileIndex, res: Resource, call: Call,
                 node: ts.Node) -> Acquisition:
    handle, names = classify(node, syntax, res)
    scope_node = outermost_function(node, syntax)
    start, end = (scope_node.start_byte, scope_node.end_byte) if scope_node is not None else (0, len(ctx.source.data))
    whole = (0, len(ctx.source.data))
    is_released = False
    is_escaped = False
    if handle == LOCAL:
        is_released = released(index, syntax, res, names, start, end)
        is_escaped = not is_released and escapes(index, syntax, res, names, node)
    elif handle == MEMBER:
        is_released = released(index, syntax, res, names, *whole)
        target = names[0] if names else ""
        if ctx.language == "python" or not (target.startswith("this.") or ".current" in target
                                            or "." not in target):
            is_escaped = True  # stored in some object that owns it
    elif handle not in (DISCARDED, CHAINED):
        is_escaped = True
    label = _label(node, syntax)
    scope = ""
    event = None
    self_releasing = False
    if res.kind == "listener":
        receiver = _receiver(node, syntax)
        event = call.args[0].literal if call.args else None
        scope = _scope(ctx.facts, call, receiver, syntax)
        self_releasing = any(SELF_RELEASE.search(a.text) for a in call.args[2:]) or _options_release(node)
        if not is_released:
            is_released = _paired(index, syntax, res, norm(text(receiver)), event, *whole)
        label = f"{label}('{event}')" if event else label
    elif res.kind == "subscription":
        receiver = text(_receiver(node, syntax))
        self_releasing = bool(_completes(receiver, res)) or bool(HTTP.search(receiver))
    elif res.kind == "thread" and handle == CHAINED:
        handle = DISCARDED
    elif handle == CHAINED or (handle == DISCARDED and res.passing == "use"):
        is_escaped = True  # `open(p).read()`, `open(p)` alone: a temporary, freed at once
    return Acquisition(call=call.id, resource=res.index, kind=res.kind, label=label, func=call.func,
                       handle=handle, released=is_released, escaped=is_escaped,
                       self_releasing=self_releasing, scope=scope, event=event)


def _reschedules(ctx: FileContext, call: Call, node: ts.Node, syntax: Syntax) -> bool:
    """`setTimeout(tick, …)` inside `tick` (or a callback calling it), with no `return` in
    `tick` that could end the chain (a stop flag)."""
    facts = ctx.facts
    names: dict[str, int] = {}
    current: int | None = call.func
    while current is not None and current != MODULE_FUNCTION:
        fn = facts.functions[current]
        if "<" not in fn.name:
            names.setdefault(fn.name, fn.id)
        current = fn.parent
    args = node.child_by_field_name("arguments")
    first = args.named_children[0] if args is not None and args.named_children else None
    if first is None:
        return False
    target = text(first) if first.type == "identifier" else ""
    if not target and first.type in syntax.functions:
        called = {text(syntax.callee(c)) for c in _calls_under(first, syntax)}
        target = next((n for n in names if n in called), "")
    if target not in names:
        return False
    fn_node = _function_node(node, syntax, facts.functions[names[target]].span.start.line)
    return fn_node is not None and not _has_return(fn_node, syntax)


def _calls_under(node: ts.Node, syntax: Syntax) -> list[ts.Node]:
    out, stack = [], [node]
    while stack:
        current = stack.pop()
        if current.type in syntax.calls:
            out.append(current)
        stack.extend(current.named_children)
    return out


def _function_node(node: ts.Node, syntax: Syntax, line: int) -> ts.Node | None:
    parent = node.parent
    while parent is not None:
        if parent.type in syntax.functions and parent.start_point[0] == line:
            return parent
        parent = parent.parent
    return None


def _has_return(fn: ts.Node, syntax: Syntax) -> bool:
    body = fn.child_by_field_name("body")
    stack = list(body.named_children) if body is not None else []
    while stack:
        current = stack.pop()
        if current.type == "return_statement":
            return True
        if current.type not in syntax.functions:
            stack.extend(current.named_children)
    return False


def _label(node: ts.Node, syntax: Syntax) -> str:
    callee = norm(text(syntax.callee(node)))
    if len(callee) > 60:
        callee = "…" + callee[-59:]
    return ("new " if node.type == "new_expression" else "") + callee


def _receiver(node: ts.Node, syntax: Syntax) -> ts.Node | None:
    callee = syntax.callee(node)
    if callee is None or callee.type not in syntax.members:
        return None
    return callee.child_by_field_name("object")


def _options_release(node: ts.Node) -> bool:
    args = node.child_by_field_name("arguments")
    return args is not None and any(SELF_RELEASE.search(text(a)) for a in args.named_children[2:])


def _completes(receiver: str, res: Resource) -> str | None:
    for name in res.complete:
        if re.search(r"\b" + re.escape(name) + r"\s*\(", receiver):
            return name
    return None


def _paired(index: FileIndex, syntax: Syntax, res: Resource, receiver: str, event: str | None,
            start: int, end: int) -> bool:
    """A removal on the same receiver (and event, when both are literal)."""
    if not receiver or index.releases is None:
        return False
    for place in index.releases.by_receiver.get(receiver, ()):
        if place.name not in res.release_methods or not (start <= place.start and place.end <= end):
            continue
        if event is None or place.first is None or place.first in ("", event):
            return True
    return False


def _scope(facts: FileFacts, call: Call, receiver: ts.Node | None, syntax: Syntax) -> str:
    if receiver is None:
        return "global"
    receiver_text = text(receiver)
    if ".current" in receiver_text:
        return "ref"
    root = root_name(receiver, syntax)
    if root in ("this", "self") or root in syntax.self_names:
        return "this"
    func: int | None = call.func
    while func is not None and func != MODULE_FUNCTION:
        fn = facts.functions[func]
        if root in fn.params:
            return "param"
        if (func, root) in bound_names(facts):
            return "local"
        func = fn.parent
    if root in JS_GLOBAL_TARGETS or root.startswith("$"):
        return "global"
    return "module"


def collect_effects(ctx: FileContext, syntax: Syntax, cat: Compiled, index: FileIndex) -> list[Effect]:
    out: list[Effect] = []
    callbacks: dict[int, int] = {}
    for fn in ctx.facts.functions:
        if fn.callback_of is not None:
            callbacks.setdefault(fn.callback_of, fn.id)
    for call in ctx.facts.calls:
        func = callbacks.get(call.id)
        if func is None or not cat.effects.match(call.callee.text):
            continue
        fn = ctx.facts.functions[func]
        node = index.function_at(fn.span)
        out.append(Effect(call=call.id, func=fn.id, cleanup=_cleanup(node, syntax) if node is not None else "opaque"))
    return out


def _cleanup(fn: ts.Node, syntax: Syntax) -> str:
    body = fn.child_by_field_name("body")
    if body is None:
        return "none"
    if body.type != "statement_block":
        return "function" if body.type in syntax.functions else "opaque"
    found = "none"
    stack = list(body.named_children)
    while stack:
        node = stack.pop()
        if node.type in syntax.functions or node.type in ("class_declaration", "class"):
            continue
        if node.type == "return_statement":
            value = node.named_children[0] if node.named_children else None
            if value is None or text(value) in ("undefined", "null", "void 0"):
                continue
            if value.type in syntax.functions:
                found = "function"
                continue
            return "opaque"
        stack.extend(node.named_children)
    return found
