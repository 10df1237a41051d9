"""Focused tests of the n-plus-one family: what repeats, what silences, what the message says."""
from __future__ import annotations

import textwrap

from tests.helpers import scan_tree, write_tree

MODELS = """
from django.db import models


class Shelf(models.Model):
    name = models.CharField(max_length=20)


class Item(models.Model):
    shelf = models.ForeignKey(Shelf, on_delete=models.CASCADE, related_name="items")
    sku = models.CharField(max_length=20)
"""


def _scan(tmp_path, files: dict[str, str], **kwargs):
    tree = {path: textwrap.dedent(text).lstrip("\n") for path, text in files.items()}
    write_tree(tmp_path, tree)
    result = scan_tree(tmp_path, **kwargs)
    assert not [s for s in result.skips if not s.reason.is_partial], result.skips
    return [f for f in result.findings if f.category.value == "n-plus-one"]


def _where(findings) -> set[tuple[str, str, int]]:
    return {(f.rule_id, f.location.path, f.location.span.start.line + 1) for f in findings}


def _django(tmp_path, body: str, **kwargs):
    return _scan(tmp_path, {"store/__init__.py": "", "store/models.py": MODELS,
                            "store/views.py": "from .models import Item, Shelf\n" + textwrap.dedent(body)},
                 **kwargs)


def test_unconditional_break_after_the_query_is_silent_a_conditional_one_is_not(tmp_path):
    found = _django(tmp_path, """
        def first(skus):
            for sku in skus:
                item = Item.objects.get(sku=sku)
                break
            return item


        def search(skus):
            for sku in skus:
                item = Item.objects.filter(sku=sku).first()
                if item is not None:
                    return item
    """)
    assert _where(found) == {("query-in-loop", "store/views.py", 12)}


def test_range_loops_count_only_when_the_counter_is_used(tmp_path):
    found = _django(tmp_path, """
        def poll(times):
            for _ in range(times):
                Item.objects.count()


        def by_index(skus):
            for i in range(len(skus)):
                Item.objects.get(sku=skus[i])


        def wait(ready):
            while not ready():
                Item.objects.exists()
    """)
    assert _where(found) == {("query-in-loop", "store/views.py", 10)}


def test_eager_loading_added_in_a_later_assignment_silences(tmp_path):
    found = _django(tmp_path, """
        def shelves(with_shelf):
            qs = Item.objects.filter(sku__startswith="A")
            if with_shelf:
                qs = qs.select_related("shelf")
            return [item.shelf.name for item in qs]


        def rows():
            return [row["shelf__name"] for row in Item.objects.values("shelf__name")]


        def names():
            items = Item.objects.filter(sku__startswith="B")
            return [item.shelf.name for item in items]
    """)
    assert _where(found) == {("lazy-relation-in-loop", "store/views.py", 16)}
    assert "select_related('shelf')" in found[0].message


def test_message_names_the_query_the_loop_and_the_remedy(tmp_path):
    found = _django(tmp_path, """
        def sizes(names):
            return {name: Shelf.objects.get(name=name).items.count() for name in names}
    """)
    messages = sorted(f.message for f in found)
    assert any(m.startswith("`Shelf.objects.get(…)` runs a query for every item of `names` (loop at line 4)")
               and "in_bulk" in m for m in messages), messages


def test_writes_repeated_in_branches_of_one_loop_are_one_finding(tmp_path):
    found = _django(tmp_path, """
        def relabel(items, mode):
            for item in items:
                if mode == "a":
                    item.sku = "A"
                    Item.objects.filter(pk=item.pk).update(sku="A")
                else:
                    Item.objects.filter(pk=item.pk).update(sku="B")
    """)
    assert _where(found) == {("query-in-loop", "store/views.py", 7)}


def test_models_of_other_packages_and_get_model(tmp_path):
    found = _scan(tmp_path, {"jobs.py": """
        from django.apps import apps
        from django.contrib.auth.models import User


        def owners(ids):
            return [User.objects.get(pk=i) for i in ids]


        def by_label(labels):
            Tag = apps.get_model("tagging", "Tag")
            return [Tag.objects.filter(label=label).exists() for label in labels]
    """})
    assert _where(found) == {("query-in-loop", "jobs.py", 6), ("query-in-loop", "jobs.py", 11)}


def test_helper_findings_carry_the_chain_down_to_the_query(tmp_path):
    found = _scan(tmp_path, {
        "app/__init__.py": "",
        "app/models.py": MODELS,
        "app/lookup.py": """
            from .models import Item


            def _one(sku):
                return Item.objects.filter(sku=sku).first()


            def item_for(sku):
                return _one(sku)
        """,
        "app/report.py": """
            from .lookup import item_for


            def report(skus):
                for sku in skus:
                    print(item_for(sku))
        """,
    })
    assert _where(found) == {("query-in-loop", "app/report.py", 6)}
    chain = found[0].chain
    assert [(step.location.path, step.location.span.start.line + 1) for step in chain] == [
        ("app/lookup.py", 9), ("app/lookup.py", 5)]
    assert "item_for()" in found[0].message and "Item.objects.filter(…).first()" in found[0].message


def test_user_declared_query_functions(tmp_path):
    (tmp_path / "perfsense.toml").write_text(
        '[[catalog.queries]]\ncall = "legacy.db.fetch_one"\nbatch = "legacy.db.fetch_many"\n')
    found = _scan(tmp_path, {"sync.py": """
        from legacy import db


        def refresh(ids):
            return [db.fetch_one("SELECT * FROM t WHERE id = %s", i) for i in ids]
    """})
    assert _where(found) == {("query-in-loop", "sync.py", 5)}
    assert "legacy.db.fetch_many" in found[0].message


