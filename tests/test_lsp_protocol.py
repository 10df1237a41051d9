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
