"""Examples of `dynamic-namespace-access` (docs and tests). `// expect` marks reported lines."""
from perfsense.scanner.engine.rule import Example

REACT_APP = '{"name": "admin-web", "dependencies": {"react": "^18.3.1", "@mui/icons-material": "^5.15.0"}}'

VALID = (
    Example(title="Icons imported by path and mapped by a small object", files={
        "package.json": REACT_APP,
        "src/Nav.jsx": """
            import SettingsIcon from '@mui/icons-material/Settings';
            import PeopleIcon from '@mui/icons-material/People';

            const ICONS = { Settings: SettingsIcon, People: PeopleIcon };

            export function Nav({ items }) {
              return items.map((item) => {
                const Icon = ICONS[item.icon];
                return <Icon key={item.to} />;
              });
            }
        """,
    }),
    Example(title="Namespace imports with static member access tree-shake", files={
        "package.json": '{"dependencies": {"vite": "^5.2.0", "three": "^0.164.0", "rxjs": "^7.8.1"}}',
        "src/scene.ts": """
            import * as THREE from 'three';
            import * as ops from 'rxjs/operators';
            import type * as Icons from '@mui/icons-material';
            import { interval } from 'rxjs';

            export type IconName = keyof typeof Icons;

            export function start(canvas: HTMLCanvasElement) {
              const renderer = new THREE.WebGLRenderer({ canvas });
              const scene = new THREE.Scene();
              interval(16).pipe(ops.take(600)).subscribe(() => renderer.render(scene, new THREE.Camera()));
            }
        """,
    }),
)

INVALID = (
    Example(title="Icons looked up by name at run time", files={
        "package.json": REACT_APP,
        "src/Nav.jsx": """
            import * as Icons from '@mui/icons-material';  // expect

            export function Nav({ items }) {
              return items.map((item) => {
                const Icon = Icons[item.icon];
                return <Icon key={item.to} />;
              });
            }
        """,
    }),
    Example(title="Operators chosen by configuration, a whole icon pack", files={
        "package.json": '{"dependencies": {"react": "^18.3.1", "rxjs": "^7.8.1"}}',
        "src/pipeline.ts": """
            import * as operators from 'rxjs/operators';  // expect
            import { library } from '@fortawesome/fontawesome-svg-core';
            import { fas } from '@fortawesome/free-solid-svg-icons';  // expect

            library.add(fas);

            export function build(steps: { op: string; args: unknown[] }[]) {
              return steps.map((step) => (operators as any)[step.op](...step.args));
            }
        """,
    }),
)
