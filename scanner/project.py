"""The project index: every file's facts, and name resolution across modules.

Per-file facts name things as the file sees them (`app.db.SessionLocal`,
`./src/db:prisma`, `self.repo`). The project index follows those names into the module
that defines them: module-level assignments, re-exports, class attributes, so a rule can
ask what a value *is* (`sqlalchemy.orm.sessionmaker()()`) and which project function a
call reaches.
"""
from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

from perfsense.scanner.facts.jsvalues import module_root
from perfsense.scanner.facts.model import (
    MODULE_FUNCTION,
    ClassFact,
    FileFacts,
    Function,
    Step,
    Value,
)

MAX_DEPTH = 6
MEMO_LIMIT = 2_000_000  # entries kept across same-shape edits before the memo starts afresh
SELF_ROOTS = frozenset({"self", "this", "cls"})


class FunctionRef(NamedTuple):
    path: str
    id: int


class Project:
    def __init__(self, files: Mapping[str, FileFacts], root: str = "") -> None:
        self.root = root
        self.files: dict[str, FileFacts] = {}
        self.py_modules: dict[str, list[str]] = {}
        self.js_modules: dict[str, str] = {}
        self.py_tops: set[str] = set()
        # Namespace packages (folders without __init__.py): `etl.load` for etl/load.py whose
        # module name is `load`; used only when no real module has that name.
        self.py_aliases: dict[str, list[str]] = {}
        self._defs: dict[str, dict[str, int]] = {}
        self._classes: dict[str, dict[str, ClassFact]] = {}
        self._module_values: dict[str, dict[str, list[Value | None]]] = {}
        self._imports: dict[str, dict[str, Value]] = {}
        self._memo: dict[tuple, object] = {}  # resolution results; cleared when a file changes
        self._classes_memo: dict[tuple, object] = {}  # class facts (they carry positions)
        # Structures rules derive from the whole project (e.g. an ORM model index);
        # emptied whenever a file is added, replaced or removed.
        self._derived: dict[str, Any] = {}
        self._shape_derived: dict[str, Any] = {}  # built from file shapes only (see derived())
        self._per_file: dict[str, dict[str, tuple[FileFacts, Any]]] = {}  # path -> key -> (facts, value)
        for facts in files.values():
            self._add(facts)

    # --- indexing --------------------------------------------------------------------
    def _add(self, facts: FileFacts) -> None:
        path = facts.path
        self._memo = {}
        self._classes_memo = {}
        self._derived = {}
        self._shape_derived = {}
        self.files[path] = facts
        if facts.language == "python":
            self.py_modules.setdefault(facts.module, []).append(path)
            self.py_tops.add(facts.module.split(".", 1)[0])
            for alias in _namespace_aliases(path, facts.module, facts.is_package):
                self.py_aliases.setdefault(alias, []).append(path)
                self.py_tops.add(alias.split(".", 1)[0])
        else:
            self.js_modules[facts.module] = path
            if facts.is_package:
                self.js_modules.setdefault(posixpath.dirname(facts.module) or ".", path)
        self._defs[path] = {f.qualname: f.id for f in facts.functions
                            if f.kind in ("function", "method") and "<" not in f.qualname}
        self._classes[path] = {c.qualname: c for c in facts.classes}
        values: dict[str, list[Value | None]] = {}
        for binding in facts.bindings:
            if binding.func == MODULE_FUNCTION and binding.kind in ("assign", "augmented"):
                values.setdefault(binding.name, []).append(binding.value)
        self._module_values[path] = values
        self._imports[path] = {}
        for imp in facts.imports:
            if imp.func == MODULE_FUNCTION and imp.local:
                self._imports[path][imp.local] = _import_value(facts.language, imp.module, imp.name)

    def replace_file(self, facts: FileFacts, same_shape: bool = False) -> None:
        """Swap a file's facts. `same_shape`: `file_shape()` did not change, so every name
        resolves as before and the resolution memo survives (positions are not in it)."""
        memo, shaped = self._memo, self._shape_derived
        self.remove_file(facts.path)
        self._add(facts)
        if same_shape and len(memo) < MEMO_LIMIT:
            self._memo, self._shape_derived = memo, shaped

    def remove_file(self, path: str) -> None:
        old = self.files.pop(path, None)
        self._memo = {}
        self._classes_memo = {}
        self._derived = {}
        self._shape_derived = {}
        if old is None:
            return
        if old.language == "python":
            paths = self.py_modules.get(old.module, [])
            if path in paths:
                paths.remove(path)
            if not paths:
                self.py_modules.pop(old.module, None)
            for alias in _namespace_aliases(path, old.module, old.is_package):
                aliased = self.py_aliases.get(alias, [])
                if path in aliased:
                    aliased.remove(path)
                if not aliased:
                    self.py_aliases.pop(alias, None)
        else:
            for key in [k for k, v in self.js_modules.items() if v == path]:
                del self.js_modules[key]
        for table in (self._defs, self._classes, self._module_values, self._imports):
            table.pop(path, None)
        self._per_file.pop(path, None)

    def derived(self, key: str, build: Callable[[Project], Any], shape: bool = False) -> Any:
        """Memoise `build(project)` until the project's files change.

        `shape=True`: the structure reads only what `file_shape()` covers (classes, their
        attributes and methods, module-level values, imports, resolution), so it is kept
        across edits that leave every shape as it was: the language server then does not
        rebuild it on each keystroke inside a function body.
        """
        table = self._shape_derived if shape else self._derived
        if key not in table:
            table[key] = build(self)
        return table[key]

    def derived_per_file(self, key: str, facts: FileFacts, build: Callable[[FileFacts], Any]) -> Any:
        """Memoise `build(facts)` for one file until any file of the project changes (for
        per-file values that read other files too, such as name resolution)."""
        table: dict[str, tuple[FileFacts, Any]] = self.derived(key, lambda _p: {})
        entry = table.get(facts.path)
        if entry is None or entry[0] is not facts:
            entry = table[facts.path] = (facts, build(facts))
        return entry[1]

    def per_file(self, key: str, facts: FileFacts, build: Callable[[FileFacts], Any]) -> Any:
        """Memoise `build(facts)` for one file until that file changes: a project-wide
        summary made of per-file parts then costs one file's work after an edit."""
        table = self._per_file.setdefault(facts.path, {})
        entry = table.get(key)
        if entry is None or entry[0] is not facts:  # (facts of another version of the file)
            entry = table[key] = (facts, build(facts))
        return entry[1]

    # --- modules ---------------------------------------------------------------------
    def module_file(self, module: str, near: str = "") -> str | None:
        """The file of a Python module or JS module id (the one closest to `near`)."""
        if module.startswith(("./", "..")):
            return self.js_modules.get(module) or self.js_modules.get(module + "/index")
        paths = self.py_modules.get(module) or self.py_aliases.get(module)
        if not paths:
            return None
        if len(paths) == 1 or not near:
            return paths[0]
        return max(paths, key=lambda p: (len(posixpath.commonprefix([p, near])), p))

    def split_python(self, dotted: str, near: str = "") -> tuple[str, list[str]] | None:
        """`app.db.SessionLocal` -> (path of app.db, ["SessionLocal"])."""
        top = dotted.split(".", 1)[0]
        if top not in self.py_tops:
            return None
        key = ("split", dotted, near)
        if key in self._memo:
            return self._memo[key]  # type: ignore[return-value]
        parts = dotted.split(".")
        found = None
        for cut in range(len(parts), 0, -1):
            path = self.module_file(".".join(parts[:cut]), near)
            if path is not None:
                found = path, parts[cut:]
                break
        self._memo[key] = found
        return found

    # --- resolution ------------------------------------------------------------------
    def resolve(self, value: Value, path: str, func: int | None = None, depth: int = 0) -> Value:
        """Follow a value's root into the module (or class) that defines it."""
        if depth == 0:
            context = self._class_key(path, func) if value.root in SELF_ROOTS else None
            key = ("resolve", path, context, value)
            found = self._memo.get(key)
            if found is None:
                found = self._memo[key] = self._resolve(value, path, func, 0)
            return found  # type: ignore[return-value]
        return self._resolve(value, path, func, depth)

    def _class_key(self, path: str, func: int | None) -> str | None:
        if func is None:
            return None
        cls = self.enclosing_class(path, func)
        return cls.qualname if cls is not None else None

    def _resolve(self, value: Value, path: str, func: int | None, depth: int) -> Value:
        if depth > MAX_DEPTH:
            return value
        root = value.root
        if root in SELF_ROOTS and func is not None:
            return self._resolve_self(value, path, func, depth)
        if ":" in root and root.startswith(("./", "..")):
            return self._resolve_js(value, path, depth)
        if "." in root or root in self.py_tops:
            return self._resolve_python(value, path, depth)
        return value

    def _resolve_python(self, value: Value, near: str, depth: int) -> Value:
        split = self.split_python(value.root, near)
        if split is None:
            return value
        target, names = split
        module = self.files[target].module
        extra = tuple(Step(n) for n in names) + value.steps
        if not extra:
            return Value(module)
        first = extra[0]
        if first.index or not first.name:
            return value
        rest = _after_name(first) + extra[1:]
        return self._member(target, module, first.name, rest, ".", depth) or Value(f"{module}.{first.name}", rest)

    def _resolve_js(self, value: Value, near: str, depth: int) -> Value:
        module, _, name = value.root.partition(":")
        target = self.module_file(module)
        if target is None:
            return value
        steps = value.steps
        if name == "*":
            found = self._member(target, module, "*", steps, ":", depth)
            if found is not None:
                return found
            if not steps or steps[0].index or not steps[0].name:
                return value
            name, steps = steps[0].name, _after_name(steps[0]) + steps[1:]
        return self._member(target, module, name, steps, ":", depth) or Value(f"{module}:{name}", steps)

    def _member(self, path: str, module: str, name: str, rest: tuple[Step, ...], sep: str,
                depth: int) -> Value | None:
        """What `name` is in the module at `path`, extended by `rest`."""
        facts = self.files[path]
        if name in self._defs[path] or name in self._classes[path]:
            return Value(f"{module}{sep}{name}", rest)
        if facts.language != "python":
            for export in facts.exports:
                if export.name != name:
                    continue
                if export.source is not None:
                    inner = Value(f"{export.source}:{export.source_name or name}", rest)
                    return self.resolve(inner, path, None, depth + 1)
                if export.local and export.local != name:
                    return self._member(path, module, export.local, rest, sep, depth + 1)
            if name in ("*", "default"):
                return None
        values = self._module_values[path].get(name)
        if values and len(values) == 1 and values[0] is not None:
            return self.resolve(values[0].extend(*rest), path, MODULE_FUNCTION, depth + 1)
        imported = self._imports[path].get(name)
        if imported is not None:
            return self.resolve(imported.extend(*rest), path, MODULE_FUNCTION, depth + 1)
        return None

    def _resolve_self(self, value: Value, path: str, func: int, depth: int) -> Value:
        cls = self.enclosing_class(path, func)
        if cls is None or not value.steps or value.steps[0].call or value.steps[0].index:
            return value
        attr, rest = value.steps[0].name, value.steps[1:]
        for klass, owner in self.class_chain(path, cls):
            assigned = [v for n, v in klass.instance_attributes if n == attr]
            assigned += [v for n, v, _t in klass.attributes if n == attr]
            known = [v for v in assigned if v is None or v.root != "<none>"] or assigned  # `= None`: a reset
            if len({v.full_text if v else "" for v in known}) == 1 and known[0] is not None:
                return self.resolve(known[0].extend(*rest), owner, None, depth + 1)
            if assigned:
                return value
            if any(name == attr for name, _id in klass.methods):
                sep = "." if self.files[owner].language == "python" else ":"
                return Value(f"{self.files[owner].module}{sep}{klass.qualname}.{attr}", rest)
        return value

    # --- classes and functions -------------------------------------------------------
    def enclosing_class(self, path: str, func: int) -> ClassFact | None:
        key = ("class", path, func)
        if key not in self._classes_memo:
            self._classes_memo[key] = self._enclosing_class(path, func)
        return self._classes_memo[key]  # type: ignore[return-value]

    def _enclosing_class(self, path: str, func: int) -> ClassFact | None:
        facts = self.files.get(path)
        if facts is None:
            return None
        current: Function | None = facts.functions[func]
        while current is not None and current.class_name is None:
            current = facts.functions[current.parent] if current.parent is not None else None
        if current is None:
            return None
        return self._classes[path].get(current.class_name or "")

    def class_chain(self, path: str, cls: ClassFact) -> list[tuple[ClassFact, str]]:
        """The class and its project base classes (breadth first, each once)."""
        key = ("chain", path, cls.qualname)
        if key not in self._classes_memo:
            self._classes_memo[key] = list(self._class_chain(path, cls))
        return self._classes_memo[key]  # type: ignore[return-value]

    def _class_chain(self, path: str, cls: ClassFact) -> Iterator[tuple[ClassFact, str]]:
        seen: set[tuple[str, str]] = set()
        queue = [(cls, path)]
        while queue and len(seen) < 16:
            klass, owner = queue.pop(0)
            if (owner, klass.qualname) in seen:
                continue
            seen.add((owner, klass.qualname))
            yield klass, owner
            for base in klass.bases:
                found = self.class_of(self.resolve(base, owner))
                if found is not None:
                    queue.append(found)

    def class_of(self, value: Value) -> tuple[ClassFact, str] | None:
        """The project class a value names (`pkg.mod.Repo`, `./src/x:Repo`)."""
        found = self._definition(value)
        if found is None:
            return None
        path, qualname = found
        cls = self._classes[path].get(qualname)
        return (cls, path) if cls is not None else None

    def _definition(self, value: Value) -> tuple[str, str] | None:
        if value.steps:
            return None
        root = value.root
        if ":" in root and root.startswith(("./", "..")):
            module, _, name = root.partition(":")
            path = self.module_file(module)
            return (path, name) if path is not None else None
        split = self.split_python(root)
        if split is None or not split[1]:
            return None
        return split[0], ".".join(split[1])

    def function(self, value: Value, path: str, func: int | None = None) -> FunctionRef | None:
        """The project function a callee value reaches, if any."""
        if not self._may_be_project(value.root):
            return None
        resolved = self.resolve(value, path, func)
        root = resolved.root
        if root.startswith(("./", "..")) or root.split(".", 1)[0] in self.py_tops:
            return self._function_of(resolved)
        return None

    def _may_be_project(self, root: str) -> bool:
        """Cheap test: can a value with this root name something defined in the project?"""
        if root in SELF_ROOTS:
            return True
        if root.startswith(("./", "..")):
            return ":" in root
        return root.split(".", 1)[0] in self.py_tops

    def _function_of(self, value: Value) -> FunctionRef | None:
        steps = value.steps
        if not steps:
            found = self._definition(value)
            if found is None:
                return None
            path, qualname = found
            if qualname in self._defs[path]:
                return FunctionRef(path, self._defs[path][qualname])
            cls = self._classes[path].get(qualname)
            return self._method(path, cls, "__init__" if self.files[path].language == "python"
                                else "constructor") if cls else None
        if len(steps) == 1 and steps[0].name and not steps[0].call and not steps[0].index:
            found = self.class_of(Value(value.root))
            if found is not None:  # `Repo.method` (classmethod / static)
                return self._method(found[1], found[0], steps[0].name)
        if len(steps) == 2 and steps[0].call and not steps[0].name and steps[1].name \
                and not steps[1].call and not steps[1].index:
            found = self.class_of(Value(value.root))
            if found is not None:  # `Repo().get`
                return self._method(found[1], found[0], steps[1].name)
        return None

    def _method(self, path: str, cls: ClassFact, name: str) -> FunctionRef | None:
        for klass, owner in self.class_chain(path, cls):
            for method, func_id in klass.methods:
                if method == name:
                    return FunctionRef(owner, func_id)
        return None

    def function_fact(self, ref: FunctionRef) -> Function:
        return self.files[ref.path].functions[ref.id]

    def display_name(self, ref: FunctionRef) -> str:
        fn = self.function_fact(ref)
        if fn.kind == "module":
            return f"<module {self.files[ref.path].module}>"
        if "<" in fn.qualname:
            return f"<callback at line {fn.header.start.line + 1}>"
        return fn.qualname


