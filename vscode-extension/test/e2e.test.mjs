// End to end: the real compiled extension (dist/extension.js, as shipped) with the real
// vscode-languageclient, against the real Python server `python -m perfsense.lsp`, with a
// stand-in for the `vscode` module. Opens an example document and waits for diagnostics.
//
// Env:
//   PERFSENSE_PYTHON        interpreter with perfsense installed (default: <repo>/.venv/bin/python)
//   PERFSENSE_EXAMPLE       document to open (default: EXAMPLE in e2e-target.mjs)
//   PERFSENSE_WORKSPACE     workspace folder (default: WORKSPACE in e2e-target.mjs, or the
//                           folder of PERFSENSE_EXAMPLE when that is set)
//   PERFSENSE_EXPECT        "rule:line,rule:line" expected findings (1-based lines)
//   PERFSENSE_E2E_REQUIRED  "1": fail instead of skipping when the server or example is missing
//   PERFSENSE_TRACE         perfsense.trace.server for the run (off | messages | verbose)
//   PERFSENSE_E2E_ECHO      "1": copy the extension's output channel to stderr
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";

import { DEFAULT_PYTHON, DIAGNOSTICS_TIMEOUT_MS, EXAMPLE, EXPECTED, REPO_ROOT, WORKSPACE as DEFAULT_WORKSPACE } from "./e2e-target.mjs";
import { createVscodeStub, loadExtension, processAlive, ruleId, tail, Uri, waitUntil } from "./helpers.mjs";

const PYTHON = process.env.PERFSENSE_PYTHON || DEFAULT_PYTHON;
const CUSTOM_EXAMPLE = Boolean(process.env.PERFSENSE_EXAMPLE);
const EXAMPLE_PATH = path.resolve(REPO_ROOT, process.env.PERFSENSE_EXAMPLE || EXAMPLE);
const WORKSPACE = process.env.PERFSENSE_WORKSPACE
  ? path.resolve(process.env.PERFSENSE_WORKSPACE)
  : CUSTOM_EXAMPLE
    ? path.dirname(EXAMPLE_PATH)
    : path.resolve(REPO_ROOT, DEFAULT_WORKSPACE);
const REQUIRED = process.env.PERFSENSE_E2E_REQUIRED === "1";

const LANGUAGE_BY_EXTENSION = {
  ".py": "python",
  ".pyi": "python",
  ".js": "javascript",
  ".mjs": "javascript",
  ".cjs": "javascript",
  ".jsx": "javascriptreact",
  ".ts": "typescript",
  ".mts": "typescript",
  ".cts": "typescript",
  ".tsx": "typescriptreact",
};

/** Why the e2e test cannot run here, or undefined when it can. */
function unavailableReason() {
  const probe = [
    "import importlib.util, sys",
    "import perfsense.lsp",
    "sys.exit(0 if importlib.util.find_spec('perfsense.lsp.__main__') else 3)",
  ].join("\n");
  const r = spawnSync(PYTHON, ["-c", probe], {
    encoding: "utf8",
    timeout: 60_000,
    cwd: os.tmpdir(),
    env: { ...process.env, PYTHONSAFEPATH: "1" },
  });
  if (r.error) {
    return `cannot run the interpreter ${PYTHON} (${r.error.code ?? r.error.message}); set PERFSENSE_PYTHON`;
  }
  if (r.status === 3) {
    return `perfsense.lsp has no __main__ module in ${PYTHON}, so \`python -m perfsense.lsp\` cannot run yet`;
  }
  if (r.status !== 0) {
    const last = (r.stderr || "").trim().split("\n").pop();
    return `\`${PYTHON} -c "import perfsense.lsp"\` failed: ${last || `exit ${r.status}`}`;
  }
  if (!existsSync(EXAMPLE_PATH)) {
    return `example document ${EXAMPLE_PATH} does not exist; set PERFSENSE_EXAMPLE or EXAMPLE in test/e2e-target.mjs`;
  }
  return undefined;
}

/** Expected findings: env, else EXPECTED (for the default example only), else `expect` markers. */
function expectations(text) {
  const fromEnv = process.env.PERFSENSE_EXPECT;
  if (fromEnv) {
    return fromEnv
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean)
      .map((item) => {
        const m = /^(.+):(\d+)$/.exec(item);
        assert.ok(m, `PERFSENSE_EXPECT item "${item}" is not rule:line`);
        return { rule: m[1], line: Number(m[2]), from: "PERFSENSE_EXPECT" };
      });
  }
  if (EXPECTED.length > 0 && !CUSTOM_EXAMPLE) {
    return EXPECTED.map((e) => ({ ...e, from: "EXPECTED" }));
  }
  const ids = "[a-z0-9]+(?:-[a-z0-9]+)+";
  const marker = new RegExp(`(?:#|//)\\s*expect(?:\\s*:\\s*|\\s+)?((?:${ids})(?:\\s*,\\s*${ids})*)?\\s*$`);
  const out = [];
  text.split(/\r\n|\r|\n/).forEach((line, i) => {
    const m = marker.exec(line);
    if (!m) return;
    const rules = m[1] ? m[1].split(",").map((s) => s.trim()) : [undefined];
    for (const rule of rules) out.push({ rule, line: i + 1, from: "marker" });
  });
  return out;
}

function formatDiagnostics(diags) {
  return diags.map((d) => `  ${d.range.start.line + 1}:${d.range.start.character + 1} ${ruleId(d)} [${d.source}] ${d.message}`).join("\n");
}

function unmet(expected, diags) {
  return expected.filter(
    (e) => !diags.some((d) => d.range.start.line + 1 === e.line && (e.rule === undefined || ruleId(d) === e.rule)),
  );
}

