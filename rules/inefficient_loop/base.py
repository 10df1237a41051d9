"""Rule bases of the family: file rules read the file's analysis; project rules also
report the direct hits their `collect` stored in the facts."""
from __future__ import annotations

from collections.abc import Iterable

from perfsense.rules.inefficient_loop.analysis import analyse, context_name
from perfsense.scanner.engine.rule import FileContext, FileRule, ProjectContext, ProjectRule
from perfsense.scanner.model import Category, Finding


class LoopFileRule(FileRule):
    category = Category.INEFFICIENT_LOOP
    tags = ("performance", "loops")

    def check_file(self, ctx: FileContext) -> Iterable[Finding]:
        for hit in analyse(ctx).of(self.id):
            yield self.make(path=ctx.path, span=hit.span, message=hit.message,
                            context=context_name(ctx.facts, hit.span))


class LoopProjectRule(ProjectRule):
    category = Category.INEFFICIENT_LOOP
    tags = ("performance", "loops")

    def direct(self, ctx: ProjectContext) -> Iterable[Finding]:
        for path in ctx.targets():
            facts = ctx.project.files[path]
            for hit in (facts.extra.get(self.id) or {}).get("hits", ()):
                yield self.make(path=path, span=hit.span, message=hit.message,
                                context=context_name(facts, hit.span))
