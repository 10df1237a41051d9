"""Security (RELIABILITY.md): scanned code is never imported or run, a hostile working
directory cannot inject modules, symlinks never lead out of the root, no unsafe
deserialisation or evaluation in the package, and report writing survives lone surrogates.
"""
from __future__ import annotations

import ast
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from perfsense.scanner.engine.registry import rule_classes
from perfsense.scanner.model import (
    Category,
    ChainStep,
    Finding,
    Location,
    Position,
    ScanResult,
    Severity,
    Skip,
    SkipReason,
    Span,
)
from perfsense.scanner.report.jsonreport import render_json
from perfsense.scanner.report.sarif import render_sarif
from perfsense.scanner.report.text import render_text
from tests.sarif_schema import validate_sarif

REPO = Path(__file__).resolve().parent.parent
PACKAGE_DIRS = ("scanner", "lsp", "rules")
CLI = shutil.which("perfsense", path=os.path.dirname(sys.executable))


def _sentinel_code(sentinels: Path, name: str) -> str:
    return f"open({str(sentinels / name)!r}, 'w').write('imported')\n"


def _hostile_repo(root: Path, sentinels: Path) -> Path:
    """A repository whose every file that Python or Node could run writes a sentinel."""
    files = {
        "setup.py": "setup", "conftest.py": "conftest", "sitecustomize.py": "sitecustomize",
        "usercustomize.py": "usercustomize", "__main__.py": "main", "pkg/__init__.py": "pkg_init",
        "pkg/__main__.py": "pkg_main", "pkg/mod.py": "pkg_mod", "tests/conftest.py": "tests_conftest",
        "noxfile.py": "noxfile", "manage.py": "manage",
    }
    for rel, name in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_sentinel_code(sentinels, name)
                        + "import time\n\n\nasync def handler():\n    time.sleep(1)\n")
    (root / "evil.pth").write_text(f"import os; {_sentinel_code(sentinels, 'pth').strip()}\n")
    (root / "pkg" / "evil.pth").write_text(f"import os; {_sentinel_code(sentinels, 'pkg_pth').strip()}\n")
    js = f"require('fs').writeFileSync({str(sentinels / 'node')!r}, 'ran');\n"
    (root / "index.js").write_text(js)
    (root / "package.json").write_text(json.dumps({"scripts": {"preinstall": "node index.js"}, "main": "index.js"}))
    return root


def _no_sentinels(sentinels: Path) -> None:
    assert sorted(p.name for p in sentinels.iterdir()) == []


def _run(cmd: list[str], cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSAFEPATH")}
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300, check=False, env=env,
                          **kwargs)


def _commands() -> list[list[str]]:
    commands = [[sys.executable, "-m", "perfsense.scanner.cli"]]
    if CLI:
        commands.append([CLI])
    return commands


@pytest.mark.parametrize("use_cache", [False, True])
def test_scanned_code_is_never_run(tmp_path: Path, use_cache: bool) -> None:
    sentinels = tmp_path / "sentinels"
    sentinels.mkdir()
    repo = _hostile_repo(tmp_path / "repo", sentinels)
    # (conftest.py files are test code: reported here too, so that every file shows a finding)
    (repo / "perfsense.toml").write_text("[rules.blocking-call-in-async]\ninclude-tests = true\n")
    for command in _commands():
        args = [*command, "scan", ".", "--format", "sarif", "--quiet", "--jobs", "2"]
        proc = _run(args if use_cache else [*args, "--no-cache"], cwd=repo)
        assert proc.returncode == 1, proc.stderr[-2000:]
        doc = json.loads(proc.stdout)
        validate_sarif(doc)
        assert len(doc["runs"][0]["results"]) == 11  # every file was analysed (as text)
        _no_sentinels(sentinels)


def test_no_plugin_or_module_path_from_the_repository_config(tmp_path: Path) -> None:
    sentinels = tmp_path / "sentinels"
    sentinels.mkdir()
    repo = _hostile_repo(tmp_path / "repo", sentinels)
    (repo / "pyproject.toml").write_text('[tool.perfsense]\nplugins = ["pkg.mod"]\nrule-paths = ["pkg"]\n')
    proc = _run([sys.executable, "-m", "perfsense.scanner.cli", "scan", ".", "--quiet", "--no-cache"], cwd=repo)
    assert proc.returncode == 2
    assert "plugins" in proc.stderr
    _no_sentinels(sentinels)


HOSTILE_MODULES = ("json", "typing", "yaml", "pygls", "argparse", "logging", "re", "enum", "pathlib",
                   "tree_sitter", "networkx", "pathspec", "lsprotocol", "dataclasses", "collections")


