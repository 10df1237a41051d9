"""Language-server latency on a real project: didChange -> publishDiagnostics.

    python bench/lsp_latency.py [--root DIR] [--edits 200] [--storm 1000]

Starts `python -m perfsense.lsp` on the Django sdist (bench/.work/, fetched like
bench/scan_speed.py does), waits for the workspace index, then for a ~2,000-line and a
~10,000-line file of the project:

- latency: 200 edits (a comment line or a statement inserted into a function body, then
  removed again), each sent after the previous one's diagnostics arrived; the debounce is
  set to 0, so the time measured is the server's work only. Prints p50/p95/max.
  Targets: p95 <= 100 ms (2,000 lines), <= 300 ms (10,000 lines).
- storm: with the default debounce (150 ms), 1,000 one-character edits sent as fast as
  possible; the final diagnostics must arrive within 1.5 s of the last edit, equal those
  of a fresh analysis of the final text, with at most one publish per debounce window,
  and the server's RSS must come back to within 10 % of its level before the storm.

Not a unit test: it prints numbers (and exits 1 when a target is missed).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import queue
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DJANGO = ("django", "5.2.8")


def fetch_django() -> Path:
    target = HERE / ".work" / f"{DJANGO[0]}-{DJANGO[1]}"
    if target.exists():
        return target
    sys.path.insert(0, str(HERE))
    try:
        from fetch import pypi_sdist

        return pypi_sdist(*DJANGO)
    except Exception as exc:  # noqa: BLE001 - fall back to pip's own client
        print(f"fetch.py failed ({exc}); using pip download", file=sys.stderr)
    import tarfile
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
                        f"{DJANGO[0]}=={DJANGO[1]}", "-d", tmp], check=True)
        archive = next(Path(tmp).glob("*.tar.gz"))
        target.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(archive) as tar:
            tar.extractall(target.parent, filter="data")
    return target


class Client:
    """A minimal LSP client over the server's stdio that timestamps every message."""

    def __init__(self, root: Path) -> None:
        env = dict(os.environ, PYTHONSAFEPATH="1")
        self.proc = subprocess.Popen([sys.executable, "-m", "perfsense.lsp", "--stdio"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=root, env=env)
        self.inbox: queue.Queue[tuple[float, dict[str, Any]]] = queue.Queue()
        self.log: list[tuple[float, dict[str, Any]]] = []
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stream = self.proc.stdout
        assert stream is not None
        while True:
            length = 0
            while True:
                line = stream.readline()
                if not line:
                    return
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
                if line in (b"\r\n", b"\n"):
                    break
            message = json.loads(stream.read(length))
            stamp = time.perf_counter()
            self.log.append((stamp, message))
            self.inbox.put((stamp, message))

    def send(self, message: dict[str, Any]) -> float:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()
        return time.perf_counter()

    def wait(self, match, timeout: float) -> tuple[float, dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                stamp, message = self.inbox.get(timeout=0.05)
            except queue.Empty:
                continue
            if match(message):
                return stamp, message
        raise TimeoutError("no matching message")

    def request(self, method: str, params: Any, timeout: float = 60) -> Any:
        self.next_id += 1
        msg_id = self.next_id
        self.send({"id": msg_id, "method": method, "params": params})
        return self.wait(lambda m: m.get("id") == msg_id and "method" not in m, timeout)[1].get("result")

    def notify(self, method: str, params: Any) -> float:
        return self.send({"method": method, "params": params})

    def rss_kb(self) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> int:
        self.request("shutdown", None)
        self.notify("exit", None)
        return self.proc.wait(timeout=60)


def publishes(uri: str):
    return lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri


def pick(root: Path, lines: int) -> Path:
    """The project file whose line count is closest to `lines` (ties: path order)."""
    best: tuple[int, str] | None = None
    for path in sorted((root / "django").rglob("*.py")) + sorted((root / "tests").rglob("*.py")):
        count = path.read_bytes().count(b"\n")
        key = (abs(count - lines), str(path))
        if best is None or key < best:
            best = key
    assert best is not None
    return Path(best[1])


def body_lines(text: str) -> list[int]:
    """0-based lines that are plain statements inside a function body (8-space indent)."""
    lines = text.split("\n")
    out = []
    for index, line in enumerate(lines[:-1]):
        stripped = line.strip()
        nxt = lines[index + 1]
        if (line.startswith("        ") and not line.startswith("         ") and stripped
                and not stripped.startswith(("#", '"', "'", ")", "]", "}", "@", "else", "elif", "except",
                                             "finally"))
                and not line.rstrip().endswith(("(", "[", "{", ",", "\\", ":", '"""', "'''"))
                and nxt.startswith("        ") and not nxt.strip().startswith((")", "]", "}", "."))):
            out.append(index)
    return out


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def latency(client: Client, path: Path, edits: int) -> dict[str, float]:
    uri = path.as_uri()
    text = path.read_text(encoding="utf-8")
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1,
                                                            "text": text}})
    client.wait(publishes(uri), 120)
    targets = body_lines(text)
    middle = targets[len(targets) // 2: len(targets) // 2 + 50] or [len(text.split("\n")) // 2]
    version = 1
    samples: list[float] = []
    cpu_start = client.cpu_seconds()
    for index in range(edits):
        line = middle[(index // 2) % len(middle)]
        insert = index % 2 == 0
        piece = ("        # edited\n" if (index // 2) % 2 == 0 else "        checked = len(str(self))\n")
        version += 1
        if insert:
            change = {"range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 0}},
                      "text": piece}
        else:
            change = {"range": {"start": {"line": line, "character": 0}, "end": {"line": line + 1, "character": 0}},
                      "text": ""}
        sent = client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                        "contentChanges": [change]})
        stamp, _message = client.wait(lambda m, v=version: publishes(uri)(m) and m["params"].get("version") == v, 60)
        samples.append((stamp - sent) * 1000)
    cpu_ms = (client.cpu_seconds() - cpu_start) * 1000 / edits
    client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    client.wait(publishes(uri), 60)
    return {"lines": text.count("\n"), "p50": quantile(samples, 0.5), "p95": quantile(samples, 0.95),
            "max": max(samples), "mean": statistics.fmean(samples), "cpu_ms": cpu_ms}


def storm(client: Client, path: Path, count: int, debounce_ms: int) -> dict[str, Any]:
    uri = path.as_uri()
    text = path.read_text(encoding="utf-8")
    client.notify("workspace/didChangeConfiguration", {"settings": {"perfsense": {"debounceMs": debounce_ms}}})
    time.sleep(0.5)
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1,
                                                            "text": text}})
    client.wait(publishes(uri), 120)
    time.sleep(2.0)
    rss_before = client.rss_kb()
    line = body_lines(text)[len(body_lines(text)) // 2]
    version = 2
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": [
        {"range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 0}},
         "text": "        # \n"}]})
    first = time.perf_counter()
    typed = "storm of edits, typed one character at a time " * (count // 40 + 1)
    last = first
    for index in range(count - 1):
        version += 1
        column = 10 + index
        last = client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                        "contentChanges": [{"range": {
                                                            "start": {"line": line, "character": column},
                                                            "end": {"line": line, "character": column}},
                                                            "text": typed[index]}]})
    stamp, final = client.wait(lambda m: publishes(uri)(m) and m["params"].get("version") == version, 60)
    during = [m for t, m in client.log if first <= t and publishes(uri)(m)]
    time.sleep(2.0)
    rss_after = client.rss_kb()
    # the same final text, analysed from scratch as a new document
    final_text = text.split("\n")
    final_text.insert(line, "        # " + typed[:count - 1])
    fresh_uri = (path.parent / ("fresh_" + path.name)).as_uri()
    client.notify("textDocument/didOpen", {"textDocument": {"uri": fresh_uri, "languageId": "python",
                                                            "version": 1, "text": "\n".join(final_text)}})
    _s, fresh = client.wait(publishes(fresh_uri), 120)
    client.notify("textDocument/didClose", {"textDocument": {"uri": fresh_uri}})
    client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})

    def shape(items: list[dict]) -> list:
        return sorted((d["range"]["start"]["line"], d["range"]["start"]["character"], d["code"]) for d in items)
    window = debounce_ms / 1000
    span = stamp - first
    return {"edits": count, "sent_in_ms": (last - first) * 1000, "final_after_last_ms": (stamp - last) * 1000,
            "publishes": len(during), "windows": max(1, int(span / window) + 1),
            "correct": shape(final["params"]["diagnostics"]) == shape(fresh["params"]["diagnostics"]),
            "rss_before_mb": rss_before / 1024, "rss_after_mb": rss_after / 1024,
            "rss_change": (rss_after - rss_before) / rss_before if rss_before else 0.0}


