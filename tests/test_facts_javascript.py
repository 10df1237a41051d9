"""JavaScript/TypeScript fact extraction: imports, requires, exports, callbacks, handlers."""
from __future__ import annotations

from tests.facts_helpers import facts_of


def test_esm_and_commonjs_imports_resolve_callees():
    facts = facts_of({"src/routes/a.js": """
        import fs from 'node:fs';
        import { readFileSync as rf } from 'fs';
        import * as db from '../db';
        const cp = require('child_process');
        const { prisma } = require('../db');
        fs.readFileSync('x');
        rf('y');
        cp.execSync('ls');
        db.query('q');
        prisma.user.findUnique({ where: { id: 1 } });
    """})["src/routes/a.js"]
    texts = [c.callee.text for c in facts.calls if c.callee.root != "require"]
    assert texts == ["fs.readFileSync", "fs.readFileSync", "child_process.execSync", "./src/db:*.query",
                     "./src/db:prisma.user.findUnique"]


def test_exports_named_default_reexport_and_module_exports():
    facts = facts_of({"src/index.ts": """
        export function a() {}
        export const b = () => 1;
        export default class C {}
        export { x as y } from './x';
        export * from './z';
    """, "src/cjs.js": """
        function f() {}
        module.exports = { f, g: f };
        exports.h = f;
    """})
    index = facts["src/index.ts"]
    assert [(e.name, e.local, e.source) for e in index.exports] == [
        ("a", "a", None), ("b", "b", None), ("default", "C", None), ("y", None, "./src/x"), ("*", None, "./src/z")]
    assert index.is_package is True and index.module == "./src/index"
    cjs = facts["src/cjs.js"]
    assert [(e.name, e.local) for e in cjs.exports] == [("f", "f"), ("g", "f"), ("h", "f")]
    assert cjs.functions[1].exported


def test_iteration_callbacks_are_loops_and_handlers_are_found():
    facts = facts_of({"src/app.js": """
        const express = require('express');
        const router = express.Router();
        router.get('/orders', async (req, res) => {
          const rows = await load();
          await Promise.all(rows.map(async (row) => fetchOne(row.id)));
          for await (const chunk of stream) { use(chunk); }
        });
        function auth(req, res, next) { next(); }
        router.post('/x', auth, (req, res) => res.end());
    """})["src/app.js"]
    handler = facts.functions[1]
    assert handler.handler == "express" and handler.is_async
    callback = facts.functions[2]
    assert callback.iteration and callback.params == ("row",)
    loop = facts.loops[0]
    assert loop.kind == "callback" and loop.func == callback.id and loop.iterable.text == "load()"
    fetch = next(c for c in facts.calls if c.callee.text == "fetchOne")
    assert fetch.loop == loop.id and fetch.func == callback.id
    assert facts.loops[1].kind == "for-of" and facts.loops[1].is_async
    auth = next(f for f in facts.functions if f.name == "auth")
    assert auth.handler == "express"


def test_typescript_classes_injection_and_decorators():
    facts = facts_of({"src/orders.controller.ts": """
        import { Controller, Get } from '@nestjs/common';
        import { OrdersService } from './orders.service';

        @Controller('orders')
        export class OrdersController {
          constructor(private readonly orders: OrdersService) {}

          @Get()
          async list(): Promise<string[]> {
            return this.orders.findAll();
          }
        }
    """})["src/orders.controller.ts"]
    cls = facts.classes[0]
    assert cls.exported and [d.text for d in cls.decorators] == ["@nestjs/common.Controller()"]
    assert cls.instance_attributes[0][0] == "orders"
    assert cls.instance_attributes[0][1].text == "./src/orders.service:OrdersService()"
    method = next(f for f in facts.functions if f.name == "list")
    assert method.handler == "nestjs" and method.kind == "method"
    call = next(c for c in facts.calls if c.callee.text.endswith("findAll"))
    assert call.callee.text == "this.orders.findAll"


def test_jsx_and_top_level_await_parse():
    facts = facts_of({"src/App.jsx": """
        const data = await fetch('/x');
        export default function App({ items }) {
          return <ul>{items.map((item) => <li key={item.id}>{item.name}</li>)}</ul>;
        }
    """})["src/App.jsx"]
    assert [f.name for f in facts.functions][:2] == ["<module>", "App"]
    assert facts.loops[0].kind == "callback"
