"""The bad-input contract (RELIABILITY.md, "Bad inputs, and what perfsense does"): one test
per row of the table. Fixtures are generated at test time. Each test checks (a) what is
reported for the bad file and (b) that everything reported about the other files of the
project is byte-identical to a scan of the same project without the bad file.
"""
from __future__ import annotations

import codecs
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote

import pytest

from perfsense.scanner.catalog import Catalogs
from perfsense.scanner.config import load_config
from perfsense.scanner.discovery import discover
from perfsense.scanner.engine.project_stage import run_project_rules
from perfsense.scanner.engine.registry import rule_classes
from perfsense.scanner.engine.runner import ScanOptions, finish, run_files, settings_for
from perfsense.scanner.engine.worker import Settings, analyse_source
from perfsense.scanner.model import Category, Finding, Location, Position, ScanResult, Severity, Span
from perfsense.scanner.report.jsonreport import render_json
from perfsense.scanner.report.sarif import MAX_RESULTS, render_sarif
from perfsense.scanner.report.text import render_text
from perfsense.scanner.source import SourceFile
from tests.badinput import REPO, base_project, others, reasons_of, sarif_of, scan, skips_of
from tests.sarif_schema import validate_sarif

BLOCKING = "blocking-call-in-async"
ASYNC_SLEEP = "import time\n\n\nasync def handler():\n    time.sleep(1)\n"


