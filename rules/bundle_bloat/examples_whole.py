"""Examples of `whole-library-import` (docs and tests). `// expect` marks reported lines."""
from perfsense.scanner.engine.rule import Example

REACT_APP = '{"name": "shop-web", "dependencies": {"react": "^18.3.1", "react-dom": "^18.3.1"}}'
NODE_API = '{"name": "shop-api", "dependencies": {"express": "^4.19.2", "lodash": "^4.17.21"}}'

VALID = (
    Example(title="Tree-shakeable and per-method imports", files={
        "package.json": REACT_APP,
        "src/Search.jsx": """
            import debounce from 'lodash/debounce';
            import throttle from 'lodash.throttle';
            import { groupBy } from 'lodash-es';
            import { format, formatDistanceToNow } from 'date-fns';
            import hljs from 'highlight.js/lib/core';
            import sql from 'highlight.js/lib/languages/sql';

            hljs.registerLanguage('sql', sql);

            export function Results({ rows, onType }) {
              const byDay = groupBy(rows, (row) => format(new Date(row.at), 'yyyy-MM-dd'));
              const type = debounce(onType, 300);
              const scroll = throttle(() => {}, 100);
              return <ul onScroll={scroll}>{Object.keys(byDay).map((day) => <li key={day}>{day}</li>)}</ul>;
            }
        """,
    }),
    Example(title="Type-only imports and dynamic import()", files={
        "package.json": REACT_APP,
        "src/dates.ts": """
            import type { Moment } from 'moment';
            import { DebouncedFunc } from 'lodash';

            export type Stamp = Moment | string;
            export type Handler = DebouncedFunc<() => void>;

            export async function fromNow(iso: string): Promise<string> {
              const { default: moment } = await import('moment');
              return moment(iso).fromNow();
            }
        """,
    }),
    Example(title="Server code, tests and scripts of a front-end project", files={
        "package.json": '{"dependencies": {"next": "14.2.3", "react": "^18.3.1", "moment": "^2.30.1"}}',
        "pages/api/report.js": """
            import _ from 'lodash';
            import moment from 'moment';

            export default function handler(req, res) {
              res.json({ total: _.sum(req.body.values), at: moment().format() });
            }
        """,
        "pages/orders.jsx": """
            import moment from 'moment';

            export async function getServerSideProps() {
              return { props: { today: moment().format('YYYY-MM-DD') } };
            }

            export default function Orders({ today }) {
              return <h1>Orders of {today}</h1>;
            }
        """,
        "src/format.test.js": """
            const _ = require('lodash');
            test('sums', () => expect(_.sum([1, 2])).toBe(3));
        """,
    }),
    Example(title="A Node service is not front-end code", files={
        "package.json": NODE_API,
        "src/report.js": """
            const _ = require('lodash');
            module.exports = (rows) => _.sumBy(rows, 'total');
        """,
    }),
    Example(title="A build plugin rewrites lodash imports", files={
        "package.json": '{"dependencies": {"react": "^18.3.1", "lodash": "^4.17.21"},'
                        ' "devDependencies": {"babel-plugin-lodash": "^3.3.4"}}',
        "src/total.js": """
            import _ from 'lodash';
            export const total = (rows) => _.sumBy(rows, 'amount');
        """,
    }),
)

INVALID = (
    Example(title="lodash, moment and polyfills in a React app", files={
        "package.json": REACT_APP,
        "src/main.jsx": """
            import 'core-js/stable';  // expect
            import { createRoot } from 'react-dom/client';
            import App from './App';

            createRoot(document.getElementById('root')).render(<App />);
        """,
        "src/App.jsx": """
            import _ from 'lodash';  // expect
            import { debounce } from 'lodash';  // expect
            import moment from 'moment';  // expect

            export default function App({ orders }) {
              const total = _.sumBy(orders, 'amount');
              const save = debounce(() => {}, 500);
              return <p onClick={save}>{total} at {moment().format('LT')}</p>;
            }
        """,
    }),
    Example(title="CommonJS requires, every moment locale", files={
        "package.json": REACT_APP,
        "src/legacy/dates.js": """
            const moment = require('moment');  // expect
            require('moment/min/locales');  // expect
            const _ = require('lodash');  // expect
            const { addDays } = require('date-fns');  // expect

            const weekAgo = () => moment().subtract(7, 'd');
            exports.recent = (items) => _.filter(items, (i) => moment(i.at).isAfter(weekAgo()));
            exports.tomorrow = () => addDays(new Date(), 1);
        """,
    }),
    Example(title="Through a shared workspace package", files={
        "package.json": '{"private": true, "workspaces": ["apps/*", "packages/*"]}',
        "packages/format/package.json": '{"name": "@acme/format", "main": "src/index.js",'
                                        ' "dependencies": {"moment": "^2.30.1"}}',
        "packages/format/src/index.js": """
            import moment from 'moment';

            export const day = (iso) => moment(iso).format('ddd D MMM');
        """,
        "apps/web/package.json": '{"name": "web", "dependencies": {"react": "^18.3.1", "@acme/format": "*"}}',
        "apps/web/src/Invoice.tsx": """
            import { day } from '@acme/format';  // expect

            export function Invoice({ at }: { at: string }) {
              return <time>{day(at)}</time>;
            }
        """,
    }),
)
