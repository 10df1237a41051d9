"""Diff mode: `--diff-base REV` reports only findings on lines changed since REV."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from perfsense.scanner import vcs
from tests.adoption_helpers import PROJECT, commit, finding_lines, git, make_repo, run_cli


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", PROJECT)


def reported(text: str) -> list[str]:
    return [line.split(": ")[0] for line in finding_lines(text)]


def test_unchanged_tree_reports_nothing(repo, capsys, monkeypatch):
    run = run_cli(capsys, monkeypatch, repo, "scan", "--diff-base", "HEAD")
    assert run.code == 0
    assert reported(run.out) == []
    assert "3 other finding(s) not shown" in run.out


def test_finding_on_a_changed_line_is_reported(repo, capsys, monkeypatch):
    routes = repo / "app/routes.py"
    routes.write_text(routes.read_text().replace("time.sleep(1)", "time.sleep(2)"))
    run = run_cli(capsys, monkeypatch, repo, "scan", "--diff-base", "HEAD")
    assert run.code == 1
    assert reported(run.out) == ["app/routes.py:11:5"]


def test_chain_step_on_a_changed_line_in_another_file(repo, capsys, monkeypatch):
    """The route did not change, but the helper two calls below it did: the whole project
    is analysed, so the cross-file finding is still reported."""
    payments = repo / "app/payments.py"
    payments.write_text(payments.read_text().replace("timeout=10", "timeout=3"))
    run = run_cli(capsys, monkeypatch, repo, "scan", "--diff-base", "HEAD")
    assert reported(run.out) == ["app/routes.py:7:12"]


def test_committed_changes_since_an_older_revision(repo, capsys, monkeypatch):
    base = git(repo, "rev-parse", "HEAD")
    server = repo / "web/server.js"
    server.write_text(server.read_text().replace("'terms.md'", "'terms.txt'"))
    commit(repo, "change server")
    (repo / "app/extra.py").write_text("import time\n\nasync def slow():\n    time.sleep(3)\n")
    commit(repo, "add a file")
    assert reported(run_cli(capsys, monkeypatch, repo, "scan", "--diff-base", "HEAD").out) == []
    run = run_cli(capsys, monkeypatch, repo, "scan", "--diff-base", base)
    assert reported(run.out) == ["app/extra.py:4:5", "web/server.js:4:12"]
    run = run_cli(capsys, monkeypatch, repo, "scan", "--diff-base", "HEAD~1")
    assert reported(run.out) == ["app/extra.py:4:5"]


def test_new_untracked_and_staged_files_count_as_fully_changed(repo, capsys, monkeypatch):
    (repo / "app/untracked.py").write_text("import time\n\nasync def a():\n    time.sleep(1)\n")
    (repo / "app/staged.py").write_text("import time\n\nasync def b():\n    time.sleep(1)\n")
    git(repo, "add", "app/staged.py")
    run = run_cli(capsys, monkeypatch, repo, "scan", "--diff-base", "HEAD")
    assert reported(run.out) == ["app/staged.py:4:5", "app/untracked.py:4:5"]


def test_renamed_file_only_changed_lines_count(repo, capsys, monkeypatch):
    git(repo, "mv", "app/routes.py", "app/views.py")
    views = repo / "app/views.py"
    views.write_text(views.read_text() + "\n\nasync def nap():\n    time.sleep(5)\n")
    run = run_cli(capsys, monkeypatch, repo, "scan", "--diff-base", "HEAD")
    assert reported(run.out) == ["app/views.py:15:5"]


def test_scan_root_below_the_repository_top(repo, capsys, monkeypatch):
    server = repo / "web/server.js"
    server.write_text("// header\n" + server.read_text().replace("'terms.md'", "'t.md'"))
    run = run_cli(capsys, monkeypatch, repo / "web", "scan", "--diff-base", "HEAD")
    assert reported(run.out) == ["server.js:5:12"]
    run = run_cli(capsys, monkeypatch, repo, "scan", "web", "--diff-base", "HEAD")
    assert reported(run.out) == ["server.js:5:12"]


def test_sarif_in_diff_mode(repo, capsys, monkeypatch):
    routes = repo / "app/routes.py"
    routes.write_text(routes.read_text().replace("time.sleep(1)", "time.sleep(2)"))
    run = run_cli(capsys, monkeypatch, repo, "scan", "--diff-base", "HEAD", "--format", "sarif")
    import json

    results = json.loads(run.out)["runs"][0]["results"]
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in results] == [11]


def test_outside_a_repository_is_an_error(tmp_path, capsys, monkeypatch):
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "a.py").write_text("x = 1\n")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    run = run_cli(capsys, monkeypatch, folder, "scan", "--diff-base", "HEAD")
    assert run.code == 2
    assert "not inside a git repository" in run.err


@pytest.mark.parametrize("revision", ["no-such-branch", "0123456789abcdef0123", "--output=/tmp/x", "HEAD~5"])
def test_unknown_revision_is_an_error(repo, capsys, monkeypatch, revision):
    run = run_cli(capsys, monkeypatch, repo, "scan", f"--diff-base={revision}")
    assert run.code == 2
    assert "revision" in run.err and revision in run.err
    assert run.out == ""


def test_git_missing_is_an_error(repo, capsys, monkeypatch):
    monkeypatch.setenv("PATH", os.devnull)
    run = run_cli(capsys, monkeypatch, repo, "scan", "--diff-base", "HEAD")
    assert run.code == 2
    assert "git" in run.err


# -- the diff parser ------------------------------------------------------------------------

DIFF = b"""diff --git a/app/routes.py b/app/routes.py
index 1111111..2222222 100644
--- a/app/routes.py
+++ b/app/routes.py
@@ -3 +3 @@ import x
-old
+new
@@ -10,0 +11,3 @@ def f():
+++ this added line starts with three pluses
+diff --git a/fake b/fake
+@@ -1 +1 @@
@@ -20,2 +23,0 @@
-gone
-gone too
diff --git a/new.js b/new.js
new file mode 100644
index 0000000..3333333
--- /dev/null
+++ b/new.js
@@ -0,0 +1,2 @@
+a
+b
\\ No newline at end of file
diff --git a/old.py b/renamed.py
similarity index 90%
rename from old.py
rename to renamed.py
index 4444444..5555555 100644
--- a/old.py
+++ b/renamed.py
@@ -7 +7,2 @@
-x
+y
+z
diff --git a/gone.py b/gone.py
deleted file mode 100644
--- a/gone.py
+++ /dev/null
@@ -1 +0,0 @@
-bye
diff --git "a/caf\\303\\251 \\"q\\".py" "b/caf\\303\\251 \\"q\\".py"
--- "a/caf\\303\\251 \\"q\\".py"
+++ "b/caf\\303\\251 \\"q\\".py"
@@ -1 +1 @@
-a
+b
diff --git a/same.py b/moved.py
similarity index 100%
rename from same.py
rename to moved.py
"""


def test_parse_diff():
    changes = vcs.parse_diff(DIFF)
    assert changes.files == {
        "app/routes.py": {3, 11, 12, 13},
        "new.js": None,
        "renamed.py": {7, 8},
        'caf\u00e9 "q".py': {1},
    }
    assert "fake" not in changes.files and "gone.py" not in changes.files
    assert changes.touches("new.js", 1000, 1000)
    assert changes.touches("app/routes.py", 5, 11) and not changes.touches("app/routes.py", 4, 10)
    assert not changes.touches("moved.py", 1, 100)


def test_unquote_c():
    assert vcs.unquote_c(b'"a\\tb\\\\c\\303\\251"') == "a\tb\\c\u00e9".encode()
    assert vcs.unquote_c(b'"\\377"') == b"\xff"


def test_non_utf8_file_name_in_a_real_diff(repo):
    name = os.fsdecode(b"app/f\xff.py")
    Path(repo, name).write_text("x = 1\n")
    commit(repo, "odd name")
    Path(repo, name).write_text("x = 2\n")
    changes, prefix = vcs.changed_lines(str(repo), "HEAD")
    assert prefix == ""
    assert changes.files[name] == {1}
