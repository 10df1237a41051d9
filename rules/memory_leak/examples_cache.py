"""Examples of `unbounded-module-cache` (docs and tests)."""
from perfsense.scanner.engine.rule import Example

VALID = (
    Example(title="Bounded caches and registries filled at import", code="""
        import functools
        from collections import deque

        _handlers = {}
        _recent = deque(maxlen=100)
        _sessions = {}
        MAX_SESSIONS = 1000


        def register(name):
            def wrap(fn):
                _handlers[name] = fn
                return fn
            return wrap


        @register("ping")
        def ping():
            return "pong"


        @functools.lru_cache(maxsize=256)
        def parse(text):
            return text.split(",")


        def remember(session_id, data):
            if len(_sessions) >= MAX_SESSIONS:
                _sessions.pop(next(iter(_sessions)))
            _sessions[session_id] = data
            _recent.append(session_id)
    """),
    Example(title="Options registered at import (also through a helper) and by tests", files={
        "settings/__init__.py": "",
        "settings/registry.py": """
            _options = {}


            def register_option(key, default):
                if key in _options:
                    raise KeyError(f"option {key} is registered already")
                _options[key] = default
                return default
        """,
        "settings/defaults.py": """
            from settings.registry import register_option


            def _display(name, default):
                return register_option(f"display.{name}", default)


            register_option("compute.threads", 4)
            _display("width", 80)
            _display("precision", 6)
        """,
        "tests/test_registry.py": """
            from settings.registry import register_option


            def test_register_option():
                assert register_option("test.flag", True) is True
        """,
    }),
    Example(title="Map with eviction, buffer drained elsewhere", language="javascript", code="""
        const express = require('express');
        const router = express.Router();
        const summaries = new Map();
        const pending = [];

        function remember(key, value) {
          if (summaries.size >= 50) summaries.delete(summaries.keys().next().value);
          summaries.set(key, value);
        }

        function flush() {
          const batch = pending.splice(0, pending.length);
          return batch.length;
        }

        router.get('/summary/:id', (req, res) => {
          remember(req.params.id, Date.now());
          pending.push(req.params.id);
          res.json({ ok: true, flushed: flush() });
        });
        module.exports = router;
    """),
)

VALID += (
    Example(title="Class-level registry that instances leave", code="""
        import weakref


        class Connection:
            opened = []
            live = weakref.WeakSet()

            def __init__(self, dsn):
                self.dsn = dsn
                self.opened.append(self)
                self.live.add(self)

            def close(self):
                self.opened.remove(self)


        class Formatter:
            _compiled = {}

            def __init__(self, fmt):
                if fmt not in self._compiled:
                    self._compiled[fmt] = fmt.split("%")
                self.parts = self._compiled[fmt]
    """),
    Example(title="Pre-filled data a demo extends on user action", language="jsx", code="""
        const roles = [
          { id: 'admin', name: 'Admin' },
          { id: 'editor', name: 'Editor' },
        ];

        export function CreateRole({ onCreate }) {
          const submit = (name) => {
            const role = { id: name, name };
            roles.push(role);
            onCreate(role);
          };
          return <button onClick={() => submit('viewer')}>Add</button>;
        }
    """),
    Example(title="Task set emptied by a done callback", code="""
        import asyncio

        from fastapi import APIRouter

        router = APIRouter()
        _tasks = set()


        async def audit(event):
            await asyncio.sleep(0)


        @router.post("/events")
        async def receive(event: dict):
            task = asyncio.create_task(audit(event))
            _tasks.add(task)
            task.add_done_callback(_tasks.discard)
            return {"ok": True}
    """),
    Example(title="Reset from another module (a reload signal)", files={
        "i18n/__init__.py": "",
        "i18n/catalogs.py": """
            _catalogs = {}


            def catalog(language):
                if language not in _catalogs:
                    _catalogs[language] = {"lang": language}
                return _catalogs[language]
        """,
        "i18n/reload.py": """
            from i18n import catalogs


            def on_files_changed(**kwargs):
                catalogs._catalogs = {}
        """,
    }),
)

INVALID = (
    Example(title="Tasks kept in a set that never lets them go", code="""
        import asyncio

        from fastapi import APIRouter

        router = APIRouter()
        _tasks = set()


        async def audit(event):
            await asyncio.sleep(0)


        @router.post("/events")
        async def receive(event: dict):
            _tasks.add(asyncio.create_task(audit(event)))  # expect
            return {"ok": True}
    """),
    Example(title="Class-level registry appended in __init__", code="""
        class Connection:
            opened = []

            def __init__(self, dsn):
                self.dsn = dsn
                self.opened.append(self)  # expect
    """),
    Example(title="Idempotency keys kept forever in a FastAPI route", code="""
        from fastapi import APIRouter, Header

        router = APIRouter()
        _responses: dict[str, dict] = {}


        @router.post("/payments")
        async def pay(amount: int, key: str = Header()):
            if key in _responses:
                return _responses[key]
            response = {"amount": amount, "status": "accepted"}
            _responses[key] = response  # expect
            return response
    """),
    Example(title="Memoised by argument in an exported function", code="""
        _parsed = {}


        def parse_address(raw):
            if raw in _parsed:
                return _parsed[raw]
            street, _, city = raw.partition(",")
            _parsed[raw] = (street.strip(), city.strip())  # expect
            return _parsed[raw]
    """),
    Example(title="Memoised by argument, called from a script's pipeline", files={
        "etl/__init__.py": "",
        "etl/parse.py": """
            _seen = {}


            def parse_address(raw):
                if raw in _seen:
                    return _seen[raw]
                _seen[raw] = raw.split(",")  # expect
                return _seen[raw]
        """,
        "etl/steps.py": """
            from etl.parse import parse_address


            def attach_addresses(rows):
                for row in rows:
                    row["address"] = parse_address(row["raw"])
                return rows
        """,
        "run.py": """
            import json
            import sys

            from etl.steps import attach_addresses

            rows = attach_addresses(json.load(sys.stdin))
            print(len(rows))
        """,
    }),
    Example(title="Appended per batch from a loop in another module", files={
        "etl/__init__.py": "",
        "etl/store.py": """
            _history = []


            def save(rows, batch_id):
                _history.append({"batch": batch_id, "rows": rows})  # expect
                return len(rows)
        """,
        "etl/run.py": """
            from etl import store


            def main(batches):
                for batch_id, rows in batches:
                    store.save(rows, batch_id)
        """,
    }),
    Example(title="Response cache keyed by URL in an Express route", language="javascript", code="""
        const express = require('express');
        const router = express.Router();
        const bodies = new Map();

        router.get('/export', async (req, res) => {
          const key = req.originalUrl;
          let body = bodies.get(key);
          if (!body) {
            body = JSON.stringify(await loadRows(req.query));
            bodies.set(key, body);  // expect
          }
          res.send(body);
        });
        async function loadRows(query) { return [query]; }
        module.exports = router;
    """),
    Example(title="Module array pushed from a component's event handler", language="tsx", code="""
        const opened: string[] = [];

        export default function Links({ items }: { items: string[] }) {
          const open = (href: string) => {
            opened.push(href);  // expect
            window.open(href);
          };
          return <ul>{items.map((href) => <li key={href} onClick={() => open(href)}>{href}</li>)}</ul>;
        }
    """),
)
