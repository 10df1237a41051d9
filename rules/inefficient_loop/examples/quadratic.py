"""Examples of the quadratic-loop rules (docs and tests). `# expect` marks reported lines."""
from perfsense.scanner.engine.rule import Example

JOIN_VALID = (
    Example(title="Index the inner collection once", code="""
        def attach_authors(posts, authors):
            by_id = {author.id: author for author in authors}
            for post in posts:
                post.author = by_id.get(post.author_id)
            return posts
    """),
    Example(title="Inner loop over a few literal items", code="""
        def label(rows):
            for row in rows:
                for code, text in (("a", "Active"), ("b", "Blocked")):
                    if code == row.status:
                        row.label = text
            return rows
    """),
    Example(title="Inner loop over the outer item's own children", language="javascript", code="""
        export function flagged(invoices) {
          const out = [];
          for (const invoice of invoices) {
            for (const line of invoice.lines) {
              if (line.flagged === invoice.flagged) out.push(line);
            }
          }
          return out;
        }
    """),
)

JOIN_INVALID = (
    Example(title="Nested loops matching by id", code="""
        def attach_authors(posts, authors):
            for post in posts:
                for author in authors:  # expect
                    if author.id == post.author_id:
                        post.author = author
                        break
            return posts
    """),
    Example(title="for…of join", language="typescript", code="""
        export function withTeams(members: Member[], teams: Team[]) {
          for (const member of members) {
            for (const team of teams) {  // expect
              if (team.id === member.teamId) member.team = team;
            }
          }
          return members;
        }
    """),
)

CONCAT_VALID = (
    Example(title="Join the pieces once", code="""
        def render(rows):
            lines = []
            for row in rows:
                lines.append(format_row(row))
            return "\\n".join(lines)
    """),
    Example(title="Reset on every iteration, or a number", code="""
        def widths(rows):
            total = 0
            for row in rows:
                cell = ""
                cell += row.name
                total += len(cell)
            return total
    """),
)

CONCAT_INVALID = (
    Example(title="String grown in a loop", code="""
        def render(rows):
            text = ""
            for row in rows:
                text += f"{row.name}: {row.total}\\n"  # expect
            return text
    """),
    Example(title="`s = s + …` in a while loop", code="""
        def digits(n):
            out = ''
            while n:
                out = out + str(n % 10)  # expect
                n //= 10
            return out
    """),
)

SHIFT_VALID = (
    Example(title="A deque", code="""
        from collections import deque

        def drain(jobs):
            queue = deque(jobs)
            done = []
            while queue:
                done.append(queue.popleft().run())
            return done
    """),
    Example(title="Popping from the end", language="javascript", code="""
        function drain(stack) {
          const out = [];
          while (stack.length) out.push(stack.pop());
          return out;
        }
    """),
)

SHIFT_INVALID = (
    Example(title="Work list drained from the front", code="""
        def walk(root):
            pending = [root]
            seen = []
            while pending:
                node = pending.pop(0)  # expect
                seen.append(node)
                pending.extend(node.children)
            return seen
    """),
    Example(title="Breadth-first search with shift()", language="javascript", code="""
        function walk(root) {
          const queue = [root];
          const order = [];
          while (queue.length > 0) {
            const node = queue.shift();  // expect
            order.push(node);
            queue.push(...node.children);
          }
          return order;
        }
    """),
)

SUM_VALID = (
    Example(title="chain.from_iterable", code="""
        import itertools

        def flatten(groups):
            return list(itertools.chain.from_iterable(groups)), sum(len(g) for g in groups)
    """),
)

SUM_INVALID = (
    Example(title="sum with a list start", code="""
        def flatten(groups):
            return sum(groups, [])  # expect
    """),
)

ACCUMULATE_VALID = (
    Example(title="Concatenate once", code="""
        import pandas as pd

        def load_all(paths):
            parts = [pd.read_csv(path) for path in paths]
            return pd.concat(parts, ignore_index=True)
    """),
)

ACCUMULATE_INVALID = (
    Example(title="Frame and array grown per iteration", code="""
        import numpy as np
        import pandas as pd

        def load_all(paths):
            frame = pd.DataFrame()
            sizes = np.array([])
            for path in paths:
                part = pd.read_csv(path)
                frame = pd.concat([frame, part])  # expect
                sizes = np.append(sizes, len(part))  # expect
            return frame, sizes
    """),
)

SPREAD_VALID = (
    Example(title="Mutating the accumulator", language="javascript", code="""
        export function byId(items) {
          return items.reduce((acc, item) => {
            acc[item.id] = item;
            return acc;
          }, {});
        }
        export const index = (items) => Object.fromEntries(items.map((item) => [item.id, item]));
    """),
    Example(title="Spreading something else", language="javascript", code="""
        export function withDefaults(items, defaults) {
          return items.map((item) => ({ ...defaults, ...item }));
        }
    """),
)

SPREAD_INVALID = (
    Example(title="Spread in reduce and in a loop", language="typescript", code="""
        export function byId(items: Item[]): Record<string, Item> {
          return items.reduce((acc, item) => ({ ...acc, [item.id]: item }), {});  // expect
        }

        export function names(items: Item[]): string[] {
          let out: string[] = [];
          for (const item of items) {
            out = [...out, item.name];  // expect
          }
          return out;
        }
    """),
)
