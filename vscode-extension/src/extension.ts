/**
 * VS Code wiring: starts `<interpreter> -m perfsense.lsp` through vscode-languageclient,
 * keeps a status bar item up to date, restarts on settings changes.
 * The decisions themselves live in config.ts and status.ts (testable without VS Code).
 */
import * as cp from "node:child_process";
import * as os from "node:os";
import * as vscode from "vscode";
import {
  CloseAction,
  ErrorAction,
  type ErrorHandler,
  LanguageClient,
  type LanguageClientOptions,
  RevealOutputChannelOn,
  type ServerOptions,
  State,
  TransportKind,
} from "vscode-languageclient/node";

import {
  buildImportCheck,
  buildServerCommand,
  chooseInterpreter,
  CONFIG_SECTION,
  displayCommand,
  classifyImportCheck,
  type ImportCheckResult,
  installCommand,
  type InterpreterChoice,
  interpreterFromPythonApi,
  LANGUAGES,
  PYTHON_EXTENSION_ID,
  readSettings,
  RESTART_SETTINGS,
  SCHEMES,
  serverEnvironment,
  withTimeout,
} from "./config";
import { ProgressTracker, RESTART_COMMAND, runningState, type ServerState, SHOW_OUTPUT_COMMAND, StatusBar } from "./status";

const CLIENT_ID = "perfsense";
const CLIENT_NAME = "perfsense";
const IMPORT_CHECK_TIMEOUT_MS = 30_000;
const PYTHON_EXTENSION_TIMEOUT_MS = 15_000;
const CONFIG_RESTART_DELAY_MS = 400;
const STOP_TIMEOUT_MS = 3_000;
/** A server that has not answered `initialize` by then is killed, so restarts are never stuck. */
const START_TIMEOUT_MS = 60_000;

/**
 * vscode-languageclient 9 calls `void this.stop()` when `initialize` fails, while the client
 * is still starting; that `stop()` rejects ("can't be stopped") with nobody listening. A
 * client that is not running has nothing to stop, so that rejection is dropped here.
 */
class PerfsenseLanguageClient extends LanguageClient {
  override async stop(timeout?: number): Promise<void> {
    try {
      await super.stop(timeout);
    } catch (err) {
      if (this.state === State.Running) {
        throw err;
      }
    }
  }
}

/** What `activate()` returns: for other extensions and for the tests. */
export interface PerfsenseApi {
  /** The running language client, if any. */
  readonly client: LanguageClient | undefined;
  /** The state shown in the status bar. */
  readonly state: ServerState;
  readonly onDidChangeState: vscode.Event<ServerState>;
  /** Stop and start the server again (what the restart command does). */
  restart(): Promise<void>;
  /** Resolves once every start/stop queued so far has finished. */
  settled(): Promise<void>;
}

class Controller implements vscode.Disposable, PerfsenseApi {
  private readonly output: vscode.LogOutputChannel;
  private readonly statusItem: vscode.StatusBarItem;
  private readonly status: StatusBar;
  private readonly stateEmitter = new vscode.EventEmitter<ServerState>();
  private readonly progress = new ProgressTracker();
  private readonly disposables: vscode.Disposable[] = [];
  private currentClient: LanguageClient | undefined;
  private queue: Promise<void> = Promise.resolve();
  private restartTimer: ReturnType<typeof setTimeout> | undefined;
  private watchedPythonApi = false;
  private disposed = false;

  readonly onDidChangeState = this.stateEmitter.event;

