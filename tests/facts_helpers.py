"""Build facts (and a project) from in-memory sources, for unit tests of the core."""
from __future__ import annotations

import textwrap

from perfsense.scanner.catalog import Catalogs
from perfsense.scanner.engine.worker import Settings, analyse_source
from perfsense.scanner.facts.model import FileFacts
from perfsense.scanner.project import Project
from perfsense.scanner.source import SourceFile, language_of


def module_name(path: str, paths: set[str]) -> tuple[str, bool]:
    """The module name discovery would give `path` among `paths` (for in-memory projects)."""
    if not path.endswith(".py"):
        stem = path.rsplit(".", 1)[0]
        return "./" + stem, stem.rsplit("/", 1)[-1] == "index"
    parts = path[:-3].split("/")
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    start = len(parts) - (0 if is_package else 1)
    while start > 0 and "/".join(parts[:start]) + "/__init__.py" in paths:
        start -= 1
    return ".".join(parts[start:]), is_package


def facts_of(files: dict[str, str]) -> dict[str, FileFacts]:
    out = {}
    paths = set(files)
    for path, text in files.items():
        language = language_of(path)
        assert language is not None, path
        module, is_package = module_name(path, paths)
        result = analyse_source(SourceFile(path, textwrap.dedent(text).lstrip("\n"), language),
                                module, is_package, Settings())
        assert result.facts is not None, result.skips
        out[path] = result.facts
    return out


def project_of(files: dict[str, str]) -> Project:
    return Project(facts_of(files))


CATALOGS = Catalogs()
