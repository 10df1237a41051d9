"""What the memory-leak collectors record per file (plain, picklable, cached with the facts)."""
from __future__ import annotations

from dataclasses import dataclass

from perfsense.scanner.model import Span

# How the handle an acquisition returns is kept.
DISCARDED = "discarded"  # result unused: nothing can release it later
LOCAL = "local"  # bound to a local name
MEMBER = "member"  # stored on an object (`this.timer`, `ref.current`) or a module variable
MODULE = "module"  # acquired by module-level code: once per process
MANAGED = "managed"  # `with` block
ESCAPED = "escaped"  # returned, passed on or stored: the caller owns it
CHAINED = "chained"  # used at once (`open(p).read()`, `Thread(...).start()`)


@dataclass(frozen=True, slots=True)
class Acquisition:
    call: int  # facts Call.id
    resource: int  # index of the catalog resource of the file's language
    kind: str
    label: str
    func: int
    handle: str
    released: bool  # a matching release (or `with`) was found
    escaped: bool  # the handle leaves the function (returned, stored, handed over)
    self_releasing: bool = False  # `{ once: true }`, `{ signal }`, `takeUntil(...)`
    scope: str = ""  # receiver of a listener: local | param | module | global | this | ref
    event: str | None = None

    @property
    def leaks(self) -> bool:
        """Nothing in the file releases it and nobody else can."""
        if self.released or self.escaped or self.self_releasing:
            return False
        return self.handle in (DISCARDED, LOCAL, MEMBER, CHAINED) if self.kind == "listener" \
            else self.handle in (DISCARDED, LOCAL, MEMBER)


@dataclass(frozen=True, slots=True)
class Effect:
    call: int  # the `useEffect(...)` call
    func: int  # the inline effect callback
    cleanup: str  # none | function | opaque (returns something perfsense cannot see into)


@dataclass(frozen=True, slots=True)
class Collection:
    name: str  # module-level name, or `Class.attr` for class-level registries
    span: Span  # the declaration
    owner: str = ""  # class qualname for class-level collections
    bounded: bool = False  # evicted, cleared, reset or size-checked somewhere in the file


@dataclass(frozen=True, slots=True)
class Growth:
    name: str  # Collection.name
    span: Span
    func: int
    how: str  # `.append(…)`, `[key] = …`
    memo: bool  # the same function also looks the collection up (a cache)
    keyed_by_param: bool  # the key comes from a parameter of the function
    key: str = ""  # the key or added element, as written (shortened)


@dataclass(frozen=True, slots=True)
class LeakFacts:
    acquisitions: tuple[Acquisition, ...] = ()
    effects: tuple[Effect, ...] = ()
    jsx_functions: frozenset[int] = frozenset()
    collections: tuple[Collection, ...] = ()
    growths: tuple[Growth, ...] = ()
    # attribute names reset or trimmed through another object (`trans_real._cache = {}`,
    # `mod.cache.clear()`): a module-level collection of that name elsewhere may be bounded
    attr_evictions: frozenset[str] = frozenset()
