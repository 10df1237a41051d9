"""Fact extraction for Python: one iterative walk over the tree-sitter tree."""
from __future__ import annotations

import builtins

import tree_sitter as ts

from perfsense.scanner.facts.builder import ArgRec, ClassRec, FactsBuilder, RawValue
from perfsense.scanner.facts.driver import Driver, interesting
from perfsense.scanner.facts.handlers import python_handler
from perfsense.scanner.facts.memo import NodeMemo
from perfsense.scanner.facts.model import MODULE_FUNCTION, Import, Step, Value
from perfsense.scanner.facts.pyvalues import (
    compact,
    is_small_literal,
    string_value,
    target_names,
    value_of,
)
from perfsense.scanner.source import SourceFile

ITERATION_BUILTINS = frozenset({"map", "filter"})
NODE_TYPES = ("function_definition", "lambda", "class_definition", "for_statement", "while_statement",
              "list_comprehension", "set_comprehension", "dictionary_comprehension", "generator_expression",
              "break_statement", "return_statement", "yield", "call", "assignment", "augmented_assignment",
              "with_item", "named_expression", "import_statement", "import_from_statement", "ERROR")
_BUILTINS = frozenset(dir(builtins))
ARGS: NodeMemo[tuple[str | None, str, Value | None, str | None]] = NodeMemo()  # name, text, value, literal
_CALL_CONTEXT = """
(await (call) @awaited)
(expression_statement (call) @statement)
(expression_statement (await (call) @statement))
(return_statement (call) @returned)
(return_statement (await (call) @returned))
"""


def extract(source: SourceFile, root: ts.Node, module: str, is_package: bool) -> FactsBuilder:
    builder = FactsBuilder(source.path, "python", module, is_package, source.line_count)
    builder.builtins = _BUILTINS
    _Walker(source, builder).run(root)
    builder.collect_comments(source, root)
    return builder


