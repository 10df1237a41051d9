"""bundle-bloat: front-end detection, safe manifest reading, installed sizes, the scan cache."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.helpers import scan_tree, write_tree

REACT = json.dumps({"dependencies": {"react": "^18.3.1"}})
FAMILY = ("whole-library-import", "dynamic-namespace-access", "heavy-import-not-lazy")


def found(root: Path, **kwargs) -> list[tuple[str, str, int]]:
    result = scan_tree(root, **kwargs)
    return sorted((f.rule_id, f.location.path, f.location.span.start.line + 1)
                  for f in result.findings if f.rule_id in FAMILY)


def test_multiline_import_is_reported_at_its_first_line(tmp_path):
    write_tree(tmp_path, {"package.json": REACT, "src/a.js": "import {\n  debounce,\n  throttle,\n} from 'lodash';\n"
                          "export const f = debounce(throttle(() => 1, 5), 5);\n"})
    assert found(tmp_path) == [("whole-library-import", "src/a.js", 1)]


def test_cache_follows_package_json(tmp_path):
    write_tree(tmp_path, {"package.json": REACT, "src/a.js": "import _ from 'lodash';\nexport default _.sum;\n"})
    assert found(tmp_path, use_cache=True) == [("whole-library-import", "src/a.js", 1)]
    (tmp_path / "package.json").write_text(json.dumps({"dependencies": {"express": "^4"}}))
    assert found(tmp_path, use_cache=True) == []


@pytest.mark.parametrize("content", ["{not json", "[" * 200_000 + "]" * 200_000, '"just a string"',
                                     json.dumps({"dependencies": ["react"]})])
def test_bad_manifests_are_ignored(tmp_path, content):
    write_tree(tmp_path, {"package.json": content, "src/a.js": "import _ from 'lodash';\nexport default _;\n"})
    result = scan_tree(tmp_path)
    assert not result.skips
    assert [f for f in result.findings if f.rule_id in FAMILY] == []


def test_oversized_manifest_is_ignored(tmp_path):
    deps = {"react": "^18"} | {f"pkg{i}": "^1.0.0" for i in range(60_000)}
    write_tree(tmp_path, {"package.json": json.dumps({"dependencies": deps}),
                          "src/a.js": "import _ from 'lodash';\nexport default _;\n"})
    assert os.path.getsize(tmp_path / "package.json") > 1 << 20
    assert found(tmp_path) == []


def test_manifest_symlink_leaving_the_root_is_not_followed(tmp_path):
    outside = tmp_path / "outside"
    root = tmp_path / "root"
    write_tree(outside, {"package.json": REACT})
    write_tree(root, {"src/a.js": "import _ from 'lodash';\nexport default _;\n"})
    os.symlink(outside / "package.json", root / "package.json")
    assert found(root) == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_manifest_does_not_hang(tmp_path):
    write_tree(tmp_path, {"src/a.js": "import _ from 'lodash';\nexport default _;\n"})
    os.mkfifo(tmp_path / "package.json")
    assert found(tmp_path) == []


def test_installed_size_is_measured_inside_the_root_only(tmp_path):
    root = tmp_path / "root"
    write_tree(root, {"package.json": REACT,
                      "src/a.js": "import _ from 'lodash';\nimport moment from 'moment';\nexport default [_, moment];\n",
                      "node_modules/lodash/package.json": '{"name": "lodash"}',
                      "node_modules/lodash/lodash.js": "x" * 300_000,
                      "node_modules/lodash/fp/map.js": "x" * 2_000,
                      "node_modules/lodash/README.md": "y" * 500_000})
    write_tree(tmp_path / "elsewhere" / "moment", {"moment.js": "x" * 400_000})
    os.symlink(tmp_path / "elsewhere" / "moment", root / "node_modules" / "moment")
    messages = {f.location.span.start.line: f.message for f in scan_tree(root).findings}
    assert "302 kB of JavaScript installed in `node_modules/lodash`" in messages[0]
    assert "installed" not in messages[1] and "~20 kB min+gz" in messages[1]


NEXT = json.dumps({"dependencies": {"next": "14.2.3", "react": "^18.3.1"}})


def test_next_app_router_server_components_are_not_bundled(tmp_path):
    write_tree(tmp_path, {
        "package.json": NEXT,
        "app/layout.tsx": "export default function Layout({ children }) { return <html>{children}</html>; }\n",
        "app/page.tsx": "import _ from 'lodash';\nimport { summary } from '../lib/summary';\nimport Chart from './Chart';\n"
                        "export default function Page() { return <Chart data={_.sortBy(summary(), 'x')} />; }\n",
        "lib/summary.ts": "import moment from 'moment';\nexport const summary = () => [moment().format()];\n",
        "app/Chart.tsx": "'use client';\nimport { format } from '../lib/dates';\n"
                         "export default function Chart({ data }) { return <p>{format(data)}</p>; }\n",
        "lib/dates.ts": "import moment from 'moment';\nexport const format = (d) => moment(d).format();\n",
        "app/api/orders/route.ts": "import _ from 'lodash';\nexport async function GET() { return Response.json(_.range(3)); }\n",
    })
    assert found(tmp_path) == [("whole-library-import", "lib/dates.ts", 1)]


def test_server_markers_silence_front_end_packages(tmp_path):
    write_tree(tmp_path, {
        "package.json": REACT,
        "src/actions.ts": "'use server';\nimport _ from 'lodash';\nexport async function save(x) { return _.sum(x); }\n",
        "src/build-sitemap.js": "import fs from 'node:fs';\nimport _ from 'lodash';\nfs.writeFileSync('x', _.join([]));\n",
        "src/db.server.ts": "import moment from 'moment';\nexport const now = () => moment();\n",
        "src/paths.js": "import { join } from 'node:path';\nimport _ from 'lodash';\nexport default join(_.head(['a']));\n",
        "src/dev.js": "if (process.env.NODE_ENV !== 'production') {\n  const _ = require('lodash');\n  window._ = _;\n}\n",
        "vite.config.js": "import _ from 'lodash';\nexport default _.merge({}, {});\n",
    })
    assert found(tmp_path) == []


def test_no_manifest_falls_back_to_framework_imports(tmp_path):
    write_tree(tmp_path, {
        "ui/Panel.tsx": "import { recent } from '../shared/dates';\nimport _ from 'lodash';\n"
                        "export const Panel = () => <p>{recent()}{_.now()}</p>;\n",
        "shared/dates.js": "const moment = require('moment');\nexports.recent = () => moment().fromNow();\n",
        "tools/report.js": "const _ = require('lodash');\nmodule.exports = _.sum;\n",
    })
    assert found(tmp_path) == [("whole-library-import", "ui/Panel.tsx", 1), ("whole-library-import", "ui/Panel.tsx", 2)]


def test_route_table_objects_and_aliases(tmp_path):
    write_tree(tmp_path, {
        "package.json": json.dumps({"dependencies": {"react": "^18.3.1", "react-router-dom": "^6"}}),
        "src/routes.tsx": "import Home from '@/pages/Home';\nimport Maps from '@/pages/Maps';\n"
                          "export const routes = [\n  { path: '/', element: <Home /> },\n"
                          "  { path: '/maps', element: <Maps /> },\n"
                          "  { path: '/help', lazy: () => import('./pages/Help') },\n];\n",
        "src/pages/Home.tsx": "export default function Home() { return null; }\n",
        "src/pages/Help.tsx": "export default function Help() { return null; }\n",
        "src/pages/Maps.tsx": "import mapboxgl from 'mapbox-gl';\n"
                              "export default function Maps() { return <div ref={(el) => new mapboxgl.Map({ container: el })} />; }\n",
    })
    assert found(tmp_path) == [("heavy-import-not-lazy", "src/routes.tsx", 2)]


def test_missing_bundle_facts_do_not_crash(tmp_path):
    from perfsense.scanner.catalog import Catalogs
    from perfsense.scanner.engine.project_stage import run_project_rules
    from perfsense.scanner.engine.registry import rule_classes
    from tests.facts_helpers import facts_of

    files = facts_of({"src/a.jsx": "import _ from 'lodash';\nexport const A = () => <p>{_.now()}</p>;\n"})
    for facts in files.values():
        facts.extra.clear()
    classes = [c for c in rule_classes() if c.id in FAMILY]
    findings, skips = run_project_rules(files, Catalogs(), {}, classes, str(tmp_path))
    assert not skips
    assert [f.rule_id for f in findings] == ["whole-library-import"]


def test_on_demand_and_rare_render_decisions(tmp_path):
    write_tree(tmp_path, {
        "package.json": REACT,
        "src/Toolbar.tsx": "import { useCallback, useMemo } from 'react';\nimport { utils } from 'xlsx';\n"
                           "import jsPDF from 'jspdf';\n"
                           "export function Toolbar({ rows }) {\n"
                           "  const onExport = useCallback(() => utils.json_to_sheet(rows), [rows]);\n"
                           "  const doc = useMemo(() => new jsPDF(), []);\n"
                           "  return <button onClick={onExport}>{String(doc)}</button>;\n}\n",
        "src/Printer.jsx": "import html2canvas from 'html2canvas';\n"
                           "export default class Printer extends React.Component {\n"
                           "  handlePrint = async () => { await html2canvas(document.body); };\n"
                           "  render() { return <button onClick={this.handlePrint}>Print</button>; }\n}\n",
        "src/Home.jsx": "import Viewer from './Viewer';\nimport Stats from './Stats';\n"
                        "export default function Home({ data, open, tab }) {\n  return (<>\n"
                        "    {data && <Stats data={data} />}\n"
                        "    {tab === 'stats' ? <Stats data={data} /> : null}\n"
                        "    <Dialog open={open}><Viewer /></Dialog>\n"
                        "    <Drawer variant=\"permanent\"><Viewer /></Drawer>\n  </>);\n}\n",
        "src/Viewer.jsx": "import * as THREE from 'three';\nexport default () => <canvas data-x={THREE.REVISION} />;\n",
        "src/Stats.jsx": "import { LineChart } from 'recharts';\nexport default ({ data }) => <LineChart data={data} />;\n",
        "src/Modal.jsx": "import Viewer from './Viewer';\n"
                         "export const Preview = ({ showPreview }) => showPreview && <Viewer />;\n",
    })
    assert found(tmp_path) == [("heavy-import-not-lazy", "src/Modal.jsx", 1),
                               ("heavy-import-not-lazy", "src/Printer.jsx", 1),
                               ("heavy-import-not-lazy", "src/Toolbar.tsx", 2)]


def test_islands_framework_files_are_front_end_only_with_a_ui_framework(tmp_path):
    write_tree(tmp_path, {
        "package.json": json.dumps({"dependencies": {"astro": "^4.8.0", "react": "^18.3.1"}}),
        "src/lib/feed.ts": "import moment from 'moment';\nexport const day = (d) => moment(d).format('LL');\n",
        "src/components/Clock.tsx": "import moment from 'moment';\nexport const Clock = () => <p>{moment().format()}</p>;\n",
    })
    assert found(tmp_path) == [("whole-library-import", "src/components/Clock.tsx", 1)]


def test_browser_polyfilled_builtins_do_not_make_server_code(tmp_path):
    write_tree(tmp_path, {"package.json": REACT,
                          "src/entries.js": "import { join } from 'path';\nimport { get } from 'lodash';\n"
                                            "export const slug = (e) => join('/', get(e, 'slug'));\n"})
    assert found(tmp_path) == [("whole-library-import", "src/entries.js", 2)]


def test_deep_nesting_stays_fast(tmp_path):
    """tree-sitter's Node.parent walks from the root: climbing parents per identifier would be
    quadratic in the depth. 3,000 nested arrows with 1,000 uses must still be analysed."""
    import time

    deep = "import _ from 'lodash';\nexport const f = " + "() =>\n" * 3000 + "[" + ",\n".join(["_.x"] * 1000) + "];\n"
    nest = "import * as I from '@mui/icons-material';\nexport const g = " + "(\n" * 20000 + "I[k]" + "\n)" * 20000 + ";\n"
    write_tree(tmp_path, {"package.json": REACT, "src/deep.js": deep, "src/nest.js": nest})
    start = time.perf_counter()
    result = scan_tree(tmp_path)
    assert time.perf_counter() - start < 20
    assert not [s for s in result.skips if s.reason.value != "too-deep"]
    assert ("whole-library-import", "src/deep.js", 1) in found(tmp_path)
