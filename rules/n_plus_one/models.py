"""The project's ORM models and their relations, read from class facts.

Django: `ForeignKey`/`OneToOneField`/`ManyToManyField` (and reverse relations through
`related_name` or `<model>_set`), custom managers, properties. SQLAlchemy: `relationship()`
with its loading strategy, target class from the argument or the `Mapped[...]` annotation,
`backref`. Sequelize, TypeORM and Prisma-client subclasses are recognised by their bases.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from perfsense.rules.n_plus_one.catalog import Framework, Orm
from perfsense.scanner.facts.model import ClassFact, Value
from perfsense.scanner.patterns import PatternSet
from perfsense.scanner.project import Project

ModelKey = tuple[str, str]  # (path, class qualname)
_KWARG = re.compile(r"^(\w+)=(.*)$", re.DOTALL)
_ANNOTATION = re.compile(r"^\s*\w+\s*:\s*(?P<type>[^=]+?)\s*=")
_IDENT = re.compile(r"[A-Za-z_][\w.]*")
_WRAPPERS = frozenset({"Mapped", "DynamicMapped", "WriteOnlyMapped", "list", "List", "set", "Set", "Optional",
                       "Union", "None", "Collection", "Sequence", "typing", "AppenderQuery", "sqlalchemy",
                       "orm", "typing.Optional", "typing.List", "sqlalchemy.orm.Mapped"})
_MANY_TYPES = ("list[", "List[", "set[", "Set[", "Collection[", "Sequence[", "DynamicMapped[",
               "WriteOnlyMapped[", "AppenderQuery[")


@dataclass(slots=True)
class Relation:
    name: str
    many: bool | None  # None: unknown cardinality
    target: ModelKey | None
    target_name: str = ""  # as written, when the target could not be resolved
    eager: bool = False  # loaded with its owner (SQLAlchemy lazy="joined"/"selectin"/…)
    dynamic: bool = False  # the attribute is a query (SQLAlchemy lazy="dynamic")
    generic: bool = False  # Django GenericForeignKey


@dataclass(slots=True)
class Model:
    framework: str
    key: ModelKey
    name: str
    relations: dict[str, Relation] = field(default_factory=dict)
    managers: set[str] = field(default_factory=set)
    properties: set[str] = field(default_factory=set)
    bases: list[ModelKey] = field(default_factory=list)


@dataclass(slots=True)
class ModelIndex:
    models: dict[ModelKey, Model] = field(default_factory=dict)
    by_name: dict[str, list[ModelKey]] = field(default_factory=dict)
    # Django to-many relation names (any model): `x.<name>.filter()` on an unknown `x`.
    many_names: dict[str, set[ModelKey | None]] = field(default_factory=dict)

    def get(self, key: ModelKey | None) -> Model | None:
        return self.models.get(key) if key is not None else None

    def relation(self, key: ModelKey, name: str) -> Relation | None:
        """A relation of the model or of one of its project base classes."""
        seen: set[ModelKey] = set()
        queue = [key]
        while queue and len(seen) < 16:
            current = queue.pop(0)
            if current in seen:
                continue
            seen.add(current)
            model = self.models.get(current)
            if model is None:
                continue
            if name in model.relations:
                return model.relations[name]
            queue.extend(model.bases)
        return None

    def has_member(self, key: ModelKey, attr: str, table: str) -> bool:
        seen: set[ModelKey] = set()
        queue = [key]
        while queue and len(seen) < 16:
            current = queue.pop(0)
            model = self.models.get(current)
            if current in seen or model is None:
                continue
            seen.add(current)
            if attr in getattr(model, table):
                return True
            queue.extend(model.bases)
        return False


def model_index(project: Project, orm: Orm) -> ModelIndex:
    return project.derived("n-plus-one:models", lambda p: _build(p, orm))


def _build(project: Project, orm: Orm) -> ModelIndex:
    index = ModelIndex()
    frameworks = [fw for fw in orm.frameworks.values()
                  if fw.model_bases or fw.model_fields or fw.data.get("model_decorators")]
    pending: list[tuple[ClassFact, str]] = []
    for path in sorted(project.files):
        facts = project.files[path]
        family = "python" if facts.language == "python" else "javascript"
        for cls in facts.classes:
            fw = _direct_framework(project, path, cls, [f for f in frameworks if f.language == family])
            if fw is not None:
                _add(index, project, path, cls, fw)
            else:
                pending.append((cls, path))
    for _ in range(4):  # classes derived from project models (abstract bases, mixins)
        changed = False
        for cls, path in list(pending):
            base_key = _project_model_base(project, index, path, cls)
            if base_key is not None:
                _add(index, project, path, cls, orm.frameworks[index.models[base_key].framework])
                pending.remove((cls, path))
                changed = True
        if not changed:
            break
    for model in list(index.models.values()):
        facts = project.files[model.key[0]]
        cls = next(c for c in facts.classes if c.qualname == model.key[1])
        model.bases = [k for k in (_base_key(project, model.key[0], b) for b in cls.bases) if k in index.models]
        fw = orm.frameworks[model.framework]
        if model.framework == "django":
            _django_relations(index, project, model, cls, fw)
        elif model.framework == "sqlalchemy":
            _sqlalchemy_relations(index, project, model, cls, fw)
        elif model.framework == "typeorm":
            _typeorm_relations(index, model, cls, fw)
    return index


def _direct_framework(project: Project, path: str, cls: ClassFact, frameworks: list[Framework]) -> Framework | None:
    for fw in frameworks:
        for base in cls.bases:
            resolved = project.resolve(base, path)
            if project.class_of(resolved) is None and fw.model_bases.match(resolved.text):
                return fw
        if fw.model_fields:
            for _name, value, _text in cls.attributes:
                if value is not None and _callee_text(project, path, value, fw.model_fields):
                    return fw
        decorators = fw.patterns("model_decorators")
        if decorators and any(decorators.match(project.resolve(Value(d.root), path).text) for d in cls.decorators):
            return fw
    return None


def _callee_text(project: Project, path: str, value: Value, patterns: PatternSet) -> str | None:
    """`django.db.models.ForeignKey` for `models.ForeignKey(...)`, when it matches."""
    if not value.steps or not value.steps[-1].call:
        return None
    resolved = project.resolve(value, path)
    callee = resolved.text.removesuffix("()")
    return callee if patterns.match(callee) else None


def _base_key(project: Project, path: str, base: Value) -> ModelKey | None:
    found = project.class_of(project.resolve(base, path))
    return (found[1], found[0].qualname) if found is not None else None


def _project_model_base(project: Project, index: ModelIndex, path: str, cls: ClassFact) -> ModelKey | None:
    for base in cls.bases:
        key = _base_key(project, path, base)
        if key is not None and key in index.models:
            return key
    return None


def _add(index: ModelIndex, project: Project, path: str, cls: ClassFact, fw: Framework) -> None:
    key = (path, cls.qualname)
    model = Model(framework=fw.name, key=key, name=cls.name)
    index.models[key] = model
    index.by_name.setdefault(cls.name, []).append(key)
    facts = project.files[path]
    decorators = PatternSet(fw.data.get("property_decorators") or ())
    for name, func_id in cls.methods:
        fn = facts.functions[func_id]
        if any(decorators.match(d.text) or d.text.endswith("cached_property") for d in fn.decorators):
            model.properties.add(name)
    managers = PatternSet(fw.data.get("manager_values") or ())
    for name, value, _text in cls.attributes:
        if value is not None and managers and managers.match(project.resolve(value, path).text):
            model.managers.add(name)


# --- Django -------------------------------------------------------------------------
def _django_relations(index: ModelIndex, project: Project, model: Model, cls: ClassFact, fw: Framework) -> None:
    path = model.key[0]
    to_one = fw.patterns("relations", "to_one")
    to_many = fw.patterns("relations", "to_many")
    generic = fw.patterns("relations", "generic")
    for name, value, _text in cls.attributes:
        if value is None or not value.steps or not value.steps[-1].call:
            continue
        args = value.steps[-1].args
        if _callee_text(project, path, value, generic):
            model.relations[name] = Relation(name, False, None, generic=True)
            continue
        many = True if _callee_text(project, path, value, to_many) else (
            False if _callee_text(project, path, value, to_one) else None)
        if many is None:
            continue
        positional = [a for a in args if not _KWARG.match(a)]
        kwargs = _kwargs(args)
        target_text = kwargs.get("to") or (positional[0] if positional else "")
        target = _django_target(index, project, path, model, target_text)
        model.relations[name] = Relation(name, many, target, target_name=_unquote(target_text))
        _django_reverse(index, model, name, many, target, kwargs, value, project, path)


def _django_reverse(index: ModelIndex, model: Model, name: str, many: bool, target: ModelKey | None,
                    kwargs: dict[str, str], value: Value, project: Project, path: str) -> None:
    related = _unquote(kwargs.get("related_name", ""))
    one_to_one = project.resolve(value, path).text.rstrip("()").endswith("OneToOneField")
    if related.endswith("+"):
        return
    lower = model.name.lower()
    related = related.replace("%(class)s", lower).replace("%(model_name)s", lower)
    if "%(" in related:
        return
    reverse_name = related or (lower if one_to_one else f"{lower}_set")
    reverse_many = not one_to_one
    if reverse_many:
        index.many_names.setdefault(reverse_name, set()).add(model.key)
    if many:
        index.many_names.setdefault(name, set()).add(target)
    target_model = index.get(target)
    if target_model is not None and reverse_name not in target_model.relations:
        target_model.relations[reverse_name] = Relation(reverse_name, reverse_many, model.key)


def _django_target(index: ModelIndex, project: Project, path: str, model: Model, text: str) -> ModelKey | None:
    text = text.strip()
    if not text:
        return None
    name = _unquote(text)
    if name == "self":
        return model.key
    if name != text:  # a string: 'Model' or 'app_label.Model'
        return _by_name(index, name.rsplit(".", 1)[-1], "django")
    if not re.fullmatch(r"[A-Za-z_][\w.]*", text):
        return None
    facts = project.files[path]
    if any(c.qualname == text for c in facts.classes):
        return (path, text) if (path, text) in index.models else None
    resolved = project.resolve(Value(_qualify(facts, text)), path)
    found = project.class_of(resolved)
    if found is not None and (found[1], found[0].qualname) in index.models:
        return found[1], found[0].qualname
    return _by_name(index, text.rsplit(".", 1)[-1], "django") if "." not in text else None


def _qualify(facts, name: str) -> str:
    """A name as written in a file, as a value root (imports followed)."""
    head, _, rest = name.partition(".")
    for imp in facts.imports:
        if imp.local == head:
            base = f"{imp.module}.{imp.name}" if imp.name and imp.name != "*" else imp.module
            return f"{base}.{rest}" if rest else base
    return f"{facts.module}.{name}" if facts.module else name


def model_of_name(index: ModelIndex, project: Project, path: str, name: str) -> ModelKey | None:
    """The model a name written in the file at `path` refers to (`Order`, `models.Order`)."""
    name = _unquote(name)
    if not re.fullmatch(r"[A-Za-z_][\w.]*", name):
        return None
    facts = project.files.get(path)
    if facts is None:
        return None
    if (path, name) in index.models:
        return path, name
    root = _qualify(facts, name) if facts.language == "python" else _js_qualify(facts, name)
    found = project.class_of(project.resolve(Value(root), path))
    if found is not None and (found[1], found[0].qualname) in index.models:
        return found[1], found[0].qualname
    return None


def _js_qualify(facts, name: str) -> str:
    from perfsense.scanner.facts.jsvalues import module_root

    for imp in facts.imports:
        if imp.local == name:
            return module_root(imp.module, imp.name).root
    return f"{facts.module}:{name}"


def _by_name(index: ModelIndex, name: str, framework: str) -> ModelKey | None:
    keys = [k for k in index.by_name.get(name, []) if index.models[k].framework == framework]
    return keys[0] if len(keys) == 1 else None


def _kwargs(args: tuple[str, ...]) -> dict[str, str]:
    """`name=value` argument texts as a dict."""
    out: dict[str, str] = {}
    for arg in args:
        found = _KWARG.match(arg)
        if found:
            out[found.group(1)] = found.group(2)
    return out


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


# --- SQLAlchemy ---------------------------------------------------------------------
def _sqlalchemy_relations(index: ModelIndex, project: Project, model: Model, cls: ClassFact,
                          fw: Framework) -> None:
    path = model.key[0]
    patterns = fw.patterns("relations", "relationship")
    eager = set(fw.data.get("eager_strategies") or ())
    dynamic = set(fw.data.get("query_strategies") or ())
    for name, value, text in cls.attributes:
        if value is None or not _callee_text(project, path, value, patterns):
            continue
        args = value.steps[-1].args
        positional = [a for a in args if not _KWARG.match(a)]
        kwargs = _kwargs(args)
        annotation = _ANNOTATION.match(text)
        type_text = annotation.group("type") if annotation else ""
        target_text = _unquote(positional[0]) if positional else ""
        if not target_text and type_text:
            names = [n for n in _IDENT.findall(type_text) if n not in _WRAPPERS]
            target_text = names[-1] if names else ""
        many: bool | None = None
        if kwargs.get("uselist") in ("False", "True"):
            many = kwargs["uselist"] == "True"
        elif type_text:
            many = any(marker in type_text for marker in _MANY_TYPES)
        strategy = _unquote(kwargs.get("lazy", "")) or "select"
        target = _by_name(index, target_text.rsplit(".", 1)[-1], "sqlalchemy") if target_text else None
        model.relations[name] = Relation(name, many, target, target_name=target_text,
                                         eager=strategy in eager, dynamic=strategy in dynamic)
        backref = kwargs.get("backref", "")
        back = re.match(r"""^(?:[\w.]*backref\()?\s*['"](\w+)['"]""", backref)
        target_model = index.get(target)
        if back and target_model is not None and back.group(1) not in target_model.relations:
            back_eager = re.search(r"lazy=['\"](\w+)", backref)
            target_model.relations[back.group(1)] = Relation(
                back.group(1), None, model.key,
                eager=bool(back_eager and back_eager.group(1) in eager),
                dynamic=bool(back_eager and back_eager.group(1) in dynamic))


# --- TypeORM ------------------------------------------------------------------------
_TS_FIELD = re.compile(r"@(\w+)\([^\n]*\)\s*(?:\w+\s+)*(\w+)[!?]?\s*:\s*([^;=\n]+)", re.DOTALL)


def _typeorm_relations(index: ModelIndex, model: Model, cls: ClassFact, fw: Framework) -> None:
    """`@ManyToOne(() => Customer) customer: Promise<Customer>`: a lazy relation (loaded by
    reading the property); without `Promise<…>` the relation is only there when the query
    loaded it (`relations`), and reading it runs no query."""
    kinds = set(fw.data.get("relation_decorators") or ())
    for name, _value, text in cls.attributes:
        found = _TS_FIELD.search(text)
        if found is None or found.group(1) not in kinds:
            continue
        type_text = found.group(3).strip()
        lazy = type_text.startswith("Promise<")
        names = [n for n in _IDENT.findall(type_text) if n not in ("Promise", "Array")]
        target = _by_name(index, names[0], "typeorm") if names else None
        model.relations[name] = Relation(name, "[]" in type_text or "Array<" in type_text, target,
                                         target_name=names[0] if names else "", eager=not lazy)
