"""The blocking-API catalog (rules/catalogs/blocking.yaml), compiled for matching."""
from __future__ import annotations

from dataclasses import dataclass

from perfsense.scanner.catalog import Catalogs
from perfsense.scanner.facts.model import Call, FileFacts, Value
from perfsense.scanner.patterns import PatternSet
from perfsense.scanner.project import Project


@dataclass(frozen=True, slots=True)
class Group:
    name: str
    what: str
    replacement: str
    calls: PatternSet
    receivers: PatternSet
    methods: frozenset[str] | None
    unless: PatternSet  # argument texts that make a call of the group non-blocking
    switches: frozenset[str]  # calls on a receiver that make it non-blocking: `setblocking(False)`


@dataclass(frozen=True, slots=True)
class Blocking:
    group: Group
    label: str  # the blocking call as the user wrote it, shortened
    name: str  # called name (`readFileSync`)

    @property
    def replacement(self) -> str:
        stem = self.name.removesuffix("Sync")
        return self.group.replacement.replace("{stem}", stem)


def _compile(catalogs: Catalogs) -> dict[str, list[Group]]:
    data = catalogs.get("blocking")
    out: dict[str, list[Group]] = {}
    for family in ("python", "javascript"):
        groups = []
        for entry in data.get(family, []) or []:
            methods = entry.get("methods")
            groups.append(Group(
                name=str(entry.get("group", "custom")), what=str(entry.get("what", "blocking call")),
                replacement=str(entry.get("replacement", "a non-blocking alternative")),
                calls=PatternSet(entry.get("calls", []) + ([entry["call"]] if "call" in entry else [])),
                receivers=PatternSet(entry.get("receivers", [])),
                methods=frozenset(methods) if methods else None,
                unless=PatternSet(entry.get("unless-arguments", [])),
                switches=frozenset(entry.get("nonblocking-after", [])),
            ))
        out[family] = groups
    return out


def _names(catalogs: Catalogs) -> dict[str, tuple[frozenset[str], tuple[str, ...], bool]]:
    """Per family: called names that can block, name suffixes from globs (`*Sync`), and
    whether any receiver group blocks on every method (then no name filter applies)."""
    out = {}
    for family, groups in catalogs.derived("blocking", _compile).items():
        names: set[str] = set()
        suffixes: set[str] = set()
        any_method = False
        for group in groups:
            for pattern in list(group.calls.exact) + [p for p, _r in group.calls.globs]:
                last = pattern.rsplit(".", 1)[-1]
                if last.endswith("*"):
                    any_method = True  # `pkg.*`: any called name
                elif "*" in last:
                    suffixes.add(last.rsplit("*", 1)[-1])
                else:
                    names.add(last)
            if group.receivers:
                if group.methods is None:
                    any_method = True
                else:
                    names.update(group.methods)
        out[family] = (frozenset(names), tuple(suffixes), any_method)
    return out


def might_block(call: Call, family: str, catalogs: Catalogs) -> bool:
    """A cheap first test on the called name, before any resolution."""
    names, suffixes, any_method = catalogs.derived("blocking-names", _names)[family]
    name = call.name
    return any_method or name in names or (bool(suffixes) and name.endswith(suffixes))


def family_of(language: str) -> str:
    return "python" if language == "python" else "javascript"


def match_blocking(project: Project, facts: FileFacts, call: Call, catalogs: Catalogs) -> Blocking | None:
    """The catalog entry a call matches, if it blocks.

    An awaited call never does: what it returns is awaitable, so it is an async API that
    shares a name with a blocking one (tornado's `await stream.read_bytes(n)`, aiohttp's
    `await request.write_bytes(…)`, `await anyio.Path(p).read_text()`)."""
    family = family_of(facts.language)
    if call.awaited or not might_block(call, family, catalogs):
        return None
    group = _group_of(project, facts, call, catalogs.derived("blocking", _compile)[family])
    if group is None or _lifted(group, call):
        return None
    return Blocking(group, short(call.callee, project), call.name)


def _group_of(project: Project, facts: FileFacts, call: Call, groups: list[Group]) -> Group | None:
    """The group whose calls name the resolved callee, or whose receivers and methods the
    call is, unless the receiver is not one of the group's (see below)."""
    resolved = project.resolve(call.callee, facts.path, call.func)
    text = resolved.text
    for group in groups:
        if group.calls and group.calls.match(text):
            return group
    receiver = resolved.receiver()
    if receiver is None or not resolved.steps[-1].name or resolved.steps[-1].call:
        return None
    name = call.name
    group = next((g for g in groups if g.receivers and (g.methods is None or name in g.methods)
                  and g.receivers.match(receiver.text)), None)
    if group is None or _switched(group, facts, call) or _origin_reported(project, facts, call, receiver, groups):
        return None
    if project.function(call.callee, facts.path, call.func) is not None:
        return None  # a method of the project's own class (what it reaches is followed as a call)
    return group


def _lifted(group: Group, call: Call) -> bool:
    """An argument makes this call of the group non-blocking (`socket.AI_NUMERICHOST`: a
    numeric address is converted without a DNS lookup)."""
    return bool(group.unless) and any(group.unless.match(arg.text) for arg in call.args)


def _switched(group: Group, facts: FileFacts, call: Call) -> bool:
    """The file makes the call's receiver non-blocking (`self.socket.setblocking(False)`):
    on such a socket `connect`, `recv` and `send` return at once."""
    if not group.switches:
        return False
    receiver = call.callee.receiver()
    if receiver is None:
        return False
    written = receiver.full_text
    for other in facts.calls:
        target = other.callee.receiver()
        if target is not None and target.full_text == written and \
                f"{other.name}({', '.join(arg.text for arg in other.args)})" in group.switches:
            return True
    return False


def _origin_reported(project: Project, facts: FileFacts, call: Call, receiver: Value,
                     groups: list[Group]) -> bool:
    """`fh.read()` after `fh = open(...)` in the same function: `open` was reported already."""
    first_call = next((i for i, step in enumerate(receiver.steps) if step.call), None)
    if first_call is None:
        return False
    origin = Value(receiver.root, receiver.steps[:first_call + 1])
    origin_text = origin.text[:-2]
    if not any(group.calls.match(origin_text) for group in groups if group.calls):
        return False
    for other in facts.calls:
        if other.func == call.func and other.id != call.id:
            if project.resolve(other.callee, facts.path, other.func).text == origin_text:
                return True
    return False


def short(value: Value, project: Project | None = None) -> str:
    """How a callee reads in a message: project module prefixes dropped, at most 80 chars."""
    root = value.root
    if project is not None and root.split(".", 1)[0] in project.py_tops:
        root = root.rsplit(".", 1)[-1]
    elif root.startswith(("./", "..")):
        root = root.partition(":")[2]
        root = root if root != "*" else ""
    elif root.startswith(("param:", "local:")):
        root = root.partition(":")[2]
    text = (root + Value("", value.steps).text).lstrip(".")
    return text if len(text) <= 80 else text[:79] + "…"
