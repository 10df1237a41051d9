"""A real editor as the client: headless Neovim (0.7+, `vim.lsp.start_client`) opens a file
of the example project and receives perfsense's diagnostics."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.lsp_helpers import copy_shop

SCRIPT = Path(__file__).resolve().parent / "nvim" / "diagnostics.lua"


def test_neovim_shows_the_example_projects_findings(tmp_path: Path):
    nvim = shutil.which("nvim")
    if nvim is None:
        pytest.skip("nvim is not installed (Debian: apt-get install -y neovim); the Neovim end-to-end test needs it")
    root = copy_shop(tmp_path)
    env = dict(os.environ, PERFSENSE_ROOT=str(root), PERFSENSE_FILE="app/routes.py", PERFSENSE_WANT="2",
               PERFSENSE_PYTHON=sys.executable, XDG_STATE_HOME=str(tmp_path / "state"),
               XDG_DATA_HOME=str(tmp_path / "data"))
    done = subprocess.run([nvim, "--headless", "-u", "NONE", "-i", "NONE", "-n", "-c", f"luafile {SCRIPT}"],
                          check=False, capture_output=True, text=True, timeout=120, env=env, cwd=root, stdin=subprocess.DEVNULL)
    lines = done.stdout.split()
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == [
        "15 blocking-call-in-async perfsense",
        "32 blocking-call-in-async perfsense",
        "exit 0",
    ], lines
