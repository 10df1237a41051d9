"""Fact extraction for JavaScript and TypeScript: one iterative walk over the tree."""
from __future__ import annotations

import tree_sitter as ts

from perfsense.scanner.facts.builder import ArgRec, ClassRec, FactsBuilder, FunctionRec, RawValue
from perfsense.scanner.facts.driver import Driver, interesting
from perfsense.scanner.facts.handlers import NEST_ROUTE_DECORATORS, js_callback_handler, js_named_handler
from perfsense.scanner.facts.jsvalues import (
    FUNCTION_NODES,
    compact,
    module_root,
    pattern_names,
    resolve_specifier,
    string_value,
    value_of,
)
from perfsense.scanner.facts.memo import NodeMemo
from perfsense.scanner.facts.model import MODULE_FUNCTION, Export, Import, Step, Value
from perfsense.scanner.source import SourceFile

_CALLS = "[(call_expression) (new_expression)]"
_CALL_CONTEXT = f"""
(await_expression {_CALLS} @awaited)
(expression_statement {_CALLS} @statement)
(expression_statement (await_expression {_CALLS} @statement))
(return_statement {_CALLS} @returned)
(return_statement (await_expression {_CALLS} @returned))
(arrow_function body: {_CALLS} @returned)
(arrow_function body: (await_expression {_CALLS} @returned))
"""

ITERATION_METHODS = frozenset({"forEach", "map", "filter", "reduce", "reduceRight", "some", "every",
                               "flatMap", "find", "findIndex", "findLast", "findLastIndex"})
JS_GLOBALS = frozenset({"window", "document", "globalThis", "process", "console", "JSON", "Math",
                        "Object", "Array", "Promise", "Date", "Map", "Set", "WeakMap", "WeakSet",
                        "setTimeout", "setInterval", "clearTimeout", "clearInterval", "require",
                        "module", "exports", "fetch", "structuredClone", "navigator", "localStorage"})
SMALL = 10
ARGS: NodeMemo[tuple[str, Value | None, str | None]] = NodeMemo()  # text, value, literal
NODE_TYPES = tuple(sorted(FUNCTION_NODES)) + (
    "class_declaration", "class", "abstract_class_declaration", "field_definition", "public_field_definition",
    "for_in_statement", "for_statement", "while_statement", "do_statement", "break_statement",
    "return_statement", "call_expression", "new_expression", "variable_declarator", "assignment_expression",
    "augmented_assignment_expression", "import_statement", "export_statement", "ERROR")


def extract(source: SourceFile, root: ts.Node, module: str, is_package: bool) -> FactsBuilder:
    builder = FactsBuilder(source.path, source.language, module, is_package, source.line_count)
    builder.builtins = JS_GLOBALS
    builder.self_names = frozenset()
    _Walker(source, builder).run(root)
    builder.collect_comments(source, root)
    return builder


