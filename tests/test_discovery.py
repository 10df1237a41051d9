"""File discovery: excludes, .gitignore, explicit arguments, hostile file system entries."""

from __future__ import annotations

import builtins
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

from perfsense.scanner import discovery
from perfsense.scanner.discovery import FileTask, discover, scan_root
from perfsense.scanner.model import Skip, SkipReason


def write(root: Path, rel: str, text: str = "x = 1\n") -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def run(root: Path, paths: tuple[str, ...] = (".",), **options) -> tuple[list[FileTask], list[Skip]]:
    return discover(list(paths), str(root), cwd=str(root), **options)


def rels(root: Path, paths: tuple[str, ...] = (".",), **options) -> list[str]:
    tasks, skips = run(root, paths, **options)
    assert skips == []
    return [task.rel for task in tasks]


def reasons(skips: list[Skip]) -> list[tuple[str, str]]:
    return [(skip.path, str(skip.reason)) for skip in skips]


# -- scan root -------------------------------------------------------------------------


def test_scan_root(tmp_path: Path) -> None:
    (tmp_path / "proj" / "src").mkdir(parents=True)
    (tmp_path / "other").mkdir()
    write(tmp_path, "proj/a.py")
    cwd = str(tmp_path / "proj")
    assert scan_root([], cwd) == cwd
    assert scan_root(["."], cwd) == cwd
    assert scan_root(["src"], cwd) == str(tmp_path / "proj" / "src")  # one directory: that directory
    assert scan_root(["src/"], cwd) == str(tmp_path / "proj" / "src")
    assert scan_root(["a.py"], cwd) == cwd  # a file counts by its folder, inside cwd
    assert scan_root(["src", "a.py"], cwd) == cwd
    assert scan_root(["../other", "src"], cwd) == str(tmp_path)  # leaves cwd: common ancestor
    assert scan_root([str(tmp_path / "other" / "b.py")], cwd) == str(tmp_path / "other")


# -- what is a source file, default excludes ----------------------------------------------


def test_source_extensions_and_default_excludes(tmp_path: Path) -> None:
    for rel in [
        "a.py",
        "b.js",
        "c.mjs",
        "d.cjs",
        "e.jsx",
        "f.ts",
        "g.mts",
        "h.cts",
        "i.tsx",
        "types.d.ts",
        "stub.pyi",
        "README.md",
        "data.json",
        "app.min.js",
        "app.min.mjs",
        "app-min.js",
        "app.bundle.js",
        "0.chunk.js",
        "node_modules/lib/index.js",
        ".git/hooks/x.py",
        ".hg/x.py",
        ".svn/x.py",
        "__pycache__/x.py",
        ".venv/lib/x.py",
        "venv/x.py",
        ".tox/x.py",
        ".nox/x.py",
        "dist/x.js",
        "build/x.py",
        "vendor/x.js",
        ".perfsense_cache/x.py",
        ".mypy_cache/x.py",
        ".pytest_cache/x.py",
        ".ruff_cache/x.py",
        "lib/site-packages/x.py",
        "bower_components/x.js",
        ".next/x.js",
        ".nuxt/x.js",
        "coverage/x.js",
        "env/x.py",
        "env/pyvenv.cfg",
        "myenv/x.py",
        "myenv/pyvenv.cfg",
        "other/env/x.py",
        "src/deep/keep.py",
    ]:
        write(tmp_path, rel)
    assert rels(tmp_path) == [
        "a.py",
        "b.js",
        "c.mjs",
        "d.cjs",
        "e.jsx",
        "f.ts",
        "g.mts",
        "h.cts",
        "i.tsx",
        "other/env/x.py",
        "src/deep/keep.py",
    ]


def test_languages(tmp_path: Path) -> None:
    for rel in ["a.py", "b.js", "c.ts", "d.tsx", "e.jsx"]:
        write(tmp_path, rel)
    tasks, _ = run(tmp_path)
    assert [(task.rel, task.language) for task in tasks] == [
        ("a.py", "python"),
        ("b.js", "javascript"),
        ("c.ts", "typescript"),
        ("d.tsx", "tsx"),
        ("e.jsx", "javascript"),
    ]
    assert tasks[0].path == str(tmp_path / "a.py")


# -- .gitignore and user excludes ------------------------------------------------------


