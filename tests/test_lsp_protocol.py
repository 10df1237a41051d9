"""The server at the byte level: malformed JSON-RPC, bad params, requests before
`initialize`, exit statuses, TCP, and a hostile working directory."""
from __future__ import annotations

import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, BinaryIO

import pytest

from tests.lsp_helpers import SHOP

SENTINEL_MODULES = ("json", "typing", "yaml", "pygls", "lsprotocol", "attrs", "cattrs", "asyncio", "logging",
                    "argparse", "re", "tree_sitter", "networkx", "libcst", "concurrent", "multiprocessing",
                    "sitecustomize", "usercustomize", "conftest", "setup", "perfsense_lsp")


class Raw:
    """A bare JSON-RPC peer over a byte stream (no client library in between)."""

    def __init__(self, reader: BinaryIO, writer: BinaryIO) -> None:
        self.reader, self.writer = reader, writer
        self.inbox: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while True:
            length = None
            while True:
                line = self.reader.readline()
                if not line:
                    self.inbox.put(None)
                    return
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
                if line in (b"\r\n", b"\n"):
                    break
            self.inbox.put(json.loads(self.reader.read(length or 0)))

    def send_bytes(self, body: bytes) -> None:
        self.writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.writer.flush()

    def send(self, message: dict[str, Any]) -> None:
        self.send_bytes(json.dumps({"jsonrpc": "2.0", **message}).encode())

    def wait(self, match, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        for message in self.seen:
            if match(message):
                self.seen.remove(message)
                return message
        while time.monotonic() < deadline:
            try:
                message = self.inbox.get(timeout=0.1)
            except queue.Empty:
                continue
            if message is None:
                raise AssertionError("the server closed the connection")
            if match(message):
                return message
            self.seen.append(message)
        raise AssertionError("no matching message")

    def request(self, msg_id: Any, method: str, params: Any = None) -> dict[str, Any]:
        self.send({"id": msg_id, "method": method, "params": params})
        return self.wait(lambda m: m.get("id") == msg_id and "method" not in m)

    def initialize(self, root: Path | None = None) -> dict[str, Any]:
        answer = self.request("init", "initialize", {
            "processId": None, "rootUri": root.as_uri() if root else None, "capabilities": {},
            "initializationOptions": {"debounceMs": 0, "indexWorkspace": False}})
        self.send({"method": "initialized", "params": {}})
        return answer


def start(cwd: Path | None = None, *args: str) -> tuple[subprocess.Popen, Raw]:
    proc = subprocess.Popen([sys.executable, "-m", "perfsense.lsp", *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=cwd)
    return proc, Raw(proc.stdout, proc.stdin)


def finish(proc: subprocess.Popen, raw: Raw) -> int:
    raw.request("bye", "shutdown")
    raw.send({"method": "exit"})
    return proc.wait(timeout=20)


def test_malformed_messages_are_answered_and_the_server_keeps_serving():
    proc, raw = start()
    try:
        early = raw.request(1, "textDocument/hover", {"textDocument": {"uri": "file:///x.py"},
                                                       "position": {"line": 0, "character": 0}})
        assert early["error"]["code"] == -32002  # ServerNotInitialized
        raw.send_bytes(b"{not json")
        assert raw.wait(lambda m: m.get("id") is None and "error" in m)["error"]["code"] == -32700
        raw.send_bytes(b"\xff\xfe{\x00")
        assert raw.wait(lambda m: m.get("id") is None and "error" in m)["error"]["code"] == -32700
        raw.send_bytes(b"[1, 2]")
        assert raw.wait(lambda m: m.get("id") is None and "error" in m)["error"]["code"] == -32600
        assert "capabilities" in raw.initialize()["result"]
        bad = raw.request(2, "textDocument/hover", {"textDocument": 5, "position": "here"})
        assert bad["error"]["code"] == -32602  # InvalidParams, answered
        unknown = raw.request(3, "perfsense/whatever", {})
        assert unknown["error"]["code"] == -32601
        raw.send({"method": "textDocument/didOpen", "params": {"textDocument": {"uri": 7}}})  # ignored
        raw.send({"method": "textDocument/didChange", "params": {
            "textDocument": {"uri": "file:///nowhere.py", "version": 2},
            "contentChanges": [{"range": {"start": {"line": 9, "character": 0},
                                          "end": {"line": 0, "character": 0}}, "text": "x"}]}})
        uri = "untitled:raw-1"
        raw.send({"method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": uri, "languageId": "python", "version": 1,
            "text": "import time\n\nasync def f():\n    time.sleep(1)\n"}}})
        published = raw.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                             and m["params"]["uri"] == uri)
        assert [d["range"]["start"]["line"] for d in published["params"]["diagnostics"]] == [3]
        assert raw.request(4, "textDocument/hover", {"textDocument": {"uri": uri},
                                                      "position": {"line": 3, "character": 6}})["result"]
        assert finish(proc, raw) == 0
    finally:
        proc.kill()


