"""Examples of the bulk-instead-of-per-item rules (docs and tests)."""
from perfsense.scanner.engine.rule import Example

MINMAX_VALID = (
    Example(title="min and max", code="""
        def extremes(prices):
            ranked = sorted(prices)
            return min(prices), max(prices, key=abs), ranked[:3]
    """),
)

MINMAX_INVALID = (
    Example(title="Sorting to take one item", code="""
        def extremes(prices, events):
            cheapest = sorted(prices)[0]  # expect
            latest = sorted(events, key=lambda e: e.at)[-1]  # expect
            return cheapest, latest
    """),
)

ROWWISE_VALID = (
    Example(title="Column arithmetic", code="""
        def add_totals(df):
            df["total"] = df["qty"] * df["price"]
            return df
    """),
    Example(title="Per-row work that is not arithmetic", code="""
        def notify(df, mailer):
            for _, row in df.iterrows():
                mailer.send(row["email"], row["subject"])
            return df.apply(lambda r: r["first"].title(), axis=1)
    """),
)

ROWWISE_INVALID = (
    Example(title="iterrows and apply(axis=1) doing arithmetic", code="""
        def add_totals(df):
            for i, row in df.iterrows():  # expect
                df.at[i, "total"] = row["qty"] * row["price"]
            df["profit"] = df.apply(lambda r: r["total"] - r["qty"] * r["cost"], axis=1)  # expect
            return df
    """),
)

APPEND_VALID = (
    Example(title="A comprehension, and loops that do more", code="""
        def ids(orders):
            out = [order.id for order in orders]
            names = []
            for order in orders:
                names.append(order.customer.full_name())
            paid = []
            for order in orders:
                if order.paid:
                    paid.append(order)
            return out, names, paid
    """),
)

APPEND_INVALID = (
    Example(title="A loop that only appends a projection", code="""
        def ids(orders):
            out = []
            for order in orders:  # expect
                out.append(order.id)
            return out
    """),
)

RANGE_VALID = (
    Example(title="Direct iteration, and loops that need the index", code="""
        def deltas(values):
            total = sum(value for value in values)
            steps = [values[i + 1] - values[i] for i in range(len(values) - 1)]
            for i in range(len(values)):
                values[i] = values[i] / total
            return steps
    """),
)

RANGE_INVALID = (
    Example(title="Index only used to read the item", code="""
        def total(lines):
            result = 0
            for i in range(len(lines)):  # expect
                result += lines[i].qty * lines[i].price
            return result
    """),
)
