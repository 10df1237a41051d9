"""What a rule is: identity, documentation, examples, and one check method.

Two kinds of rules:
- `FileRule.check_file(ctx)` runs in the per-file stage with the tree at hand; its
  findings are cached with the file's facts.
- `ProjectRule.check_project(ctx)` runs once over all facts and the call graph.

Any rule may also define `collect(ctx: FileContext)`: it runs in the per-file stage and
its (picklable, plain) result is stored in `facts.extra[rule.id]` for the project stage.
"""
from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from perfsense.scanner.model import (
    Category,
    ChainStep,
    Confidence,
    Finding,
    Location,
    Severity,
    Span,
)

if TYPE_CHECKING:
    import tree_sitter as ts

    from perfsense.scanner.callgraph import CallGraph
    from perfsense.scanner.catalog import Catalogs
    from perfsense.scanner.facts.model import FileFacts
    from perfsense.scanner.project import Project
    from perfsense.scanner.source import SourceFile
    from perfsense.scanner.untouched import Edit

RULE_ID = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)+$")
LANGUAGES = ("python", "javascript")  # "javascript" covers JS, JSX, TS and TSX


@dataclass(frozen=True, slots=True)
class Docs:
    what: str  # What it does
    why: str  # Why is this bad (and when the cost is negligible)
    instead: str  # Use instead (prose; the examples show code)
    options: str = "None."

    def section(self, name: str) -> str:
        return textwrap.dedent(getattr(self, name)).strip()


@dataclass(frozen=True, slots=True)
class Example:
    """A snippet (one file) or a small project (several files) for a rule's docs and tests.

    Invalid examples mark each line that must be reported with `# expect` / `// expect`
    (the marker may also name the rule: `# expect: rule-id`). `files` maps relative paths
    to contents; `code` with `language` is shorthand for one file.
    """

    code: str = ""
    language: str = "python"
    files: Mapping[str, str] = field(default_factory=dict)
    title: str = ""

    def sources(self) -> dict[str, str]:
        if self.files:
            return {path: textwrap.dedent(text).lstrip("\n") for path, text in self.files.items()}
        suffix = {"python": "example.py", "javascript": "example.js", "typescript": "example.ts",
                  "tsx": "example.tsx", "jsx": "example.jsx"}[self.language]
        return {suffix: textwrap.dedent(self.code).lstrip("\n")}


class Rule:
    id: ClassVar[str] = ""
    name: ClassVar[str] = ""  # CamelCase, for SARIF `name`
    category: ClassVar[Category]
    languages: ClassVar[tuple[str, ...]] = LANGUAGES
    severity: ClassVar[Severity] = Severity.WARNING
    confidence: ClassVar[Confidence] = Confidence.HIGH
    summary: ClassVar[str] = ""  # one sentence: SARIF shortDescription, `perfsense rules`
    docs: ClassVar[Docs]
    valid: ClassVar[tuple[Example, ...]] = ()
    invalid: ClassVar[tuple[Example, ...]] = ()
    tags: ClassVar[tuple[str, ...]] = ()
    default_options: ClassVar[Mapping[str, Any]] = {}
    fix_available: ClassVar[bool] = False

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        self.options = {**self.default_options, **(options or {})}

    @classmethod
    def scan_inputs(cls, root: str, files: Sequence[str]) -> Iterable[str]:
        """Absolute paths of files other than the analysed sources (package manifests, …)
        whose content decides this rule's findings; the whole-scan cache key covers them.
        `files` are the analysed files, relative to `root`."""
        return ()

    def applies_to(self, language: str) -> bool:
        family = "python" if language == "python" else "javascript"
        return family in self.languages

    @property
    def help_uri(self) -> str:
        return f"https://github.com/perfsense/perfsense/blob/main/docs/rules.md#{self.id}"

    def fix(self, finding: Finding, text: str) -> str | None:
        """`text` (the whole file) with `finding` fixed, or None when no safe fix applies.

        Rules with `fix_available = True` override this; the LSP server offers the result as
        a quick fix. Simple replacements can instead travel in `Finding.fix` as
        `("replace", new text)` for the finding's span, with an optional `("title", …)`.
        """
        return None

    def make(self, *, path: str, span: Span, message: str, chain: Iterable[ChainStep] = (),
             context: str = "", fix: Iterable[tuple[str, str]] = ()) -> Finding:
        return Finding(rule_id=self.id, category=self.category, severity=self.severity,
                       message=message, location=Location(path, span), chain=tuple(chain),
                       context=context, fix=tuple(fix))


class FileRule(Rule):
    def check_file(self, ctx: FileContext) -> Iterable[Finding]:
        raise NotImplementedError


class ProjectRule(Rule):
    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        raise NotImplementedError


@dataclass(slots=True)
class FileContext:
    """Everything a file rule may look at. Valid only during the per-file stage."""

    source: SourceFile
    root: ts.Node
    facts: FileFacts
    catalogs: Catalogs
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # The language server's next version of a document: the previous version's facts and
    # the one function the edit changed (a rule may redo only that function's part).
    edit: Edit | None = None

    @property
    def path(self) -> str:
        return self.source.path

    @property
    def language(self) -> str:
        return self.source.language

    def span(self, node: ts.Node) -> Span:
        return self.source.node_span(node)

    def text(self, node: ts.Node | None, limit: int = 200) -> str:
        if node is None:
            return ""
        return self.source.byte_text(node.start_byte, node.end_byte, limit)


@dataclass
class ProjectContext:
    project: Project
    catalogs: Catalogs
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    _graph: CallGraph | None = None
    # The files whose findings are wanted (the LSP server asks for open documents only);
    # None means every file. Project rules iterate `ctx.targets()`.
    paths: frozenset[str] | None = None

    def targets(self) -> list[str]:
        """Paths of the files to report on, sorted."""
        if self.paths is None:
            return sorted(self.project.files)
        return sorted(p for p in self.paths if p in self.project.files)

    @property
    def graph(self) -> CallGraph:
        """The call graph with propagated effects, built on first use; lazy: calls are
        resolved, effects detected and reach propagated where rules ask (`CallGraph`)."""
        if self._graph is None:
            from perfsense.scanner.callgraph import CallGraph

            self._graph = CallGraph(self.project, self.catalogs, lazy=True)
        return self._graph