  constructor() {
    this.output = vscode.window.createOutputChannel("perfsense", { log: true });
    this.statusItem = vscode.window.createStatusBarItem("perfsense.status", vscode.StatusBarAlignment.Right, 100);
    this.statusItem.name = "perfsense";
    this.status = new StatusBar(this.statusItem, (id) => new vscode.ThemeColor(id));
    this.disposables.push(
      this.output,
      this.statusItem,
      this.stateEmitter,
      vscode.commands.registerCommand(RESTART_COMMAND, () => this.restart()),
      vscode.commands.registerCommand(SHOW_OUTPUT_COMMAND, () => this.output.show(true)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (RESTART_SETTINGS.some((key) => e.affectsConfiguration(`${CONFIG_SECTION}.${key}`))) {
          this.scheduleRestart("perfsense settings changed");
        }
      }),
    );
  }

  get client(): LanguageClient | undefined {
    return this.currentClient;
  }

  get state(): ServerState {
    return this.status.state;
  }

  start(): Promise<void> {
    return this.enqueue(() => this.startServer());
  }

  restart(): Promise<void> {
    return this.enqueue(async () => {
      await this.stopServer();
      await this.startServer();
    });
  }

  settled(): Promise<void> {
    return this.queue;
  }

  async dispose(): Promise<void> {
    if (this.disposed) {
      return;
    }
    this.disposed = true;
    this.clearRestartTimer();
    await this.enqueue(() => this.stopServer());
    for (const d of this.disposables.splice(0).reverse()) {
      try {
        d.dispose();
      } catch {
        // keep disposing the rest
      }
    }
  }

  // -- internals ----------------------------------------------------------------------

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(task).catch((err: unknown) => {
      this.output.error(`perfsense: ${describe(err)}`);
    });
    this.queue = run;
    return run;
  }

  private scheduleRestart(reason: string): void {
    if (this.disposed) {
      return;
    }
    this.clearRestartTimer();
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.output.info(`Restarting: ${reason}.`);
      void this.restart();
    }, CONFIG_RESTART_DELAY_MS);
  }

  private clearRestartTimer(): void {
    if (this.restartTimer !== undefined) {
      clearTimeout(this.restartTimer);
      this.restartTimer = undefined;
    }
  }

  private setState(state: ServerState): void {
    this.status.set(state);
    this.stateEmitter.fire(state);
  }

  private async startServer(): Promise<void> {
    if (this.disposed) {
      return;
    }
    const folder = vscode.workspace.workspaceFolders?.[0];
    const config = vscode.workspace.getConfiguration(CONFIG_SECTION, folder?.uri);
    const settings = readSettings((key) => config.get(key));
    if (!settings.enable) {
      this.output.info("perfsense is disabled (perfsense.enable = false).");
      this.setState({ kind: "disabled" });
      return;
    }

    const fromPython = settings.interpreter === "" ? await this.pythonExtensionInterpreter(folder?.uri) : undefined;
    const choice = chooseInterpreter(settings, fromPython, { workspaceFolder: folder?.uri.fsPath, home: os.homedir() });
    const shown = displayCommand(choice.command);
    this.output.info(`Interpreter: ${shown} (${describeSource(choice)}).`);
    this.setState({ kind: "starting", interpreter: shown });

    const check = await runImportCheck(choice.command, os.tmpdir());
    if (!check.ok) {
      this.reportImportFailure(choice, check);
      return;
    }

    const server = buildServerCommand(choice.command, settings);
    const serverOptions: ServerOptions = {
      command: server.command,
      args: [...server.args],
      transport: TransportKind.stdio,
      options: { cwd: folder?.uri.fsPath, env: serverEnvironment(process.env) },
    };
    // vscode-languageclient restarts a server that dies (up to 4 times in 3 minutes). That
    // is right for a server that ran and crashed, not for one that never started (its start
    // is reported as failed here), nor for a client this controller has let go.
    let started = false;
    let abandoned = false;
    let defaultHandler: ErrorHandler | undefined;
    const fallback = () => (defaultHandler ??= client.createDefaultErrorHandler());
    const keep = () => started && !abandoned && this.currentClient === client;
    const errorHandler: ErrorHandler = {
      error: (error, message, count) =>
        keep() ? fallback().error(error, message, count) : { action: ErrorAction.Shutdown, handled: true },
      closed: () => (keep() ? fallback().closed() : { action: CloseAction.DoNotRestart, handled: true }),
    };
    const clientOptions: LanguageClientOptions = {
      errorHandler,
      // Log a failed `initialize` instead of the client's bare popup of the error message;
      // the status bar item turns red and its click shows this output.
      initializationFailedHandler: (error) => {
        this.output.error(`The perfsense language server failed to initialize: ${describe(error)}`);
        return false;
      },
      documentSelector: LANGUAGES.flatMap((language) => SCHEMES.map((scheme) => ({ scheme, language }))),
      outputChannel: this.output,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      diagnosticCollectionName: "perfsense",
      middleware: {
        handleWorkDoneProgress: (token, params, next) => {
          next(token, params);
          if (this.progress.update(token, params) && this.currentClient === client && client.isRunning()) {
            this.setState(runningState(shown, this.progress.summary()));
          }
        },
      },
    };

    this.output.info(`Starting: ${displayCommand([server.command, ...server.args])} (stdio).`);
    const client = new PerfsenseLanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
    this.currentClient = client;
    this.progress.clear();
    client.onDidChangeState((e) => {
      if (this.currentClient !== client) {
        return;
      }
      if (e.newState === State.Running) {
        this.setState(runningState(shown, this.progress.summary()));
      } else if (e.newState === State.Starting) {
        this.setState({ kind: "starting", interpreter: shown });
      } else if (e.newState === State.Stopped && started) {
        // A crash: the client may restart the server (Starting, then Running again).
        this.progress.clear();
        this.setState({ kind: "error", interpreter: shown, message: "the server stopped; see the perfsense output" });
      }
    });

    const starting = client.start();
    markStartHandled(client);
    const timedOut = await stillPendingAfter(starting, START_TIMEOUT_MS);
    if (timedOut) {
      abandoned = true;
      starting.catch(() => undefined);
      this.output.error(`The perfsense language server did not answer 'initialize' within ${START_TIMEOUT_MS / 1000} s; stopping it.`);
      killServerProcess(client);
      if (this.currentClient === client) {
        this.currentClient = undefined;
      }
      this.setState({ kind: "error", interpreter: shown, message: "the server did not answer 'initialize'" });
      return;
    }
    try {
      await starting;
      if (!client.isRunning()) {
        // vscode-languageclient 9 resolves start() when the connection closes while starting.
        throw new Error("the server exited during initialization; see the perfsense output");
      }
      started = true;
      this.output.info("perfsense language server started.");
      this.setState(runningState(shown, this.progress.summary()));
    } catch (err) {
      this.output.error(`The perfsense language server failed to start: ${describe(err)}`);
      if (this.currentClient === client) {
        this.currentClient = undefined;
      }
      this.setState({ kind: "error", interpreter: shown, message: `failed to start: ${describe(err)}` });
      try {
        await client.dispose(STOP_TIMEOUT_MS);
      } catch {
        // already gone
      }
    }
  }

  private async stopServer(): Promise<void> {
    const client = this.currentClient;
    this.currentClient = undefined;
    this.progress.clear();
    if (client === undefined) {
      return;
    }
    try {
      if (client.needsStop()) {
        await client.stop(STOP_TIMEOUT_MS);
      }
    } catch (err) {
      this.output.warn(`Stopping the perfsense language server: ${describe(err)}`);
    }
    try {
      await client.dispose(STOP_TIMEOUT_MS);
    } catch {
      // already stopped
    }
    if (!this.disposed) {
      this.setState({ kind: "stopped" });
    }
  }

  /** The Python extension's selected interpreter, or undefined (never throws). */
  private async pythonExtensionInterpreter(resource: vscode.Uri | undefined): Promise<string[] | undefined> {
    const extension = vscode.extensions.getExtension(PYTHON_EXTENSION_ID);
    if (extension === undefined) {
      return undefined;
    }
    try {
      const api: unknown = extension.isActive
        ? extension.exports
        : await withTimeout(Promise.resolve(extension.activate()), PYTHON_EXTENSION_TIMEOUT_MS, "activating the Python extension");
      this.watchPythonApi(api);
      return await withTimeout(interpreterFromPythonApi(api, resource), PYTHON_EXTENSION_TIMEOUT_MS, "asking the Python extension for its interpreter");
    } catch (err) {
      this.output.warn(`Could not get the interpreter from the Python extension: ${describe(err)}`);
      return undefined;
    }
  }

  /** Restart when the Python extension's selected interpreter changes (only matters when perfsense.interpreter is unset). */
  private watchPythonApi(api: unknown): void {
    if (this.watchedPythonApi || typeof api !== "object" || api === null) {
      return;
    }
    const a = api as {
      environments?: { onDidChangeActiveEnvironmentPath?: unknown };
      settings?: { onDidChangeExecutionDetails?: unknown };
    };
    const event = a.environments?.onDidChangeActiveEnvironmentPath ?? a.settings?.onDidChangeExecutionDetails;
    if (typeof event !== "function") {
      return;
    }
    this.watchedPythonApi = true;
    const listener = () => {
      const interpreter = vscode.workspace.getConfiguration(CONFIG_SECTION).get<string>("interpreter", "");
      if (interpreter.trim() === "") {
        this.scheduleRestart("the Python extension's interpreter changed");
      }
    };
    try {
      const disposable = (event as (l: () => void) => vscode.Disposable | undefined)(listener);
      if (disposable !== undefined && typeof disposable.dispose === "function") {
        this.disposables.push(disposable);
      }
    } catch (err) {
      this.output.warn(`Could not watch the Python extension's interpreter: ${describe(err)}`);
    }
  }

  private reportImportFailure(choice: InterpreterChoice, check: Exclude<ImportCheckResult, { ok: true }>): void {
    const shown = displayCommand(choice.command);
    const install = installCommand(choice.command);
    const copy = "Copy install command";
    const openSettings = "Open Settings";
    const showOutput = "Show Output";
    let message: string;
    let actions: string[];
    switch (check.reason) {
      case "interpreter-not-found":
        message = `perfsense: Python interpreter not found: ${shown} (${check.detail}). Set perfsense.interpreter or select an interpreter in the Python extension.`;
        actions = [openSettings, showOutput];
        this.setState({ kind: "interpreter-not-found", interpreter: shown });
        break;
      case "not-installed":
        message = `perfsense not installed in this interpreter (${shown}). Install it with: ${install}`;
        actions = [copy, openSettings, showOutput];
        this.setState({ kind: "not-installed", interpreter: shown, installCommand: install });
        break;
      case "timeout":
        message = `perfsense: \`${shown} -c "import perfsense.lsp"\` did not finish in ${IMPORT_CHECK_TIMEOUT_MS / 1000} s.`;
        actions = [showOutput];
        this.setState({ kind: "error", interpreter: shown, message: "the interpreter did not answer" });
        break;
      case "import-error":
        message = `perfsense could not be imported in ${shown}: ${check.detail}. Reinstall it with: ${install}`;
        actions = [copy, openSettings, showOutput];
        this.setState({ kind: "error", interpreter: shown, message: `import failed: ${check.detail}` });
        break;
    }
    this.output.error(message);
    void vscode.window.showErrorMessage(message, ...actions).then(
      async (choiceMade) => {
        if (choiceMade === copy) {
          await vscode.env.clipboard.writeText(install);
          void vscode.window.showInformationMessage(`Copied: ${install}`);
        } else if (choiceMade === openSettings) {
          await vscode.commands.executeCommand("workbench.action.openSettings", `${CONFIG_SECTION}.interpreter`);
        } else if (choiceMade === showOutput) {
          this.output.show(true);
        }
      },
      () => undefined,
    );
  }
}

