"""The `db-query` effect: a call that runs a database query (one round trip).

Only explicit queries count (`Product.objects.get`, `session.execute`, `prisma.x.findUnique`,
`pool.query`). Relation loads that eager loading could serve (`order.items.all()`) do not:
inside a helper perfsense cannot see whether the caller's query prefetched them.
"""
from __future__ import annotations

from collections.abc import Iterable

from perfsense.rules.n_plus_one.analysis import site_query
from perfsense.rules.n_plus_one.names import project_aliases, query_candidates
from perfsense.scanner.effects import EffectKind


class DbQueryEffect(EffectKind):
    name = "db-query"

    def detect(self, project, facts, call, catalogs) -> Iterable[str]:
        found = site_query(project, facts, call, catalogs)
        return (found.label,) if found is not None else ()

    def detect_file(self, project, facts, catalogs) -> dict[int, tuple[str, ...]]:
        return self.detect_among(project, facts, catalogs, sorted(query_candidates(project, facts, catalogs)))

    def passes(self, project, edge) -> bool:
        return not edge.offloaded

    def file_context(self, project, facts, catalogs) -> object:
        return project_aliases(project, catalogs)