def test_gitignore_root_nested_and_negation(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "# comment\n*.gen.py\ngenerated/\nsecret_*.py\n/top_only.py\n")
    write(tmp_path, "pkg/.gitignore", "!secret_ok.py\nlocal.py\n/anchored.py\n")
    for rel in [
        "main.py",
        "x.gen.py",
        "generated/a.py",
        "secret_a.py",
        "top_only.py",
        "local.py",
        "pkg/top_only.py",
        "pkg/secret_ok.py",
        "pkg/secret_b.py",
        "pkg/local.py",
        "pkg/anchored.py",
        "pkg/sub/anchored.py",
        "pkg/sub/local.py",
        "pkg/sub/z.gen.py",
    ]:
        write(tmp_path, rel)
    assert rels(tmp_path) == [
        "local.py",
        "main.py",
        "pkg/secret_ok.py",
        "pkg/sub/anchored.py",
        "pkg/top_only.py",
    ]
    assert len(rels(tmp_path, use_gitignore=False)) == 14


def test_invalid_gitignore_lines_are_dropped(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "bad\\\nskip.py\n")
    write(tmp_path, "skip.py")
    write(tmp_path, "keep.py")
    assert rels(tmp_path) == ["keep.py"]


def test_user_exclude_patterns(tmp_path: Path) -> None:
    for rel in [
        "app/models.py",
        "app/models_pb2.py",
        "app/keep_pb2.py",
        "migrations/0001.py",
        "app/migrations/0002.py",
        "tests/test_x.py",
    ]:
        write(tmp_path, rel)
    found = rels(tmp_path, exclude=["*_pb2.py", "!keep_pb2.py", "migrations/", "/tests"])
    assert found == ["app/keep_pb2.py", "app/models.py"]


def test_gitignore_negation_cannot_undo_user_exclude(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "!gen.py\n")
    write(tmp_path, "gen.py")
    assert rels(tmp_path, exclude=["gen.py"]) == []


# -- explicit arguments ------------------------------------------------------------------


def test_explicit_files_are_scanned_even_when_excluded(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "ignored.py\n")
    for rel in [
        "ignored.py",
        "node_modules/lib/util.js",
        "app.min.js",
        "build/gen.py",
        "build/sub/more.py",
        "build/node_modules/x.js",
        "other.py",
        "README.md",
    ]:
        write(tmp_path, rel)
    paths = ("ignored.py", "node_modules/lib/util.js", "app.min.js", "build", "README.md")
    assert rels(tmp_path, paths, exclude=["build/"]) == [
        "app.min.js",
        "build/gen.py",
        "build/sub/more.py",
        "ignored.py",
        "node_modules/lib/util.js",
    ]


def test_explicit_arguments_are_deduplicated_and_sorted(tmp_path: Path) -> None:
    write(tmp_path, "b.py")
    write(tmp_path, "a/c.py")
    assert rels(tmp_path, ("b.py", ".", "a/c.py", "a")) == ["a/c.py", "b.py"]


def test_explicit_missing_path_is_vanished(tmp_path: Path) -> None:
    tasks, skips = run(tmp_path, ("nope.py",))
    assert tasks == []
    assert skips == [Skip(path="nope.py", reason=SkipReason.VANISHED, detail="no such file or directory")]


def test_explicit_path_outside_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    outside = write(tmp_path, "elsewhere/x.py")
    tasks, skips = discover([str(outside)], str(root), cwd=str(root))
    assert tasks == []
    assert reasons(skips) == [(str(outside), "outside-root")]


def test_explicit_gitignore_of_parents_applies_below_explicit_folder(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "*.gen.py\n")
    write(tmp_path, "a/b/x.gen.py")
    write(tmp_path, "a/b/y.py")
    assert rels(tmp_path, ("a/b",)) == ["a/b/y.py"]


# -- symlinks ------------------------------------------------------------------------


def test_symlink_out_of_root_is_never_opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "root"
    outside = tmp_path / "outside"
    outside.mkdir()
    os.mkfifo(outside / "pipe")  # opening it would block forever
    write(outside, "real.py")
    write(root, "ok.py")
    root.joinpath("pipe.py").symlink_to(outside / "pipe")
    root.joinpath("real.py").symlink_to(outside / "real.py")
    root.joinpath("zero.py").symlink_to("/dev/zero")
    root.joinpath("outdir").symlink_to(outside, target_is_directory=True)
    write(root, "inner/target.py")
    root.joinpath("inside.py").symlink_to(root / "inner" / "target.py")  # stays inside: scanned

    opened: list[str] = []
    real_open, real_os_open = builtins.open, os.open
    monkeypatch.setattr(
        builtins,
        "open",
        lambda file, *a, **k: (opened.append(os.fsdecode(file)), real_open(file, *a, **k))[1],
    )
    monkeypatch.setattr(
        os, "open", lambda file, *a, **k: (opened.append(os.fsdecode(file)), real_os_open(file, *a, **k))[1]
    )
    result: list = []
    worker = threading.Thread(target=lambda: result.append(run(root, (".", "outdir/real.py"))), daemon=True)
    worker.start()
    worker.join(20)
    if worker.is_alive():  # release the blocked open() before failing
        os.close(real_os_open(outside / "pipe", os.O_RDWR | os.O_NONBLOCK))
        pytest.fail("discovery opened the FIFO behind a symlink")
    monkeypatch.undo()
    tasks, skips = result[0]
    assert [task.rel for task in tasks] == ["inner/target.py", "inside.py", "ok.py"]
    assert reasons(skips) == [
        ("outdir/real.py", "outside-root"),
        ("pipe.py", "outside-root"),
        ("real.py", "outside-root"),
        ("zero.py", "outside-root"),
    ]
    assert skips[1].detail == "symbolic link leads outside the scan root"
    assert opened == []  # discovery reads no source file at all


