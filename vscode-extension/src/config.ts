/**
 * Pure logic of the extension: settings -> interpreter -> server command.
 *
 * Nothing in this module imports `vscode`, so it runs (and is unit-tested) in plain Node.
 */

/** The Python module that runs the perfsense language server. */
export const SERVER_MODULE = "perfsense.lsp";
/** The distribution to `pip install`. */
export const PACKAGE_NAME = "perfsense";
/** The configuration section of every setting of this extension. */
export const CONFIG_SECTION = "perfsense";
/** The Python extension whose selected interpreter is the default. */
export const PYTHON_EXTENSION_ID = "ms-python.python";

/** Languages the server is asked about, each with the `file` and `untitled` schemes. */
export const LANGUAGES = [
  "python",
  "javascript",
  "javascriptreact",
  "typescript",
  "typescriptreact",
] as const;
export const SCHEMES = ["file", "untitled"] as const;

export type TraceLevel = "off" | "messages" | "verbose";
const TRACE_LEVELS: readonly TraceLevel[] = ["off", "messages", "verbose"];

export interface Settings {
  /** `perfsense.enable` */
  readonly enable: boolean;
  /** `perfsense.interpreter`, trimmed; "" means "not set". */
  readonly interpreter: string;
  /** `perfsense.args` */
  readonly args: readonly string[];
  /** `perfsense.trace.server` (applied by vscode-languageclient itself). */
  readonly trace: TraceLevel;
}

export const DEFAULT_SETTINGS: Settings = {
  enable: true,
  interpreter: "",
  args: [],
  trace: "off",
};

/** Settings whose change requires a restart of the server (trace is applied live by the client). */
export const RESTART_SETTINGS = ["enable", "interpreter", "args"] as const;

/**
 * Read and validate the settings through `get(key)` (e.g. `workspace.getConfiguration("perfsense").get`).
 * A value of the wrong type falls back to its default instead of breaking the start.
 */
export function readSettings(get: (key: string) => unknown): Settings {
  const enable = get("enable");
  const interpreter = get("interpreter");
  const args = get("args");
  const trace = get("trace.server");
  return {
    enable: typeof enable === "boolean" ? enable : DEFAULT_SETTINGS.enable,
    interpreter: typeof interpreter === "string" ? interpreter.trim() : DEFAULT_SETTINGS.interpreter,
    args: Array.isArray(args) ? args.filter((a): a is string => typeof a === "string") : [],
    trace: TRACE_LEVELS.includes(trace as TraceLevel) ? (trace as TraceLevel) : DEFAULT_SETTINGS.trace,
  };
}

export interface PathVariables {
  /** fsPath of the (first) workspace folder, if any. */
  readonly workspaceFolder?: string;
  /** The user's home directory. */
  readonly home?: string;
}

/** Expand `${workspaceFolder}`, `${userHome}` and a leading `~` the way VS Code users expect. */
export function expandPath(value: string, vars: PathVariables): string {
  let out = value;
  if (vars.workspaceFolder !== undefined) {
    out = out.split("${workspaceFolder}").join(vars.workspaceFolder);
  }
  if (vars.home !== undefined) {
    out = out.split("${userHome}").join(vars.home);
    if (out === "~") {
      out = vars.home;
    } else if (out.startsWith("~/") || out.startsWith("~\\")) {
      out = vars.home + out.slice(1);
    }
  }
  return out;
}

/** The interpreter used when neither the setting nor the Python extension gives one. */
export function defaultInterpreter(platform: string = process.platform): string {
  return platform === "win32" ? "python" : "python3";
}

export type InterpreterSource = "setting" | "python-extension" | "default";

export interface InterpreterChoice {
  /**
   * The command that runs Python: usually one path, but the Python extension may give a
   * longer command (e.g. `conda run -n env python`); arguments for Python follow it.
   */
  readonly command: readonly string[];
  readonly source: InterpreterSource;
}

/**
 * Pick the interpreter: the `perfsense.interpreter` setting if set, else the Python
 * extension's selected interpreter if given, else `python3` (`python` on Windows).
 */
export function chooseInterpreter(
  settings: Pick<Settings, "interpreter">,
  pythonExtensionCommand: readonly string[] | undefined,
  vars: PathVariables = {},
  platform: string = process.platform,
): InterpreterChoice {
  if (settings.interpreter !== "") {
    return { command: [expandPath(settings.interpreter, vars)], source: "setting" };
  }
  const fromExtension = (pythonExtensionCommand ?? []).filter((part) => part.trim() !== "");
  if (fromExtension.length > 0) {
    return { command: fromExtension, source: "python-extension" };
  }
  return { command: [defaultInterpreter(platform)], source: "default" };
}

export interface ProcessCommand {
  readonly command: string;
  readonly args: readonly string[];
}

/**
 * `[interpreter, "-m", "perfsense.lsp", ...perfsense.args]`. vscode-languageclient appends
 * `--stdio` itself for the stdio transport; the server accepts and ignores it.
 */
export function buildServerCommand(interpreter: readonly string[], settings: Pick<Settings, "args">): ProcessCommand {
  const [command, ...prefix] = requireCommand(interpreter);
  return { command, args: [...prefix, "-m", SERVER_MODULE, ...settings.args] };
}

/** `[interpreter, "-c", "import perfsense.lsp"]`: tells whether perfsense is installed. */
export function buildImportCheck(interpreter: readonly string[]): ProcessCommand {
  const [command, ...prefix] = requireCommand(interpreter);
  return { command, args: [...prefix, "-c", `import ${SERVER_MODULE}`] };
}