def test_exit_without_shutdown_is_status_1():
    proc, raw = start()
    try:
        raw.initialize()
        raw.send({"method": "exit"})
        assert proc.wait(timeout=20) == 1
    finally:
        proc.kill()


def test_perfsense_lsp_command_and_tcp_mode():
    proc = subprocess.Popen([sys.executable, "-m", "perfsense.scanner.cli", "lsp", "--stdio"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        raw = Raw(proc.stdout, proc.stdin)
        assert raw.initialize()["result"]["serverInfo"]["name"] == "perfsense"
        assert finish(proc, raw) == 0
    finally:
        proc.kill()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "perfsense.lsp", "--tcp", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                conn = socket.create_connection(("127.0.0.1", port), timeout=20)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        with conn:
            stream = conn.makefile("rwb")
            raw = Raw(stream, stream)
            assert "capabilities" in raw.initialize()["result"]
            assert raw.request(9, "shutdown")["result"] is None
            raw.send({"method": "exit"})
            assert proc.wait(timeout=20) == 0
    finally:
        proc.kill()


@pytest.mark.parametrize("entry", ["module", "safe-path"])
def test_hostile_working_directory_is_never_imported(tmp_path: Path, entry: str):
    repo = tmp_path / "repo"
    (repo / "app").mkdir(parents=True)
    sentinels = tmp_path / "sentinels"
    sentinels.mkdir()
    for name in SENTINEL_MODULES:
        (repo / f"{name}.py").write_text(
            f"open({str(sentinels / name)!r}, 'w').write('imported')\n", encoding="utf-8")
    (repo / "evil.pth").write_text(f"import os; open({str(sentinels / 'pth')!r}, 'w')\n", encoding="utf-8")
    (repo / "app" / "__init__.py").write_text(
        f"open({str(sentinels / 'app')!r}, 'w').write('imported')\n", encoding="utf-8")
    (repo / "app" / "routes.py").write_text((SHOP / "app" / "routes.py").read_text(), encoding="utf-8")
    (repo / "app" / "payments.py").write_text((SHOP / "app" / "payments.py").read_text(), encoding="utf-8")
    # control: the same directory does hijack a plain `python -c` (so the test would notice)
    subprocess.run([sys.executable, "-c", "import pygls"], cwd=repo, check=False, capture_output=True)
    assert (sentinels / "pygls").exists()
    (sentinels / "pygls").unlink()

    env = dict(os.environ)
    env.pop("PYTHONSAFEPATH", None)
    command = [sys.executable, "-m", "perfsense.lsp", "--stdio"]
    if entry == "safe-path":
        command.insert(1, "-P")  # what the VS Code extension does (PYTHONSAFEPATH=1 is the same)
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            cwd=repo, env=env)
    try:
        raw = Raw(proc.stdout, proc.stdin)
        answer = raw.request("init", "initialize", {"processId": None, "rootUri": repo.as_uri(), "capabilities": {},
                                                    "initializationOptions": {"debounceMs": 0}})
        assert "capabilities" in answer["result"]
        raw.send({"method": "initialized", "params": {}})
        uri = (repo / "app" / "routes.py").as_uri()
        raw.send({"method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": uri, "languageId": "python", "version": 1, "text": (repo / "app" / "routes.py").read_text()}}})

        def both(message: dict[str, Any]) -> bool:
            return (message.get("method") == "textDocument/publishDiagnostics" and message["params"]["uri"] == uri
                    and len(message["params"]["diagnostics"]) == 2)
        raw.wait(both)  # the whole project was indexed (payments.py reached) without importing any of it
        assert finish(proc, raw) == 0
    finally:
        proc.kill()
    assert sorted(p.name for p in sentinels.iterdir()) == []


