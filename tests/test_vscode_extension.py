"""The VS Code extension's own CI (npm ci, type-check, node --test, vsce package), run from pytest
so that one test command covers the whole repository."""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXTENSION = Path(__file__).resolve().parent.parent / "vscode-extension"


@pytest.mark.slow
def test_extension_builds_tests_and_packages():
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.skip("node/npm are not installed here, so the VS Code extension cannot be built")
    env = dict(os.environ, PERFSENSE_PYTHON=sys.executable)
    if importlib.util.find_spec("perfsense.lsp.__main__") is not None:
        env["PERFSENSE_E2E_REQUIRED"] = "1"  # the end-to-end test must run, not skip
    proc = subprocess.run(["bash", "ci.sh"], cwd=EXTENSION, env=env, capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert list(EXTENSION.glob("*.vsix")), "vsce package produced no .vsix"
