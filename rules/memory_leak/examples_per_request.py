"""Examples of `listener-added-per-request` and `interval-started-per-request`."""
from perfsense.scanner.engine.rule import Example

LISTENER_VALID = (
    Example(title="Listener removed when the job finishes", language="javascript", code="""
        const { EventEmitter } = require('events');
        const express = require('express');
        const bus = new EventEmitter();
        const router = express.Router();

        router.get('/jobs/:id/wait', (req, res) => {
          const onFinished = (evt) => {
            if (evt.id !== req.params.id) return;
            bus.off('finished', onFinished);
            res.json(evt);
          };
          bus.on('finished', onFinished);
          req.on('close', () => bus.off('finished', onFinished));
        });
        module.exports = { bus, router };
    """),
    Example(title="Per-request objects and once", language="javascript", code="""
        const express = require('express');
        const router = express.Router();

        router.post('/upload', (req, res) => {
          req.on('data', (chunk) => res.write(chunk));
          req.on('end', () => res.end());
          process.once('beforeExit', () => console.log('bye'));
        });
        module.exports = router;
    """),
    Example(title="Started from a listener of a one-time event", language="javascript", code="""
        const http = require('http');
        const server = http.createServer((req, res) => res.end('ok'));

        function startMetrics() {
          setInterval(() => console.log(process.memoryUsage().rss), 60000);
          process.on('SIGUSR2', () => console.log('metrics'));
        }
        server.on('listening', () => startMetrics());
        server.listen(8080);
    """),
    Example(title="Registered once at start-up", language="javascript", code="""
        const bus = require('./bus');

        function start() {
          bus.on('shutdown', () => console.log('stopping'));
          process.on('SIGTERM', () => bus.emit('shutdown'));
        }
        start();
    """),
)

LISTENER_INVALID = (
    Example(title="Listener on a shared emitter in a route handler", language="javascript", code="""
        const { EventEmitter } = require('events');
        const express = require('express');
        const bus = new EventEmitter();
        const router = express.Router();

        router.get('/jobs/:id/events', (req, res) => {
          bus.on('progress', (evt) => res.write(`data: ${JSON.stringify(evt)}\\n\\n`));  // expect
        });
        module.exports = router;
    """),
    Example(title="Per job, through the poller that calls it", files={
        "src/events.ts": """
            import { EventEmitter } from 'events';
            export const workerBus = new EventEmitter();
        """,
        "src/worker.ts": """
            import { workerBus } from './events';

            async function handle(job: { id: string }): Promise<void> {
              workerBus.on('abort', () => console.warn(`job ${job.id} aborted`));  // expect
            }

            async function poll(queue: { next(): Promise<{ id: string } | null> }): Promise<void> {
              const job = await queue.next();
              if (job) await handle(job);
            }

            export function main(queue: { next(): Promise<{ id: string } | null> }): void {
              setInterval(() => { poll(queue).catch(console.error); }, 1000);
            }
        """,
    }),
)

INTERVAL_VALID = (
    Example(title="One app-wide interval, unref'd and cleared on shutdown", language="javascript", code="""
        async function purge() {}

        function start(server) {
          const timer = setInterval(purge, 60000);
          timer.unref();
          process.once('SIGTERM', () => {
            clearInterval(timer);
            server.close();
          });
        }
        module.exports = { start };
    """),
    Example(title="Cleared when the client disconnects", language="javascript", code="""
        const express = require('express');
        const router = express.Router();

        router.get('/clock', (req, res) => {
          const id = setInterval(() => res.write(`data: ${Date.now()}\\n\\n`), 1000);
          req.on('close', () => clearInterval(id));
        });
        module.exports = router;
    """),
    Example(title="A helper that returns the id to its caller", files={
        "lib/ticker.js": """
            function startTicker(fn) {
              return setInterval(fn, 1000);
            }
            module.exports = { startTicker };
        """,
        "routes.js": """
            const { startTicker } = require('./lib/ticker');
            const router = require('express').Router();

            router.get('/tick', (req, res) => {
              const id = startTicker(() => res.write('.'));
              req.on('close', () => clearInterval(id));
            });
            module.exports = router;
        """,
    }),
)

INTERVAL_INVALID = (
    Example(title="Interval per request", language="javascript", code="""
        const express = require('express');
        const router = express.Router();

        router.get('/status', (req, res) => {
          setInterval(() => res.write(`data: ${Date.now()}\\n\\n`), 1000);  // expect
        });
        module.exports = router;
    """),
    Example(title="Helper in another file called per job", files={
        "src/lib/progress.ts": """
            export function trackProgress(name: string, log: (m: string) => void): void {
              const started = Date.now();
              setInterval(() => log(`${name}: ${Date.now() - started} ms`), 5000);
            }
        """,
        "src/jobs.ts": """
            import { trackProgress } from './lib/progress';

            export async function runAll(jobs: { name: string; run(): Promise<void> }[]): Promise<void> {
              for (const job of jobs) {
                trackProgress(job.name, console.log);  // expect
                await job.run();
              }
            }
        """,
    }),
    Example(title="Per instance: constructor starts an interval nothing clears", files={
        "poller.js": """
            class Poller {
              constructor(fetchFn) {
                this.fetchFn = fetchFn;
                this.timer = setInterval(() => this.fetchFn(), 1000);
              }
            }
            module.exports = { Poller };
        """,
        "app.js": """
            const express = require('express');
            const { Poller } = require('./poller');
            const app = express();

            app.get('/watch', (req, res) => {
              const poller = new Poller(() => fetch(req.query.url));  // expect
              res.json({ watching: true, poller: Boolean(poller) });
            });
        """,
    }),
)
