"""Every place in a file that may release something, indexed by the names it mentions, so
that looking up the release of one handle costs a dictionary lookup, not a file scan."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from perfsense.rules.memory_leak.catalog import Compiled
from perfsense.rules.memory_leak.syntax import Syntax, norm, text
from perfsense.rules.memory_leak.tree_index import FileIndex

TOKEN = re.compile(r"[A-Za-z_$][\w$]*")


@dataclass(frozen=True, slots=True)
class Place:
    start: int
    end: int
    kind: str  # fn: `clear(h)` | method: `h.close()` | member: `h.close` passed on | with | callee: `h()`
    name: str  # the releasing function / method / member name ('' for with)
    subject: str  # normalised text the handle must appear in (arguments, receiver, value, callee)
    first: str | None = None  # first argument as a string literal (listener removals)


@dataclass(slots=True)
class ReleaseIndex:
    by_token: dict[str, list[Place]] = field(default_factory=dict)
    by_receiver: dict[str, list[Place]] = field(default_factory=dict)  # method removals by receiver

    def add(self, place: Place, tokens_of: str) -> None:
        for token in set(TOKEN.findall(tokens_of)):
            self.by_token.setdefault(token, []).append(place)

    def candidates(self, handle: str) -> list[Place]:
        tokens = TOKEN.findall(handle)
        return self.by_token.get(tokens[-1], []) if tokens else []


def build_release_index(index: FileIndex, syntax: Syntax, cat: Compiled) -> ReleaseIndex:
    """Built once per file, and only for files with an acquisition to look a release up for."""
    functions = {n for res in cat.resources for n in res.release}
    methods = {n for res in cat.resources for n in res.release_methods}
    out = ReleaseIndex()
    nodes = index.all_nodes()
    for call in nodes.get("call", ()):
        callee = syntax.callee(call)
        if callee is None:
            continue
        callee_text = norm(text(callee))
        last = callee_text.rsplit(".", 1)[-1]
        start, end = call.start_byte, call.end_byte
        out.add(Place(start, end, "callee", last, callee_text), last)
        if last in functions:
            args = norm(text(call.child_by_field_name("arguments")))
            out.add(Place(start, end, "fn", last, args), args)
        if last in methods and "." in callee_text:
            receiver = callee_text.rsplit(".", 1)[0]
            place = Place(start, end, "method", last, receiver, _first_literal(call, syntax))
            out.add(place, receiver)
            out.by_receiver.setdefault(receiver, []).append(place)
    for member in nodes.get("member", ()):
        obj, prop = syntax.member_parts(member)
        parent = member.parent
        if prop in methods and obj is not None and not (
                parent is not None and parent.type in syntax.calls and syntax.callee(parent) == member):
            subject = norm(text(obj))
            out.add(Place(member.start_byte, member.end_byte, "member", prop, subject), subject)
    for value in nodes.get("with", ()):
        if value.type == "as_pattern" and value.named_children:  # `with h as f:` releases `h`
            value = value.named_children[0]
        subject = norm(text(value))
        out.add(Place(value.start_byte, value.end_byte, "with", "", subject), subject)
    return out


def _first_literal(call, syntax: Syntax) -> str | None:
    args = call.child_by_field_name("arguments")
    first = args.named_children[0] if args is not None and args.named_children else None
    if first is None:
        return ""  # no argument: removes every listener
    if first.type == "string":
        return text(first).strip("'\"`")
    return None
