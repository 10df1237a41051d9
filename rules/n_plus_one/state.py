"""The values the evaluator works with: states along a walk, events, and its context."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from perfsense.rules.n_plus_one.catalog import Orm, family_of
from perfsense.rules.n_plus_one.models import ModelIndex, ModelKey
from perfsense.scanner.facts.model import FileFacts, Step, Value
from perfsense.scanner.project import Project


@dataclass(frozen=True, slots=True)
class State:
    kind: str
    model: ModelKey | None = None
    eager: frozenset[str] = frozenset()  # lookups loaded with the rows (ALL: any)
    executed: bool = False  # rows already loaded (prefetched): iterating runs no query
    rows: bool = False  # elements are plain rows / tuples, not model instances
    element: int = -1  # index of the `[*]` step this state derives from
    path: str = ""  # relation path from that element (`items__product`)
    many: bool = False  # the path goes through a to-many relation (prefetch, not select)


@dataclass(frozen=True, slots=True)
class Event:
    index: int  # step at which the round trip happens
    lazy: bool  # implicit load of a relation: eager loading would avoid it
    framework: str
    kind: str
    method: str
    remedy: str
    element: int = -1  # the `[*]` step the event repeats for (-1: none)
    relation: str = ""  # lazy events: relation path from the element
    owner: ModelKey | None = None  # lazy events: model the relation belongs to
    target: ModelKey | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    events: tuple[Event, ...]
    state: State | None  # state after the last step (None: not (or no longer) a database value)
    steps: int = 0  # number of steps walked (the value's steps, plus the call)
    last_element: int = -1  # index of the last `[*]` step (-1: none)
    stopped: int = -1  # index of the step the walk could not follow (-1: walked to the end)
    before: State | None = None  # the state just before that step
    stopped_name: str = ""  # the name of that step

    def at_site(self, called: bool) -> list[Event]:
        """Events that happen where the value is written, each time it runs: the call
        itself, and relation loads on the element of the innermost iteration."""
        star = self.last_element
        out = []
        for event in self.events:
            if called and event.index == self.steps - 1 or star >= 0 and event.element == star and event.index > star:
                out.append(event)
        return out


@dataclass(slots=True)
class Context:
    project: Project
    facts: FileFacts
    func: int
    orm: Orm
    index: ModelIndex
    # extra eager lookups for a collection or a fetched object: loaders written around the
    # query (`Prefetch(...)`, `selectinload(...)`, a later `qs = qs.select_related(...)`)
    eager_hook: Callable[[Value], frozenset[str]] | None = None

    @property
    def family(self) -> str:
        return family_of(self.facts.language)


Result = tuple[Event | None, State | None]


def batched_args(ctx: Context, step: Step, arguments: str = "") -> bool:
    patterns = ctx.orm.batched_args.get(ctx.family)
    if patterns is None:
        return False
    return any(patterns.match(arg) for arg in step.args) or bool(arguments and patterns.match(arguments))
