"""Examples of `linear-search-in-loop` (docs and tests)."""
from perfsense.scanner.engine.rule import Example

VALID = (
    Example(title="Membership in a set", code="""
        def active(users, rows):
            banned = {row.user_id for row in rows if row.banned}
            return [user for user in users if user.id not in banned]
    """),
    Example(title="A literal of a few items, a list rebuilt per item", code="""
        def tagged(items):
            out = []
            for item in items:
                tags = item.tags.split(",")
                if item.kind in ("a", "b") and "urgent" in tags:
                    out.append(item)
            return out
    """),
    Example(title="String includes, Set.has", language="typescript", code="""
        export function matching(names: string[], needle: string, picked: number[]) {
          const chosen = new Set(picked);
          return names.filter((name, i) => name.toLowerCase().includes(needle) || chosen.has(i));
        }
    """),
    Example(title="A helper called once, or with a per-item argument", files={
        "app/__init__.py": "",
        "app/lookup.py": """
            def find(rows, key):
                for row in rows:
                    if row[0] == key:
                        return row
                return None
        """,
        "app/report.py": """
            from .lookup import find

            def first(table, orders):
                head = find(table, orders[0].key)
                return [find(order.lines, order.key) for order in orders], head
        """,
    }),
)

INVALID = (
    Example(title="`in` on a list built before the loop", code="""
        def active(users, rows):
            banned = [row.user_id for row in rows if row.banned]
            return [user for user in users if user.id not in banned]  # expect
    """),
    Example(title="Deduplicating with a growing list", code="""
        def unique(emails):
            seen = []
            for email in emails:
                if email not in seen:  # expect
                    seen.append(email)
            return seen
    """),
    Example(title="includes and find in iteration callbacks", language="typescript", code="""
        export function view(rows: Row[], owners: Owner[], picked: number[]) {
          const chosen = rows.filter((row) => picked.includes(row.id));  // expect
          return chosen.map((row) => ({ ...row, owner: owners.find((o) => o.id === row.ownerId) }));  // expect
        }
    """),
    Example(title="A helper that scans its parameter, called in a loop", files={
        "app/__init__.py": "",
        "app/lookup.py": """
            def find(rows, key):
                for row in rows:
                    if row[0] == key:
                        return row
                return None
        """,
        "app/report.py": """
            from .lookup import find

            def enrich(orders, table):
                for order in orders:
                    order.zone = find(table, order.postcode)  # expect
                return orders
        """,
    }),
)
