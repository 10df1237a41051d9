/**
 * What the status bar item says, as pure functions of the server's state, plus the
 * tracking of `$/progress` work-done reports. Only types come from `vscode`, so this
 * module runs in plain Node.
 */

export type ServerState =
  | { readonly kind: "disabled" }
  | { readonly kind: "starting"; readonly interpreter: string }
  | { readonly kind: "indexing"; readonly interpreter: string; readonly progress: ProgressSummary }
  | { readonly kind: "ready"; readonly interpreter: string }
  | { readonly kind: "not-installed"; readonly interpreter: string; readonly installCommand: string }
  | { readonly kind: "interpreter-not-found"; readonly interpreter: string }
  | { readonly kind: "error"; readonly interpreter?: string; readonly message: string }
  | { readonly kind: "stopped" };

export type StatusSeverity = "none" | "warning" | "error";

export interface StatusView {
  readonly text: string;
  readonly tooltip: string;
  readonly severity: StatusSeverity;
}

export const SHOW_OUTPUT_COMMAND = "perfsense.showOutput";
export const RESTART_COMMAND = "perfsense.restartServer";

const NAME = "perfsense";

/** The status bar text, tooltip and severity for a state. */
export function renderStatus(state: ServerState): StatusView {
  switch (state.kind) {
    case "disabled":
      return { text: `${NAME}: off`, tooltip: "perfsense is disabled (setting perfsense.enable).", severity: "none" };
    case "starting":
      return {
        text: `$(sync~spin) ${NAME}: starting…`,
        tooltip: `Starting the perfsense language server with ${state.interpreter}.`,
        severity: "none",
      };
    case "indexing": {
      const p = state.progress;
      const pct = p.percentage !== undefined ? ` ${Math.round(p.percentage)}%` : "";
      const detail = [p.title, p.message].filter((s) => s !== undefined && s !== "").join(": ");
      return {
        text: `$(sync~spin) ${NAME}: indexing…${pct}`,
        tooltip: `${detail !== "" ? detail : "Indexing the workspace"} (interpreter: ${state.interpreter}).`,
        severity: "none",
      };
    }
    case "ready":
      return {
        text: `$(pulse) ${NAME}`,
        tooltip: `perfsense language server running (interpreter: ${state.interpreter}). Click for its output.`,
        severity: "none",
      };
    case "not-installed":
      return {
        text: `$(warning) ${NAME}: not installed`,
        tooltip:
          `perfsense not installed in this interpreter (${state.interpreter}).\n` +
          `Install it with: ${state.installCommand}\n` +
          `or choose another interpreter with the setting perfsense.interpreter.`,
        severity: "warning",
      };
    case "interpreter-not-found":
      return {
        text: `$(error) ${NAME}: no interpreter`,
        tooltip: `Python interpreter not found: ${state.interpreter}. Set perfsense.interpreter or select an interpreter in the Python extension.`,
        severity: "error",
      };
    case "error":
      return {
        text: `$(error) ${NAME}`,
        tooltip: `perfsense language server error: ${state.message}${state.interpreter !== undefined ? ` (interpreter: ${state.interpreter})` : ""}. Click for the output.`,
        severity: "error",
      };
    case "stopped":
      return { text: `${NAME}: stopped`, tooltip: "The perfsense language server is not running.", severity: "none" };
  }
}

/** Theme colour id of the status bar item's background for a severity, if any. */
export function backgroundColorId(severity: StatusSeverity): string | undefined {
  switch (severity) {
    case "warning":
      return "statusBarItem.warningBackground";
    case "error":
      return "statusBarItem.errorBackground";
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------
// $/progress (work-done progress) tracking

/** The LSP WorkDoneProgress payloads (begin / report / end), as far as they are read here. */
export interface WorkDoneProgressValue {
  readonly kind: "begin" | "report" | "end";
  readonly title?: string;
  readonly message?: string;
  readonly percentage?: number;
}

export interface ProgressSummary {
  readonly title?: string;
  readonly message?: string;
  readonly percentage?: number;
  /** How many progress tokens are active. */
  readonly active: number;
}

/**
 * Follows the server's work-done progress tokens. Several may run at once; the summary
 * shows the most recently begun one.
 */
export class ProgressTracker {
  private readonly active = new Map<string, { title?: string; message?: string; percentage?: number }>();

  /** Feed one `$/progress` value; returns whether the summary may have changed. */
  update(token: string | number, value: WorkDoneProgressValue | unknown): boolean {
    if (!isWorkDoneProgress(value)) {
      return false;
    }
    const key = String(token);
    switch (value.kind) {
      case "begin":
        this.active.delete(key); // re-insert: the most recent begin is shown
        this.active.set(key, { title: value.title, message: value.message, percentage: value.percentage });
        return true;
      case "report": {
        const entry = this.active.get(key);
        if (entry === undefined) {
          return false;
        }
        if (value.message !== undefined) entry.message = value.message;
        if (value.percentage !== undefined) entry.percentage = value.percentage;
        return true;
      }
      case "end":
        return this.active.delete(key);
    }
  }

  /** The summary to show, or undefined when no progress is active. */
  summary(): ProgressSummary | undefined {
    if (this.active.size === 0) {
      return undefined;
    }
    const entries = [...this.active.values()];
    const last = entries[entries.length - 1]!;
    return { ...last, active: entries.length };
  }

  clear(): void {
    this.active.clear();
  }
}

function isWorkDoneProgress(value: unknown): value is WorkDoneProgressValue {
  if (typeof value !== "object" || value === null) {
    return false;
  }
  const kind = (value as { kind?: unknown }).kind;
  return kind === "begin" || kind === "report" || kind === "end";
}

/**
 * The state to show while the server runs: `indexing` with the progress summary while
 * any work-done progress is active, else `ready`.
 */
export function runningState(interpreter: string, progress: ProgressSummary | undefined): ServerState {
  return progress !== undefined ? { kind: "indexing", interpreter, progress } : { kind: "ready", interpreter };
}

/** The subset of `vscode.StatusBarItem` that is written here. */
export interface StatusItemLike {
  text: string;
  tooltip: unknown;
  command: unknown;
  backgroundColor: unknown;
  show(): void;
}

/** Applies states to a status bar item. `color(id)` makes a `vscode.ThemeColor`. */
export class StatusBar {
  private current: ServerState = { kind: "stopped" };

  constructor(
    private readonly item: StatusItemLike,
    private readonly color: (id: string) => unknown,
  ) {
    this.item.command = SHOW_OUTPUT_COMMAND;
    this.set(this.current);
    this.item.show();
  }

  get state(): ServerState {
    return this.current;
  }

  set(state: ServerState): void {
    this.current = state;
    const view = renderStatus(state);
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    const bg = backgroundColorId(view.severity);
    this.item.backgroundColor = bg !== undefined ? this.color(bg) : undefined;
  }
}
