"""The GitHub Action, the example workflow and the pre-commit hook: schemas and behaviour."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.adoption_helpers import PROJECT, finding_lines, make_repo, run_cli

ROOT = Path(__file__).resolve().parent.parent
ACTION = ROOT / "action.yml"
WORKFLOW = ROOT / "docs" / "examples" / "perfsense.yml"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<rule>[a-z0-9-]+) (?P<message>.+)$")


def check_jsonschema(schema: str, path: Path) -> tuple[int, str]:
    """check-jsonschema's command with a builtin (vendored, offline) schema, run in-process
    (its import takes seconds; both schema tests share it)."""
    from check_jsonschema import main
    from click.testing import CliRunner

    result = CliRunner().invoke(main, ["--builtin-schema", schema, str(path)])
    return result.exit_code, result.output


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# -- action.yml -------------------------------------------------------------------------------

def test_action_matches_the_github_actions_schema():
    code, output = check_jsonschema("vendor.github-actions", ACTION)
    assert code == 0, output


def test_action_inputs_and_steps():
    action = load(ACTION)
    assert action["runs"]["using"] == "composite"
    inputs = action["inputs"]
    assert {"paths", "args", "category", "python-version"} <= set(inputs)
    assert inputs["category"]["default"] == "perfsense"
    assert all(spec.get("description") for spec in inputs.values())
    assert all(spec.get("description") for spec in action.get("outputs", {}).values())
    steps = action["runs"]["steps"]
    for step in steps:
        if "run" in step:
            assert step.get("shell"), step["name"]
            assert "${{" not in step["run"], f"{step['name']}: pass inputs through env, not inline"
    install = next(step for step in steps if "run" in step and "pip" in step["run"])
    assert install["env"]["PERFSENSE_SOURCE"] == "${{ github.action_path }}"
    scan = next(step for step in steps if "run" in step and "perfsense\" scan" in step["run"].replace("/perfsense", "perfsense"))
    assert "--format sarif" in scan["run"]
    assert {"${{ inputs.paths }}", "${{ inputs.args }}", "${{ inputs.category }}"} <= set(scan["env"].values())
    (upload,) = [step for step in steps if step.get("uses", "").startswith("github/codeql-action/upload-sarif")]
    assert upload["uses"] == "github/codeql-action/upload-sarif@v4"
    assert upload["with"]["category"] == "${{ inputs.category }}"


# -- example workflow ------------------------------------------------------------------------

def test_example_workflow_matches_the_github_workflows_schema():
    code, output = check_jsonschema("vendor.github-workflows", WORKFLOW)
    assert code == 0, output


def test_example_workflow_permissions_and_checkout_first():
    workflow = load(WORKFLOW)
    assert workflow["permissions"] == {"security-events": "write", "contents": "read", "actions": "read"}
    (job,) = workflow["jobs"].values()
    uses = [step.get("uses", "") for step in job["steps"]]
    checkout = next(i for i, use in enumerate(uses) if use.startswith("actions/checkout@"))
    scan = next(i for i, use in enumerate(uses) if use.startswith("perfsense/perfsense@"))
    assert checkout < scan


def test_docs_and_readme_show_the_example_workflow():
    workflow = WORKFLOW.read_text(encoding="utf-8")
    for page in (ROOT / "docs" / "github-code-scanning.md", ROOT / "README.md"):
        text = page.read_text(encoding="utf-8")
        blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.DOTALL)
        assert workflow in blocks, f"{page.name} must show docs/examples/perfsense.yml verbatim"


# -- pre-commit ------------------------------------------------------------------------------

def test_pre_commit_manifest_is_valid():
    result = subprocess.run([sys.executable, "-m", "pre_commit", "validate-manifest", str(HOOKS)],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    (hook,) = load(HOOKS)
    assert hook["id"] == "perfsense"
    assert hook["entry"] == "perfsense scan"
    assert hook["types_or"] == ["python", "javascript", "jsx", "ts", "tsx"]


def test_file_list_as_pre_commit_passes_it(tmp_path, capsys, monkeypatch):
    repo = make_repo(tmp_path / "repo", PROJECT)
    run = run_cli(capsys, monkeypatch, repo, "scan", "app/routes.py", "app/payments.py", "web/server.js")
    assert run.code == 1
    lines = finding_lines(run.out)
    parsed = [LINE.match(line) for line in lines]
    assert all(parsed), lines
    assert [(m["path"], m["line"], m["col"], m["rule"]) for m in parsed] == [
        ("app/routes.py", "7", "12", "blocking-call-in-async"),
        ("app/routes.py", "11", "5", "blocking-call-in-async"),
        ("web/server.js", "4", "12", "blocking-call-in-async"),
    ]
    clean = run_cli(capsys, monkeypatch, repo, "scan", "app/__init__.py")
    assert clean.code == 0 and finding_lines(clean.out) == []


def test_installed_command_with_a_file_list(tmp_path):
    """The console script itself, as pre-commit runs it: `perfsense scan FILE…` in the repo root."""
    repo = make_repo(tmp_path / "repo", PROJECT)
    script = Path(sys.executable).parent / "perfsense"
    if not script.exists():
        pytest.skip(f"no perfsense console script next to {sys.executable}")
    result = subprocess.run([str(script), "scan", "--no-cache", "web/server.js", "app/routes.py"], cwd=repo,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("app/routes.py:11:5: blocking-call-in-async `time.sleep`")
    assert "\nweb/server.js:4:12: blocking-call-in-async " in result.stdout


# -- the action's scan step, run as the runner runs it -------------------------------------

def _scan_step() -> dict:
    return next(step for step in load(ACTION)["runs"]["steps"] if step.get("id") == "scan")


def run_scan_step(tmp_path: Path, cwd: Path, **inputs: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    """The action's scan step in bash, its `${{ … }}` env values filled in as the runner would."""
    step = _scan_step()
    values = {"inputs.paths": ".", "inputs.args": "", "inputs.category": "perfsense",
              "runner.temp": str(tmp_path), "steps.install.outputs.bin": str(Path(sys.executable).parent)}
    values |= {f"inputs.{name}": value for name, value in inputs.items()}
    env = {name: re.sub(r"\$\{\{\s*([\w.-]+)\s*\}\}", lambda m: values[m[1]], value)
           for name, value in step["env"].items()}
    output = tmp_path / "github_output"
    output.write_text("")
    env |= {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "GITHUB_OUTPUT": str(output)}
    result = subprocess.run(["bash", "-c", step["run"]], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=120, check=False)
    return result, output


def test_action_scan_step_writes_sarif(tmp_path):
    repo = make_repo(tmp_path / "repo", PROJECT)
    result, output = run_scan_step(tmp_path, repo, paths="app\nweb", args="--select blocking-io --no-cache",
                                   category="perf-backend")
    assert result.returncode == 0, result.stderr  # findings do not fail the step (--exit-zero)
    sarif = tmp_path / "perfsense.sarif"
    assert output.read_text() == f"sarif-file={sarif}\n"
    run = json.loads(sarif.read_text())["runs"][0]
    assert run["automationDetails"] == {"id": "perf-backend/"}
    assert len(run["results"]) == 3


def test_action_inputs_cannot_inject_shell(tmp_path):
    repo = make_repo(tmp_path / "repo", PROJECT)
    result, _ = run_scan_step(tmp_path, repo, paths="* $(touch pwned-paths)", args="--no-cache `touch pwned-args`")
    assert result.returncode == 2  # perfsense received the words literally and refused them
    assert not list(repo.glob("pwned*")) and not list(tmp_path.glob("pwned*"))