class _Walker:
    def __init__(self, source: SourceFile, builder: FactsBuilder) -> None:
        self.src = source
        self.b = builder
        self.call_ids: dict[int, int] = {}
        self.class_of_body: dict[int, ClassRec] = {}
        self.default_export: str | None = None

    def span(self, node: ts.Node):
        return self.src.node_span(node)

    def text(self, node: ts.Node | None, limit: int = 200) -> str:
        if node is None:
            return ""
        return self.src.byte_text(node.start_byte, node.end_byte, limit)

    def run(self, root: ts.Node) -> None:
        self.b.is_script = self.src.data.startswith(b"#!")
        whole = self.span(root)
        self.b.add_function(name="<module>", qualname="", kind="module", is_async=False, span=whole,
                            header=whole, parent=None)
        self.driver = Driver(root)
        handlers = {kind: getattr(self, "on_" + kind, None) or self.on_function for kind in NODE_TYPES}
        nodes, self.context_ids = interesting(self.src.language, root, NODE_TYPES, _CALL_CONTEXT)
        self.driver.run(nodes, handlers)
        self._finish()

    # --- functions and classes -------------------------------------------------------
    def on_function(self, node, ctx):
        func, loop, cls = ctx.func, ctx.loop, ctx.cls
        name, exported, is_default = self._function_name(node)
        is_async = any(child.type == "async" for child in node.children[:3])
        body = node.child_by_field_name("body")
        header_end = body.start_byte if body is not None else node.end_byte
        is_method = node.type == "method_definition" and cls is not None
        parent_qual = self.b.functions[func].qualname
        qual = f"{cls.qualname}.{name}" if is_method else (f"{parent_qual}.{name}" if parent_qual else name)
        rec = self.b.add_function(
            name=name, qualname=qual, kind="method" if is_method else (
                "lambda" if node.type == "arrow_function" else "function"),
            is_async=is_async, span=self.span(node), header=self.src.span(node.start_byte, header_end),
            parent=func, class_name=cls.qualname if is_method else None, exported=exported,
            is_generator="generator" in node.type or any(c.type == "*" for c in node.children[:3]),
        )
        self._parameters(rec, node, cls if is_method and name == "constructor" else None)
        if is_method:
            cls.methods.append((name, rec.id))
            rec.decorators.extend(self._decorators(node, func))
            if any(d.value.root in NEST_ROUTE_DECORATORS for d in rec.decorators):
                rec.handler = "nestjs"
        if node.type in ("function_declaration", "generator_function_declaration") or (
                name not in ("<anonymous>",) and node.parent is not None
                and node.parent.type == "variable_declarator"):
            self.b.bind(func, name, None, rec.header, kind="def")
        rec.handler = rec.handler or js_named_handler(self.src.path, name, exported, is_default)
        self._callback(rec, node, loop)
        if body is not None:  # parameters and defaults run in the enclosing scope
            callback_loop = self._callback_loop(rec, node, loop)
            self.driver.push(ctx.inner(body.start_byte, node.end_byte, func=rec.id, loop=callback_loop, cls=None))

    def _function_name(self, node: ts.Node) -> tuple[str, bool, bool]:
        name_node = node.child_by_field_name("name")
        parent = node.parent
        name = self.text(name_node) if name_node is not None else ""
        if not name and parent is not None:
            if parent.type == "variable_declarator":
                name = self.text(parent.child_by_field_name("name"))
            elif parent.type == "pair":
                name = self.text(parent.child_by_field_name("key"))
            elif parent.type == "assignment_expression":
                name = self.text(parent.child_by_field_name("left")).rsplit(".", 1)[-1]
        exported = False
        is_default = False
        holder = parent
        if holder is not None and holder.type == "variable_declarator":
            holder = holder.parent.parent if holder.parent is not None else None
        if holder is not None and holder.type == "export_statement":
            exported = True
            is_default = any(child.type == "default" for child in holder.children)
        if parent is not None and parent.type == "assignment_expression":
            left = self.text(parent.child_by_field_name("left"))
            if left.startswith(("module.exports", "exports.")):
                exported = True
                is_default = left == "module.exports"
        if is_default and not name:
            name = "default"
        return name or "<anonymous>", exported, is_default

    def _parameters(self, rec: FunctionRec, node: ts.Node, ctor_class: ClassRec | None) -> None:
        params = node.child_by_field_name("parameters") or node.child_by_field_name("parameter")
        if params is None:
            return
        items = [params] if params.type == "identifier" else params.named_children
        for param in items:
            names = pattern_names(param, self.src)
            for name, _prop in names:
                rec.params.append(name)
            type_node = param.child_by_field_name("type") if param.type in (
                "required_parameter", "optional_parameter") else None
            if type_node is not None and len(names) == 1:
                type_name = _type_name(type_node, self.src)
                rec.param_types.append((names[0][0], type_name))
                if ctor_class is not None and any(c.type == "accessibility_modifier" or c.type == "readonly"
                                                  for c in param.children):
                    ctor_class.instance_attributes.append(
                        (names[0][0], RawValue(rec.id, Value(type_name, (Step(call=True),)))))

    def _decorators(self, node: ts.Node, func: int) -> list[RawValue]:
        out: list[RawValue] = []
        sibling = node.prev_named_sibling
        while sibling is not None and sibling.type == "decorator":
            if sibling.named_children:
                out.append(value_of(sibling.named_children[0], func, self.src))
            sibling = sibling.prev_named_sibling
        for child in node.children:
            if child.type == "decorator" and child.named_children:
                out.append(value_of(child.named_children[0], func, self.src))
        return out

    def _enclosing_call(self, node: ts.Node) -> ts.Node | None:
        parent = node.parent
        if parent is not None and parent.type == "arguments":
            return parent.parent
        return None

    def _callback(self, rec: FunctionRec, node: ts.Node, loop: int | None) -> None:
        call = self._enclosing_call(node)
        if call is None or call.id not in self.call_ids:
            return
        call_rec = self.b.calls[self.call_ids[call.id]]
        rec.callback_of = call_rec.id
        steps = call_rec.callee.value.steps
        method = steps[-1].name if steps and not steps[-1].call else ""
        rec.iteration = method in ITERATION_METHODS
        if rec.handler is None and method:
            first = call_rec.args[0].text if call_rec.args else ""
            rec.handler = js_callback_handler(method, first, rec.params)

    def _callback_loop(self, rec: FunctionRec, node: ts.Node, loop: int | None) -> int | None:
        if not rec.iteration or rec.callback_of is None:
            return None
        call = self.b.calls[rec.callback_of]
        receiver = call.callee.value.receiver() if call.callee.value.steps else None
        lp = self.b.add_loop(
            func=rec.id, kind="callback", is_async=rec.is_async, span=rec.span, header=rec.header,
            parent=call.loop, iter_text=self.text(node.parent.parent.child_by_field_name("function"), 80)
            if node.parent is not None and node.parent.parent is not None else "",
            iterable=RawValue(call.callee.func, receiver) if receiver is not None else None,
            targets=rec.params[:1],
        )
        return lp.id

    def on_class_declaration(self, node, ctx):
        self._class(node, ctx)

    on_class = on_class_declaration
    on_abstract_class_declaration = on_class_declaration

    def _class(self, node, ctx):
        func = ctx.func
        name_node = node.child_by_field_name("name")
        name = self.text(name_node) or "<class>"
        rec = ClassRec(name=name, qualname=name, span=self.span(node))
        for child in node.named_children:
            if child.type == "class_heritage":
                for clause in child.named_children:
                    target = clause.child_by_field_name("value") or (
                        clause.named_children[0] if clause.named_children else None)
                    if target is not None and clause.type == "extends_clause":
                        rec.bases.append(value_of(target, func, self.src))
            elif child.type == "decorator" and child.named_children:
                rec.decorators.append(value_of(child.named_children[0], func, self.src))
        parent = node.parent
        if parent is not None and parent.type == "export_statement":
            rec.exported = True
            for child in parent.named_children:
                if child.type == "decorator" and child.named_children:
                    rec.decorators.append(value_of(child.named_children[0], func, self.src))
        self.b.add_class(rec)
        if name_node is not None:
            self.b.bind(func, name, None, self.span(name_node), kind="class")
        body = node.child_by_field_name("body")
        if body is not None:
            self.driver.push(ctx.inner(body.start_byte, node.end_byte, cls=rec))

    def on_field_definition(self, node, ctx):
        self._field(node, ctx.func, ctx.cls)

    on_public_field_definition = on_field_definition

    def _field(self, node, func, cls):
        name = node.child_by_field_name("property") or node.child_by_field_name("name")
        value = node.child_by_field_name("value")
        if cls is not None and name is not None:
            raw = value_of(value, func, self.src) if value is not None else None
            cls.attributes.append((self.text(name), raw, self.text(node, 120)))

    # --- loops -----------------------------------------------------------------------
    def on_for_in_statement(self, node, ctx):
        func, loop = ctx.func, ctx.loop
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        body = node.child_by_field_name("body")
        operator = node.child_by_field_name("operator")
        kind = "for-of" if operator is not None and operator.type == "of" else "for-in"
        header_end = body.start_byte if body is not None else node.end_byte
        rec = self.b.add_loop(
            func=func, kind=kind, is_async=any(c.type == "await" for c in node.children[:3]),
            span=self.span(node), header=self.src.span(node.start_byte, header_end), parent=loop,
            iter_text=self.text(right), iterable=value_of(right, func, self.src) if right else None,
            targets=[n for n, _ in pattern_names(left, self.src)] if left is not None else [],
            small_literal=right is not None and right.type == "array" and right.named_child_count <= SMALL,
        )
        for name in rec.targets:
            element = rec.iterable.value.extend(Step("*", index=True)) if rec.iterable else None
            self.b.bind(func, name, RawValue(func, element) if element else None, rec.header, kind="for")
        if body is not None:  # the iterable is evaluated once, before the loop
            self.driver.push(ctx.inner(body.start_byte, node.end_byte, loop=rec.id))

    def on_for_statement(self, node, ctx):
        func, loop = ctx.func, ctx.loop
        body = node.child_by_field_name("body")
        init = node.child_by_field_name("initializer")
        header_end = body.start_byte if body is not None else node.end_byte
        rec = self.b.add_loop(func=func, kind="for", is_async=False, span=self.span(node),
                              header=self.src.span(node.start_byte, header_end), parent=loop,
                              iter_text=self.text(node.child_by_field_name("condition"), 80))
        scope = ctx.inner(node.start_byte, node.end_byte, loop=rec.id)
        if init is not None:  # the initialiser runs once
            scope.ex_start, scope.ex_end = init.start_byte, init.end_byte
        self.driver.push(scope)

    def on_while_statement(self, node, ctx):
        self._plain_loop(node, ctx, "while")

    def on_do_statement(self, node, ctx):
        self._plain_loop(node, ctx, "do")

    def _plain_loop(self, node, ctx, kind):
        func, loop = ctx.func, ctx.loop
        cond = node.child_by_field_name("condition")
        rec = self.b.add_loop(func=func, kind=kind, is_async=False, span=self.span(node),
                              header=self.span(cond) if cond is not None else self.span(node),
                              parent=loop, iter_text=self.text(cond, 80))
        self.driver.push(ctx.inner(node.start_byte, node.end_byte, loop=rec.id))

    def on_break_statement(self, node, ctx):
        func, loop = ctx.func, ctx.loop
        if loop is not None and self.b.loops[loop].func == func:
            self.b.loops[loop].breaks = True

    def on_return_statement(self, node, ctx):
        func, current = ctx.func, ctx.loop
        while current is not None and self.b.loops[current].func == func \
                and self.b.loops[current].kind != "callback":
            self.b.loops[current].breaks = True
            current = self.b.loops[current].parent

    # --- calls and bindings ----------------------------------------------------------
    def on_call_expression(self, node, ctx):
        self._call(node, ctx.func, ctx.loop, "function")

    def on_new_expression(self, node, ctx):
        self._call(node, ctx.func, ctx.loop, "constructor")

    def _call(self, node, func, loop, field):
        function = node.child_by_field_name(field)
        ids = self.context_ids
        callee = value_of(function, func, self.src) if function is not None else RawValue(func, Value("<expr>"))
        if field == "constructor":
            callee = RawValue(func, callee.value)
        rec = self.b.add_call(
            func=func, span=self.span(node), callee=callee, awaited=node.id in ids.get("awaited", ()), loop=loop,
            statement=node.id in ids.get("statement", ()), returned=node.id in ids.get("returned", ()),
        )
        self.call_ids[node.id] = rec.id
        args = node.child_by_field_name("arguments")
        if args is not None and args.type == "arguments":
            for arg in args.named_children:
                rec.args.append(self._arg(arg, func))
        if function is not None and function.type == "import":
            self._dynamic_import(node, rec, func)
        elif function is not None and self.text(function) == "require" and rec.args:
            self._require(node, rec, func)

    def _arg(self, arg: ts.Node, func: int) -> ArgRec:
        text, value, literal = ARGS.get(arg, self.src, lambda: self._arg_parts(arg))
        return ArgRec(name=None, text=text, value=RawValue(func, value) if value is not None else None,
                      literal=literal)

    def _arg_parts(self, arg: ts.Node) -> tuple[str, Value | None, str | None]:
        value = None
        if arg.type in ("identifier", "member_expression", "call_expression", "new_expression",
                        "subscript_expression", "await_expression", "this"):
            value = value_of(arg, 0, self.src).value
        return compact(arg, self.src), value, string_value(arg, self.src)

    def on_variable_declarator(self, node, ctx):
        func = ctx.func
        name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
        if name is None:
            return
        raw = value_of(value, func, self.src) if value is not None else None
        text = self.text(node, 120)
        if name.type == "identifier":
            if value is None or value.type not in FUNCTION_NODES:
                self.b.bind(func, self.text(name), raw, self.span(node), text)
        else:
            for local, prop in pattern_names(name, self.src):
                element = RawValue(func, raw.value.extend(Step(prop) if prop else Step(index=True))) \
                    if raw is not None else None
                self.b.bind(func, local, element, self.span(node), text)

    def on_assignment_expression(self, node, ctx):
        func = ctx.func
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is None:
            return
        raw = value_of(right, func, self.src) if right is not None else None
        left_text = self.text(left, 120)
        if left.type == "identifier":
            self.b.bind(func, left_text, raw, self.span(node), self.text(node, 120))
        elif left.type == "member_expression":
            obj = left.child_by_field_name("object")
            prop = self.text(left.child_by_field_name("property"))
            if obj is not None and obj.type == "this":
                owner = self._owner_class(func)
                if owner is not None:
                    owner.instance_attributes.append((prop, raw))
            self._cjs_export(left_text, right)

    def on_augmented_assignment_expression(self, node, ctx):
        left = node.child_by_field_name("left")
        if left is not None and left.type == "identifier":
            self.b.bind(ctx.func, self.text(left), None, self.span(node), self.text(node, 120), "augmented")

    def _owner_class(self, func: int) -> ClassRec | None:
        return self.b.owner_class(func)

    # --- modules ---------------------------------------------------------------------
    def on_import_statement(self, node, ctx):
        source = node.child_by_field_name("source")
        spec = string_value(source, self.src) or ""
        module = resolve_specifier(spec, self.src.path)
        type_only = any(child.type == "type" for child in node.children[:2])
        clause = next((c for c in node.named_children if c.type == "import_clause"), None)
        if clause is None:
            self.b.add_import(Import(local="", module=module, name=None, span=self.span(node),
                                     kind="side-effect"), None)
            return
        for child in clause.named_children:
            if child.type == "identifier":
                self._import(child, module, "default", self.text(child), "esm", type_only)
            elif child.type == "namespace_import":
                ident = next((c for c in child.named_children if c.type == "identifier"), None)
                if ident is not None:
                    self._import(ident, module, "*", self.text(ident), "esm", type_only)
            elif child.type == "named_imports":
                for spec_node in child.named_children:
                    if spec_node.type != "import_specifier":
                        continue
                    name = self.text(spec_node.child_by_field_name("name"))
                    alias = spec_node.child_by_field_name("alias")
                    spec_type = type_only or any(c.type == "type" for c in spec_node.children[:1])
                    self._import(spec_node, module, name, self.text(alias) if alias else name, "esm",
                                 spec_type)

    def _import(self, node, module, name, local, kind, type_only=False, func=MODULE_FUNCTION):
        self.b.add_import(Import(local=local, module=module, name=name, span=self.span(node), kind=kind,
                                 type_only=type_only, func=func), module_root(module, name))

    def _require(self, node: ts.Node, rec, func: int) -> None:
        spec = rec.args[0].literal
        if spec is None:
            return
        module = resolve_specifier(spec, self.src.path)
        parent = node.parent
        member = None
        if parent is not None and parent.type == "member_expression":
            member = self.text(parent.child_by_field_name("property"))
            parent = parent.parent
        if parent is not None and parent.type == "variable_declarator":
            target = parent.child_by_field_name("name")
            if target is not None and target.type == "identifier":
                self._import(target, module, member or "*", self.text(target), "require", func=func)
                return
            if target is not None:
                for local, prop in pattern_names(target, self.src):
                    self._import(target, module, prop or local, local, "require", func=func)
                return
        self.b.add_import(Import(local="", module=module, name=member, span=self.span(node),
                                 kind="require", func=func), None)

    def _dynamic_import(self, node: ts.Node, rec, func: int) -> None:
        spec = rec.args[0].literal if rec.args else None
        if spec is not None:
            self.b.add_import(Import(local="", module=resolve_specifier(spec, self.src.path), name=None,
                                     span=self.span(node), kind="dynamic", func=func), None)

    def on_export_statement(self, node, ctx):
        source = node.child_by_field_name("source")
        module = resolve_specifier(string_value(source, self.src) or "", self.src.path) if source else None
        is_default = any(child.type == "default" for child in node.children)
        declaration = node.child_by_field_name("declaration")
        clause = next((c for c in node.named_children if c.type == "export_clause"), None)
        if clause is not None:
            for spec in clause.named_children:
                name = self.text(spec.child_by_field_name("name"))
                alias = spec.child_by_field_name("alias")
                exported = self.text(alias) if alias is not None else name
                self.b.exports.append(Export(name=exported, local=None if module else name, source=module,
                                             source_name=name if module else None, span=self.span(spec)))
                if module:
                    self.b.add_import(Import(local="", module=module, name=name, span=self.span(spec),
                                             kind="reexport"), None)
        elif module is not None:  # export * from '…'
            self.b.exports.append(Export(name="*", source=module, source_name="*", span=self.span(node)))
            self.b.add_import(Import(local="", module=module, name="*", span=self.span(node),
                                     kind="reexport"), None)
        elif declaration is not None:
            for name in self._declared_names(declaration):
                self.b.exports.append(Export(name="default" if is_default else name, local=name,
                                             span=self.span(declaration)))
        elif is_default:
            value = node.child_by_field_name("value") or (node.named_children[-1] if node.named_children
                                                          else None)
            local = self.text(value) if value is not None and value.type == "identifier" else None
            self.b.exports.append(Export(name="default", local=local, span=self.span(node)))

    def _declared_names(self, declaration: ts.Node) -> list[str]:
        name = declaration.child_by_field_name("name")
        if name is not None:
            return [self.text(name)]
        names = []
        for child in declaration.named_children:
            if child.type == "variable_declarator":
                target = child.child_by_field_name("name")
                names.extend(n for n, _ in pattern_names(target, self.src)) if target is not None else None
        return names

    def _cjs_export(self, left: str, right: ts.Node | None) -> None:
        if left == "module.exports" and right is not None:
            if right.type == "object":
                for child in right.named_children:
                    if child.type == "shorthand_property_identifier":
                        name = self.text(child)
                        self.b.exports.append(Export(name=name, local=name, span=self.span(child)))
                    elif child.type == "pair":
                        key, value = child.child_by_field_name("key"), child.child_by_field_name("value")
                        local = self.text(value) if value is not None and value.type == "identifier" else None
                        self.b.exports.append(Export(name=self.text(key), local=local, span=self.span(child)))
            else:
                local = self.text(right) if right.type == "identifier" else None
                self.b.exports.append(Export(name="default", local=local, span=self.span(right)))
                self.b.exports.append(Export(name="*", local=local, span=self.span(right)))
        elif left.startswith(("exports.", "module.exports.")):
            name = left.rsplit(".", 1)[-1]
            local = self.text(right) if right is not None and right.type == "identifier" else None
            self.b.exports.append(Export(name=name, local=local, span=self.span(right) if right else None))

    def on_ERROR(self, node, ctx):
        self.b.error_lines.append(self.src.position(node.start_byte).line)

    # --- after the walk --------------------------------------------------------------
    def _finish(self) -> None:
        """Named functions passed to a route registration in this file are handlers too."""
        by_name = {f.name: f for f in self.b.functions if f.kind == "function" and f.parent == MODULE_FUNCTION}
        for call in self.b.calls:
            steps = call.callee.value.steps
            method = steps[-1].name if steps else ""
            if not call.args or not call.args[0].text.startswith(("'/", '"/', "`/")):
                continue
            for arg in call.args[1:]:
                if arg.value is not None and not arg.value.value.steps and arg.value.value.root in by_name:
                    target = by_name[arg.value.value.root]
                    target.handler = target.handler or js_callback_handler(method, call.args[0].text,
                                                                           ["req", "res"])
        exported = {e.local for e in self.b.exports if e.local}
        default = {e.local for e in self.b.exports if e.local and e.name == "default"}
        for rec in self.b.functions:
            if rec.parent == MODULE_FUNCTION and rec.name in exported:
                rec.exported = True
                if rec.handler is None:
                    rec.handler = js_named_handler(self.src.path, rec.name, True, rec.name in default)
        for cls in self.b.classes:
            if cls.name in exported:
                cls.exported = True


def _type_name(node: ts.Node, src: SourceFile) -> str:
    current: ts.Node | None = node
    for _ in range(8):
        if current is None:
            return ""
        if current.type in ("type_identifier", "identifier", "nested_type_identifier"):
            return src.byte_text(current.start_byte, current.end_byte, 120)
        if current.type == "generic_type":
            current = current.child_by_field_name("name") or (current.named_children[0]
                                                              if current.named_children else None)
            continue
        current = current.named_children[0] if current.named_children else None
    return ""
