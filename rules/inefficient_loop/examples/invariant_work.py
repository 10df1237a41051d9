"""Examples of `invariant-work-in-loop` (docs and tests)."""
from perfsense.scanner.engine.rule import Example

VALID = (
    Example(title="Hoisted regex, per-item patterns, copies that are changed", code="""
        import copy
        import re

        CODE_RE = re.compile(r"^[A-Z]{2}-\\d+$")

        def check(items, rules, template):
            out = []
            for item in items:
                ok = CODE_RE.match(item.code)
                custom = re.compile(item.pattern)
                entry = copy.deepcopy(template)
                entry["name"] = item.name
                out.append((ok, custom, entry))
            return out
    """),
    Example(title="Sorting data the loop changes", code="""
        def running_median(values):
            seen = []
            out = []
            for value in values:
                seen.append(value)
                ordered = sorted(seen)
                out.append(ordered[len(ordered) // 2])
            return out
    """),
    Example(title="A memoized helper", files={
        "app/__init__.py": "",
        "app/text.py": """
            import functools
            import re

            @functools.lru_cache(maxsize=None)
            def splitter():
                return re.compile(r"[,;]\\s*")
        """,
        "app/use.py": """
            from .text import splitter

            def parts(lines):
                return [splitter().split(line) for line in lines]
        """,
    }),
    Example(title="A regex built from the item", language="javascript", code="""
        export function highlight(rows, terms) {
          return rows.map((row) => terms.map((term) => row.text.replace(new RegExp(term, 'g'), '**')));
        }
    """),
)

INVALID = (
    Example(title="Constant regex, invariant sort and read-only copy in a loop", code="""
        import copy
        import json
        import re

        def check(items, limits, config):
            out = []
            for item in items:
                pattern = re.compile(r"^[A-Z]{2}-\\d+$")  # expect
                defaults = json.loads('{"level": 1}')  # expect
                rank = sorted(limits).index(item.limit)  # expect
                settings = copy.deepcopy(config)  # expect
                out.append((pattern.match(item.code), defaults["level"], rank, settings["mode"]))
            return out
    """),
    Example(title="Invariant RegExp, sort, clone and Object.keys in JavaScript", language="javascript", code="""
        export function check(items, limits, config, counts) {
          let slots = 0;
          for (let i = 0; i < Object.keys(counts).length; i++) {  // expect
            slots += i;
          }
          return slots + items.map((item) => {
            const re = new RegExp('^[A-Z]{2}-\\\\d+$');  // expect
            const ordered = [...limits].sort((a, b) => a - b);  // expect
            const settings = JSON.parse(JSON.stringify(config));  // expect
            return re.test(item.code) && ordered[0] < item.limit && settings.mode === item.mode;
          });
        }
    """),
    Example(title="A helper that compiles a constant pattern, called per item", files={
        "app/__init__.py": "",
        "app/text.py": """
            import re

            def clean(value):
                spaces = re.compile(r"\\s+")
                return spaces.sub(" ", value).strip()
        """,
        "app/use.py": """
            from .text import clean

            def names(people):
                return [clean(person.name) for person in people]  # expect
        """,
    }),
    Example(title="A helper that deep-copies module data, called per item", files={
        "src/templates.ts": """
            const TEMPLATES: Record<string, object> = { basic: { width: 1, height: 1 } };

            export function template(kind: string): object {
              return structuredClone(TEMPLATES[kind] ?? TEMPLATES.basic);
            }
        """,
        "src/cards.ts": """
            import { template } from './templates';

            export function cards(items: { kind: string }[]) {
              return items.map((item) => ({ item, layout: template(item.kind) }));  // expect
            }
        """,
    }),
    Example(title="Repeated inside the helper's own loop: reported there, once", files={
        "etl/__init__.py": "",
        "etl/steps.py": """
            import json

            DEFAULTS = '{"status": "new"}'

            def normalise(rows):
                out = []
                for row in rows:
                    out.append({**json.loads(DEFAULTS), **row})  # expect
                return out
        """,
        "etl/run.py": """
            from .steps import normalise

            def run(batches):
                return [normalise(batch) for batch in batches]
        """,
        "etl/clean.py": """
            import re

            def digits(value):
                return re.compile(r"[^0-9]").sub("", value)

            def clean_all(rows):
                return [digits(row) for row in rows]  # expect

            def nightly(days):
                for day in days:
                    clean_all(day)
        """,
    }),
)