def _hostile_cwd(tmp_path: Path) -> tuple[Path, Path]:
    sentinels = tmp_path / "sentinels"
    sentinels.mkdir()
    cwd = tmp_path / "checkout"
    cwd.mkdir()
    for name in HOSTILE_MODULES:
        (cwd / f"{name}.py").write_text(_sentinel_code(sentinels, name) + "raise SystemExit(99)\n")
    (cwd / "app.py").write_text("import requests\n\n\nasync def f():\n    requests.get('u')\n")
    return cwd, sentinels


def test_cli_ignores_modules_in_the_working_directory(tmp_path: Path) -> None:
    cwd, sentinels = _hostile_cwd(tmp_path)
    # the trap works: plain `python -c` in that directory imports them
    probe = _run([sys.executable, "-c", "import json"], cwd=cwd)
    assert probe.returncode == 99 and (sentinels / "json").exists()
    (sentinels / "json").unlink()
    for command in _commands():
        proc = _run([*command, "scan", ".", "--format", "json", "--quiet", "--no-cache"], cwd=cwd)
        assert proc.returncode == 1, proc.stderr[-2000:]
        report = json.loads(proc.stdout)
        assert [f["path"] for f in report["findings"]] == ["app.py"]
        _no_sentinels(sentinels)


def test_cli_runs_inside_the_standard_library() -> None:
    """Only the entry `-m` added goes: a working directory that is also a configured path
    (the standard library) stays on sys.path."""
    import sysconfig

    stdlib = sysconfig.get_paths()["stdlib"]
    proc = _run([sys.executable, "-m", "perfsense.scanner.cli", "scan", "json", "--format", "json", "--quiet",
                 "--no-cache"], cwd=Path(stdlib))
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    assert json.loads(proc.stdout)["summary"]["files"] >= 4


def test_lsp_ignores_modules_in_the_working_directory(tmp_path: Path) -> None:
    if importlib.util.find_spec("perfsense.lsp.__main__") is None:
        pytest.skip("the LSP server (perfsense.lsp.__main__) is not on this branch yet")
    cwd, sentinels = _hostile_cwd(tmp_path)
    proc = _run([sys.executable, "-m", "perfsense.lsp"], cwd=cwd, stdin=subprocess.DEVNULL)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    _no_sentinels(sentinels)


def test_symlink_named_on_the_command_line_is_not_followed_out(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    os.mkfifo(outside / "secret.py")  # opening it would block the scan
    root = tmp_path / "root"
    root.mkdir()
    (root / "ok.py").write_text("x = 1\n")
    os.symlink(outside / "secret.py", root / "link.py")
    os.symlink(outside, root / "linked_dir")
    proc = _run([sys.executable, "-m", "perfsense.scanner.cli", "scan", "link.py", "ok.py", "linked_dir",
                 "--format", "json", "--quiet", "--no-cache"], cwd=root)
    assert proc.returncode == 0, proc.stderr
    skipped = {(s["path"], s["reason"]) for s in json.loads(proc.stdout)["skipped"]}
    assert skipped == {("link.py", "outside-root"), ("linked_dir", "outside-root")}


# -- the package's own code ------------------------------------------------------------------

# (file, call) pairs that are allowed, each with its reason.
ALLOWED = {
    # Cache entries are HMAC-SHA256 signed with a per-user secret kept outside the scanned
    # tree; an entry that fails the check is never unpickled (scanner/cache.py). The only
    # other pickles loaded are the results the scan's own worker processes send back.
    ("scanner/cache.py", "pickle.loads"),
    # Imports the package's own rule modules, found by pkgutil under perfsense.rules.
    ("scanner/engine/registry.py", "importlib.import_module"),
}
FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__", "pickle.loads", "pickle.load", "pickle.Unpickler",
                   "marshal.loads", "marshal.load", "shelve.open", "yaml.load", "yaml.unsafe_load",
                   "yaml.full_load", "yaml.load_all", "yaml.unsafe_load_all", "yaml.full_load_all",
                   "os.system", "os.popen", "importlib.import_module", "runpy.run_path", "runpy.run_module",
                   "jsonpickle.decode", "dill.loads"}


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def _package_files() -> list[Path]:
    return sorted(p for top in PACKAGE_DIRS for p in (REPO / top).rglob("*.py"))


def test_no_unsafe_evaluation_or_deserialisation_in_the_package() -> None:
    problems = []
    for path in _package_files():
        rel = path.relative_to(REPO).as_posix()
        tree = ast.parse(path.read_text("utf-8"), rel)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = _dotted(node.func)
                if name in FORBIDDEN_CALLS and (rel, name) not in ALLOWED:
                    problems.append(f"{rel}:{node.lineno}: {name}(…)")
                for keyword in node.keywords:
                    if keyword.arg == "shell" and not (isinstance(keyword.value, ast.Constant)
                                                       and keyword.value.value is False):
                        problems.append(f"{rel}:{node.lineno}: shell=… in {name}(…)")
            elif isinstance(node, ast.Attribute) and node.attr in ("Loader", "UnsafeLoader", "FullLoader") \
                    and _dotted(node.value) == "yaml":
                problems.append(f"{rel}:{node.lineno}: yaml.{node.attr}")
    assert problems == []