function requireCommand(interpreter: readonly string[]): [string, ...string[]] {
  if (interpreter.length === 0 || interpreter[0] === "") {
    throw new Error("empty interpreter command");
  }
  return interpreter as [string, ...string[]];
}

/**
 * Environment for the server and the import check: the parent's environment plus
 * `PYTHONSAFEPATH=1`, so that `python -m` does not put the working directory (the
 * workspace, i.e. code perfsense must never import) first on `sys.path`.
 */
export function serverEnvironment(base: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) {
    if (value !== undefined) {
      env[key] = value;
    }
  }
  env.PYTHONSAFEPATH = "1";
  env.PYTHONIOENCODING = "utf-8";
  return env;
}

/** Quote one shell word for the user's shell (POSIX sh, or cmd/PowerShell on Windows). */
export function shellQuote(word: string, platform: string = process.platform): string {
  if (/^[A-Za-z0-9_@%+=:,./\\-]+$/.test(word)) {
    return word;
  }
  if (platform === "win32") {
    return `"${word.replace(/"/g, '""')}"`;
  }
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The command a user runs to install perfsense into the chosen interpreter. */
export function installCommand(interpreter: readonly string[], platform: string = process.platform): string {
  return [...interpreter, "-m", "pip", "install", PACKAGE_NAME].map((w) => shellQuote(w, platform)).join(" ");
}

/** The interpreter as shown to the user. */
export function displayCommand(interpreter: readonly string[], platform: string = process.platform): string {
  return interpreter.map((w) => shellQuote(w, platform)).join(" ");
}

export type ImportCheckFailure = "interpreter-not-found" | "not-installed" | "import-error" | "timeout";

export type ImportCheckResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: ImportCheckFailure; readonly detail: string };

export interface ProcessOutcome {
  /** `error.code` of a failed spawn (`ENOENT`, `EACCES`, …) or undefined. */
  readonly spawnError?: string;
  readonly exitCode: number | null;
  readonly signal?: string | null;
  readonly timedOut?: boolean;
  readonly stderr: string;
}

/** Interpret the outcome of `<interpreter> -c "import perfsense.lsp"`. */
export function classifyImportCheck(outcome: ProcessOutcome): ImportCheckResult {
  const stderr = outcome.stderr.trim();
  if (outcome.spawnError === "ENOENT" || outcome.spawnError === "EACCES" || outcome.spawnError === "ENOTDIR") {
    return { ok: false, reason: "interpreter-not-found", detail: outcome.spawnError };
  }
  if (outcome.timedOut) {
    return { ok: false, reason: "timeout", detail: stderr };
  }
  if (outcome.spawnError === undefined && outcome.exitCode === 0) {
    return { ok: true };
  }
  if (/No module named '?perfsense(\.lsp)?'?\s*$/m.test(stderr)) {
    return { ok: false, reason: "not-installed", detail: lastLine(stderr) };
  }
  const detail = stderr !== "" ? lastLine(stderr) : `exit code ${outcome.exitCode ?? outcome.signal ?? outcome.spawnError}`;
  return { ok: false, reason: "import-error", detail };
}

function lastLine(text: string): string {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  return lines.length > 0 ? lines[lines.length - 1]!.trim() : "";
}

/**
 * Ask the Python extension's API (the `exports` of `ms-python.python`) which interpreter
 * is selected for `resource`. Every API shape is checked, since the API has changed over
 * the years and is not typed here:
 *  - `environments.getActiveEnvironmentPath(resource)` -> `{ path }`, resolved through
 *    `environments.resolveEnvironment()` to `executable.uri.fsPath` when available;
 *  - `settings.getExecutionDetails(resource)` -> `{ execCommand: string[] }` (older API).
 * Returns undefined when nothing usable is found; never throws.
 */
export async function interpreterFromPythonApi(api: unknown, resource?: unknown): Promise<string[] | undefined> {
  const environments = field(api, "environments");
  try {
    const getActive = field(environments, "getActiveEnvironmentPath");
    if (typeof getActive === "function") {
      const envPath: unknown = await getActive.call(environments, resource);
      const resolve = field(environments, "resolveEnvironment");
      if (envPath !== undefined && typeof resolve === "function") {
        const resolved: unknown = await resolve.call(environments, envPath);
        const exe = field(field(field(resolved, "executable"), "uri"), "fsPath");
        if (typeof exe === "string" && exe !== "") {
          return [exe];
        }
      }
      const p = field(envPath, "path");
      if (typeof p === "string" && p !== "") {
        return [p];
      }
    }
  } catch {
    // fall through to the older API
  }
  const settings = field(api, "settings");
  try {
    const getDetails = field(settings, "getExecutionDetails");
    if (typeof getDetails === "function") {
      const details: unknown = await getDetails.call(settings, resource);
      const execCommand = field(details, "execCommand");
      if (Array.isArray(execCommand)) {
        const parts = execCommand.filter((p): p is string => typeof p === "string" && p !== "");
        if (parts.length > 0) {
          return parts;
        }
      }
    }
  } catch {
    // no usable API
  }
  return undefined;
}

function field(obj: unknown, key: string): unknown {
  if ((typeof obj === "object" || typeof obj === "function") && obj !== null) {
    return (obj as Record<string, unknown>)[key];
  }
  return undefined;
}

/** Reject with a timeout error unless `promise` settles within `ms`; the timer is always cleared. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