def machine() -> str:
    cpu = "unknown CPU"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, help="project to open (default: the Django sdist)")
    parser.add_argument("--edits", type=int, default=200)
    parser.add_argument("--storm", type=int, default=1000)
    parser.add_argument("--sizes", default="2000,10000")
    parser.add_argument("--ignore", default="", help="rule ids or categories to switch off (attribution runs)")
    args = parser.parse_args()
    root = (args.root or fetch_django()).resolve()
    print(f"machine: {machine()}; load average at start: {os.getloadavg()[0]:.1f}")
    print(f"date: {time.strftime('%Y-%m-%d %H:%M %Z')}")
    print(f"project: {root}" + (f" (ignoring {args.ignore})" if args.ignore else ""))
    client = Client(root)
    started = time.perf_counter()
    client.request("initialize", {"processId": os.getpid(), "rootUri": root.as_uri(), "capabilities": {},
                                  "initializationOptions": {"debounceMs": 0, "ignore": args.ignore}})
    client.notify("initialized", {})
    _t, indexed = client.wait(lambda m: m.get("method") == "window/logMessage"
                              and "indexed" in m["params"]["message"], 1800)
    print(f"index: {indexed['params']['message']} (ready {time.perf_counter() - started:.1f} s after start)")
    print(f"server RSS after indexing: {client.rss_kb() / 1024:.0f} MB")
    ok = True
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        path = pick(root, size)
        result = latency(client, path, args.edits)
        target = 100 if size <= 2000 else 300
        met = result["p95"] <= target
        ok &= met
        results.append((size, path, result))
        print(f"latency {path.relative_to(root)} ({result['lines']} lines), {args.edits} edits: "
              f"p50 {result['p50']:.0f} ms, p95 {result['p95']:.0f} ms, max {result['max']:.0f} ms; "
              f"server CPU {result['cpu_ms']:.0f} ms per edit "
              f"(target p95 <= {target} ms: {'met' if met else 'MISSED'})")
    big = pick(root, 10000)
    result = storm(client, big, args.storm, 150)
    met = (result["final_after_last_ms"] <= 1500 and result["correct"] and result["publishes"] <= result["windows"]
           and abs(result["rss_change"]) <= 0.10)
    ok &= met
    print(f"storm {big.relative_to(root)}: {result['edits']} edits sent in {result['sent_in_ms']:.0f} ms; final "
          f"diagnostics {result['final_after_last_ms']:.0f} ms after the last edit; {result['publishes']} publish(es) "
          f"in {result['windows']} debounce window(s); final diagnostics correct: {result['correct']}; RSS "
          f"{result['rss_before_mb']:.0f} MB -> {result['rss_after_mb']:.0f} MB ({100 * result['rss_change']:+.1f} %) "
          f"({'met' if met else 'MISSED'})")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    print(f"exit status after shutdown/exit: {client.close()}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