def project(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    root = base_project(tmp_path / "project")
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return root


_baselines: dict[str, ScanResult] = {}


def baseline(**kwargs) -> ScanResult:
    key = repr(sorted(kwargs.items()))
    if key not in _baselines:
        root = base_project(Path(tempfile.mkdtemp(prefix="perfsense-base-")))
        try:
            _baselines[key] = scan(root, **kwargs)
        finally:
            shutil.rmtree(root)
    return _baselines[key]


def check(tmp_path: Path, files: dict[str, str | bytes], **kwargs) -> ScanResult:
    """Scan the base project plus `files`; assert the other files' results are unchanged."""
    result = scan(project(tmp_path, files), **kwargs)
    assert others(result, files) == others(baseline(**kwargs), files)
    assert len(result.findings) >= 3  # the base project's own findings are all there
    return result


def found(result: ScanResult, path: str, rule: str = BLOCKING) -> list[tuple[int, int]]:
    """(0-based line, code-point column) of the findings of `rule` in `path`."""
    return [tuple(f.location.span.start) for f in result.findings if f.location.path == path and f.rule_id == rule]


def editor_position(text: str, needle: str) -> tuple[int, int]:
    """Where an editor shows `needle`: lines end at CRLF, CR or LF; columns count code points."""
    offset = text.index(needle)
    before = re.split(r"\r\n|\r|\n", text[:offset])
    return len(before) - 1, len(before[-1])


# -- syntax errors ---------------------------------------------------------------------------

def test_syntax_error_keeps_findings_outside_the_error_region(tmp_path: Path) -> None:
    files = {
        "typing_now.py": ASYNC_SLEEP + "\n\ndef broken(:\n    pass\n",
        "web/typing_now.js": ("const fs = require('fs');\nconst app = require('express')();\n"
                              "app.get('/', (req, res) => {\n  fs.readFileSync('x');\n});\nfunction broken( {\n"),
    }
    result = check(tmp_path, files)
    assert skips_of(result, "typing_now.py") == [("partial-parse", "syntax error at line 8; the rest was analysed")]
    assert found(result, "typing_now.py") == [(4, 4)]
    assert reasons_of(result, "web/typing_now.js") == ["partial-parse"]
    assert found(result, "web/typing_now.js") == [(3, 2)]
    assert "typing_now.py" in result.files and "web/typing_now.js" in result.files


def test_finding_inside_the_error_region_is_dropped(tmp_path: Path) -> None:
    files = {"half.py": "import time\n\n\nasync def handler():\n    time.sleep(1) +* 2\n"}
    result = check(tmp_path, files)
    assert reasons_of(result, "half.py") == ["partial-parse"]
    assert found(result, "half.py") == []


# -- binary ----------------------------------------------------------------------------------

def test_binary_files_are_binary(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
    late = b"x = 1\n" * 2000 + b"\x00\n"  # a NUL past the first 8 KB: the sniff says text
    files = {"image.py": png, "lib/blob.js": b"var a = 1;\x00\x01\x02" + os.urandom(512), "late.py": late}
    result = check(tmp_path, files)
    assert skips_of(result, "image.py") == [("binary", "NUL bytes in the first 8 KB")]
    assert skips_of(result, "lib/blob.js") == [("binary", "NUL bytes in the first 8 KB")]
    assert reasons_of(result, "late.py") in ([], ["parse-error"], ["partial-parse"])  # never a crash


# -- encodings -------------------------------------------------------------------------------

def test_invalid_utf8_is_encoding(tmp_path: Path) -> None:
    files = {"bad_utf8.py": b"x = '\xff\xfe caf\xe9'\n", "web/bad.js": b"var s = '\xc3\x28';\n",
             "unknown_cookie.py": b"# -*- coding: no-such-codec -*-\nx = 1\n",
             "lying_cookie.py": b"# coding: ascii\nx = '\xc3\xa9'\n"}
    result = check(tmp_path, files)
    assert skips_of(result, "bad_utf8.py") == [("encoding", "not valid utf-8 at byte 5")]
    assert skips_of(result, "web/bad.js") == [("encoding", "not valid utf-8 at byte 9")]
    assert skips_of(result, "unknown_cookie.py") == [("encoding", "unknown coding cookie 'no-such-codec'")]
    assert skips_of(result, "lying_cookie.py") == [("encoding", "not valid ascii at byte 21")]


@pytest.mark.parametrize("codec, word", [("latin-1", "café"), ("koi8-r", "привет")])
def test_coding_cookie_is_honoured(tmp_path: Path, codec: str, word: str) -> None:
    text = f"# -*- coding: {codec} -*-\nimport time\n\n\nasync def f():\n    s = '{word}'; time.sleep(1)\n"
    result = check(tmp_path, {"legacy.py": text.encode(codec)})
    assert not reasons_of(result, "legacy.py")
    assert found(result, "legacy.py") == [editor_position(text, "time.sleep")]


def test_byte_order_marks(tmp_path: Path) -> None:
    text = "async def f(): time.sleep(1)\nimport time\n"
    files = {"bom8.py": codecs.BOM_UTF8 + text.encode(), "bom16.py": text.encode("utf-16"),
             "bom16be.py": codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
             "web/bom.js": codecs.BOM_UTF8 + b"const fs = require('fs'); const app = require('express')();\n"
                                             b"app.get('/', (req, res) => { fs.readFileSync('x'); });\n"}
    result = check(tmp_path, files)
    for rel in ("bom8.py", "bom16.py", "bom16be.py"):
        assert not reasons_of(result, rel), rel
        assert found(result, rel) == [(0, 15)], rel  # the BOM does not shift columns
    assert found(result, "web/bom.js") == [(1, 29)]


# -- line endings and tabs -------------------------------------------------------------------

@pytest.mark.parametrize("name, text", [
    ("crlf", "import time\r\n\r\n\r\nasync def f():\r\n\tx = 1; time.sleep(1)\r\n"),
    ("cr", "import time\r\r\rasync def f():\r\ttime.sleep(1)\r"),
    ("mixed", "import time\r\n\rasync def f():\n\t x = 'é'; time.sleep(1)\r\n"),
    ("tabs", "import time\n\n\nasync def f():\n\tif True:\n\t\ty = '\t'; time.sleep(1)\n"),
])
def test_line_endings_and_tabs_match_the_editor(tmp_path: Path, name: str, text: str) -> None:
    files = {f"{name}.py": text.encode()}
    js = text.replace("import time", "const fs = require('fs');").replace("async def f():", "async function f() {")
    js = js.replace("time.sleep(1)", "fs.readFileSync('x'); }").replace("if True:", "if (true)")
    files[f"web/{name}.js"] = js.encode()
    result = check(tmp_path, files)
    assert not reasons_of(result, f"{name}.py")
    assert found(result, f"{name}.py") == [editor_position(text, "time.sleep")]
    assert not reasons_of(result, f"web/{name}.js")
    assert found(result, f"web/{name}.js") == [editor_position(js, "fs.readFileSync")]


# -- size --------------------------------------------------------------------------------------

def test_fifty_thousand_lines_in_seconds(tmp_path: Path) -> None:
    body = "".join(f"def f{i}(items):\n    total = 0\n    for item in items:\n        total += g(item)\n"
                   f"    return total\n\n\n" for i in range(7150))
    text = "import time\n\n\n" + body + ASYNC_SLEEP.replace("import time\n", "")
    assert len(text.splitlines()) >= 50_000
    result = check(tmp_path, {"huge.py": text})
    assert not reasons_of(result, "huge.py")
    assert found(result, "huge.py") == [(len(text.splitlines()) - 1, 4)]
    # seconds of CPU (wall-clock time on a shared CI machine says little)
    start = time.process_time()
    alone = analyse_source(SourceFile("huge.py", text, "python"), "huge", False, Settings())
    assert time.process_time() - start < 30
    assert alone.skips == () and alone.facts is not None
    # and the project stage over its facts (no per-file budget there: it must be linear)
    start = time.process_time()
    findings, notes = run_project_rules({"huge.py": alone.facts}, Catalogs(), {}, rule_classes())
    assert time.process_time() - start < 30  # n-plus-one's name lookups took 260 s (quadratic)
    assert notes == [] and len(findings) == 1


def test_minified_file_is_skipped_by_default_and_configurable(tmp_path: Path) -> None:
    line = "var a=1;" + ";".join(f"function f{i}(x){{return x+{i}}}" for i in range(40_000))
    text = line[:1_000_000] + ";\n"
    result = check(tmp_path, {"web/app.js": text})
    assert [r for r, _ in skips_of(result, "web/app.js")] == ["minified"]
    assert skips_of(result, "web/app.js")[0][1].startswith("looks minified (a ")
    # configurable: a higher line-length limit analyses it
    root = project(tmp_path / "configured", {"web/app.js": text})
    (root / "perfsense.toml").write_text("minified-line-length = 2000000\n")
    configured = scan(root)
    assert not reasons_of(configured, "web/app.js")
    assert "web/app.js" in configured.files


def test_ten_megabyte_string_literal(tmp_path: Path) -> None:
    big = "a" * 10_000_000
    name = "helper_" + "x" * 5000
    text = (f"import requests\nimport time\nDATA = '{big}'\n\n\ndef {name}():\n    return requests.get('u')\n\n\n"
            f"async def f():\n    {name}()\n    time.sleep('{big[:100_000]}')\n")
    result = check(tmp_path, {"data.py": text}, max_file_size=20_000_000)
    assert not reasons_of(result, "data.py")
    assert found(result, "data.py") == [(10, 4), (11, 4)]
    for finding in result.findings:
        assert len(finding.message) <= 1000
        assert all(len(step.message) <= 1000 for step in finding.chain)
    assert len(render_sarif(result, [], tool_version="1.0.0")) < 100_000


# -- deep nesting --------------------------------------------------------------------------------

DEEP = {
    "deep_paren.py": "x = " + "(" * 100_000 + "1" + ")" * 100_000 + "\n",
    "deep_bracket.py": "x = " + "[" * 100_000 + "1" + "]" * 100_000 + "\n",
    "deep_unclosed.py": "x = " + "(" * 100_000 + "\n",
    "plus_chain.py": "x = " + " + ".join(f"f({i})" for i in range(10_000)) + "\n",
    "elif_chain.py": "if a:\n    pass\n" + "".join(f"elif a == {i}:\n    g({i})\n" for i in range(500)),
    "web/deep_paren.js": "x = " + "(\n" * 100_000 + "1" + ")\n" * 100_000 + ";\n",
    "web/deep_bracket.js": "x = " + "[\n" * 100_000 + "1" + "]\n" * 100_000 + ";\n",
    "web/plus_chain.js": "x = " + " +\n".join(f"f({i})" for i in range(10_000)) + ";\n",
    "web/else_chain.js": "if (a) {}\n" + "".join(f"else if (a == {i}) {{ g({i}); }}\n" for i in range(500)),
}


def test_deep_nesting_is_analysed_or_too_deep(tmp_path: Path) -> None:
    result = check(tmp_path, DEEP)
    for rel in DEEP:
        reasons = reasons_of(result, rel)
        if rel == "deep_unclosed.py":
            assert reasons == ["parse-error"]
        else:
            assert reasons in ([], ["too-deep"]), (rel, reasons)


_LOW_RECURSION = """
import sys
from pathlib import Path
from tests.badinput import scan
from perfsense.scanner.engine.registry import rule_classes
from perfsense.scanner.report.sarif import render_sarif
rule_classes()
sys.setrecursionlimit(250)
result = scan(Path(sys.argv[1]), jobs=2)
render_sarif(result, [c() for c in rule_classes()], tool_version="1.0.0")
print([(s.path, s.reason.value) for s in result.skips])
"""


def test_no_recursive_walkers(tmp_path: Path) -> None:
    """The whole scan, with the recursion limit at 250, still analyses every deep file: no
    walker recurses over the tree, a value or the call graph."""
    files = dict(DEEP)
    del files["deep_unclosed.py"]
    files["chain.py"] = ("import requests\n\n" + "".join(f"def f{i}():\n    return f{i + 1}()\n" for i in range(2000))
                         + "def f2000():\n    return requests.get('u')\n\n\nasync def main():\n    f0()\n")
    files["attrs.py"] = "import requests\n\n\nasync def g():\n    x = requests" + ".b" * 10_000 + "\n"
    files["lambdas.py"] = "x = " + "lambda: " * 3000 + "1\n"
    files["web/arrows.js"] = "x = " + "() =>\n" * 3000 + "1;\n"
    root = project(tmp_path, files)
    proc = subprocess.run([sys.executable, "-c", _LOW_RECURSION, str(root)], capture_output=True, text=True,
                          timeout=600, cwd=REPO, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == "[]"


# -- file system oddities --------------------------------------------------------------------

def test_directory_symlink_loop(tmp_path: Path) -> None:
    root = project(tmp_path, {"pkg/mod.py": ASYNC_SLEEP})
    os.symlink("..", root / "pkg" / "up")
    os.symlink(".", root / "pkg" / "self")
    result = scan(root)
    assert others(result, ["pkg"]) == others(baseline(), ["pkg"])
    assert [p for p in result.files if p.startswith("pkg/")] == ["pkg/mod.py"]
    assert found(result, "pkg/mod.py") == [(4, 4)]


def test_file_symlink_out_of_the_root_is_never_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text("TOKEN = 'SECRET-0123456789'\n" + ASYNC_SLEEP)
    os.mkfifo(outside / "pipe.py")  # reading it would block
    root = project(tmp_path, {})
    os.symlink(outside / "secret.py", root / "leak.py")
    os.symlink(outside / "pipe.py", root / "pipe.py")
    os.symlink("../../outside/secret.py", root / "app" / "relative_leak.py")
    start = time.monotonic()
    result = scan(root)
    assert time.monotonic() - start < 120
    bad = ["leak.py", "pipe.py", "app/relative_leak.py"]
    assert others(result, bad) == others(baseline(), bad)
    for rel in bad:
        assert skips_of(result, rel) == [("outside-root", "symbolic link leads outside the scan root")]
    reports = render_text(result, verbose=True) + render_json(result, tool_version="1") + json.dumps(sarif_of(result))
    assert "SECRET" not in reports


def test_special_files_are_not_regular_files(tmp_path: Path) -> None:
    root = project(tmp_path, {})
    os.mkfifo(root / "fifo.py")
    os.mkfifo(root / "app" / "fifo.js")
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(root / "sock.py"))
        os.symlink("fifo.py", root / "to_fifo.py")
        expected = {"fifo.py": "a FIFO", "app/fifo.js": "a FIFO", "sock.py": "a socket", "to_fifo.py": "a FIFO"}
        try:
            os.mknod(root / "dev.py", 0o600 | stat.S_IFCHR, os.makedev(1, 5))  # /dev/zero
            expected["dev.py"] = "a character device"
        except (PermissionError, OSError):
            pass  # no CAP_MKNOD here: the FIFO and the socket cover the check
        start = time.monotonic()
        result = scan(root)
        assert time.monotonic() - start < 120
        assert others(result, list(expected)) == others(baseline(), list(expected))
        for rel, kind in expected.items():
            assert skips_of(result, rel) == [("not-regular-file", f"{kind}, not a regular file")], rel
    finally:
        server.close()


def _unprivileged() -> list[str]:
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: cannot test permissions as an unprivileged user")
    prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    probe = subprocess.run([*prefix, sys.executable, "-c", "import perfsense.scanner.cli"], capture_output=True,
                           text=True, timeout=60, cwd="/", check=False)
    if probe.returncode != 0:
        pytest.skip(f"cannot run perfsense as uid 65534 via setpriv: {probe.stderr.strip()[-300:]}")
    return prefix


def _scan_as(prefix: list[str], root: Path) -> dict:
    proc = subprocess.run([*prefix, sys.executable, "-m", "perfsense.scanner.cli", "scan", str(root), "--format",
                           "json", "--no-cache", "--quiet", "--jobs", "2"],
                          capture_output=True, text=True, timeout=300, cwd="/", check=False,
                          env={**os.environ, "HOME": "/nonexistent"})
    assert proc.returncode == 1, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def test_unreadable_file_and_folder_are_permission(tmp_path: Path) -> None:
    prefix = _unprivileged()
    base = Path(tempfile.mkdtemp(prefix="perfsense-perm-"))  # pytest's tmp_path is private to root
    try:
        base.chmod(0o755)
        clean = base_project(base / "clean")
        root = base_project(base / "project")
        (root / "locked.py").write_text(ASYNC_SLEEP)
        (root / "closed").mkdir()
        (root / "closed" / "inner.py").write_text(ASYNC_SLEEP)
        for folder, _dirs, names in os.walk(base):
            os.chmod(folder, 0o755)
            for name in names:
                os.chmod(os.path.join(folder, name), 0o644)
        (root / "locked.py").chmod(0)
        (root / "closed").chmod(0)
        report, clean_report = _scan_as(prefix, root), _scan_as(prefix, clean)
        skipped = {(s["path"], s["reason"], s["detail"]) for s in report["skipped"]}
        assert skipped == {("locked.py", "permission", "permission denied"),
                           ("closed", "permission", "cannot list directory: Permission denied")}
        for key in ("findings",):
            assert report[key] == clean_report[key]
        assert report["summary"]["files"] == clean_report["summary"]["files"]
    finally:
        for folder, _dirs, _names in os.walk(base):
            os.chmod(folder, 0o755)
        (base / "project" / "closed").chmod(0o755)
        shutil.rmtree(base)


def test_vanished_files(tmp_path: Path) -> None:
    root = project(tmp_path, {"gone.py": ASYNC_SLEEP, "soon_gone.js": "var a = 1;\n", "now_fifo.py": "x = 1\n"})
    os.symlink("nowhere.py", root / "dangling.py")
    os.symlink("self_loop.py", root / "self_loop.py")
    config = load_config(str(root))
    options = ScanOptions(jobs=2, use_cache=False)
    settings = settings_for(config, options, str(root))
    tasks, skips = discover([str(root)], str(root))
    (root / "gone.py").unlink()  # deleted between the walk and the read
    (root / "soon_gone.js").unlink()
    (root / "now_fifo.py").unlink()
    os.mkfifo(root / "now_fifo.py")  # replaced by a FIFO after the walk: must not block the read
    result = finish(str(root), tasks, run_files(tasks, settings, 2), skips, config, options, settings)
    bad = ["gone.py", "soon_gone.js", "dangling.py", "self_loop.py", "now_fifo.py"]
    assert others(result, bad) == others(baseline(), bad)
    assert skips_of(result, "now_fifo.py") == [("not-regular-file", "not a regular file")]
    assert [reason for reason, _ in skips_of(result, "self_loop.py")] == ["vanished"]
    assert skips_of(result, "gone.py") == [("vanished", "the file disappeared before it could be read")]
    assert skips_of(result, "soon_gone.js") == [("vanished", "the file disappeared before it could be read")]
    assert skips_of(result, "dangling.py") == [("vanished", "dangling symbolic link")]


# -- languages -----------------------------------------------------------------------------------

def test_python2_is_one_parse_error_per_file(tmp_path: Path) -> None:
    files = {
        "py2/script.py": "import urllib2\n\nprint 'fetching'\ntry:\n    data = urllib2.urlopen(u).read()\n"
                         "except IOError, e:\n    print >>sys.stderr, e\n",
        "py2/legacy.py": "def f(x):\n    if x <> 0:\n        return `x`\n    return 0777L\n",
        "py2/execs.py": "exec 'x = 1' in ns\nprint x\n",
    }
    result = check(tmp_path, files)
    assert skips_of(result, "py2/script.py") == [("parse-error", "Python 2 code (a `print` statement at line 3)")]
    assert skips_of(result, "py2/legacy.py") == [("parse-error", "Python 2 code (the `<>` operator at line 2)")]
    assert skips_of(result, "py2/execs.py") == [("parse-error", "Python 2 code (an `exec` statement at line 1)")]
    assert not [p for p in result.files if p.startswith("py2/")]


EXPRESS = "const app = require('express')();\napp.get('/', (req, res) => {\n  fs.readFileSync('x');\n});\n"
JS_FLAVOURS = {
    "web/jsx.js": "const fs = require('fs');\nconst el = <div className=\"x\">{items.map(i => <b key={i}>{i}</b>)}</div>;\n"
                  + EXPRESS,
    "web/component.jsx": "import fs from 'fs';\nexport const C = () => <><p>hi</p></>;\n" + EXPRESS,
    "web/flow.js": "// @flow\nconst fs = require('fs');\ntype T = {a: number};\n"
                   "function f(x: number): string { return String(x); }\n" + EXPRESS,
    "web/ts_in.js": "const fs = require('fs');\ninterface I { a: number }\nconst x = (y as any) as I;\n" + EXPRESS,
    "web/mixed.mjs": "#!/usr/bin/env node\nimport fs from 'fs';\nconst path = require('path');\n"
                     "const data = await fetch('x');\n" + EXPRESS + "export default app;\nmodule.exports = app;\n",
    "web/tool.cjs": "#!/usr/bin/env node\n'use strict';\nconst fs = require('fs');\n" + EXPRESS,
    "web/typed.ts": "import fs from 'fs';\nenum E { A }\nfunction id<T>(x: T): T { return x; }\n"
                    "@Component({})\nclass C { private x?: number; constructor(readonly y: string) {} }\n" + EXPRESS,
    "web/view.tsx": "import fs from 'fs';\nconst V = <T,>(p: {x: T}) => <div>{String(p.x)}</div>;\n" + EXPRESS,
}


def test_javascript_flavours_are_parsed_or_partial(tmp_path: Path) -> None:
    result = check(tmp_path, JS_FLAVOURS)
    for rel, text in JS_FLAVOURS.items():
        assert reasons_of(result, rel) in ([], ["partial-parse"]), rel
        assert rel in result.files, rel
        line = text.splitlines().index("  fs.readFileSync('x');")
        assert found(result, rel) == [(line, 2)], rel


MODERN = """import time
from dataclasses import dataclass

type Pair[T] = tuple[T, T]


def first[T: (int, str)](items: list[T]) -> T:
    return items[0]


class Box[T]:
    def get[S](self, other: S) -> T | S: ...


async def handler(name, items):
    greeting = f"{'\\n'.join(items)}: {f"{name!r:>{10}}"}"
    template = t"hello {name}"
    match items:
        case [x, *rest] if (n := len(rest)) > 1:
            pass
        case {"k": v, **kw}:
            pass
        case Box(x=1) | None:
            pass
    try:
        pass
    except* (ValueError, TypeError) as group:
        pass
    time.sleep(1)
"""


def test_modern_python_is_parsed(tmp_path: Path) -> None:
    result = check(tmp_path, {"modern.py": MODERN})
    assert reasons_of(result, "modern.py") == []
    assert found(result, "modern.py") == [editor_position(MODERN, "time.sleep")]


def test_empty_and_comment_only_files(tmp_path: Path) -> None:
    files = {"empty.py": "", "app/comments.py": "# nothing\n# here\n", "web/empty.js": "",
             "web/comments.ts": "// a\n/* b */\n", "blank.py": "\n\n   \n"}
    result = check(tmp_path, files)
    for rel in files:
        assert reasons_of(result, rel) == [] and found(result, rel) == [] and rel in result.files


ODD_NAMES = ["with space.py", "100%.py", "sharp#1.py", "what?.py", "café.py", "日本語/モジュール.py",
             "-leading.py", "[brackets].js", "plus+colon:.py", "new\nline.py"]


def test_odd_file_names_give_valid_uris_that_lead_back(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {name: EXPRESS if name.endswith(".js") else ASYNC_SLEEP for name in ODD_NAMES}
    raw_name = os.fsdecode(b"latin1-\xe9.py")  # not UTF-8: a lone surrogate in the str
    root = project(tmp_path, files)
    (root / raw_name).write_text(ASYNC_SLEEP)
    names = [*ODD_NAMES, raw_name]
    result = scan(root)
    assert others(result, names) == others(baseline(), [*names])
    doc = sarif_of(result)
    validate_sarif(doc)
    run = doc["runs"][0]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    back = {unquote(uri, errors="surrogateescape") for uri in uris}
    assert set(names) <= back
    for uri in uris:
        assert (root / os.fsdecode(os.fsencode(unquote(uri, errors="surrogateescape")))).exists(), uri
        assert not uri.startswith(("/", "-")) or uri.startswith("-leading")
    text = render_sarif(result, [], tool_version="1.0.0")
    json.loads(text)  # strict JSON (lone surrogates scrubbed)
    text.encode("utf-8")


def test_more_findings_than_github_takes() -> None:
    span = Span(Position(0, 0), Position(0, 1))
    findings = [Finding(rule_id=BLOCKING, category=Category.BLOCKING_IO, severity=Severity.WARNING,
                        message=f"m{i}", location=Location(f"f{i // 1000}.py", Span(Position(i % 1000, 0), span.end)))
                for i in range(MAX_RESULTS + 7)]
    result = ScanResult(root="/tmp/x", findings=findings, files=sorted({f.location.path for f in findings}))
    doc = sarif_of(result)
    run = doc["runs"][0]
    assert len(run["results"]) == MAX_RESULTS
    notes = run["invocations"][0]["toolExecutionNotifications"]
    text = (f"7 of {MAX_RESULTS + 7} results were dropped: GitHub code scanning accepts "
            f"at most {MAX_RESULTS} results per run.")
    assert [(n["descriptor"]["id"], n["message"]["text"]) for n in notes] == [("results-truncated", text)]
    validate_sarif(doc, schema_results=100)


# -- exit codes ------------------------------------------------------------------------------------

def test_skipped_files_change_the_exit_code_only_with_strict(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "ok.py").write_text("x = 1\n")
    (root / "image.py").write_bytes(b"\x89PNG\x00\x00")
    (root / "half.py").write_text("def f(:\n    pass\n\n\nx = 1\ny = 2\nz = 3\n")
    base = [sys.executable, "-m", "perfsense.scanner.cli", "scan", str(root), "--no-cache", "--quiet"]

    def run(*args: str) -> int:
        return subprocess.run([*base, *args], capture_output=True, timeout=300, check=False, cwd=tmp_path).returncode

    assert run() == 0
    assert run("--strict") == 1
    (root / "slow.py").write_text(ASYNC_SLEEP)
    assert run() == 1
    assert run("--exit-zero") == 0
    (root / "perfsense.toml").write_text("no-such-key = 1\n")
    assert run() == 2
