"""Per-file facts: plain, picklable, cached. No tree node ever leaves the per-file stage.

A *value* is what an expression refers to, written as a root and steps:
`requests.get`, `httpx.Client().get`, `shop.models.Order.objects.filter('…')[*].customer`.
Roots are resolved through the file's imports (to a module-qualified name), through
local single assignments (substituted), and through parameter annotations (`T()` means
"an instance of T"). Unresolved roots keep their local spelling, prefixed by their kind:
`self`, `this`, `param:x`.
"""
from __future__ import annotations

import copyreg
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from perfsense.scanner.model import Span


class Step(NamedTuple):
    """One step from a root: `.name`, a call `()` (on `.name` when given), `[]`, or `[*]`
    (an element of an iterated collection)."""

    name: str = ""
    call: bool = False
    args: tuple[str, ...] = ()  # compact argument texts of a call step: 'lit', name, f(…), …
    index: bool = False  # `[]` subscript; with name "*" an element of an iteration


class Value(NamedTuple):
    root: str
    steps: tuple[Step, ...] = ()

    @property
    def text(self) -> str:
        """Dotted form without call arguments: `httpx.Client().get` (`_step_text` inlined:
        this is read for nearly every call of a project, several times)."""
        out = self.root
        for name, call, _args, index in self.steps:
            if index:
                out += "[*]" if name == "*" else "[]"
                continue
            if name:
                out += "." + name
            if call:
                out += "()"
        return out

    @property
    def full_text(self) -> str:
        """Dotted form with the compact call arguments."""
        return self.root + "".join(_step_text(step, True) for step in self.steps)

    @property
    def dotted(self) -> str | None:
        """`root.a.b` when every step is a plain attribute, else None."""
        if any(step.call or step.index for step in self.steps):
            return None
        return self.text

    @property
    def callee(self) -> str:
        """For the value of a call's function: its text (`requests.get`)."""
        return self.text

    def receiver(self) -> Value | None:
        """The value a method is called on (all steps but the last attribute)."""
        if not self.steps:
            return None
        return Value(self.root, self.steps[:-1])

    def extend(self, *steps: Step) -> Value:
        return Value(self.root, self.steps + steps)

    def method_names(self) -> tuple[str, ...]:
        """Names of the methods called along the chain, in order."""
        return tuple(step.name for step in self.steps if step.call and step.name)


def _step_text(step: Step, with_args: bool) -> str:
    if step.index:
        return f"[{step.name}]" if step.name == "*" else "[]"
    out = f".{step.name}" if step.name else ""
    if step.call:
        out += "(" + (", ".join(step.args) if with_args else "") + ")"
    return out


MODULE_FUNCTION = 0  # index of the pseudo-function holding module-level code


class Function(NamedTuple):
    id: int
    name: str  # "pay_order", "<lambda>", "<module>"
    qualname: str  # within the module: "OrderViewSet.get_queryset"; "" for the module
    kind: str  # "module" | "function" | "method" | "lambda"
    is_async: bool
    span: Span
    header: Span  # the `def`/name line, where function-level findings point
    parent: int | None
    class_name: str | None = None  # qualname of the enclosing class for methods
    params: tuple[str, ...] = ()
    param_types: tuple[tuple[str, str], ...] = ()  # (parameter, resolved type name)
    decorators: tuple[Value, ...] = ()
    handler: str | None = None  # framework name when this is a request handler / route
    callback_of: int | None = None  # Call.id when defined inline as an argument of a call
    iteration: bool = False  # inline callback of an iteration method: acts as a loop
    is_generator: bool = False
    exported: bool = False  # JS export / module.exports; Python: module-level public


class Loop(NamedTuple):
    id: int
    func: int
    kind: str  # for | while | do | comprehension | for-in | for-of | callback
    is_async: bool
    span: Span
    header: Span
    parent: int | None  # enclosing loop in the same function
    iter_text: str = ""
    iterable: Value | None = None
    targets: tuple[str, ...] = ()
    small_literal: bool = False  # iterates a literal of a few items / range(<= 10)
    breaks: bool = False  # body has break/return (may stop after the first item)


class Arg(NamedTuple):
    name: str | None  # keyword name, None for positional
    text: str  # compact text
    value: Value | None = None  # for names, attributes and calls
    literal: str | None = None  # the value of a string literal
    function: int | None = None  # Function.id when the argument is an inline function


