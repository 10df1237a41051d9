"""Examples of `cache-on-method` and `unbounded-lru-cache` (docs and tests)."""
from perfsense.scanner.engine.rule import Example

METHOD_VALID = (
    Example(title="Per-instance caching and bounded or static caches", code="""
        import functools


        class Rates:
            def __init__(self, day):
                self.day = day
                self._cache = {}

            @functools.cached_property
            def table(self):
                return {"EUR": 1.0}

            @functools.lru_cache(maxsize=32)
            def bounded(self, code):
                return self.table.get(code)

            @staticmethod
            @functools.cache
            def normalise(code):
                return code.upper()

            def rate(self, code):
                if code not in self._cache:
                    self._cache[code] = self.table.get(code)
                return self._cache[code]


        class Registry:
            @functools.cache
            def models(self, app):
                return [app]

            def clear(self):
                self.models.cache_clear()
    """),
    Example(title="A class made for one test", files={
        "tests/test_hashing.py": """
            import functools


            def test_cached_method_is_inherited():
                class Point:
                    def __init__(self, x):
                        self.x = x

                    @functools.cache
                    def double(self):
                        return self.x * 2

                assert Point(2).double() == 4
        """,
    }),
)

METHOD_INVALID = (
    Example(title="Unbounded caches on methods", code="""
        import functools
        from functools import cache, lru_cache


        class Mapper:
            def __init__(self, rules):
                self.rules = rules

            @functools.lru_cache(maxsize=None)
            def channel(self, code):  # expect
                return self.rules.get(code, "other")

            @cache
            def region(self, postcode):  # expect
                return postcode[:3]

            @lru_cache(None)
            def label(self, code):  # expect
                return code.title()
    """),
)

FUNCTION_VALID = (
    Example(title="Bounded, parameterless or only called at start-up", files={
        "app/__init__.py": "",
        "app/settings.py": """
            import functools


            @functools.cache
            def load_settings():
                return {"debug": False}


            @functools.lru_cache(maxsize=1024)
            def slug(text):
                return text.lower().replace(" ", "-")


            @functools.lru_cache(maxsize=None)
            def feature(name: str):
                return name.startswith("beta")


            FEATURES = [feature(n) for n in ("beta-search",)]


            @functools.cache
            def resolver(urlconf):
                return {"urlconf": urlconf}


            def clear_caches():
                resolver.cache_clear()
        """,
        "app/views.py": """
            from fastapi import APIRouter
            from .settings import load_settings, resolver, slug

            router = APIRouter()


            @router.get("/items/{name}")
            def item(name: str, urlconf: str = "root"):
                return {"slug": slug(name), "debug": load_settings()["debug"], "r": resolver(urlconf)}
        """,
    }),
)

FUNCTION_INVALID = (
    Example(title="Unbounded cache called from a route with request data", files={
        "app/__init__.py": "",
        "app/text.py": """
            import functools


            @functools.lru_cache(maxsize=None)
            def render(template, user_name):  # expect
                return template.replace("{name}", user_name)
        """,
        "app/views.py": """
            from fastapi import APIRouter
            from .text import render

            router = APIRouter()


            @router.get("/greet/{name}")
            def greet(name: str):
                return {"text": render("Hello {name}", name)}
        """,
    }),
)
