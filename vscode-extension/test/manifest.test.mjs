// package.json is the extension's manifest: check what VS Code and vsce read from it.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";

import { EXTENSION_DIR } from "./helpers.mjs";

const pkg = JSON.parse(readFileSync(path.join(EXTENSION_DIR, "package.json"), "utf8"));
const lock = JSON.parse(readFileSync(path.join(EXTENSION_DIR, "package-lock.json"), "utf8"));

test("publisher, license, repository and entry point", () => {
  assert.equal(pkg.publisher, "perfsense");
  assert.equal(pkg.license, "MIT");
  assert.ok(pkg.repository?.url, "repository.url");
  assert.ok(existsSync(path.join(EXTENSION_DIR, "LICENSE")), "LICENSE");
  assert.ok(existsSync(path.join(EXTENSION_DIR, pkg.main)), `${pkg.main} (run npm run build)`);
});

test("@types/vscode matches engines.vscode (same minor), as vsce requires", () => {
  const engine = /^\^(\d+)\.(\d+)\./.exec(pkg.engines.vscode);
  const types = /^\D*(\d+)\.(\d+)\./.exec(pkg.devDependencies["@types/vscode"]);
  assert.ok(engine && types);
  assert.deepEqual(types.slice(1), engine.slice(1));
  const installed = lock.packages["node_modules/@types/vscode"].version.split(".");
  assert.deepEqual(installed.slice(0, 2), engine.slice(1, 3));
});

test("commands", () => {
  const commands = Object.fromEntries(pkg.contributes.commands.map((c) => [c.command, `${c.category}: ${c.title}`]));
  assert.deepEqual(commands, {
    "perfsense.restartServer": "perfsense: Restart Server",
    "perfsense.showOutput": "perfsense: Show Output",
  });
});

test("settings", () => {
  const props = pkg.contributes.configuration.properties;
  assert.deepEqual(Object.keys(props).sort(), ["perfsense.args", "perfsense.enable", "perfsense.interpreter", "perfsense.trace.server"]);
  assert.equal(props["perfsense.enable"].default, true);
  assert.equal(props["perfsense.interpreter"].default, "");
  assert.deepEqual(props["perfsense.args"].default, []);
  assert.deepEqual(props["perfsense.trace.server"].enum, ["off", "messages", "verbose"]);
});

test("activates on the five languages", () => {
  assert.deepEqual(
    pkg.activationEvents.sort(),
    ["javascript", "javascriptreact", "python", "typescript", "typescriptreact"].map((l) => `onLanguage:${l}`),
  );
});