class Call(NamedTuple):
    id: int
    func: int  # enclosing Function.id
    span: Span  # the whole call expression
    callee: Value  # what is called
    awaited: bool = False
    loop: int | None = None  # innermost enclosing Loop.id in the same function
    args: tuple[Arg, ...] = ()
    statement: bool = False  # the call is a whole expression statement (result unused)
    returned: bool = False  # `return f(...)` / arrow body

    @property
    def name(self) -> str:
        """Last name of the callee (`get` for `requests.get`)."""
        for step in reversed(self.callee.steps):
            if step.name and not step.index:
                return step.name
        return last_name(self.callee.root)


class Binding(NamedTuple):
    """`name = value` (also `with v as name`, `for name in …`) inside a function."""

    func: int
    name: str
    value: Value | None
    span: Span
    text: str = ""
    kind: str = "assign"  # assign | augmented | with | for | param | import | def | class


class Import(NamedTuple):
    local: str  # the name bound in this file ("" for side-effect imports)
    module: str  # absolute Python module, or the JS specifier ("./db", "lodash")
    name: str | None  # imported member; None for the module itself, "default", "*"
    span: Span
    kind: str  # import | from | esm | require | dynamic | side-effect | reexport
    type_only: bool = False
    func: int = MODULE_FUNCTION


class Export(NamedTuple):
    name: str  # exported name ("default" for default exports)
    local: str | None = None  # local binding exported
    source: str | None = None  # module re-exported from
    source_name: str | None = None
    span: Span | None = None


class ClassFact(NamedTuple):
    name: str
    qualname: str
    span: Span
    bases: tuple[Value, ...] = ()
    decorators: tuple[Value, ...] = ()
    methods: tuple[tuple[str, int], ...] = ()  # (method name, Function.id)
    attributes: tuple[tuple[str, Value | None, str], ...] = ()  # class-body `name = value`, text
    instance_attributes: tuple[tuple[str, Value | None], ...] = ()  # self.x = … / this.x = …
    exported: bool = False


class Comment(NamedTuple):
    line: int
    text: str
    own_line: bool  # nothing but the comment on its line


@dataclass(frozen=True, slots=True, kw_only=True)
class FileFacts:
    path: str
    language: str
    module: str  # Python dotted module name / JS module id (path without extension)
    is_package: bool = False  # Python __init__.py / JS index file
    is_script: bool = False  # starts with a `#!` line: a command-line program
    line_count: int = 0
    functions: tuple[Function, ...] = ()
    classes: tuple[ClassFact, ...] = ()
    loops: tuple[Loop, ...] = ()
    calls: tuple[Call, ...] = ()
    bindings: tuple[Binding, ...] = ()
    imports: tuple[Import, ...] = ()
    exports: tuple[Export, ...] = ()
    comments: tuple[Comment, ...] = ()  # only comments that mention "perfsense"
    error_lines: tuple[int, ...] = ()
    # Facts contributed by family-specific extractors (registered in engine.registry).
    extra: dict[str, Any] = field(default_factory=dict)

    def function(self, func_id: int) -> Function:
        return self.functions[func_id]

    def loop_chain(self, loop_id: int | None) -> list[Loop]:
        """The loop and its enclosing loops (innermost first) within one function."""
        chain: list[Loop] = []
        while loop_id is not None:
            loop = self.loops[loop_id]
            chain.append(loop)
            loop_id = loop.parent
        return chain


def last_name(dotted: str) -> str:
    """The last name of a dotted root or module id: `get` of `requests.get`, `query` of
    `./db:query`."""
    return dotted.rpartition(".")[2].rpartition(":")[2]


def _flat(item: tuple) -> tuple:
    return tuple.__new__, (type(item), tuple(item))


# Facts travel pickled from the workers (and live in the cache): a named tuple pickles by
# calling its `__getnewargs__` and unpickles through its `__new__`, both Python functions;
# reduced to `tuple.__new__(cls, items)`, pickling and unpickling run in C (Django's
# results: 1.90 -> 1.50 s to pickle, 0.84 -> 0.61-0.72 s to unpickle).
for _kind in (Step, Value, Function, Loop, Arg, Call, Binding, Import, Export, ClassFact, Comment):
    copyreg.pickle(_kind, _flat)
