// The real compiled extension (dist/extension.js) in plain Node with the `vscode` stand-in,
// on the paths that need no perfsense server: interpreter missing, perfsense not
// installed, disabled, restart on settings changes, the Python extension's interpreter.
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, test } from "node:test";

import { createVscodeStub, loadExtension, tail, waitUntil } from "./helpers.mjs";

const MISSING_PYTHON = "/nonexistent/perfsense-test/bin/python";

/** Activate the extension with `options` for the stub; `body(api, stub)`; always clean up. */
async function withExtension(options, body) {
  const stub = createVscodeStub(options);
  const { extension, uninstall } = loadExtension(stub);
  let api;
  try {
    api = extension.activate(stub.context);
    await body(api, stub);
  } finally {
    await extension.deactivate();
    stub.dispose();
    uninstall();
  }
  return stub;
}

const stateIs = (api, kind, stub) =>
  waitUntil(() => api.state.kind === kind, { timeoutMs: 20_000, what: `state ${kind}`, describe: () => `state: ${JSON.stringify(api.state)}\n${tail(stub)}` });

describe("extension without a perfsense server", () => {
  test("registers its commands and shows a status bar item", async () => {
    await withExtension({ settings: { "perfsense.interpreter": MISSING_PYTHON } }, async (api, stub) => {
      await api.settled();
      const commands = await stub.vscode.commands.getCommands();
      assert.ok(commands.includes("perfsense.restartServer"));
      assert.ok(commands.includes("perfsense.showOutput"));
      assert.equal(stub.statusItem.command, "perfsense.showOutput");
      assert.ok(stub.statusItem.visible);
    });
  });

  test("an interpreter that does not exist: status and error message", async () => {
    await withExtension({ settings: { "perfsense.interpreter": MISSING_PYTHON } }, async (api, stub) => {
      await api.settled();
      assert.deepEqual(api.state, { kind: "interpreter-not-found", interpreter: MISSING_PYTHON });
      assert.match(stub.statusItem.text, /perfsense: no interpreter/);
      assert.equal(stub.statusItem.backgroundColor?.id, "statusBarItem.errorBackground");
      const msg = stub.record.messages.find((m) => m.kind === "error");
      assert.match(msg.message, /Python interpreter not found/);
      assert.equal(api.client, undefined);
    });
  });

  test("perfsense not installed in the Python extension's interpreter: status, message, Copy install command", async () => {
    // The older Python extension API gives a whole command; `python3 -S` has no site-packages,
    // so `import perfsense.lsp` fails there for certain.
    const python = {
      isActive: true,
      exports: { settings: { getExecutionDetails: () => ({ execCommand: ["python3", "-S"] }) } },
    };
    const stub = await withExtension(
      {
        extensions: { "ms-python.python": python },
        respond: (kind, _message, items) => (kind === "error" && items.includes("Copy install command") ? "Copy install command" : undefined),
      },
      async (api, stub) => {
        await api.settled();
        assert.equal(api.state.kind, "not-installed", `${JSON.stringify(api.state)}\n${tail(stub)}`);
        assert.equal(api.state.interpreter, "python3 -S");
        assert.match(stub.statusItem.text, /perfsense: not installed/);
        assert.match(stub.statusItem.tooltip, /perfsense not installed in this interpreter/);
        assert.match(stub.statusItem.tooltip, /python3 -S -m pip install perfsense/);
        const msg = stub.record.messages.find((m) => m.kind === "error");
        assert.match(msg.message, /perfsense not installed in this interpreter/);
        assert.deepEqual(msg.items, ["Copy install command", "Open Settings", "Show Output"]);
        await waitUntil(() => stub.record.clipboard !== "", { what: "the clipboard" });
        assert.equal(stub.record.clipboard, "python3 -S -m pip install perfsense");
        assert.ok(stub.record.output.some((l) => /selected in the Python extension/.test(l)));
      },
    );
    assert.ok(stub.record.messages.some((m) => m.kind === "information" && /Copied/.test(m.message)));
  });

  test("the Python extension's environments API is used when perfsense.interpreter is empty", async () => {
    let listener;
    const python = {
      isActive: false,
      activate: async () => python.exports,
      exports: {
        environments: {
          getActiveEnvironmentPath: () => ({ id: "e", path: "/nonexistent/env" }),
          resolveEnvironment: async () => ({ executable: { uri: { fsPath: "/nonexistent/env/bin/python" } } }),
          onDidChangeActiveEnvironmentPath: (l) => {
            listener = l;
            return { dispose: () => (listener = undefined) };
          },
        },
      },
    };
    await withExtension({ extensions: { "ms-python.python": python } }, async (api, stub) => {
      await api.settled();
      assert.deepEqual(api.state, { kind: "interpreter-not-found", interpreter: "/nonexistent/env/bin/python" });
      // Selecting another interpreter in the Python extension restarts perfsense with it.
      python.exports.environments.resolveEnvironment = async () => ({ executable: { uri: { fsPath: "/nonexistent/other/bin/python" } } });
      assert.equal(typeof listener, "function");
      listener({ path: "/nonexistent/other" });
      await waitUntil(() => api.state.interpreter === "/nonexistent/other/bin/python", {
        timeoutMs: 10_000,
        what: "a restart with the new interpreter",
        describe: () => tail(stub),
      });
    });
    assert.equal(listener, undefined, "the Python extension listener was not disposed");
  });

  test("perfsense.enable = false starts nothing; changing perfsense.* settings restarts, trace does not", async () => {
    await withExtension({ settings: { "perfsense.enable": false, "perfsense.interpreter": MISSING_PYTHON } }, async (api, stub) => {
      await api.settled();
      assert.deepEqual(api.state, { kind: "disabled" });
      assert.match(stub.statusItem.text, /perfsense: off/);
      assert.equal(stub.record.messages.length, 0);

      stub.setSetting("perfsense.enable", true);
      await stateIs(api, "interpreter-not-found", stub);

      stub.setSetting("perfsense.interpreter", "/nonexistent/second/python");
      await waitUntil(() => api.state.interpreter === "/nonexistent/second/python", { what: "restart with the new interpreter" });

      const starts = () => stub.record.output.filter((l) => l.includes("Interpreter:")).length;
      const before = starts();
      stub.setSetting("perfsense.trace.server", "verbose");
      stub.setSetting("python.analysis.typeCheckingMode", "strict");
      await new Promise((resolve) => setTimeout(resolve, 700));
      await api.settled();
      assert.equal(starts(), before, "a trace or foreign setting change restarted the server");

      stub.setSetting("perfsense.enable", false);
      await stateIs(api, "disabled", stub);
    });
  });

  test("perfsense: Restart Server and perfsense: Show Output commands", async () => {
    await withExtension({ settings: { "perfsense.interpreter": MISSING_PYTHON } }, async (api, stub) => {
      await api.settled();
      const starts = () => stub.record.output.filter((l) => l.includes("Interpreter:")).length;
      assert.equal(starts(), 1);
      await stub.vscode.commands.executeCommand("perfsense.restartServer");
      await api.settled();
      assert.equal(starts(), 2);
      await stub.vscode.commands.executeCommand("perfsense.showOutput");
    });
  });

  test("a server that exits at start: error status, no hang, restart works", async () => {
    // A stand-in *interpreter* (not a server): passes the import check, then dies the way
    // `python -m perfsense.lsp --bad-arg` would, after Python's start-up time. (A process
    // that is gone before the client writes `initialize` makes vscode-jsonrpc 8 leave an
    // unhandled ERR_STREAM_DESTROYED rejection, which VS Code only logs; node:test would
    // count it as a failure, and Python never exits that fast.)
    const dir = mkdtempSync(path.join(os.tmpdir(), "perfsense-crash-"));
    const fake = path.join(dir, "python");
    writeFileSync(fake, '#!/bin/sh\ncase "$1" in -c) exit 0 ;; esac\nsleep 0.3\necho "perfsense.lsp: error: unrecognized arguments" >&2\nexit 2\n');
    chmodSync(fake, 0o755);
    try {
      await withExtension({ settings: { "perfsense.interpreter": fake } }, async (api, stub) => {
        await api.settled();
        assert.equal(api.state.kind, "error", `${JSON.stringify(api.state)}\n${tail(stub)}`);
        assert.match(stub.statusItem.text, /\$\(error\) perfsense/);
        assert.ok(stub.record.output.some((l) => l.includes("unrecognized arguments")), "the server's stderr is in the output");
        await stub.vscode.commands.executeCommand("perfsense.restartServer");
        await api.settled();
        assert.equal(api.state.kind, "error");
        assert.equal(stub.record.output.filter((l) => l.includes("Interpreter:")).length, 2);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
