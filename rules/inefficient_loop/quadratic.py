"""Loops whose cost grows with the square of the data: nested-loop joins, string and
collection accumulation by copying, removing from the front of a list."""
from __future__ import annotations

from perfsense.rules.inefficient_loop.base import TEST_CODE_OPTION, LoopFileRule
from perfsense.rules.inefficient_loop.examples import quadratic as ex
from perfsense.scanner.engine.rule import Docs
from perfsense.scanner.model import Confidence, Severity


class NestedLoopJoin(LoopFileRule):
    id = "nested-loop-join"
    name = "NestedLoopJoin"
    severity = Severity.WARNING
    confidence = Confidence.HIGH
    summary = "A loop scans a whole collection for every item of an outer loop to find matches by key."
    docs = Docs(
        what="""
            Finds a loop nested in another loop that goes over a collection held in a local
            variable or parameter and whose first statement tests the element's key against a
            value of the outer item: `for order in orders: for customer in customers: if
            customer["id"] == order["customer_id"]: …` (and the same with `for…of` in
            JavaScript/TypeScript).
        """,
        why="""
            Each outer item walks the whole inner collection: n·m comparisons, which grows
            with the product of both sizes (10,000 orders x 10,000 customers is 10^8 steps).
            Indexing the inner collection once by its key makes each lookup O(1), so the join
            is O(n + m). The cost is negligible when the inner collection is a literal or a
            module constant of a few items, which perfsense does not report.
        """,
        instead="""
            Build `by_id = {c["id"]: c for c in customers}` (a `Map` in JavaScript) before the
            outer loop and look the match up with `by_id.get(order["customer_id"])`.
        """,
        options=TEST_CODE_OPTION,
    )
    languages = ("python", "javascript")
    valid = ex.JOIN_VALID
    invalid = ex.JOIN_INVALID


class StringConcatInLoop(LoopFileRule):
    id = "string-concat-in-loop"
    name = "StringConcatInLoop"
    severity = Severity.WARNING
    confidence = Confidence.MEDIUM
    summary = "A string is built with `+=` across loop iterations, copying it each time."
    docs = Docs(
        what="""
            Finds `s += …` (or `s = s + …`) inside a loop where `s` is a local variable that
            starts as a string before the loop and is not reset inside it.
        """,
        why="""
            Strings are immutable: each `+=` may allocate a new string and copy everything
            built so far, so building a text of n pieces costs O(n²) bytes copied. CPython
            can sometimes extend the string in place when nothing else refers to it, but that
            is an implementation detail that breaks as soon as the string is also referenced
            elsewhere, and PyPy does not do it. For a handful of short pieces the cost is
            negligible; it matters when the loop runs over data (rows, records, lines).
        """,
        instead="""
            Append the pieces to a list and `''.join(pieces)` once after the loop, or use
            `io.StringIO`, or write a generator expression into `''.join(…)`.
        """,
        options=TEST_CODE_OPTION,
    )
    languages = ("python",)
    valid = ex.CONCAT_VALID
    invalid = ex.CONCAT_INVALID


class ListShiftInLoop(LoopFileRule):
    id = "list-shift-in-loop"
    name = "ListShiftInLoop"
    severity = Severity.WARNING
    confidence = Confidence.HIGH
    summary = "Items are taken from or added to the front of a list inside a loop."
    docs = Docs(
        what="""
            Finds `xs.pop(0)` and `xs.insert(0, x)` in Python, and `xs.shift()` /
            `xs.unshift(x)` in JavaScript/TypeScript, inside a loop.
        """,
        why="""
            A list (array) keeps its items contiguous: removing or inserting at the front
            moves every other item one place, O(n) per call, so draining or filling a list
            from the front in a loop is O(n²). JavaScript engines can sometimes trim small
            arrays in place, but not reliably for large ones. The cost is negligible for
            lists of a few dozen items; it grows quickly for work queues and buffers.
        """,
        instead="""
            Use `collections.deque` (`popleft()`, `appendleft()`) in Python. In JavaScript keep
            a read index (`const item = queue[head++]`) or a small deque class; to prepend,
            push and reverse once after the loop.
        """,
        options=TEST_CODE_OPTION,
    )
    languages = ("python", "javascript")
    valid = ex.SHIFT_VALID
    invalid = ex.SHIFT_INVALID


class QuadraticListSum(LoopFileRule):
    id = "quadratic-list-sum"
    name = "QuadraticListSum"
    severity = Severity.WARNING
    confidence = Confidence.VERY_HIGH
    summary = "`sum(lists, [])` flattens lists by repeated concatenation."
    docs = Docs(
        what="Finds `sum(iterable, [])` (and `sum(iterable, ())`) used to flatten sequences.",
        why="""
            `sum` adds the sequences one by one, and each `+` builds a new list holding
            everything so far: flattening n lists of k items copies O(n²·k) items. For two or
            three short lists the cost is negligible.
        """,
        instead="""
            `list(itertools.chain.from_iterable(lists))`, or a comprehension
            `[x for xs in lists for x in xs]`.
        """,
        options=TEST_CODE_OPTION,
    )
    languages = ("python",)
    valid = ex.SUM_VALID
    invalid = ex.SUM_INVALID


class ConcatAccumulationInLoop(LoopFileRule):
    id = "concat-accumulation-in-loop"
    name = "ConcatAccumulationInLoop"
    severity = Severity.WARNING
    confidence = Confidence.HIGH
    summary = "A DataFrame or array is grown by concatenation inside a loop."
    docs = Docs(
        what="""
            Finds an accumulator fed back into a concatenation on every iteration:
            `df = df.append(row)`, `df = pd.concat([df, part])`, `arr = np.append(arr, x)`,
            `arr = np.concatenate([arr, chunk])`.
        """,
        why="""
            pandas and NumPy never grow in place: each call allocates a new frame or array and
            copies everything accumulated so far, so n iterations copy O(n²) rows. A loop of a
            few iterations is negligible; one per input row or file is not.
        """,
        instead="""
            Collect the pieces in a list inside the loop and concatenate once after it:
            `pd.concat(parts, ignore_index=True)`, `np.concatenate(chunks)`, or build a
            DataFrame from a list of dicts.
        """,
        options=TEST_CODE_OPTION,
    )
    languages = ("python",)
    valid = ex.ACCUMULATE_VALID
    invalid = ex.ACCUMULATE_INVALID


class SpreadAccumulatorInLoop(LoopFileRule):
    id = "spread-accumulator-in-loop"
    name = "SpreadAccumulatorInLoop"
    severity = Severity.WARNING
    confidence = Confidence.HIGH
    summary = "A `reduce` callback or a loop copies its accumulator with spread on every step."
    docs = Docs(
        what="""
            Finds `xs.reduce((acc, x) => ({ ...acc, [x.id]: x }), {})`, `[...acc, x]` returned
            from a `reduce` callback, and `acc = { ...acc, … }` / `acc = [...acc, x]` inside a
            loop.
        """,
        why="""
            Spreading copies every key (or element) gathered so far into a new object, on
            every iteration: building a result of n entries copies O(n²) entries and creates
            n throw-away objects for the garbage collector. For a few entries it is
            negligible; over API results or table rows it is a hot spot.
        """,
        instead="""
            Mutate the accumulator the reduce created (`acc[x.id] = x; return acc;`,
            `acc.push(x)`), or build the object in one go:
            `Object.fromEntries(xs.map(x => [x.id, x]))`, or use a `Map`.
        """,
        options=TEST_CODE_OPTION,
    )
    languages = ("javascript",)
    valid = ex.SPREAD_VALID
    invalid = ex.SPREAD_INVALID
