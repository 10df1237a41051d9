"""Examples of `heavy-import-not-lazy` (docs and tests). `// expect` marks reported lines."""
from perfsense.scanner.engine.rule import Example

APP = ('{"name": "ops", "dependencies": {"react": "^18.3.1", "react-router-dom": "^6.23.0",'
       ' "echarts": "^5.5.0", "three": "^0.164.0", "xlsx": "^0.18.5"}}')

VALID = (
    Example(title="Export library loaded where it is used", files={
        "package.json": APP,
        "src/exportRows.js": """
            export async function exportRows(rows) {
              const XLSX = await import('xlsx');
              const book = XLSX.utils.book_new();
              XLSX.utils.book_append_sheet(book, XLSX.utils.json_to_sheet(rows), 'Rows');
              XLSX.writeFile(book, 'rows.xlsx');
            }
        """,
        "src/parse.worker.js": """
            import * as XLSX from 'xlsx';

            self.onmessage = (event) => {
              self.postMessage(XLSX.read(event.data, { type: 'array' }).SheetNames);
            };
        """,
    }),
    Example(title="Routes split with lazy(); the landing page is static", files={
        "package.json": APP,
        "src/router.jsx": """
            import { lazy } from 'react';
            import { Route, Routes } from 'react-router-dom';
            import Home from './pages/Home';

            const Reports = lazy(() => import('./pages/Reports'));

            export function AppRoutes() {
              return (
                <Routes>
                  <Route path="/" element={<Home />} />
                  <Route path="/reports" element={<Reports />} />
                </Routes>
              );
            }
        """,
        "src/pages/Home.jsx": """
            import { BarChart } from 'echarts/charts';
            import * as echarts from 'echarts/core';

            echarts.use([BarChart]);
            export default function Home() {
              return <div id="chart" />;
            }
        """,
        "src/pages/Reports.jsx": """
            import { init } from 'echarts/core';
            export default function Reports() {
              return <div ref={(el) => el && init(el)} />;
            }
        """,
    }),
    Example(title="Rendered once data arrives: not on demand", files={
        "package.json": APP,
        "src/Dashboard.jsx": """
            import { useState } from 'react';
            import Globe from './Globe';

            export default function Dashboard({ points }) {
              const [selected] = useState(null);
              return <main>{points.length > 0 && <Globe points={points} selected={selected} />}</main>;
            }
        """,
        "src/Globe.jsx": """
            import { WebGLRenderer } from 'three';
            export default function Globe() {
              return <canvas ref={(canvas) => canvas && new WebGLRenderer({ canvas })} />;
            }
        """,
    }),
)

INVALID = (
    Example(title="A spreadsheet library loaded for an export button", files={
        "package.json": APP,
        "src/utils/exportRows.ts": """
            import * as XLSX from 'xlsx';  // expect

            export function exportRows(rows: Record<string, unknown>[]): void {
              const book = XLSX.utils.book_new();
              XLSX.utils.book_append_sheet(book, XLSX.utils.json_to_sheet(rows), 'Rows');
              XLSX.writeFile(book, 'rows.xlsx');
            }
        """,
    }),
    Example(title="A heavy route imported statically next to lazy ones", files={
        "package.json": APP,
        "src/router.jsx": """
            import { lazy } from 'react';
            import { Route, Routes } from 'react-router-dom';
            import Home from './pages/Home';
            import Analytics from './pages/Analytics';  // expect

            const Settings = lazy(() => import('./pages/Settings'));

            export function AppRoutes() {
              return (
                <Routes>
                  <Route path="/" element={<Home />} />
                  <Route path="/analytics" element={<Analytics />} />
                  <Route path="/settings" element={<Settings />} />
                </Routes>
              );
            }
        """,
        "src/pages/Home.jsx": "export default function Home() { return <h1>Home</h1>; }\n",
        "src/pages/Settings.jsx": "export default function Settings() { return <h1>Settings</h1>; }\n",
        "src/pages/Analytics.jsx": """
            import { renderFunnel } from '../charts/funnel';
            export default function Analytics() {
              return <div ref={(el) => el && renderFunnel(el)} />;
            }
        """,
        "src/charts/funnel.js": """
            import * as echarts from 'echarts';
            export const renderFunnel = (el) => echarts.init(el).setOption({ series: [{ type: 'funnel' }] });
        """,
    }),
    Example(title="A 3D preview shown only in a dialog", files={
        "package.json": APP,
        "src/Product.tsx": """
            import { useState } from 'react';
            import ModelViewer from './ModelViewer';  // expect

            export function Product({ url }: { url: string }) {
              const [showPreview, setShowPreview] = useState(false);
              return (
                <section>
                  <button onClick={() => setShowPreview(true)}>3D preview</button>
                  {showPreview && <ModelViewer url={url} />}
                </section>
              );
            }
        """,
        "src/ModelViewer.tsx": """
            import * as THREE from 'three';
            export default function ModelViewer({ url }: { url: string }) {
              return <canvas data-url={url} ref={(c) => c && new THREE.WebGLRenderer({ canvas: c })} />;
            }
        """,
    }),
)