def test_dangling_and_looping_symlinks_are_vanished(tmp_path: Path) -> None:
    write(tmp_path, "ok.py")
    tmp_path.joinpath("dangling.py").symlink_to(tmp_path / "missing.py")
    tmp_path.joinpath("loop_a.py").symlink_to(tmp_path / "loop_b.py")
    tmp_path.joinpath("loop_b.py").symlink_to(tmp_path / "loop_a.py")
    tasks, skips = run(tmp_path)
    assert [task.rel for task in tasks] == ["ok.py"]
    assert skips == [
        Skip(path="dangling.py", reason=SkipReason.VANISHED, detail="dangling symbolic link"),
        Skip(
            path="loop_a.py",
            reason=SkipReason.VANISHED,
            detail="broken symbolic link: Too many levels of symbolic links",
        ),
        Skip(
            path="loop_b.py",
            reason=SkipReason.VANISHED,
            detail="broken symbolic link: Too many levels of symbolic links",
        ),
    ]


def test_directory_symlinks_are_not_followed(tmp_path: Path) -> None:
    write(tmp_path, "pkg/mod.py")
    tmp_path.joinpath("pkg", "loop").symlink_to(tmp_path, target_is_directory=True)
    tmp_path.joinpath("pkg", "self").symlink_to(".", target_is_directory=True)
    tmp_path.joinpath("alias").symlink_to(tmp_path / "pkg", target_is_directory=True)
    tmp_path.joinpath("dir.py").symlink_to(tmp_path / "pkg", target_is_directory=True)
    assert rels(tmp_path) == ["pkg/mod.py"]


def test_explicit_directory_symlink_inside_root_is_walked(tmp_path: Path) -> None:
    write(tmp_path, "real/mod.py")
    tmp_path.joinpath("alias").symlink_to(tmp_path / "real", target_is_directory=True)
    assert rels(tmp_path, ("alias",)) == ["alias/mod.py"]


# -- special files, sizes, names -----------------------------------------------------


def test_fifo_socket_and_device_are_not_regular_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "ok.py")
    os.mkfifo(tmp_path / "fifo.py")
    os.mkfifo(tmp_path / "target_fifo")
    tmp_path.joinpath("via_link.ts").symlink_to(tmp_path / "target_fifo")
    monkeypatch.chdir(tmp_path)  # AF_UNIX paths are short
    server = socket.socket(socket.AF_UNIX)
    server.bind("sock.js")
    try:
        tasks, skips = run(tmp_path, (".", "fifo.py"))
    finally:
        server.close()
    assert [task.rel for task in tasks] == ["ok.py"]
    assert skips == [
        Skip(path="fifo.py", reason=SkipReason.NOT_REGULAR_FILE, detail="a FIFO, not a regular file"),
        Skip(path="sock.js", reason=SkipReason.NOT_REGULAR_FILE, detail="a socket, not a regular file"),
        Skip(path="via_link.ts", reason=SkipReason.NOT_REGULAR_FILE, detail="a FIFO, not a regular file"),
    ]


def test_too_big(tmp_path: Path) -> None:
    write(tmp_path, "big.py", "x" * 2000)
    write(tmp_path, "edge.py", "x" * 1000)
    tasks, skips = run(tmp_path, max_file_size=1000)
    assert [task.rel for task in tasks] == ["edge.py"]
    assert skips == [Skip(path="big.py", reason=SkipReason.TOO_BIG, detail="2000 bytes, limit 1000 bytes")]


def test_non_utf8_and_odd_file_names(tmp_path: Path) -> None:
    raw = os.fsencode(str(tmp_path)) + b"/caf\xe9.py"
    with open(raw, "wb") as handle:
        handle.write(b"x = 1\n")
    for rel in ["-dash.py", "with space.js", "100%#?.py", "ünï.py"]:
        write(tmp_path, rel)
    tasks, skips = run(tmp_path)
    assert skips == []
    assert [task.rel for task in tasks] == sorted(
        ["-dash.py", "100%#?.py", "caf\udce9.py", "with space.js", "ünï.py"]
    )
    latin = next(task for task in tasks if task.rel == "caf\udce9.py")
    assert latin.module == "caf\udce9"
    assert os.fsencode(latin.path) == raw
    with open(latin.path, "rb") as handle:  # the path is usable as given
        assert handle.read() == b"x = 1\n"


