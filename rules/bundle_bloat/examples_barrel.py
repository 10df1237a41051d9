"""Examples of `heavy-barrel-reexport` (docs and tests). `// expect` marks reported lines."""
from perfsense.scanner.engine.rule import Example

APP = '{"name": "store", "dependencies": {"react": "^18.3.1", "chart.js": "^4.4.0", "recharts": "^2.12.0"}}'
CHART = """
    import { BarController, BarElement, CategoryScale, Chart, LinearScale } from 'chart.js';

    Chart.register(BarController, BarElement, CategoryScale, LinearScale);

    export function SalesChart({ data }) {
      return <canvas ref={(el) => el && new Chart(el, { type: 'bar', data })} />;
    }
"""
LIGHT_CHART = """
    import { Line, LineChart } from 'recharts';

    export function TrendChart({ data }) {
      return <LineChart width={400} height={200} data={data}><Line dataKey="total" /></LineChart>;
    }
"""
BUTTON = "export function Button(props) { return <button {...props} />; }\n"

VALID = (
    Example(title="Light re-exports; heavy components imported from their own module", files={
        "package.json": APP,
        "src/components/index.js": "export * from './Button';\nexport * from './TrendChart';\n",
        "src/components/TrendChart.jsx": LIGHT_CHART,
        "src/components/Button.jsx": BUTTON,
        "src/components/SalesChart.jsx": CHART,
        "src/pages/Home.jsx": """
            import { Button } from '../components';

            export default function Home() {
              return <Button>Shop now</Button>;
            }
        """,
        "src/pages/Reports.jsx": """
            import { SalesChart } from '../components/SalesChart';

            export default function Reports({ data }) {
              return <SalesChart data={data} />;
            }
        """,
    }),
    Example(title="A side-effect-free package lets the bundler skip unused re-exports", files={
        "package.json": '{"name": "store", "sideEffects": false, "dependencies": {"react": "^18.3.1"}}',
        "src/components/index.js": "export * from './Button';\nexport * from './SalesChart';\n",
        "src/components/Button.jsx": BUTTON,
        "src/components/SalesChart.jsx": CHART,
        "src/pages/Home.jsx": """
            import { Button } from '../components';

            export default function Home() {
              return <Button>Shop now</Button>;
            }
        """,
    }),
)

INVALID = (
    Example(title="A barrel that re-exports a chart next to a button", files={
        "package.json": APP,
        "src/components/index.js": """
            export * from './Button';
            export * from './SalesChart';  // expect
        """,
        "src/components/Button.jsx": BUTTON,
        "src/components/SalesChart.jsx": CHART,
        "src/pages/Home.jsx": """
            import { Button } from '../components';

            export default function Home() {
              return <Button>Shop now</Button>;
            }
        """,
    }),
)
