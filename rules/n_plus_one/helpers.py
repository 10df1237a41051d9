"""Queries reached through project functions: which functions a call runs, and the chain."""
from __future__ import annotations

from perfsense.rules.n_plus_one.analysis import Analysis, site_query
from perfsense.rules.n_plus_one.evaluate import Outcome
from perfsense.scanner.callgraph import CallGraph, EffectSite
from perfsense.scanner.facts.model import Call, FileFacts
from perfsense.scanner.model import ChainStep
from perfsense.scanner.project import FunctionRef

KIND = "db-query"


def helper_targets(analysis: Analysis, graph: CallGraph, facts: FileFacts, call: Call,
                   outcome: Outcome) -> list[tuple[FunctionRef, str]]:
    """Project functions the call runs: resolved callees, or a method of the model an
    element belongs to (`order.total_amount()` in a loop over orders)."""
    caller = FunctionRef(facts.path, call.func)
    found = [(edge.callee, "call") for edge in graph.edges_at(caller, call.id) if edge.how == "call"]
    if found:
        return found
    ref = instance_method(analysis, outcome)
    return [(ref, "method")] if ref is not None else []


def instance_method(analysis: Analysis, outcome: Outcome) -> FunctionRef | None:
    """The model method named by the step the walk stopped at, on a model instance."""
    before = outcome.before
    if before is None or before.model is None or not before.kind.endswith(".instance") \
            or outcome.stopped != outcome.steps - 1:
        return None  # not a method of a model row, or not the method this site calls
    return analysis.method(before.model, outcome.stopped_name)


def query_chain(analysis: Analysis, graph: CallGraph, ref: FunctionRef,
                via: str) -> tuple[list[ChainStep], EffectSite, str] | None:
    """The nearest query `ref` reaches, the chain of calls to it, and the remedy."""
    reach = graph.reach(ref, KIND)
    if not reach:
        return None
    site = min(reach, key=lambda s: (reach[s][0], s.path, s.call))
    project = analysis.project
    steps = graph.chain(ref, site, "queries here")
    site_facts = project.files[site.path]
    query = site_query(project, site_facts, site_facts.calls[site.call], graph.catalogs)  # type: ignore[arg-type]
    remedy = query.event.remedy if query is not None else "one query for all items"
    return steps, site, remedy
