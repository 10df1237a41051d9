"""Examples of `blocking-call-in-async` (docs and tests). `# expect` marks reported lines."""
from perfsense.scanner.engine.rule import Example

VALID = (
    Example(title="Async client and sleep", code="""
        import asyncio
        import httpx

        async def fetch(url):
            async with httpx.AsyncClient() as client:
                response = await client.get(url)
            await asyncio.sleep(1)
            return response.json()
    """),
    Example(title="Blocking work handed to a thread", code="""
        import asyncio
        import requests

        async def fetch(url):
            response = await asyncio.to_thread(requests.get, url, timeout=5)
            loop = asyncio.get_running_loop()
            data = await loop.run_in_executor(None, lambda: requests.get(url).json())
            return response, data
    """),
    Example(title="Plain def routes run in a thread pool", code="""
        import time
        import requests
        from fastapi import APIRouter

        router = APIRouter()

        @router.get("/rates")
        def rates():
            time.sleep(0.1)
            return requests.get("https://example.com/rates", timeout=5).json()
    """),
    Example(title="Start-up code and CLI scripts", language="javascript", code="""
        const fs = require('fs');
        const config = JSON.parse(fs.readFileSync('config.json', 'utf8'));

        function loadTemplates() {
          return fs.readdirSync('templates');
        }
        module.exports = { config, loadTemplates };
    """),
    Example(title="Promise API in a handler", language="javascript", code="""
        const fs = require('fs');
        const express = require('express');
        const router = express.Router();

        router.get('/terms', async (req, res) => {
          res.send(await fs.promises.readFile('terms.md', 'utf8'));
        });
    """),
    Example(title="Async APIs that share a blocking name", code="""
        import socket
        import anyio
        from tornado.iostream import IOStream

        async def read_body(stream: IOStream, length: int, peer: str):
            body = await stream.read_bytes(length)
            notes = await anyio.Path("notes.txt").read_text()
            numeric = socket.getaddrinfo(peer, 0, flags=socket.AI_NUMERICHOST)
            return body, notes, numeric
    """),
    Example(title="The project's own async method, and a non-blocking socket", code="""
        import asyncio
        import socket


        class Reader:
            async def read_bytes(self, count):
                await asyncio.sleep(0)
                return b"x" * count


        class Connection:
            def __init__(self, reader: Reader):
                self.reader = reader

            def close(self):
                self.reader = None

            async def body(self, count):
                return await asyncio.wait_for(self.reader.read_bytes(count), timeout=5)


        async def probe(host):
            sock = socket.socket()
            sock.setblocking(False)
            try:
                sock.connect((host, 80))
            except BlockingIOError:
                pass
            return sock
    """),
    Example(title="A sync function run as a background task (in a thread pool)", code="""
        from fastapi import BackgroundTasks, FastAPI

        app = FastAPI()

        def write_log(line: str):
            with open("log.txt", "a") as fh:
                fh.write(line)

        @app.post("/orders")
        async def create_order(tasks: BackgroundTasks):
            tasks.add_task(write_log, "order created")
            return {"ok": True}
    """),
    Example(title="Async helper awaited", files={
        "app/__init__.py": "",
        "app/audit.py": """
            import aiofiles

            async def record(line):
                async with aiofiles.open("audit.log", "a") as fh:
                    await fh.write(line)
        """,
        "app/routes.py": """
            from . import audit

            async def pay():
                await audit.record("paid")
        """,
    }),
)

INVALID = (
    Example(title="Blocking calls written in an async def", code="""
        import subprocess
        import time
        import requests as rq
        from time import sleep as pause

        async def handler(url):
            response = rq.get(url, timeout=5)  # expect
            time.sleep(1)  # expect
            pause(2)  # expect
            with open("label.txt") as fh:  # expect
                template = fh.read()
            subprocess.run(["lp", "label.txt"], check=True)  # expect
            return response, template
    """),
    Example(title="Sync database session and driver in an async route", code="""
        import psycopg2
        from sqlalchemy.orm import Session

        async def backlog(db: Session, dsn: str):
            rows = db.execute("select 1")  # expect
            conn = psycopg2.connect(dsn)  # expect
            cur = conn.cursor()
            return rows, cur
    """),
    Example(title="Through a sync helper in another file", files={
        "shop/__init__.py": "",
        "shop/payments.py": """
            import requests

            def _post(url, body):
                return requests.post(url, json=body, timeout=10).json()

            def charge(token):
                return _post("https://pay.example.com/charge", {"token": token})
        """,
        "shop/routes.py": """
            from .payments import charge as charge_card

            async def pay(token):
                return charge_card(token)  # expect
        """,
    }),
    Example(title="Sync calls in an Express handler and an async function", language="javascript", code="""
        const fs = require('fs');
        const { execSync } = require('child_process');
        const express = require('express');
        const router = express.Router();

        router.get('/terms', (req, res) => {
          res.send(fs.readFileSync('terms.md', 'utf8'));  // expect
        });

        async function deploy() {
          execSync('make deploy');  // expect
        }
        module.exports = { router, deploy };
    """),
    Example(title="TypeScript helper chain", files={
        "src/lib/render.ts": """
            import fs from 'fs';

            export function renderInvoice(id: string): string {
              const template = fs.readFileSync('invoice.txt', 'utf8');
              return template.replace('{id}', id);
            }
        """,
        "src/jobs/invoices.ts": """
            import { renderInvoice } from '../lib/render';

            export async function issue(ids: string[]): Promise<string[]> {
              const out: string[] = [];
              for (const id of ids) {
                out.push(renderInvoice(id));  // expect
              }
              return out;
            }
        """,
    }),
    Example(title="Path reads and a DNS lookup in an async def", code="""
        import socket
        from pathlib import Path

        async def greet(peer: str, out: Path):
            template = Path("greeting.txt").read_text()  # expect
            out.write_bytes(template.encode())  # expect
            sock = socket.socket()
            sock.connect((peer, 80))  # expect
            return socket.getaddrinfo(peer, 443)  # expect
    """),
)
