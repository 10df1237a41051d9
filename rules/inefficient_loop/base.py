"""Rule bases of the family: file rules read the file's analysis; project rules also
report the direct hits their `collect` stored in the facts."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from perfsense.rules.inefficient_loop.analysis import analyse, context_name
from perfsense.scanner.engine.rule import FileContext, FileRule, ProjectContext, ProjectRule
from perfsense.scanner.model import Category, Finding
from perfsense.scanner.testcode import is_test_path

TEST_CODE_OPTION = """
    `include-tests` (default `false`): also report in test code (`tests/`, `test_*.py`,
    `*.test.ts`, …), where a loop runs over a test's few items.
"""


class LoopFileRule(FileRule):
    category = Category.INEFFICIENT_LOOP
    tags = ("performance", "loops")
    default_options: ClassVar[Mapping[str, Any]] = {"include-tests": False}

    def check_file(self, ctx: FileContext) -> Iterable[Finding]:
        if is_test_path(ctx.path) and not self.options.get("include-tests"):
            return
        for hit in analyse(ctx).of(self.id):
            yield self.make(path=ctx.path, span=hit.span, message=hit.message,
                            context=context_name(ctx.facts, hit.span))


class LoopProjectRule(ProjectRule):
    category = Category.INEFFICIENT_LOOP
    tags = ("performance", "loops")
    default_options: ClassVar[Mapping[str, Any]] = {"include-tests": False}

    def targets(self, ctx: ProjectContext) -> list[str]:
        """The files to report on: test code only with `include-tests`."""
        if self.options.get("include-tests"):
            return list(ctx.targets())
        return [path for path in ctx.targets() if not is_test_path(path)]

    def direct(self, ctx: ProjectContext) -> Iterable[Finding]:
        for path in self.targets(ctx):
            facts = ctx.project.files[path]
            for hit in (facts.extra.get(self.id) or {}).get("hits", ()):
                yield self.make(path=path, span=hit.span, message=hit.message,
                                context=context_name(facts, hit.span))