def test_allow_list_is_still_needed() -> None:
    """Each allowed use still exists (an unused exception is a hole waiting to be used)."""
    for rel, name in ALLOWED:
        tree = ast.parse((REPO / rel).read_text("utf-8"))
        assert any(isinstance(n, ast.Call) and _dotted(n.func) == name for n in ast.walk(tree)), (rel, name)


def test_yaml_is_only_safe_loaded() -> None:
    uses = []
    for path in _package_files():
        tree = ast.parse(path.read_text("utf-8"))
        uses += [_dotted(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)
                 and _dotted(n.func).startswith("yaml.")]
    assert uses and set(uses) <= {"yaml.safe_load", "yaml.safe_load_all", "yaml.safe_dump"}


# -- lone surrogates in reports --------------------------------------------------------------------

def _surrogate_result() -> ScanResult:
    path = os.fsdecode(b"caf\xe9/\xff\xfe.py")  # not UTF-8: lone surrogates \udce9, \udcff, \udcfe
    text = "message \ud800 with a lone high surrogate and \udfff a low one"
    span = Span(Position(0, 0), Position(0, 5))
    finding = Finding(rule_id="blocking-call-in-async", category=Category.BLOCKING_IO, severity=Severity.WARNING,
                      message=text, location=Location(path, span), context="f\udc80",
                      chain=(ChainStep(location=Location(path + "\ud834", span), message=text),))
    skip = Skip(path=os.fsdecode(b"bad\x80.js"), reason=SkipReason.ENCODING, detail=text)
    return ScanResult(root=os.fsdecode(b"/tmp/r\xe9po"), findings=[finding], skips=[skip],
                      files=[path], notices=[text])


def test_reports_survive_lone_surrogates() -> None:
    result = _surrogate_result()
    rules = [cls() for cls in rule_classes()]
    sarif = render_sarif(result, rules, tool_version="1.0.0")
    sarif.encode("utf-8")  # strict UTF-8, as GitHub wants
    doc = json.loads(sarif)
    validate_sarif(doc)
    uri = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "caf%E9/%FF%FE.py"  # percent-encoded original bytes: leads back to the file
    text = render_json(result, tool_version="1.0.0")
    text.encode("ascii")
    report = json.loads(text)
    assert report["findings"][0]["path"] == result.findings[0].location.path  # round-trips exactly
    assert os.fsencode(report["skipped"][0]["path"]) == b"bad\x80.js"
    human = render_text(result, verbose=True)
    human.encode("utf-8", "replace")


def test_cli_writes_reports_for_non_utf8_names(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    name = os.fsdecode(b"caf\xe9.py")
    (root / name).write_text("import time\n\n\nasync def f():\n    time.sleep(1)\n")
    for fmt in ("sarif", "json", "text"):
        out = tmp_path / f"out.{fmt}"
        proc = _run([sys.executable, "-m", "perfsense.scanner.cli", "scan", str(root), "--format", fmt,
                     "--output", str(out), "--quiet", "--no-cache"], cwd=tmp_path)
        assert proc.returncode == 1, proc.stderr
        data = out.read_bytes()
        data.decode("utf-8")
        if fmt == "sarif":
            validate_sarif(json.loads(data))
            assert b'"uri": "caf%E9.py"' in data
        if fmt == "json":
            assert os.fsencode(json.loads(data)["findings"][0]["path"]) == b"caf\xe9.py"


class _Planted:
    """Unpickling this creates a file: the proof that a cache entry was unpickled."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_planted_cache_entries_are_never_unpickled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A `.perfsense_cache/` committed to the scanned repository (or written by anyone else)
    fails the HMAC check and is ignored, unread by pickle."""
    import pickle

    from perfsense.scanner.cache import DIGEST, Cache

    monkeypatch.setenv("PERFSENSE_CACHE_SECRET", "the-user-secret")
    cache = Cache(str(tmp_path / ".perfsense_cache"), "salt")
    key = cache.key("some", "file")
    sentinel = tmp_path / "unpickled"
    payload = pickle.dumps(_Planted(str(sentinel)))
    path = cache._path(key)
    path.parent.mkdir(parents=True)
    for blob in (b"\0" * DIGEST + payload, payload, b""):  # wrong MAC, no MAC, empty
        path.write_bytes(blob)
        assert cache.get(key) is None
        assert not sentinel.exists()
    cache.put(key, {"ok": 1})  # what perfsense itself writes still reads back
    assert cache.get(key) == {"ok": 1}
