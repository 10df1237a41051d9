// Unit tests of src/config.ts (compiled to out/config.js): settings -> interpreter -> command.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { describe, test } from "node:test";

const require = createRequire(import.meta.url);
const config = require("../out/config.js");
const {
  buildImportCheck,
  buildServerCommand,
  chooseInterpreter,
  classifyImportCheck,
  defaultInterpreter,
  displayCommand,
  expandPath,
  installCommand,
  interpreterFromPythonApi,
  readSettings,
  serverEnvironment,
  withTimeout,
} = config;

const settingsFrom = (values) => readSettings((key) => values[key]);

describe("readSettings", () => {
  test("defaults when nothing is set", () => {
    assert.deepEqual(settingsFrom({}), { enable: true, interpreter: "", args: [], trace: "off" });
  });

  test("reads every setting", () => {
    assert.deepEqual(
      settingsFrom({ enable: false, interpreter: "  /opt/py/bin/python ", args: ["--log-level", "debug"], "trace.server": "verbose" }),
      { enable: false, interpreter: "/opt/py/bin/python", args: ["--log-level", "debug"], trace: "verbose" },
    );
  });

  test("values of the wrong type fall back to the defaults", () => {
    assert.deepEqual(settingsFrom({ enable: "yes", interpreter: 3, args: "--x", "trace.server": "loud" }), {
      enable: true,
      interpreter: "",
      args: [],
      trace: "off",
    });
    assert.deepEqual(settingsFrom({ args: ["--a", 1, null, "--b"] }).args, ["--a", "--b"]);
  });
});

describe("chooseInterpreter", () => {
  test("the perfsense.interpreter setting wins", () => {
    assert.deepEqual(chooseInterpreter({ interpreter: "/venv/bin/python" }, ["/other/python"], {}, "linux"), {
      command: ["/venv/bin/python"],
      source: "setting",
    });
  });

  test("else the Python extension's interpreter, with all its parts", () => {
    assert.deepEqual(chooseInterpreter({ interpreter: "" }, ["/home/u/.venv/bin/python"], {}, "linux"), {
      command: ["/home/u/.venv/bin/python"],
      source: "python-extension",
    });
    assert.deepEqual(chooseInterpreter({ interpreter: "" }, ["conda", "run", "-n", "env", "python"], {}, "linux").command, [
      "conda",
      "run",
      "-n",
      "env",
      "python",
    ]);
  });

  test("else python3 (python on Windows)", () => {
    assert.deepEqual(chooseInterpreter({ interpreter: "" }, undefined, {}, "linux"), { command: ["python3"], source: "default" });
    assert.deepEqual(chooseInterpreter({ interpreter: "" }, [], {}, "darwin").command, ["python3"]);
    assert.deepEqual(chooseInterpreter({ interpreter: "" }, ["", "  "], {}, "linux").source, "default");
    assert.deepEqual(chooseInterpreter({ interpreter: "" }, undefined, {}, "win32").command, ["python"]);
    assert.equal(defaultInterpreter("linux"), "python3");
  });

  test("expands ${workspaceFolder}, ${userHome} and ~ in the setting", () => {
    const vars = { workspaceFolder: "/ws", home: "/home/u" };
    assert.deepEqual(chooseInterpreter({ interpreter: "${workspaceFolder}/.venv/bin/python" }, undefined, vars, "linux").command, [
      "/ws/.venv/bin/python",
    ]);
    assert.equal(expandPath("~/py/bin/python", vars), "/home/u/py/bin/python");
    assert.equal(expandPath("${userHome}/x", vars), "/home/u/x");
    assert.equal(expandPath("/a~/b", vars), "/a~/b");
    assert.equal(expandPath("${workspaceFolder}/x", {}), "${workspaceFolder}/x");
  });
});

describe("server command", () => {
  test("[interpreter, -m, perfsense.lsp, ...perfsense.args]", () => {
    assert.deepEqual(buildServerCommand(["/venv/bin/python"], { args: [] }), {
      command: "/venv/bin/python",
      args: ["-m", "perfsense.lsp"],
    });
    assert.deepEqual(buildServerCommand(["/venv/bin/python"], { args: ["--log-level", "debug"] }), {
      command: "/venv/bin/python",
      args: ["-m", "perfsense.lsp", "--log-level", "debug"],
    });
  });

  test("a multi-part interpreter command keeps its own arguments first", () => {
    assert.deepEqual(buildServerCommand(["conda", "run", "-n", "env", "python"], { args: ["-v"] }), {
      command: "conda",
      args: ["run", "-n", "env", "python", "-m", "perfsense.lsp", "-v"],
    });
  });

  test("the import check runs `import perfsense.lsp`", () => {
    assert.deepEqual(buildImportCheck(["/venv/bin/python"]), { command: "/venv/bin/python", args: ["-c", "import perfsense.lsp"] });
    assert.deepEqual(buildImportCheck(["py", "-3.12"]), { command: "py", args: ["-3.12", "-c", "import perfsense.lsp"] });
  });

  test("an empty interpreter is refused", () => {
    assert.throws(() => buildServerCommand([], { args: [] }), /empty interpreter/);
    assert.throws(() => buildImportCheck([""]), /empty interpreter/);
  });
});