test("e2e: the extension starts perfsense.lsp and shows its diagnostics", { timeout: DIAGNOSTICS_TIMEOUT_MS * 2 + 60_000 }, async (t) => {
  const reason = unavailableReason();
  if (reason !== undefined) {
    const text = `e2e test not run: ${reason}`;
    console.log(text);
    if (REQUIRED) assert.fail(`${text} (PERFSENSE_E2E_REQUIRED=1)`);
    t.skip(text);
    return;
  }
  t.diagnostic(`python=${PYTHON} example=${EXAMPLE_PATH} workspace=${WORKSPACE}`);

  const languageId = LANGUAGE_BY_EXTENSION[path.extname(EXAMPLE_PATH)];
  assert.ok(languageId, `no language id for ${EXAMPLE_PATH}`);
  const text = readFileSync(EXAMPLE_PATH, "utf8");
  const expected = expectations(text);

  const stub = createVscodeStub({
    settings: {
      "perfsense.enable": true,
      "perfsense.interpreter": PYTHON,
      "perfsense.args": [],
      "perfsense.trace.server": process.env.PERFSENSE_TRACE || "off",
    },
    workspaceFolders: [WORKSPACE],
    echo: process.env.PERFSENSE_E2E_ECHO === "1",
  });
  const { extension, uninstall } = loadExtension(stub);
  let api;
  try {
    api = extension.activate(stub.context);
    await api.settled();
    assert.ok(
      api.state.kind === "ready" || api.state.kind === "indexing",
      `server not running: ${JSON.stringify(api.state)}\n${tail(stub)}`,
    );
    assert.ok(api.client?.isRunning(), "language client is not running");

    // Open the example as VS Code does; the client sends didOpen, the server answers
    // (pushed or pulled diagnostics both land in a diagnostic collection).
    const uri = Uri.file(EXAMPLE_PATH);
    stub.openTextDocument(uri, languageId, text);
    const describe = () =>
      `diagnostics so far:\n${formatDiagnostics(stub.diagnosticsFor(uri))}\nstatus: ${stub.statusItem?.text}\noutput:\n${tail(stub)}`;
    const diags = await waitUntil(
      () => {
        const d = stub.diagnosticsFor(uri);
        return d.length > 0 && unmet(expected, d).length === 0 ? d : undefined;
      },
      { timeoutMs: DIAGNOSTICS_TIMEOUT_MS, what: `perfsense diagnostics for ${EXAMPLE_PATH}${expected.length ? ` (${JSON.stringify(expected)})` : ""}`, describe },
    );
    t.diagnostic(`received ${diags.length} diagnostics:`);
    for (const line of formatDiagnostics(diags).split("\n")) t.diagnostic(line);

    const lineCount = text.split(/\r\n|\r|\n/).length;
    for (const d of diags) {
      assert.equal(d.source, "perfsense", `diagnostic source: ${formatDiagnostics([d])}`);
      assert.match(String(ruleId(d)), /^[a-z0-9]+(-[a-z0-9]+)*$/, `rule id is not a kebab-case slug: ${formatDiagnostics([d])}`);
      assert.ok(d.range.start.line >= 0 && d.range.start.line < lineCount, `line out of the document: ${formatDiagnostics([d])}`);
      assert.ok(typeof d.message === "string" && d.message.length > 0, "empty message");
    }
    if (expected.length > 0) {
      t.diagnostic(`expected findings (${expected[0].from}) all present: ${expected.map((e) => `${e.rule ?? "*"}:${e.line}`).join(", ")}`);
    } else {
      t.diagnostic("no expected findings configured (EXPECTED, PERFSENSE_EXPECT or `# expect:` markers): checked structure only");
    }
    // Indexing progress ($/progress), if the server reports any, ends and the status
    // bar returns to plain "perfsense".
    await waitUntil(() => api.state.kind === "ready", { timeoutMs: DIAGNOSTICS_TIMEOUT_MS, what: "the status to leave indexing", describe });
    assert.match(stub.statusItem.text, /perfsense/);
    assert.ok(!/not installed|error/i.test(stub.statusItem.text), `status bar: ${stub.statusItem.text}`);

    // perfsense: Restart Server -> a new server process, the open document is synced
    // again and its diagnostics come back.
    const firstPid = api.client?._serverProcess?.pid;
    const collectionsBefore = stub.collections.length;
    await stub.vscode.commands.executeCommand("perfsense.restartServer");
    await api.settled();
    assert.ok(api.client?.isRunning(), `not running after restart: ${JSON.stringify(api.state)}\n${tail(stub)}`);
    const secondPid = api.client?._serverProcess?.pid;
    if (firstPid !== undefined) {
      assert.notEqual(secondPid, firstPid, "restart kept the same server process");
      await waitUntil(() => !processAlive(firstPid), { timeoutMs: 10_000, what: `old server ${firstPid} to exit` });
    }
    await waitUntil(
      () => stub.collections.slice(collectionsBefore).some((c) => !c.disposed && (c.get(uri)?.length ?? 0) > 0),
      { timeoutMs: DIAGNOSTICS_TIMEOUT_MS, what: "diagnostics after restart", describe },
    );

    // Deactivation stops the server process.
    await extension.deactivate();
    api = undefined;
    if (secondPid !== undefined) {
      await waitUntil(() => !processAlive(secondPid), { timeoutMs: 10_000, what: `server ${secondPid} to exit after deactivate` });
    }
  } finally {
    if (api !== undefined) await extension.deactivate();
    stub.dispose();
    uninstall();
    if (stub.missing.size > 0) t.diagnostic(`vscode stub: unimplemented API read: ${[...stub.missing].sort().join(", ")}`);
    t.diagnostic(`status bar texts: ${stub.record.statusTexts.filter((x, i, a) => i === 0 || a[i - 1] !== x).join(" | ")}`);
  }
});
