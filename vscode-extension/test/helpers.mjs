// Shared helpers of the tests that run the real compiled extension in plain Node.
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";

const require = createRequire(import.meta.url);
export const { createVscodeStub, Uri } = require("./vscode-stub.cjs");

export const EXTENSION_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** The bundle that ships in the .vsix (package.json "main"); `npm run build` makes it. */
export const EXTENSION_MAIN = path.join(EXTENSION_DIR, "dist", "extension.js");

/**
 * Install the stub as `vscode` and load a fresh copy of the extension bundle.
 * Returns { extension, uninstall }.
 */
export function loadExtension(stub) {
  const uninstall = stub.install();
  delete require.cache[require.resolve(EXTENSION_MAIN)];
  const extension = require(EXTENSION_MAIN);
  return { extension, uninstall };
}

/** Poll `check()` until it returns a truthy value; fail with `describe()` after `timeoutMs`. */
export async function waitUntil(check, { timeoutMs = 30_000, intervalMs = 25, what = "condition", describe = () => "" } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${describeSafe(describe)}`);
    }
    await sleep(intervalMs);
  }
}

function describeSafe(describe) {
  try {
    const text = describe();
    return text ? `\n${text}` : "";
  } catch {
    return "";
  }
}

/** The last `n` lines of what the extension wrote to its output channel(s). */
export function tail(stub, n = 60) {
  return stub.record.output.slice(-n).join("\n");
}

/** The rule id of a vscode Diagnostic: `code` is a string/number or `{ value, target }`. */
export function ruleId(diagnostic) {
  const code = diagnostic.code;
  if (code !== null && typeof code === "object") return String(code.value);
  return code === undefined ? undefined : String(code);
}

/** Whether process `pid` still exists. */
export function processAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === "EPERM";
  }
}