/** Run `<interpreter> -c "import perfsense.lsp"` outside the workspace. */
function runImportCheck(interpreter: readonly string[], cwd: string): Promise<ImportCheckResult> {
  const { command, args } = buildImportCheck(interpreter);
  return new Promise((resolve) => {
    cp.execFile(
      command,
      [...args],
      { cwd, env: serverEnvironment(process.env), timeout: IMPORT_CHECK_TIMEOUT_MS, windowsHide: true, encoding: "utf8" },
      (error, _stdout, stderr) => {
        if (error === null) {
          resolve(classifyImportCheck({ exitCode: 0, stderr }));
          return;
        }
        const code = (error as { code?: unknown }).code;
        resolve(
          classifyImportCheck({
            spawnError: typeof code === "string" ? code : undefined,
            exitCode: typeof code === "number" ? code : null,
            signal: error.signal ?? null,
            timedOut: error.killed === true,
            stderr: String(stderr ?? ""),
          }),
        );
      },
    );
  });
}

/** Resolves true if `promise` is still pending after `ms`, false once it settles (either way). */
function stillPendingAfter(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(true), ms);
    const done = () => {
      clearTimeout(timer);
      resolve(false);
    };
    promise.then(done, done);
  });
}

/**
 * vscode-languageclient 9 forgets its own start promise when the connection closes while
 * starting and then rejects it with nobody listening (an unhandled rejection). That
 * promise is the one `start()` returns in every other case, so handling it here is harmless.
 */