class _Walker:
    def __init__(self, source: SourceFile, builder: FactsBuilder) -> None:
        self.src = source
        self.b = builder
        self.call_ids: dict[int, int] = {}  # node.id of call -> Call id

    def span(self, node: ts.Node):
        return self.src.node_span(node)

    def text(self, node: ts.Node, limit: int = 200) -> str:
        return self.src.byte_text(node.start_byte, node.end_byte, limit)

    def run(self, root: ts.Node) -> None:
        self.b.is_script = self.src.data.startswith(b"#!")
        whole = self.span(root)
        self.b.add_function(name="<module>", qualname="", kind="module", is_async=False, span=whole,
                            header=whole, parent=None)
        self.driver = Driver(root)
        handlers = {kind: getattr(self, "on_" + kind) for kind in NODE_TYPES}
        nodes, self.context_ids = interesting("python", root, NODE_TYPES, _CALL_CONTEXT)
        self.driver.run(nodes, handlers)

    # --- definitions -----------------------------------------------------------------
    def on_function_definition(self, node, ctx):
        func, cls, prefix = ctx.func, ctx.cls, ctx.prefix
        name_node = node.child_by_field_name("name")
        name = self.text(name_node) if name_node else "<function>"
        is_async = bool(node.children) and node.children[0].type == "async"
        body = node.child_by_field_name("body")
        header_end = body.start_byte if body is not None else node.end_byte
        is_method = cls is not None and node.parent is not None and _in_class_body(node, cls)
        rec = self.b.add_function(
            name=name, qualname=f"{prefix}{name}", kind="method" if is_method else "function",
            is_async=is_async, span=self.span(node), header=self.src.span(node.start_byte, header_end),
            parent=func, class_name=cls.qualname if is_method else None,
        )
        self._parameters(rec, node.child_by_field_name("parameters"))
        decorated = node.parent if node.parent is not None and node.parent.type == "decorated_definition" else None
        if decorated is not None:
            for dec in decorated.named_children:
                if dec.type == "decorator" and dec.named_children:
                    rec.decorators.append(value_of(dec.named_children[0], func, self.src))
        if is_method:
            cls.methods.append((name, rec.id))
        self.b.bind(func, name, None, rec.header, kind="def")
        if func == MODULE_FUNCTION and not name.startswith("_"):
            rec.exported = True
        rec.handler = python_handler(self.b, rec, node, self.src)
        if body is not None:  # defaults, annotations and decorators run in the enclosing scope
            self.driver.push(ctx.inner(body.start_byte, node.end_byte, func=rec.id, loop=None, cls=None,
                                       prefix=f"{prefix}{name}."))

    def _parameters(self, rec, params: ts.Node | None) -> None:
        if params is None:
            return
        for param in params.named_children:
            name_node, type_node = param, None
            if param.type in ("typed_parameter", "typed_default_parameter", "default_parameter"):
                name_node = param.child_by_field_name("name") or param.named_children[0]
                type_node = param.child_by_field_name("type")
            if name_node.type in ("list_splat_pattern", "dictionary_splat_pattern"):
                name_node = name_node.named_children[0] if name_node.named_children else name_node
            if name_node.type != "identifier":
                continue
            name = self.text(name_node)
            rec.params.append(name)
            if type_node is not None:
                rec.param_types.append((name, _type_name(type_node, self.src)))

    def on_lambda(self, node, ctx):
        func, prefix = ctx.func, ctx.prefix
        rec = self.b.add_function(
            name="<lambda>", qualname=f"{prefix}<lambda>", kind="lambda", is_async=False,
            span=self.span(node), header=self.span(node), parent=func,
        )
        self._parameters(rec, node.child_by_field_name("parameters"))
        call = _enclosing_call(node)
        if call is not None and call.id in self.call_ids:
            call_rec = self.b.calls[self.call_ids[call.id]]
            rec.callback_of = call_rec.id
            rec.iteration = call_rec.callee.value.root in ITERATION_BUILTINS and not call_rec.callee.value.steps
        body = node.child_by_field_name("body")
        inner_loop = None
        if rec.iteration and call is not None:
            call_rec = self.b.calls[rec.callback_of]
            iterable = next((a.value for a in call_rec.args[1:2] if a.value is not None), None)
            inner_loop = self.b.add_loop(
                func=rec.id, kind="callback", is_async=False, span=rec.span, header=rec.header,
                parent=call_rec.loop, iter_text=call_rec.args[1].text if len(call_rec.args) > 1 else "",
                iterable=iterable, targets=rec.params[:1]).id
        if body is not None:
            self.driver.push(ctx.inner(body.start_byte, node.end_byte, func=rec.id, loop=inner_loop, cls=None))

    def on_class_definition(self, node, ctx):
        func, prefix = ctx.func, ctx.prefix
        name_node = node.child_by_field_name("name")
        name = self.text(name_node) if name_node else "<class>"
        rec = ClassRec(name=name, qualname=f"{prefix}{name}", span=self.span(node))
        supers = node.child_by_field_name("superclasses")
        if supers is not None:
            for base in supers.named_children:
                if base.type != "keyword_argument":
                    rec.bases.append(value_of(base, func, self.src))
        decorated = node.parent if node.parent is not None and node.parent.type == "decorated_definition" else None
        if decorated is not None:
            for dec in decorated.named_children:
                if dec.type == "decorator" and dec.named_children:
                    rec.decorators.append(value_of(dec.named_children[0], func, self.src))
        rec.exported = func == MODULE_FUNCTION and not name.startswith("_")
        self.b.add_class(rec)
        self.b.bind(func, name, None, self.span(name_node or node), kind="class")
        body = node.child_by_field_name("body")
        if body is not None:
            self.driver.push(ctx.inner(body.start_byte, node.end_byte, cls=rec, prefix=f"{prefix}{name}."))

    # --- loops -----------------------------------------------------------------------
    def on_for_statement(self, node, ctx):
        func, loop = ctx.func, ctx.loop
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        body = node.child_by_field_name("body")
        header_end = body.start_byte if body is not None else node.end_byte
        rec = self.b.add_loop(
            func=func, kind="for", is_async=node.children[0].type == "async", span=self.span(node),
            header=self.src.span(node.start_byte, header_end), parent=loop,
            iter_text=self.text(right) if right else "",
            iterable=value_of(right, func, self.src) if right else None,
            targets=target_names(left, self.src) if left else [],
            small_literal=is_small_literal(right, self.src) if right else False,
        )
        for name in rec.targets:
            element = rec.iterable.value.extend(Step("*", index=True)) if rec.iterable else None
            self.b.bind(func, name, RawValue(func, element) if element else None, rec.header, kind="for")
        if body is not None:  # the iterable is evaluated once, before the loop; `else:` once, after it
            self.driver.push(ctx.inner(body.start_byte, body.end_byte, loop=rec.id))

    def on_while_statement(self, node, ctx):
        func, loop = ctx.func, ctx.loop
        body = node.child_by_field_name("body")
        cond = node.child_by_field_name("condition")
        header_end = body.start_byte if body is not None else node.end_byte
        rec = self.b.add_loop(
            func=func, kind="while", is_async=False, span=self.span(node),
            header=self.src.span(node.start_byte, header_end), parent=loop,
            iter_text=self.text(cond) if cond else "",
        )
        end = body.end_byte if body is not None else node.end_byte  # (`else:` runs once, after it)
        self.driver.push(ctx.inner(node.start_byte, end, loop=rec.id))

    def _comprehension(self, node, ctx):
        func = ctx.func
        clauses = [c for c in node.named_children if c.type == "for_in_clause"]
        current = ctx.loop
        for index, clause in enumerate(clauses):
            left, right = clause.child_by_field_name("left"), clause.child_by_field_name("right")
            rec = self.b.add_loop(
                func=func, kind="comprehension", is_async=any(c.type == "async" for c in clause.children),
                span=self.span(node), header=self.span(clause), parent=current,
                iter_text=self.text(right) if right else "",
                iterable=value_of(right, func, self.src) if right else None,
                targets=target_names(left, self.src) if left else [],
                small_literal=is_small_literal(right, self.src) if right else False,
            )
            for name in rec.targets:
                element = rec.iterable.value.extend(Step("*", index=True)) if rec.iterable else None
                self.b.bind(func, name, RawValue(func, element) if element else None, rec.header, kind="for")
            # everything but the clauses up to this one's iterable repeats in this loop
            ex_start = right.start_byte if index == 0 and right is not None else clauses[0].start_byte
            ex_end = right.end_byte if right is not None else clause.end_byte
            self.driver.push(ctx.inner(node.start_byte, node.end_byte, loop=rec.id, ex_start=ex_start,
                                       ex_end=ex_end))
            current = rec.id

    on_list_comprehension = _comprehension
    on_set_comprehension = _comprehension
    on_dictionary_comprehension = _comprehension
    on_generator_expression = _comprehension

    def on_break_statement(self, node, ctx):
        if ctx.loop is not None:
            self.b.loops[ctx.loop].breaks = True

    def on_return_statement(self, node, ctx):
        current = ctx.loop
        while current is not None and self.b.loops[current].kind != "callback":
            self.b.loops[current].breaks = True
            current = self.b.loops[current].parent

    def on_yield(self, node, ctx):
        self.b.functions[ctx.func].is_generator = True

    # --- calls and bindings ----------------------------------------------------------
    def on_call(self, node, ctx):
        func, loop = ctx.func, ctx.loop
        function = node.child_by_field_name("function")
        args_node = node.child_by_field_name("arguments")
        ids = self.context_ids
        rec = self.b.add_call(
            func=func, span=self.span(node), callee=value_of(function, func, self.src),
            awaited=node.id in ids.get("awaited", ()), loop=loop,
            statement=node.id in ids.get("statement", ()),
            returned=node.id in ids.get("returned", ()),
        )
        self.call_ids[node.id] = rec.id
        if args_node is not None and args_node.type == "argument_list":
            for arg in args_node.named_children:
                rec.args.append(self._arg(arg, func))

    def _arg(self, arg: ts.Node, func: int) -> ArgRec:
        name, text, value, literal = ARGS.get(arg, self.src, lambda: self._arg_parts(arg))
        return ArgRec(name=name, text=text, value=RawValue(func, value) if value is not None else None,
                      literal=literal)

    def _arg_parts(self, arg: ts.Node) -> tuple[str | None, str, Value | None, str | None]:
        name = None
        value_node = arg
        if arg.type == "keyword_argument":
            name_node = arg.child_by_field_name("name")
            name = self.text(name_node) if name_node else None
            value_node = arg.child_by_field_name("value") or arg
        value = None
        if value_node.type in ("identifier", "attribute", "call", "subscript", "await"):
            value = value_of(value_node, 0, self.src).value
        return name, compact(arg, self.src), value, string_value(value_node, self.src)

    def on_assignment(self, node, ctx):
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        self._assign(node, left, right, ctx.func, ctx.cls, "assign")

    def on_augmented_assignment(self, node, ctx):
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        self._assign(node, left, right, ctx.func, ctx.cls, "augmented")

    def _assign(self, node, left, right, func, cls, kind) -> None:
        if left is None:
            return
        value = value_of(right, func, self.src) if right is not None else None
        text = self.text(node, 120)
        if left.type == "identifier":
            name = self.text(left)
            if cls is not None and node.parent is not None and _in_class_body(node, cls):
                cls.attributes.append((name, value, text))
                return
            self.b.bind(func, name, value if kind == "assign" else None, self.span(node), text, kind)
            return
        if left.type == "attribute":
            obj, attr = left.child_by_field_name("object"), left.child_by_field_name("attribute")
            if obj is not None and attr is not None and self.text(obj) == "self":
                owner = self._owner_class(func)
                if owner is not None:
                    owner.instance_attributes.append((self.text(attr), value))
            return
        for name in target_names(left, self.src):
            element = RawValue(func, value.value.extend(Step(index=True))) if value else None
            self.b.bind(func, name, element, self.span(node), text, kind)

    def _owner_class(self, func: int) -> ClassRec | None:
        return self.b.owner_class(func)

    def on_with_item(self, node, ctx):
        func = ctx.func
        value = node.child_by_field_name("value")
        if value is not None and value.type == "as_pattern":
            expr = value.named_children[0] if value.named_children else None
            alias = value.child_by_field_name("alias")
            if expr is not None and alias is not None:
                for name in target_names(alias, self.src):
                    self.b.bind(func, name, value_of(expr, func, self.src), self.span(node),
                                self.text(node, 120), "with")

    def on_named_expression(self, node, ctx):
        name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
        if name is not None and value is not None:
            self.b.bind(ctx.func, self.text(name), value_of(value, ctx.func, self.src), self.span(node),
                        self.text(node, 120))

    # --- imports and comments --------------------------------------------------------
    def on_import_statement(self, node, ctx):
        func = ctx.func
        for child in node.named_children:
            if child.type == "aliased_import":
                target = self.text(child.child_by_field_name("name"))
                alias = self.text(child.child_by_field_name("alias"))
                self.b.add_import(Import(local=alias, module=target, name=None, span=self.span(child),
                                         kind="import", func=func), Value(target))
            elif child.type == "dotted_name":
                target = self.text(child)
                head = target.split(".", 1)[0]
                self.b.add_import(Import(local=head, module=target, name=None, span=self.span(child),
                                         kind="import", func=func), Value(head))

    def on_import_from_statement(self, node, ctx):
        func = ctx.func
        module_node = node.child_by_field_name("module_name")
        module = self._absolute(module_node)
        for child in node.children_by_field_name("name"):
            if child.type == "aliased_import":
                name = self.text(child.child_by_field_name("name"))
                local = self.text(child.child_by_field_name("alias"))
            else:
                name = local = self.text(child)
            target = f"{module}.{name}" if module else name
            self.b.add_import(Import(local=local, module=module, name=name, span=self.span(child),
                                     kind="from", func=func), Value(target))
        if any(c.type == "wildcard_import" for c in node.named_children):
            self.b.add_import(Import(local="", module=module, name="*", span=self.span(node),
                                     kind="from", func=func), None)

    def _absolute(self, module_node: ts.Node | None) -> str:
        if module_node is None:
            return ""
        if module_node.type != "relative_import":
            return self.text(module_node)
        dots = 0
        name = ""
        for child in module_node.named_children:
            if child.type == "import_prefix":
                dots = self.text(child).count(".")
            elif child.type == "dotted_name":
                name = self.text(child)
        parts = self.b.module.split(".") if self.b.module else []
        if not self.b.is_package and parts:
            parts = parts[:-1]
        if dots > 1:
            parts = parts[: len(parts) - (dots - 1)] if dots - 1 <= len(parts) else []
        base = ".".join(parts)
        return ".".join(p for p in (base, name) if p)

    def on_ERROR(self, node, ctx):
        self.b.error_lines.append(self.src.position(node.start_byte).line)


