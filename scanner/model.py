"""The values that cross every boundary: positions, findings, skipped files.

Lines are 0-based and columns count Unicode code points inside this package;
the reports convert to 1-based lines (SARIF, text) and the LSP layer to the
client's encoding.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import NamedTuple


class Category(str, enum.Enum):
    N_PLUS_ONE = "n-plus-one"
    BLOCKING_IO = "blocking-io"
    INEFFICIENT_LOOP = "inefficient-loop"
    BUNDLE_BLOAT = "bundle-bloat"
    MEMORY_LEAK = "memory-leak"
    META = "meta"  # perfsense's own notices (unused suppressions)

    def __str__(self) -> str:
        return self.value


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"

    def __str__(self) -> str:
        return self.value


class Confidence(str, enum.Enum):
    """How often a finding of the rule is a real problem (SARIF `precision`)."""

    VERY_HIGH = "very-high"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    def __str__(self) -> str:
        return self.value


class Position(NamedTuple):
    """A place in a file (a tuple: compact to pickle, ordered by line then column)."""

    line: int  # 0-based
    column: int  # 0-based, Unicode code points


class Span(tuple):
    """From `start` to `end`, stored flat as (start line, start column, end line, end
    column): one object instead of three. Facts hold about 400,000 spans for Django; the
    flat form saves the 800,000 Position objects (44 MB), and a span pickles and unpickles
    with one call instead of three. Orders and compares like (start, end)."""

    __slots__ = ()

    def __new__(cls, start: Position, end: Position) -> Span:
        return _new(cls, (start[0], start[1], end[0], end[1]))

    @property
    def start(self) -> Position:
        return _new(Position, (self[0], self[1]))

    @property
    def end(self) -> Position:
        return _new(Position, (self[2], self[3]))

    @property
    def line(self) -> int:
        return self[0]

    def contains(self, other: Span) -> bool:
        return self[:2] <= other[:2] and other[2:] <= self[2:]

    def __reduce__(self) -> tuple:
        return _new, (Span, tuple(self))  # unpickled by tuple.__new__ alone, in C

    def __repr__(self) -> str:
        return f"Span({self.start!r}, {self.end!r})"


_new = tuple.__new__


def flat_span(start_line: int, start_column: int, end_line: int, end_column: int) -> Span:
    """`Span(Position(start_line, start_column), Position(end_line, end_column))`, without
    making the two positions."""
    return _new(Span, (start_line, start_column, end_line, end_column))


@dataclass(frozen=True, slots=True, order=True)
class Location:
    path: str  # posix path relative to the scan root
    span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class ChainStep:
    """One step of an explanation: a call site on the way to the effect, or a related place."""

    location: Location
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    rule_id: str
    category: Category
    severity: Severity
    message: str
    location: Location
    chain: tuple[ChainStep, ...] = ()
    # Name of the enclosing function (qualified), used for stable fingerprints.
    context: str = ""
    # Optional rule-specific data a quick fix can use (plain strings only).
    fix: tuple[tuple[str, str], ...] = ()
    fingerprint: str = ""

    @property
    def sort_key(self) -> tuple:
        return (self.location.path, self.location.span.start, self.rule_id, self.message)


class SkipReason(str, enum.Enum):
    PARSE_ERROR = "parse-error"
    PARTIAL_PARSE = "partial-parse"
    ENCODING = "encoding"
    BINARY = "binary"
    TOO_BIG = "too-big"
    MINIFIED = "minified"
    TOO_DEEP = "too-deep"
    TIMEOUT = "timeout"
    OUT_OF_MEMORY = "out-of-memory"
    NOT_REGULAR_FILE = "not-regular-file"
    OUTSIDE_ROOT = "outside-root"
    PERMISSION = "permission"
    VANISHED = "vanished"
    INTERNAL_ERROR = "internal-error"

    def __str__(self) -> str:
        return self.value

    @property
    def is_partial(self) -> bool:
        """The file was still analysed (findings outside the broken regions are kept)."""
        return self is SkipReason.PARTIAL_PARSE


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class Skip:
    """A file that was not (fully) analysed, and why."""

    path: str
    reason: SkipReason
    detail: str = ""
    line: int | None = None  # 0-based, where the problem starts, when known


@dataclass(slots=True, kw_only=True)
class ScanResult:
    root: str
    findings: list[Finding] = field(default_factory=list)
    skips: list[Skip] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # analysed files (relative paths), sorted
    lines_scanned: int = 0
    notices: list[str] = field(default_factory=list)  # run-level notes (e.g. truncation)

    @property
    def files_scanned(self) -> int:
        return len(self.files)