function markStartHandled(client: LanguageClient): void {
  const onStart = (client as unknown as { _onStart?: Promise<unknown> })._onStart;
  if (onStart !== undefined && typeof onStart.catch === "function") {
    onStart.catch(() => undefined);
  }
}

/**
 * Kill the server process of a client whose start hangs: vscode-languageclient cannot stop
 * a client before `initialize` is answered, and keeps the process in a private field.
 */
function killServerProcess(client: LanguageClient): void {
  const proc = (client as unknown as { _serverProcess?: { kill?: (signal?: string) => boolean } })._serverProcess;
  try {
    proc?.kill?.("SIGKILL");
  } catch {
    // already gone
  }
}

function describeSource(choice: InterpreterChoice): string {
  switch (choice.source) {
    case "setting":
      return "from perfsense.interpreter";
    case "python-extension":
      return "selected in the Python extension";
    case "default":
      return "default; set perfsense.interpreter or install the Python extension to choose another";
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

let controller: Controller | undefined;

/**
 * Activation does not wait for the server: the start (interpreter lookup, import check,
 * LSP initialize) runs in the background; `settled()` on the returned API waits for it.
 */
export function activate(context: vscode.ExtensionContext): PerfsenseApi {
  const c = new Controller();
  controller = c;
  context.subscriptions.push({ dispose: () => void c.dispose() });
  void c.start();
  return c;
}

export async function deactivate(): Promise<void> {
  const c = controller;
  controller = undefined;
  await c?.dispose();
}
