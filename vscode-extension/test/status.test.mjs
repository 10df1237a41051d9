// Unit tests of src/status.ts (compiled to out/status.js): status bar texts and $/progress tracking.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { describe, test } from "node:test";

const require = createRequire(import.meta.url);
const { ProgressTracker, StatusBar, backgroundColorId, renderStatus, runningState } = require("../out/status.js");

describe("renderStatus", () => {
  test("not installed: says so and gives the install command", () => {
    const view = renderStatus({ kind: "not-installed", interpreter: "/usr/bin/python3", installCommand: "/usr/bin/python3 -m pip install perfsense" });
    assert.match(view.text, /perfsense: not installed/);
    assert.match(view.tooltip, /perfsense not installed in this interpreter \(\/usr\/bin\/python3\)/);
    assert.match(view.tooltip, /\/usr\/bin\/python3 -m pip install perfsense/);
    assert.equal(view.severity, "warning");
  });

  test("every state names perfsense", () => {
    const states = [
      { kind: "disabled" },
      { kind: "starting", interpreter: "py" },
      { kind: "indexing", interpreter: "py", progress: { active: 1 } },
      { kind: "ready", interpreter: "py" },
      { kind: "not-installed", interpreter: "py", installCommand: "py -m pip install perfsense" },
      { kind: "interpreter-not-found", interpreter: "py" },
      { kind: "error", message: "boom" },
      { kind: "stopped" },
    ];
    for (const s of states) {
      assert.match(renderStatus(s).text, /perfsense/, s.kind);
    }
  });

  test("indexing shows title, message and percentage", () => {
    const view = renderStatus({ kind: "indexing", interpreter: "py", progress: { title: "Indexing", message: "3/6 files", percentage: 49.6, active: 1 } });
    assert.equal(view.text, "$(sync~spin) perfsense: indexing… 50%");
    assert.match(view.tooltip, /Indexing: 3\/6 files/);
    assert.equal(renderStatus({ kind: "indexing", interpreter: "py", progress: { active: 1 } }).text, "$(sync~spin) perfsense: indexing…");
  });

  test("ready and error", () => {
    assert.equal(renderStatus({ kind: "ready", interpreter: "py" }).severity, "none");
    const err = renderStatus({ kind: "error", interpreter: "py", message: "failed to start" });
    assert.equal(err.severity, "error");
    assert.match(err.tooltip, /failed to start/);
    assert.equal(backgroundColorId("error"), "statusBarItem.errorBackground");
    assert.equal(backgroundColorId("warning"), "statusBarItem.warningBackground");
    assert.equal(backgroundColorId("none"), undefined);
  });
});

describe("ProgressTracker", () => {
  test("begin, report, end", () => {
    const p = new ProgressTracker();
    assert.equal(p.summary(), undefined);
    assert.ok(p.update("t", { kind: "begin", title: "Indexing", percentage: 0 }));
    assert.deepEqual(p.summary(), { title: "Indexing", message: undefined, percentage: 0, active: 1 });
    assert.ok(p.update("t", { kind: "report", message: "half", percentage: 50 }));
    assert.deepEqual(p.summary(), { title: "Indexing", message: "half", percentage: 50, active: 1 });
    assert.ok(p.update("t", { kind: "end" }));
    assert.equal(p.summary(), undefined);
  });

  test("several tokens: the latest begun is shown until it ends", () => {
    const p = new ProgressTracker();
    p.update(1, { kind: "begin", title: "A" });
    p.update("two", { kind: "begin", title: "B" });
    assert.equal(p.summary().title, "B");
    assert.equal(p.summary().active, 2);
    p.update("two", { kind: "end" });
    assert.equal(p.summary().title, "A");
    p.clear();
    assert.equal(p.summary(), undefined);
  });

  test("ignores reports for unknown tokens and values that are not work-done progress", () => {
    const p = new ProgressTracker();
    assert.equal(p.update("x", { kind: "report", percentage: 5 }), false);
    assert.equal(p.update("x", { kind: "end" }), false);
    assert.equal(p.update("x", { files: 3 }), false);
    assert.equal(p.update("x", null), false);
    assert.equal(p.summary(), undefined);
  });

  test("runningState", () => {
    assert.deepEqual(runningState("py", undefined), { kind: "ready", interpreter: "py" });
    assert.equal(runningState("py", { active: 1 }).kind, "indexing");
  });
});

test("StatusBar writes text, tooltip, command and colour to the item", () => {
  const item = { text: "", tooltip: undefined, command: undefined, backgroundColor: undefined, shown: false, show() { this.shown = true; } };
  const bar = new StatusBar(item, (id) => ({ themeColor: id }));
  assert.ok(item.shown);
  assert.equal(item.command, "perfsense.showOutput");
  assert.equal(bar.state.kind, "stopped");
  bar.set({ kind: "error", message: "x" });
  assert.deepEqual(item.backgroundColor, { themeColor: "statusBarItem.errorBackground" });
  bar.set({ kind: "ready", interpreter: "py" });
  assert.equal(item.backgroundColor, undefined);
  assert.equal(item.text, "$(pulse) perfsense");
});