def test_tests_and_migrations_are_skipped_unless_asked(tmp_path):
    body = """
        from store.models import Item


        def check(skus):
            for sku in skus:
                Item.objects.get(sku=sku)
    """
    migration = """
        from django.db import migrations


        def forwards(apps, schema_editor):
            Item = apps.get_model("store", "Item")
            for item in Item.objects.all():
                item.sku = item.sku.upper()
                item.save()


        class Migration(migrations.Migration):
            operations = [migrations.RunPython(forwards)]
    """
    files = {"store/__init__.py": "", "store/models.py": MODELS, "tests/test_items.py": body,
             "store/migrations/__init__.py": "", "store/migrations/0002_upper.py": migration}
    assert _scan(tmp_path, files) == []
    (tmp_path / "perfsense.toml").write_text('[rules.query-in-loop]\ninclude-tests = true\n')
    assert _where(_scan(tmp_path, files)) == {("query-in-loop", "tests/test_items.py", 6)}


def test_array_methods_are_not_queries_but_model_methods_are(tmp_path):
    found = _scan(tmp_path, {
        "src/db.js": """
            const { Sequelize, DataTypes } = require('sequelize');
            const sequelize = new Sequelize('sqlite::memory:');
            const Tag = sequelize.define('Tag', { name: DataTypes.STRING });
            module.exports = { Tag };
        """,
        "src/tags.js": """
            const { Tag } = require('./db');

            async function label(posts, tags) {
              const out = [];
              for (const post of posts) {
                const local = tags.find((t) => t.id === post.tagId);
                const remote = await Tag.findOne({ where: { id: post.tagId } });
                out.push(local || remote);
              }
              return out;
            }

            module.exports = { label };
        """,
    })
    assert _where(found) == {("query-in-loop", "src/tags.js", 7)}


def test_a_queryset_evaluated_by_a_builtin_in_a_loop(tmp_path):
    found = _django(tmp_path, """
        def sizes(shelves):
            return {shelf.name: len(Item.objects.filter(shelf=shelf)) for shelf in shelves}
    """)
    assert _where(found) == {("query-in-loop", "store/views.py", 4)}
    assert found[0].message.startswith("`len(…)` evaluates the query `Item.objects.filter(…)`")


def test_drf_view_querysets_from_get_queryset(tmp_path):
    serializer = """
        from rest_framework import serializers

        from .models import Item


        class ItemSerializer(serializers.ModelSerializer):
            shelf_name = serializers.CharField(source="shelf.name")

            class Meta:
                model = Item
                fields = ["sku", "shelf_name"]
    """
    views = """
        from rest_framework import viewsets

        from .models import Item
        from .serializers import ItemSerializer


        class Derived(viewsets.ReadOnlyModelViewSet):
            serializer_class = ItemSerializer
            queryset = Item.objects.all()

            def get_queryset(self):
                return super().get_queryset().filter(sku__startswith="A")


        class Unknown(viewsets.ReadOnlyModelViewSet):
            serializer_class = ItemSerializer
            queryset = Item.objects.all()

            def get_queryset(self):
                items = self.request.user.visible_items()
                return items
    """
    found = _scan(tmp_path, {"store/__init__.py": "", "store/models.py": MODELS,
                             "store/serializers.py": serializer, "store/views.py": views})
    assert _where(found) == {("query-per-listed-object", "store/serializers.py", 7)}
    assert "`Derived`" in found[0].message and "select_related('shelf')" in found[0].message


def test_batched_builders_inside_chunk_loops_are_silent(tmp_path):
    found = _scan(tmp_path, {"src/load.js": """
        const knex = require('knex')({ client: 'pg' });

        async function load(chunks) {
          const out = [];
          for (const ids of chunks) {
            out.push(...(await knex('users').whereIn('id', ids)));
            out.push(await knex('users').where({ id: ids[0] }).first());
          }
          return out;
        }

        module.exports = { load };
    """})
    assert _where(found) == {("query-in-loop", "src/load.js", 7)}


def test_related_manager_writes_per_item(tmp_path):
    found = _django(tmp_path, """
        def stock(pk, skus):
            shelf = Shelf.objects.get(pk=pk)
            for sku in skus:
                shelf.items.add(Item.objects.create(sku=sku))


        def prune(node, names):
            for child in list(node.items):
                if child.name in names:
                    node.items.remove(child)
    """)
    assert {f.location.span.start.line + 1 for f in found} == {6}
    assert len(found) == 2 and any("add(*objects)" in f.message for f in found)


def test_a_query_method_bound_to_another_name_in_another_module_is_still_a_query(tmp_path):
    """The name prefilter (only catalog query names can run a query) follows aliases:
    `fetch_item = Item.objects.get` in one module, `lookup = fetch_item` in another."""
    findings = _scan(tmp_path, {
        "store/__init__.py": "", "store/models.py": MODELS,
        "store/queries.py": "from .models import Item\n\nfetch_item = Item.objects.get\n",
        "store/more.py": "from .queries import fetch_item\n\nlookup = fetch_item\n",
        "store/views.py": """
            from .more import lookup


            def skus(ids):
                out = []
                for pk in ids:
                    out.append(lookup(pk=pk).sku)
                return out
        """,
    })
    assert _where(findings) == {("query-in-loop", "store/views.py", 7)}