def _in_class_body(node: ts.Node, cls: ClassRec) -> bool:
    """True when `node` is a statement directly in a class body (possibly decorated)."""
    parent = node.parent
    while parent is not None and parent.type in ("decorated_definition", "expression_statement"):
        parent = parent.parent
    return parent is not None and parent.type == "block" and parent.parent is not None \
        and parent.parent.type == "class_definition"


def _enclosing_call(node: ts.Node) -> ts.Node | None:
    parent = node.parent
    if parent is not None and parent.type == "keyword_argument":
        parent = parent.parent
    if parent is not None and parent.type == "argument_list":
        return parent.parent
    return None


def _type_name(node: ts.Node, src: SourceFile) -> str:
    """A dotted type name from an annotation (`Session`, `orm.Session`, `Optional[Session]`)."""
    current = node
    while current is not None:
        if current.type in ("identifier", "attribute"):
            return src.byte_text(current.start_byte, current.end_byte, 120)
        if current.type == "generic_type" or current.type == "subscript":
            args = [c for c in current.named_children if c.type in ("type_parameter",)]
            head = current.named_children[0] if current.named_children else None
            head_text = src.byte_text(head.start_byte, head.end_byte) if head is not None else ""
            if head_text in ("Optional", "typing.Optional", "Annotated", "typing.Annotated") and args:
                current = args[0].named_children[0] if args[0].named_children else None
                continue
            current = head
            continue
        if current.type in ("type", "type_parameter"):
            current = current.named_children[0] if current.named_children else None
            continue
        if current.type == "binary_operator":  # `Session | None`
            current = current.child_by_field_name("left")
            continue
        return ""
    return ""