# -- module names ----------------------------------------------------------------------


def test_module_names(tmp_path: Path) -> None:
    for rel in [
        "app/__init__.py",
        "app/routes/__init__.py",
        "app/routes/orders.py",
        "run_pipeline.py",
        "scripts/tool.py",
        "src/lib/__init__.py",
        "src/lib/x.py",
        "loose/routes/__init__.py",
        "loose/routes/views.py",
        "web/index.js",
        "web/api/client.ts",
        "web/api/index.tsx",
        "web/App.jsx",
        "web/lib/util.mjs",
    ]:
        write(tmp_path, rel)
    tasks, _ = run(tmp_path)
    assert [(task.rel, task.module, task.is_package) for task in tasks] == [
        ("app/__init__.py", "app", True),
        ("app/routes/__init__.py", "app.routes", True),
        ("app/routes/orders.py", "app.routes.orders", False),
        ("loose/routes/__init__.py", "routes", True),
        ("loose/routes/views.py", "routes.views", False),
        ("run_pipeline.py", "run_pipeline", False),
        ("scripts/tool.py", "tool", False),
        ("src/lib/__init__.py", "lib", True),
        ("src/lib/x.py", "lib.x", False),
        ("web/App.jsx", "./web/App", False),
        ("web/api/client.ts", "./web/api/client", False),
        ("web/api/index.tsx", "./web/api/index", True),
        ("web/index.js", "./web/index", True),
        ("web/lib/util.mjs", "./web/lib/util", False),
    ]


def test_module_names_stop_at_the_root(tmp_path: Path) -> None:
    root = tmp_path / "mypkg"
    write(tmp_path, "__init__.py")  # above the root: never looked at
    write(root, "__init__.py")
    write(root, "sub/__init__.py")
    write(root, "sub/m.py")
    tasks, _ = run(root)
    assert [(task.rel, task.module) for task in tasks] == [
        ("__init__.py", "mypkg"),
        ("sub/__init__.py", "mypkg.sub"),
        ("sub/m.py", "mypkg.sub.m"),
    ]
    tasks, _ = discover(["sub/m.py"], str(root / "sub"), cwd=str(root))
    assert [(task.rel, task.module) for task in tasks] == [("m.py", "sub.m")]


def test_package_checks_are_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for rel in ["app/__init__.py", "app/routes/__init__.py", "app/routes/a.py", "app/routes/b.py"]:
        write(tmp_path, rel)
    calls: list[str] = []
    real_isfile = os.path.isfile
    monkeypatch.setattr(discovery.os.path, "isfile", lambda p: (calls.append(p), real_isfile(p))[1])
    run(tmp_path)
    assert calls == []  # folders that were walked are known from their listing
    run(tmp_path, ("app/routes/a.py", "app/routes/b.py"))
    assert sorted(calls) == sorted(
        os.path.join(str(tmp_path), *parts, "__init__.py") for parts in [("app", "routes"), ("app",), ()]
    )


# -- unreadable folders (needs a non-root user) ----------------------------------------

_PERMISSION_SCRIPT = """
import json, sys

from perfsense.scanner.discovery import discover
tasks, skips = discover(["."], sys.argv[1], cwd=sys.argv[1])
print(json.dumps([[t.rel for t in tasks], [[s.path, str(s.reason), s.detail] for s in skips]]))
"""


def _unprivileged() -> list[str]:
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root and setpriv is not available: cannot test as an unprivileged user")
    prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    probe = subprocess.run(
        [*prefix, sys.executable, "-c", "import perfsense.scanner.discovery"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd="/",
        check=False,
    )
    if probe.returncode != 0:
        pytest.skip(f"cannot run perfsense as uid 65534 via setpriv: {probe.stderr.strip()[-300:]}")
    return prefix


def test_unreadable_directory_is_permission_skip() -> None:
    prefix = _unprivileged()
    base = Path(tempfile.mkdtemp(prefix="perfsense-perm-"))  # pytest's tmp_path is private to root
    try:
        base.chmod(0o755)
        write(base, "ok.py")
        write(base, "locked/secret.py")
        write(base, "z/after.py")
        (base / "locked").chmod(0)
        result = subprocess.run(
            [*prefix, sys.executable, "-c", _PERMISSION_SCRIPT, str(base)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd="/",
            check=False,
        )
        assert result.returncode == 0, result.stderr
        files, skips = json.loads(result.stdout)
        assert files == ["ok.py", "z/after.py"]
        assert skips == [["locked", "permission", "cannot list directory: Permission denied"]]
    finally:
        (base / "locked").chmod(0o755)
        shutil.rmtree(base)