def _namespace_aliases(path: str, module: str, is_package: bool) -> list[str]:
    """Longer dotted names of a module whose enclosing folders are not packages (PEP 420)."""
    parts = path[:-3].split("/") if path.endswith(".py") else []
    if is_package and parts:
        parts = parts[:-1]
    known = len(module.split(".")) if module else 0
    if not parts or known >= len(parts):
        return []
    return [".".join(parts[start:]) for start in range(len(parts) - known - 1, -1, -1)][:3]


def _after_name(step: Step) -> tuple[Step, ...]:
    """What remains of `.name(args)` once `name` is looked up: the call, if any."""
    return (Step(call=True, args=step.args),) if step.call else ()


def _import_value(language: str, module: str, name: str | None) -> Value:
    if language == "python":
        return Value(f"{module}.{name}" if name and name != "*" else module)
    return module_root(module, name)


def file_shape(facts: FileFacts) -> tuple:
    """What name resolution and other files can see of a file, without positions: its
    module, functions (ids, nesting, kinds), classes, module-level values, imports and
    exports. Two versions with the same shape resolve every value the same way, so an edit
    that keeps it (typing inside a function body) needs no other file re-resolved."""
    return (
        facts.module, facts.language, facts.is_package, facts.is_script,
        tuple((f.id, f.name, f.qualname, f.kind, f.is_async, f.parent, f.class_name, f.params, f.param_types,
               f.decorators, f.handler, f.iteration, f.is_generator, f.exported) for f in facts.functions),
        tuple((c.name, c.qualname, c.bases, c.decorators, c.methods, c.attributes, c.instance_attributes,
               c.exported) for c in facts.classes),
        tuple((b.name, b.kind, b.value) for b in facts.bindings if b.func == MODULE_FUNCTION),
        tuple((i.local, i.module, i.name, i.kind, i.type_only) for i in facts.imports if i.func == MODULE_FUNCTION),
        tuple((e.name, e.local, e.source, e.source_name) for e in facts.exports),
    )
