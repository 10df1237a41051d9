"""Loops that do per item what one call or one vectorised expression does in bulk."""
from __future__ import annotations

from perfsense.rules.inefficient_loop.base import TEST_CODE_OPTION, LoopFileRule
from perfsense.rules.inefficient_loop.examples import idioms as ex
from perfsense.scanner.engine.rule import Docs
from perfsense.scanner.model import Confidence, Severity


class SortedForMinMax(LoopFileRule):
    id = "sorted-for-min-max"
    name = "SortedForMinMax"
    severity = Severity.NOTE
    confidence = Confidence.HIGH
    summary = "`sorted(x)[0]` or `sorted(x)[-1]` sorts everything to take the smallest or largest item."
    docs = Docs(
        what="Finds `sorted(x)[0]` and `sorted(x)[-1]` (with or without `key=` and `reverse=`).",
        why="""
            Sorting is O(n log n) and builds a new list of n items to keep one of them;
            `min`/`max` make one O(n) pass without the copy. For a few items the difference
            is negligible.
        """,
        instead="`min(x)` / `max(x)`, keeping the `key=` argument; `heapq.nsmallest` for the first k.",
        options=TEST_CODE_OPTION,
    )
    languages = ("python",)
    valid = ex.MINMAX_VALID
    invalid = ex.MINMAX_INVALID


class RowWiseDataframeLoop(LoopFileRule):
    id = "row-wise-dataframe-loop"
    name = "RowWiseDataframeLoop"
    severity = Severity.WARNING
    confidence = Confidence.HIGH
    summary = "A pandas DataFrame is processed row by row for plain column arithmetic."
    docs = Docs(
        what="""
            Finds `for i, row in df.iterrows():` and `df.itertuples()` loops whose body only
            assigns arithmetic on the row's fields (`df.at[i, "total"] = row["qty"] *
            row["price"]`), and `df.apply(lambda r: r["a"] - r["b"], axis=1)` with a lambda
            that is plain arithmetic on the row.
        """,
        why="""
            Each row becomes a Python object (a Series for `iterrows`) and the arithmetic runs
            in the interpreter, one row at a time: typically 100 to 1,000 times slower than the
            same expression on whole columns, which runs in compiled code. On a frame of a few
            rows the difference is negligible; loops that call functions or do I/O per row are
            not reported.
        """,
        instead="Write the expression on columns: `df['total'] = df['qty'] * df['price']`.",
        options=TEST_CODE_OPTION,
    )
    languages = ("python",)
    valid = ex.ROWWISE_VALID
    invalid = ex.ROWWISE_INVALID


class AppendOnlyLoop(LoopFileRule):
    id = "append-only-loop"
    name = "AppendOnlyLoop"
    severity = Severity.NOTE
    confidence = Confidence.HIGH
    summary = "A loop whose only statement appends a simple expression to a list it just created."
    docs = Docs(
        what="""
            Finds `xs = []` immediately followed by a `for` loop whose only statement is
            `xs.append(<expression>)`, where the expression is a plain projection of the item
            (names, attributes, subscripts, arithmetic, f-strings) without calls.
        """,
        why="""
            Each iteration looks up the `append` method and calls it; for a cheap projection
            that overhead is a large share of the loop, and a list comprehension builds the
            same list without it (typically 30-50% faster) in one expression. When the body
            does real work (a call per item), the difference is negligible, which is why such
            loops are not reported.
        """,
        instead="`ids = [order.id for order in orders]`.",
        options=TEST_CODE_OPTION,
    )
    languages = ("python",)
    valid = ex.APPEND_VALID
    invalid = ex.APPEND_INVALID


class RangeLenLoop(LoopFileRule):
    id = "range-len-loop"
    name = "RangeLenLoop"
    severity = Severity.NOTE
    confidence = Confidence.HIGH
    summary = "`for i in range(len(xs))` only uses `i` to read `xs[i]`."
    docs = Docs(
        what="""
            Finds `for i in range(len(xs)):` where every use of `i` in the body is a read of
            `xs[i]` and `i` is not used after the loop.
        """,
        why="""
            The index adds a `range` object, an index lookup and a bounds check per item to
            what direct iteration does for free. It is a constant factor, negligible in loops
            that do real work per item; loops that need the index (neighbours `xs[i + 1]`,
            writes `xs[i] = …`) are not reported.
        """,
        instead="`for x in xs:` (or `enumerate(xs)` when the index is needed as well).",
        options=TEST_CODE_OPTION,
    )
    languages = ("python",)
    valid = ex.RANGE_VALID
    invalid = ex.RANGE_INVALID