async def test_stream_reader_frames_junk_and_oversized_bodies(monkeypatch):
    import asyncio

    from perfsense.lsp import transport

    monkeypatch.setattr(transport, "MAX_HEADER", 100)
    monkeypatch.setattr(transport, "MAX_BODY", 1000)
    read_fd, write_fd = os.pipe()
    reader = transport.StreamReader(os.fdopen(read_fd, "rb", buffering=0))
    reader.start(asyncio.get_running_loop())
    payload = b"x" * 5000 + b"Content-Length: 2\r\n\r\n{}" + b"y" * 3000 + b"tail\n"
    writer = threading.Thread(target=lambda: (os.write(write_fd, payload), os.close(write_fd)))
    writer.start()
    assert (await reader.readline()).endswith(b"Content-Length: 2\r\n")  # junk and header: one bad line
    assert await reader.readline() == b"\r\n"
    assert await reader.readexactly(2) == b"{}"
    assert await reader.readexactly(3000) == b"null"  # over MAX_BODY: skipped, answered as invalid
    assert await reader.readline() == b"tail\n"
    assert await reader.readline() == b""  # end of stream
    writer.join()


def _fuzz_change(rng, uri: str, version: int, lines: int) -> dict[str, Any]:
    """One didChange: valid, or with a reversed, out-of-range or mid-surrogate range."""
    kind = rng.choice(("valid", "valid", "full", "reversed", "line-out", "char-out", "surrogate", "negative"))
    if kind == "full":
        return {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": _FUZZ_TEXT}]}
    line = rng.randrange(lines)
    start, end = {"line": line, "character": 0}, {"line": line, "character": 0}
    if kind == "reversed":
        start, end = {"line": line + 1, "character": 3}, {"line": line, "character": 0}
    elif kind == "line-out":
        start = end = {"line": lines + rng.randrange(1, 10_000), "character": 0}
    elif kind == "char-out":
        start = end = {"line": line, "character": rng.randrange(200, 100_000)}
    elif kind == "surrogate":
        start = end = {"line": _SURROGATE_LINE, "character": _SURROGATE_COLUMN}  # between the two halves
    elif kind == "negative":
        start = {"line": -1, "character": rng.randrange(-5, 5)}
    text = rng.choice(("# x\n", "x = 1\n", "é𝄞\n", "", "    pass\n"))
    return {"textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"range": {"start": start, "end": end}, "text": text}]}


_FUZZ_TEXT = 'import time\n\n\nasync def f():\n    s = "𝄞é"; time.sleep(1)\n'
_SURROGATE_LINE, _SURROGATE_COLUMN = 4, len('    s = "') + 1  # UTF-16: inside the pair of 𝄞


def test_seeded_random_session_of_10000_operations_leaves_the_server_serving(tmp_path: Path):
    """Valid edits mixed with reversed, out-of-range, negative and mid-surrogate ranges,
    stale versions, changes to unopened documents, unknown methods and cancels; afterwards a
    normal didOpen gets its diagnostics and shutdown/exit end cleanly."""
    import random

    rng = random.Random(20261127)
    root = tmp_path / "project"
    (root / "app").mkdir(parents=True)
    proc, raw = start(root)
    try:
        raw.initialize(root)
        uri = (root / "app" / "fuzz.py").as_uri()
        raw.send({"method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": uri, "languageId": "python", "version": 1, "text": _FUZZ_TEXT}}})
        version, operations, requests = 1, 0, 0
        while operations < 10_000:
            pick = rng.random()
            if pick < 0.6:
                version += 1
                raw.send({"method": "textDocument/didChange", "params": _fuzz_change(rng, uri, version, 6)})
            elif pick < 0.7:  # a stale version
                raw.send({"method": "textDocument/didChange",
                          "params": _fuzz_change(rng, uri, rng.randrange(0, version), 6)})
            elif pick < 0.78:  # a document that was never opened
                raw.send({"method": "textDocument/didChange", "params": _fuzz_change(
                    rng, (root / "app" / f"closed{rng.randrange(5)}.py").as_uri(), version, 6)})
            elif pick < 0.86:
                requests += 1
                raw.send({"id": f"u{requests}", "method": f"perfsense/unknown{rng.randrange(3)}", "params": {}})
            elif pick < 0.9:
                raw.send({"method": "$/unknownNotification", "params": {"x": rng.random()}})
            elif pick < 0.96:
                requests += 1
                raw.send({"id": f"h{requests}", "method": "textDocument/hover", "params": {
                    "textDocument": {"uri": uri},
                    "position": {"line": rng.randrange(-2, 9), "character": rng.randrange(-2, 60)}}})
            else:
                raw.send({"method": "$/cancelRequest", "params": {"id": f"h{rng.randrange(1, requests + 2)}"}})
            operations += 1
        assert raw.request("last", "perfsense/unknown", {})["error"]["code"] == -32601  # still answering
        hover = raw.request("last-hover", "textDocument/hover", {"textDocument": {"uri": uri},
                                                                  "position": {"line": 0, "character": 0}})
        assert "error" not in hover
        final = (root / "app" / "final.py").as_uri()
        raw.send({"method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": final, "languageId": "python", "version": 1, "text": "import time\n\n\nasync def g():\n    time.sleep(2)\n"}}})
        published = raw.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                             and m["params"]["uri"] == final, timeout=120)
        assert [(d["code"], d["range"]["start"]["line"]) for d in published["params"]["diagnostics"]] == [
            ("blocking-call-in-async", 4)]
        assert proc.poll() is None
        assert finish(proc, raw) == 0
    finally:
        proc.kill()


