// What the end-to-end test runs against. Change the targets HERE (or through the env vars).
import path from "node:path";
import { EXTENSION_DIR } from "./helpers.mjs";

/** The repository root (vscode-extension/..). */
export const REPO_ROOT = path.resolve(EXTENSION_DIR, "..");

/** Interpreter with perfsense installed. Env PERFSENSE_PYTHON overrides. */
export const DEFAULT_PYTHON = path.join(REPO_ROOT, ".venv", "bin", "python");

/** Example document opened in the editor, relative to REPO_ROOT. Env PERFSENSE_EXAMPLE (a path) overrides. */
export const EXAMPLE = path.join("examples", "shop", "app", "routes.py");

/** Workspace folder, relative to REPO_ROOT. Env PERFSENSE_WORKSPACE overrides (default then: the example's folder). */
export const WORKSPACE = path.join("examples", "shop");

/**
 * Findings that must arrive for EXAMPLE (1-based lines, as `perfsense scan` prints them).
 * Used only for the default EXAMPLE; env PERFSENSE_EXPECT="rule:line,rule:line" overrides.
 * Otherwise the document's own `# expect: rule-id` / `// expect: rule-id` markers are used;
 * without any, the test checks that well-formed perfsense diagnostics arrive.
 */
export const EXPECTED = [
  { rule: "blocking-call-in-async", line: 15 }, // charge_card() -> requests.post, from async pay()
  { rule: "blocking-call-in-async", line: 32 }, // time.sleep in async rates()
];

/** How long to wait for the diagnostics (the first start may build the index). */
export const DIAGNOSTICS_TIMEOUT_MS = 90_000;
