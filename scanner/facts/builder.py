"""Language-independent half of fact extraction: mutable records, scopes, name resolution.

The language extractors walk the tree once, recording raw values whose root is a bare
identifier together with the function it was written in. `FactsBuilder.freeze()` then
resolves every root through the scopes (local single assignments are substituted,
parameters, imports, module-level names) and returns the frozen FileFacts.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field

import tree_sitter as ts

from perfsense.scanner.facts.model import (
    MODULE_FUNCTION,
    Arg,
    Binding,
    Call,
    ClassFact,
    Comment,
    Export,
    FileFacts,
    Function,
    Import,
    Loop,
    Step,
    Value,
)
from perfsense.scanner.model import Span
from perfsense.scanner.parse import captures
from perfsense.scanner.source import SourceFile

_new = tuple.__new__
MAX_DEPTH = 4  # substitution levels
MAX_STEPS = 16

# Roots that are not names: literals and expressions perfsense does not follow.
LITERAL_ROOTS = frozenset(
    {"<dict>", "<list>", "<set>", "<tuple>", "<str>", "<num>", "<bool>", "<none>", "<listcomp>",
     "<setcomp>", "<dictcomp>", "<genexp>", "<lambda>", "<expr>", "<object>", "<array>", "<function>",
     "<template>", "<regex>", "<new>", "<class>"}
)


@dataclass(slots=True)
class RawValue:
    func: int
    value: Value

    @classmethod
    def literal(cls, func: int, kind: str) -> RawValue:
        return cls(func, Value(kind))


@dataclass(slots=True)
class FunctionRec:
    id: int
    name: str
    qualname: str
    kind: str
    is_async: bool
    span: Span
    header: Span
    parent: int | None
    class_name: str | None = None
    params: list[str] = field(default_factory=list)
    param_types: list[tuple[str, str]] = field(default_factory=list)  # raw type names
    decorators: list[RawValue] = field(default_factory=list)
    handler: str | None = None
    callback_of: int | None = None
    iteration: bool = False
    is_generator: bool = False
    exported: bool = False


@dataclass(slots=True)
class LoopRec:
    id: int
    func: int
    kind: str
    is_async: bool
    span: Span
    header: Span
    parent: int | None
    iter_text: str = ""
    iterable: RawValue | None = None
    targets: list[str] = field(default_factory=list)
    small_literal: bool = False
    breaks: bool = False


@dataclass(slots=True)
class ArgRec:
    name: str | None
    text: str
    value: RawValue | None = None
    literal: str | None = None
    function: int | None = None


@dataclass(slots=True)
class CallRec:
    id: int
    func: int
    span: Span
    callee: RawValue
    awaited: bool = False
    loop: int | None = None
    args: list[ArgRec] = field(default_factory=list)
    statement: bool = False
    returned: bool = False


@dataclass(slots=True)
class BindingRec:
    func: int
    name: str
    value: RawValue | None
    span: Span
    text: str = ""
    kind: str = "assign"


@dataclass(slots=True)
class ClassRec:
    name: str
    qualname: str
    span: Span
    bases: list[RawValue] = field(default_factory=list)
    decorators: list[RawValue] = field(default_factory=list)
    methods: list[tuple[str, int]] = field(default_factory=list)
    attributes: list[tuple[str, RawValue | None, str]] = field(default_factory=list)
    instance_attributes: list[tuple[str, RawValue | None]] = field(default_factory=list)
    exported: bool = False


class FactsBuilder:
    """Collects records during the walk and resolves names once the walk is done."""

    def __init__(self, path: str, language: str, module: str, is_package: bool, line_count: int) -> None:
        self.path = path
        self.language = language
        self.module = module
        self.is_package = is_package
        self.line_count = line_count
        self.functions: list[FunctionRec] = []
        self.loops: list[LoopRec] = []
        self.calls: list[CallRec] = []
        self.bindings: list[BindingRec] = []
        self.classes: list[ClassRec] = []
        self.class_by_qualname: dict[str, ClassRec] = {}
        self._module_values: dict[str, RawValue] = {}
        self.imports: list[Import] = []
        self.exports: list[Export] = []
        self.comments: list[Comment] = []
        self.error_lines: list[int] = []
        self.is_script = False
        # name -> resolved value, for import bindings (per function; module = 0)
        self.import_names: dict[tuple[int, str], Value] = {}
        self.builtins: frozenset[str] = frozenset()
        self.self_names: frozenset[str] = frozenset({"self", "cls"})
        self._by_scope: dict[tuple[int, str], list[BindingRec]] | None = None
        self._memo: dict[tuple[int, str], Value] = {}

    # --- recording -------------------------------------------------------------------
    def add_function(self, **kwargs: object) -> FunctionRec:
        rec = FunctionRec(id=len(self.functions), **kwargs)  # type: ignore[arg-type]
        self.functions.append(rec)
        return rec

    def add_loop(self, **kwargs: object) -> LoopRec:
        rec = LoopRec(id=len(self.loops), **kwargs)  # type: ignore[arg-type]
        self.loops.append(rec)
        return rec

    def add_call(self, **kwargs: object) -> CallRec:
        rec = CallRec(id=len(self.calls), **kwargs)  # type: ignore[arg-type]
        self.calls.append(rec)
        return rec

    def add_class(self, rec: ClassRec) -> None:
        self.classes.append(rec)
        self.class_by_qualname.setdefault(rec.qualname, rec)

    def owner_class(self, func: int) -> ClassRec | None:
        """The class whose method (or a lambda inside it) `func` is."""
        rec = self.functions[func]
        while rec.class_name is None and rec.kind == "lambda" and rec.parent is not None:
            rec = self.functions[rec.parent]
        return self.class_by_qualname.get(rec.class_name) if rec.class_name else None

    def module_binding(self, name: str) -> RawValue | None:
        """The value of the first module-level `name = value` seen so far."""
        return self._module_values.get(name)

    def bind(self, func: int, name: str, value: RawValue | None, span: Span, text: str = "",
             kind: str = "assign") -> None:
        self.bindings.append(BindingRec(func, name, value, span, text, kind))
        if func == MODULE_FUNCTION and value is not None:
            self._module_values.setdefault(name, value)

    def add_import(self, imp: Import, resolved: Value | None) -> None:
        self.imports.append(imp)
        if imp.local and resolved is not None:
            self.import_names[(imp.func, imp.local)] = resolved

    def collect_comments(self, source: SourceFile, root: ts.Node) -> None:
        """Comments that mention perfsense (suppressions), wherever they sit in the tree."""
        if b"perfsense" not in source.data:
            return
        for _name, node in captures(source.language, "(comment) @comment", root):
            raw = node.text or b""
            if b"perfsense" not in raw:
                continue
            pos = source.position(node.start_byte)
            before = source.line_text(pos.line)[: pos.column]
            self.comments.append(Comment(line=pos.line, text=raw.decode("utf-8", "replace"),
                                         own_line=not before.strip()))

    # --- resolution ------------------------------------------------------------------
    def _scopes(self) -> dict[tuple[int, str], list[BindingRec]]:
        if self._by_scope is None:
            table: dict[tuple[int, str], list[BindingRec]] = {}
            for rec in self.bindings:
                table.setdefault((rec.func, rec.name), []).append(rec)
            self._by_scope = table
        return self._by_scope

    def resolve(self, raw: RawValue | None, depth: int = 0) -> Value | None:
        if raw is None:
            return None
        value = raw.value
        if value.root in LITERAL_ROOTS or depth > MAX_DEPTH:
            return value
        base = self.resolve_name(raw.func, value.root, depth)
        if not base.steps and base.root == value.root and len(value.steps) <= MAX_STEPS:
            return value  # (most roots resolve to themselves: no new value)
        steps = base.steps + value.steps
        return _new(Value, (base.root, steps[:MAX_STEPS]))

    def resolve_name(self, func: int, name: str, depth: int = 0) -> Value:
        key = (func, name)
        cached = self._memo.get(key)
        if cached is not None:
            return cached
        self._memo[key] = Value(f"local:{name}")  # guards against cycles
        result = self._resolve_name(func, name, depth)
        self._memo[key] = result
        return result

    def _resolve_name(self, func: int, name: str, depth: int) -> Value:
        head, dot, rest = name.partition(".")
        if dot:  # dotted roots (`a.b` from `import a.b`) resolve their head
            base = self.resolve_name(func, head, depth)
            return Value(base.root, base.steps + tuple(Step(part) for part in rest.split(".")))
        scopes = self._scopes()
        scope: int | None = func
        while scope is not None:
            rec = self.functions[scope]
            if scope != MODULE_FUNCTION:
                if name in self.self_names and rec.class_name and rec.params[:1] == [name]:
                    return Value("self")
                if (scope, name) in self.import_names:
                    return self.import_names[(scope, name)]
                local = scopes.get((scope, name))
                if local:
                    return self._local_value(scope, name, local, depth)
                if name in rec.params:
                    return self._param_value(rec, name, depth)
            scope = rec.parent
        if (MODULE_FUNCTION, name) in self.import_names:
            return self.import_names[(MODULE_FUNCTION, name)]
        if (MODULE_FUNCTION, name) in scopes:
            return Value(self.global_name(name))
        return Value(name)

    def global_name(self, name: str) -> str:
        """Module-qualified name of a top-level definition (`pkg.mod.f`, JS `./src/db:f`)."""
        if not self.module:
            return name
        return sys.intern(f"{self.module}{self.module_separator}{name}")

    @property
    def module_separator(self) -> str:
        return "." if self.language == "python" else ":"

    def _local_value(self, scope: int, name: str, recs: list[BindingRec], depth: int) -> Value:
        candidates: dict[str, BindingRec] = {}
        for rec in recs:
            if rec.kind in ("def", "class"):
                return self._nested_definition(scope, name)
            if rec.value is None:
                return Value(f"local:{name}")
            raw = rec.value.value
            if raw.root == name and rec.value.func == scope:
                continue  # `qs = qs.filter(...)`: derived from itself
            candidates.setdefault(raw.full_text, rec)
        if len(candidates) != 1:
            return Value(f"local:{name}")
        rec = next(iter(candidates.values()))
        resolved = self.resolve(rec.value, depth + 1)
        return resolved if resolved is not None else Value(f"local:{name}")

    def _nested_definition(self, scope: int, name: str) -> Value:
        if not hasattr(self, "_nested"):
            self._nested = {(rec.parent, rec.name): rec.qualname for rec in reversed(self.functions)}
        qualname = self._nested.get((scope, name))
        return Value(self.global_name(qualname)) if qualname is not None else Value(f"local:{name}")

    def _param_value(self, rec: FunctionRec, name: str, depth: int) -> Value:
        for param, type_name in rec.param_types:
            if param == name and type_name:
                base = self.resolve_name(rec.parent if rec.parent is not None else 0, type_name, depth + 1)
                return base.extend(Step(call=True))
        return Value(f"param:{name}")

    # --- freezing --------------------------------------------------------------------
    def freeze(self, extra: dict | None = None) -> FileFacts:
        self._by_scope = None  # resolution during the walk saw only part of the file
        self.__dict__.pop("_nested", None)
        self._memo.clear()
        r = self.resolve
        functions = tuple(
            Function(
                id=f.id, name=f.name, qualname=f.qualname, kind=f.kind, is_async=f.is_async,
                span=f.span, header=f.header, parent=f.parent, class_name=f.class_name,
                params=tuple(f.params),
                param_types=tuple((p, self._type_text(f, t)) for p, t in f.param_types),
                decorators=tuple(v for v in (r(d) for d in f.decorators) if v is not None),
                handler=f.handler, callback_of=f.callback_of, iteration=f.iteration,
                is_generator=f.is_generator, exported=f.exported,
            )
            for f in self.functions
        )
        loops = tuple(
            Loop(id=lp.id, func=lp.func, kind=lp.kind, is_async=lp.is_async, span=lp.span,
                 header=lp.header, parent=lp.parent, iter_text=lp.iter_text, iterable=r(lp.iterable),
                 targets=tuple(lp.targets), small_literal=lp.small_literal, breaks=lp.breaks)
            for lp in self.loops
        )
        # (the most numerous facts are built by tuple.__new__ with the fields in order: the
        # named tuples' own __new__ is a Python function, a third of freezing's time)
        calls = tuple(
            _new(Call, (c.id, c.func, c.span, r(c.callee) or Value("<expr>"), c.awaited, c.loop,
                        tuple(_new(Arg, (a.name, a.text, r(a.value) if a.value is not None else None,
                                         a.literal, a.function)) for a in c.args),
                        c.statement, c.returned))
            for c in self.calls
        )
        bindings = tuple(
            _new(Binding, (b.func, b.name, r(b.value) if b.value is not None else None, b.span, b.text, b.kind))
            for b in self.bindings
        )
        classes = tuple(
            ClassFact(
                name=c.name, qualname=c.qualname, span=c.span,
                bases=tuple(v for v in (r(b) for b in c.bases) if v is not None),
                decorators=tuple(v for v in (r(d) for d in c.decorators) if v is not None),
                methods=tuple(c.methods),
                attributes=tuple((n, r(v), t) for n, v, t in c.attributes),
                instance_attributes=tuple((n, r(v)) for n, v in c.instance_attributes),
                exported=c.exported,
            )
            for c in self.classes
        )
        return FileFacts(
            path=self.path, language=self.language, module=self.module, is_package=self.is_package,
            is_script=self.is_script,
            line_count=self.line_count, functions=functions, classes=classes, loops=loops,
            calls=calls, bindings=bindings, imports=tuple(self.imports), exports=tuple(self.exports),
            comments=tuple(self.comments), error_lines=tuple(self.error_lines), extra=extra or {},
        )

    def _type_text(self, rec: FunctionRec, type_name: str) -> str:
        if not type_name:
            return ""
        scope = rec.parent if rec.parent is not None else MODULE_FUNCTION
        return self.resolve_name(scope, type_name).text