def test_the_server_never_runs_the_workspace_code(tmp_path: Path):
    """The sentinel repository (every file Python or Node could run writes a sentinel) is
    indexed and a file of it opened: no sentinel appears (RELIABILITY.md, security)."""
    from tests.test_security import _hostile_repo

    sentinels = tmp_path / "sentinels"
    sentinels.mkdir()
    repo = _hostile_repo(tmp_path / "repo", sentinels)
    proc, raw = start(repo)
    try:
        raw.request("init", "initialize", {
            "processId": None, "rootUri": repo.as_uri(), "capabilities": {},
            "initializationOptions": {"debounceMs": 0, "indexWorkspace": True}})
        raw.send({"method": "initialized", "params": {}})
        raw.wait(lambda m: m.get("method") == "window/logMessage" and "indexed" in m["params"]["message"], 120)
        opened = next(repo.rglob("*.py"))
        raw.send({"method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": opened.as_uri(), "languageId": "python", "version": 1, "text": opened.read_text()}}})
        published = raw.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                             and m["params"]["uri"] == opened.as_uri(), 60)
        assert [d["range"]["start"]["line"] for d in published["params"]["diagnostics"]] == [5]  # analysed, not run
        assert finish(proc, raw) == 0
    finally:
        proc.kill()
    assert sorted(p.name for p in sentinels.iterdir()) == []
