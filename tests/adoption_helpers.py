"""Helpers for the adoption tests: small git repositories and in-process CLI runs."""
from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from perfsense.scanner.cli import main
from tests.helpers import write_tree

# A project with a cross-file chain: an async route reaches `requests.post` in another file.
PROJECT = {
    "app/__init__.py": "",
    "app/payments.py": (
        "import requests\n"
        "\n"
        "\n"
        "def _post(path, body):\n"
        "    return requests.post(path, json=body, timeout=10)\n"
        "\n"
        "\n"
        "def charge(token):\n"
        "    return _post('charge', {'token': token})\n"
    ),
    "app/routes.py": (
        "import time\n"
        "\n"
        "from app import payments\n"
        "\n"
        "\n"
        "async def pay(token):\n"
        "    return payments.charge(token)\n"
        "\n"
        "\n"
        "async def wait():\n"
        "    time.sleep(1)\n"
    ),
    "web/server.js": (
        "const fs = require('fs');\n"
        "\n"
        "async function terms(req, res) {\n"
        "  res.send(fs.readFileSync('terms.md', 'utf8'));\n"
        "}\n"
        "module.exports = { terms };\n"
    ),
}


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_SYSTEM": os.devnull,
           "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z"}
    result = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, env=env, check=True)
    return result.stdout.strip()


def make_repo(root: Path, files: dict[str, str], *, branch: str = "main") -> Path:
    """A git repository at `root` holding `files` in one commit on `branch`."""
    root.mkdir(parents=True, exist_ok=True)
    write_tree(root, files)
    git(root, "init", "-q", "-b", branch)
    git(root, "config", "user.name", "perfsense tests")
    git(root, "config", "user.email", "tests@perfsense.invalid")
    git(root, "config", "commit.gpgsign", "false")
    commit(root, "initial")
    return root


def commit(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD")


@dataclass
class Run:
    code: int
    out: str
    err: str


def run_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, cwd: Path,
            *args: str) -> Run:
    """`perfsense ARGS` in-process with `cwd` as the working directory (cache off, one job)."""
    monkeypatch.chdir(cwd)
    capsys.readouterr()
    extra = [] if args[:1] != ("scan",) else ["--no-cache", "--jobs", "1"]
    code = main([*args[:1], *extra, *args[1:]])
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)


def finding_lines(text: str) -> list[str]:
    """The `path:line:col: rule-id message` lines of a text report (chain lines excluded)."""
    return [line for line in text.splitlines() if line and not line.startswith(" ") and ": " in line
            and line.split(":", 1)[0].endswith((".py", ".js", ".ts", ".tsx", ".jsx"))]
