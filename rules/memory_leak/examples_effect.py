"""Examples of `effect-without-cleanup` (docs and tests)."""
from perfsense.scanner.engine.rule import Example

VALID = (
    Example(title="Cleanup removes, clears, disconnects and closes", language="jsx", code="""
        import { useEffect, useRef, useState } from 'react';

        export default function Panel({ url }) {
          const [width, setWidth] = useState(0);
          const [now, setNow] = useState(Date.now());
          const box = useRef(null);

          useEffect(() => {
            const onResize = () => setWidth(window.innerWidth);
            window.addEventListener('resize', onResize);
            return () => window.removeEventListener('resize', onResize);
          }, []);

          useEffect(() => {
            const id = setInterval(() => setNow(Date.now()), 1000);
            const observer = new ResizeObserver(() => setWidth(box.current.offsetWidth));
            observer.observe(box.current);
            const socket = new WebSocket(url);
            socket.onmessage = (event) => console.log(event.data);
            return () => {
              clearInterval(id);
              observer.disconnect();
              socket.close();
            };
          }, [url]);

          return <div ref={box}>{width} {now}</div>;
        }
    """),
    Example(title="AbortController signal, once, takeUntil and a returned unsubscribe", language="tsx", code="""
        import { useEffect } from 'react';
        import { Subject, interval } from 'rxjs';
        import { takeUntil } from 'rxjs/operators';

        export function useShortcuts(store: { subscribe(fn: () => void): () => void }, onSave: () => void) {
          useEffect(() => {
            const controller = new AbortController();
            document.addEventListener('keydown', onSave, { signal: controller.signal });
            window.addEventListener('load', onSave, { once: true });
            return () => controller.abort();
          }, [onSave]);

          useEffect(() => {
            const stop$ = new Subject<void>();
            interval(1000).pipe(takeUntil(stop$)).subscribe(() => onSave());
            return () => stop$.next();
          }, [onSave]);

          useEffect(() => store.subscribe(onSave), [store, onSave]);
        }
    """),
    Example(title="Timeout chains that stop: a flag, or the id cleared", language="jsx", code="""
        import { useEffect, useState } from 'react';

        export function usePoll(url, ms) {
          const [data, setData] = useState(null);
          useEffect(() => {
            let active = true;
            const tick = () => {
              if (!active) return;
              fetch(url).then((r) => r.json()).then(setData);
              setTimeout(tick, ms);
            };
            tick();
            return () => { active = false; };
          }, [url, ms]);

          useEffect(() => {
            let timer;
            const beat = () => {
              console.log('beat');
              timer = setTimeout(beat, ms);
            };
            beat();
            return () => clearTimeout(timer);
          }, [ms]);

          useEffect(() => {
            const id = setTimeout(() => setData(null), ms);
            return () => clearTimeout(id);
          }, [ms]);
          return data;
        }
    """),
    Example(title="Class component that releases in componentWillUnmount", language="jsx", code="""
        import { Component } from 'react';

        export class Clock extends Component {
          componentDidMount() {
            this.timer = setInterval(() => this.setState({ now: Date.now() }), 1000);
            window.addEventListener('resize', this.onResize);
          }

          componentWillUnmount() {
            clearInterval(this.timer);
            window.removeEventListener('resize', this.onResize);
          }

          onResize = () => this.forceUpdate();

          render() {
            return <span>{String(this.state?.now)}</span>;
          }
        }
    """),
)

INVALID = (
    Example(title="Listener, interval, socket and subscription without cleanup", language="tsx", code="""
        import { useEffect, useState } from 'react';
        import { Subject } from 'rxjs';
        import { bufferTime } from 'rxjs/operators';

        export default function Live({ url }: { url: string }) {
          const [width, setWidth] = useState(0);
          const [last, setLast] = useState<unknown[]>([]);

          useEffect(() => {
            const onResize = () => setWidth(window.innerWidth);
            window.addEventListener('resize', onResize);  // expect
          }, []);

          useEffect(() => {
            setInterval(() => fetch('/api/ping'), 30000);  // expect
          }, []);

          useEffect(() => {
            const messages$ = new Subject<unknown>();
            const socket = new WebSocket(url);  // expect
            socket.onmessage = (event) => messages$.next(event.data);
            messages$.pipe(bufferTime(1000)).subscribe((batch) => setLast(batch));  // expect
          }, [url]);

          return <p>{width} {last.length}</p>;
        }
    """),
    Example(title="A timeout chain nothing stops", language="jsx", code="""
        import { useEffect, useState } from 'react';

        export function Ticker({ url }) {
          const [price, setPrice] = useState(0);
          useEffect(() => {
            const poll = () => {
              fetch(url).then((r) => r.json()).then((body) => setPrice(body.price));
              setTimeout(poll, 5000);  // expect
            };
            poll();
          }, [url]);
          return <span>{price}</span>;
        }
    """),
    Example(title="Mount method without matching unmount", language="jsx", code="""
        import React from 'react';

        export class Tracker extends React.Component {
          componentDidMount() {
            document.addEventListener('scroll', this.onScroll);  // expect
            this.poll = setInterval(() => this.props.refresh(), 5000);  // expect
          }

          componentWillUnmount() {
            console.log('bye');
          }

          onScroll = () => this.props.track(window.scrollY);

          render() {
            return null;
          }
        }
    """),
    Example(title="A helper in another file starts the interval", files={
        "src/lib/polling.js": """
            export function startPolling(load, ms) {
              load();
              setInterval(load, ms);
            }
        """,
        "src/Orders.jsx": """
            import { useEffect, useState } from 'react';
            import { startPolling } from './lib/polling';

            export default function Orders() {
              const [orders, setOrders] = useState([]);
              useEffect(() => {
                startPolling(() => fetch('/api/orders').then((r) => r.json()).then(setOrders), 10000);  // expect
              }, []);
              return <ul>{orders.map((o) => <li key={o.id}>{o.id}</li>)}</ul>;
            }
        """,
    }),
)