describe("install command", () => {
  test("POSIX quoting", () => {
    assert.equal(installCommand(["/venv/bin/python"], "linux"), "/venv/bin/python -m pip install perfsense");
    assert.equal(installCommand(["/My Envs/py/bin/python"], "darwin"), "'/My Envs/py/bin/python' -m pip install perfsense");
    assert.equal(installCommand(["/it's/python"], "linux"), "'/it'\\''s/python' -m pip install perfsense");
  });

  test("Windows quoting", () => {
    assert.equal(
      installCommand(["C:\\Program Files\\Python312\\python.exe"], "win32"),
      '"C:\\Program Files\\Python312\\python.exe" -m pip install perfsense',
    );
    assert.equal(displayCommand(["C:\\py\\python.exe"], "win32"), "C:\\py\\python.exe");
  });
});

test("serverEnvironment keeps the environment, adds PYTHONSAFEPATH, does not mutate its input", () => {
  const base = { PATH: "/usr/bin", HOME: "/home/u", UNSET: undefined };
  const env = serverEnvironment(base);
  assert.equal(env.PATH, "/usr/bin");
  assert.equal(env.PYTHONSAFEPATH, "1");
  assert.ok(!("UNSET" in env));
  assert.ok(!("PYTHONSAFEPATH" in base));
});

describe("classifyImportCheck", () => {
  test("success", () => {
    assert.deepEqual(classifyImportCheck({ exitCode: 0, stderr: "" }), { ok: true });
  });

  test("interpreter missing", () => {
    assert.deepEqual(classifyImportCheck({ spawnError: "ENOENT", exitCode: null, stderr: "" }), {
      ok: false,
      reason: "interpreter-not-found",
      detail: "ENOENT",
    });
    assert.equal(classifyImportCheck({ spawnError: "EACCES", exitCode: null, stderr: "" }).reason, "interpreter-not-found");
  });

  test("perfsense (or its lsp package) not installed", () => {
    const tb = (mod) =>
      `Traceback (most recent call last):\n  File "<string>", line 1, in <module>\nModuleNotFoundError: No module named '${mod}'\n`;
    assert.deepEqual(classifyImportCheck({ exitCode: 1, stderr: tb("perfsense") }), {
      ok: false,
      reason: "not-installed",
      detail: "ModuleNotFoundError: No module named 'perfsense'",
    });
    assert.equal(classifyImportCheck({ exitCode: 1, stderr: tb("perfsense.lsp") }).reason, "not-installed");
  });

  test("perfsense installed but broken is an import error, with the last line as detail", () => {
    const r = classifyImportCheck({ exitCode: 1, stderr: "Traceback ...\nModuleNotFoundError: No module named 'pygls'\n" });
    assert.deepEqual(r, { ok: false, reason: "import-error", detail: "ModuleNotFoundError: No module named 'pygls'" });
    assert.deepEqual(classifyImportCheck({ exitCode: 139, stderr: "" }), { ok: false, reason: "import-error", detail: "exit code 139" });
  });

  test("timeout", () => {
    assert.equal(classifyImportCheck({ exitCode: null, signal: "SIGTERM", timedOut: true, stderr: "" }).reason, "timeout");
  });
});

describe("interpreterFromPythonApi", () => {
  test("environments API, resolved to the executable", async () => {
    const calls = [];
    const api = {
      environments: {
        getActiveEnvironmentPath(resource) {
          calls.push(["active", resource]);
          return { id: "x", path: "/home/u/proj/.venv" };
        },
        async resolveEnvironment(env) {
          calls.push(["resolve", env.path]);
          return { executable: { uri: { fsPath: "/home/u/proj/.venv/bin/python" } } };
        },
      },
    };
    assert.deepEqual(await interpreterFromPythonApi(api, "RESOURCE"), ["/home/u/proj/.venv/bin/python"]);
    assert.deepEqual(calls, [
      ["active", "RESOURCE"],
      ["resolve", "/home/u/proj/.venv"],
    ]);
  });

  test("environments API without a resolvable executable: the active path", async () => {
    const api = {
      environments: {
        getActiveEnvironmentPath: () => ({ path: "/usr/bin/python3.12" }),
        resolveEnvironment: async () => undefined,
      },
    };
    assert.deepEqual(await interpreterFromPythonApi(api), ["/usr/bin/python3.12"]);
  });

  test("the older settings.getExecutionDetails API", async () => {
    const api = { settings: { getExecutionDetails: () => ({ execCommand: ["conda", "run", "-n", "e", "python"] }) } };
    assert.deepEqual(await interpreterFromPythonApi(api), ["conda", "run", "-n", "e", "python"]);
  });

  test("a throwing environments API falls back to the settings API", async () => {
    const api = {
      environments: {
        getActiveEnvironmentPath: () => {
          throw new Error("not ready");
        },
      },
      settings: { getExecutionDetails: async () => ({ execCommand: ["/opt/py/bin/python"] }) },
    };
    assert.deepEqual(await interpreterFromPythonApi(api), ["/opt/py/bin/python"]);
  });

  test("nothing usable: undefined, never a throw", async () => {
    assert.equal(await interpreterFromPythonApi(undefined), undefined);
    assert.equal(await interpreterFromPythonApi({}), undefined);
    assert.equal(await interpreterFromPythonApi({ settings: { getExecutionDetails: () => ({ execCommand: undefined }) } }), undefined);
    assert.equal(
      await interpreterFromPythonApi({
        settings: {
          getExecutionDetails: () => {
            throw new Error("x");
          },
        },
      }),
      undefined,
    );
  });
});

describe("withTimeout", () => {
  test("passes the value through", async () => {
    assert.equal(await withTimeout(Promise.resolve(42), 1000, "x"), 42);
  });

  test("rejects after the time limit", async () => {
    await assert.rejects(withTimeout(new Promise(() => {}), 20, "the thing"), /the thing timed out after 20 ms/);
  });
});
