"use strict";
/**
 * A minimal stand-in for the `vscode` module, good enough to run the real compiled
 * extension and the real vscode-languageclient in plain Node (real VS Code cannot run
 * here: its download host is unreachable).
 *
 *   const { createVscodeStub } = require("./vscode-stub.cjs");
 *   const stub = createVscodeStub({ settings, workspaceFolders, extensions, respond });
 *   const uninstall = stub.install();        // patches Module._load("vscode")
 *   ... require the extension, activate(stub.context) ...
 *   uninstall();
 *
 * The stub creates no timers. It records what the extension does: output lines, status
 * bar texts, messages shown, diagnostics set, commands executed, and any property of the
 * API that was read but is not implemented (`stub.missing`).
 */
const Module = require("node:module");
const nodePath = require("node:path");
const url = require("node:url");

// ------------------------------------------------------------------------------------
// Basic types

class Disposable {
  constructor(fn) {
    this._fn = fn;
  }
  static from(...items) {
    return new Disposable(() => {
      for (const d of items) d && typeof d.dispose === "function" && d.dispose();
    });
  }
  dispose() {
    const fn = this._fn;
    this._fn = undefined;
    if (fn) fn();
  }
}

class EventEmitter {
  constructor() {
    this._listeners = new Set();
    this.event = (listener, thisArgs, disposables) => {
      const entry = { listener, thisArgs };
      this._listeners.add(entry);
      const d = new Disposable(() => this._listeners.delete(entry));
      if (Array.isArray(disposables)) disposables.push(d);
      return d;
    };
  }
  fire(value) {
    for (const { listener, thisArgs } of [...this._listeners]) {
      try {
        listener.call(thisArgs, value);
      } catch (err) {
        // VS Code logs listener errors and goes on
        console.error("[vscode-stub] listener error:", err);
      }
    }
  }
  dispose() {
    this._listeners.clear();
  }
}

class CancellationError extends Error {
  constructor() {
    super("Canceled");
    this.name = "Canceled";
  }
}

function makeCancellationToken() {
  const emitter = new EventEmitter();
  return {
    token: {
      isCancellationRequested: false,
      onCancellationRequested: emitter.event,
    },
    emitter,
  };
}

class CancellationTokenSource {
  constructor() {
    const { token, emitter } = makeCancellationToken();
    this.token = token;
    this._emitter = emitter;
  }
  cancel() {
    if (!this.token.isCancellationRequested) {
      this.token.isCancellationRequested = true;
      this._emitter.fire(undefined);
    }
  }
  dispose() {
    this._emitter.dispose();
  }
}

class Uri {
  constructor(scheme, authority, path, query, fragment) {
    this.scheme = scheme;
    this.authority = authority || "";
    this.path = path || "";
    this.query = query || "";
    this.fragment = fragment || "";
  }
  static file(fsPath) {
    return new Uri("file", "", nodePath.resolve(fsPath), "", "");
  }
  static parse(value) {
    if (value.startsWith("file:")) {
      const u = new URL(value);
      return new Uri("file", u.host, url.fileURLToPath(u), "", "");
    }
    const m = /^([a-zA-Z][\w+.-]*):(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/.exec(value);
    if (!m) throw new Error(`[vscode-stub] cannot parse URI ${value}`);
    const dec = (s) => (s ? decodeURIComponent(s) : "");
    return new Uri(m[1], dec(m[2]), dec(m[3]), dec(m[4]), dec(m[5]));
  }
  static joinPath(base, ...segments) {
    return base.with({ path: nodePath.posix.join(base.path, ...segments) });
  }
  get fsPath() {
    return this.path;
  }
  with(change) {
    return new Uri(
      change.scheme ?? this.scheme,
      change.authority ?? this.authority,
      change.path ?? this.path,
      change.query ?? this.query,
      change.fragment ?? this.fragment,
    );
  }
  toString() {
    if (this.scheme === "file") {
      return url.pathToFileURL(this.path).href;
    }
    const auth = this.authority ? `//${encodeURIComponent(this.authority)}` : "";
    const q = this.query ? `?${encodeURIComponent(this.query)}` : "";
    const f = this.fragment ? `#${encodeURIComponent(this.fragment)}` : "";
    return `${this.scheme}:${auth}${encodeURI(this.path)}${q}${f}`;
  }
  toJSON() {
    return { scheme: this.scheme, authority: this.authority, path: this.path, query: this.query, fragment: this.fragment };
  }
}

class Position {
  constructor(line, character) {
    this.line = line;
    this.character = character;
  }
  isBefore(o) {
    return this.line < o.line || (this.line === o.line && this.character < o.character);
  }
  isEqual(o) {
    return this.line === o.line && this.character === o.character;
  }
  translate(lineDelta = 0, charDelta = 0) {
    return new Position(this.line + lineDelta, this.character + charDelta);
  }
}

class Range {
  constructor(a, b, c, d) {
    if (typeof a === "number") {
      this.start = new Position(a, b);
      this.end = new Position(c, d);
    } else {
      this.start = a;
      this.end = b;
    }
  }
  get isEmpty() {
    return this.start.isEqual(this.end);
  }
  get isSingleLine() {
    return this.start.line === this.end.line;
  }
}

class Selection extends Range {}

class Location {
  constructor(uri, rangeOrPosition) {
    this.uri = uri;
    this.range = rangeOrPosition instanceof Position ? new Range(rangeOrPosition, rangeOrPosition) : rangeOrPosition;
  }
}

const DiagnosticSeverity = { Error: 0, Warning: 1, Information: 2, Hint: 3 };
const DiagnosticTag = { Unnecessary: 1, Deprecated: 2 };

class Diagnostic {
  constructor(range, message, severity = DiagnosticSeverity.Error) {
    this.range = range;
    this.message = message;
    this.severity = severity;
  }
}

class DiagnosticRelatedInformation {
  constructor(location, message) {
    this.location = location;
    this.message = message;
  }
}

class ThemeColor {
  constructor(id) {
    this.id = id;
  }
}

class MarkdownString {
  constructor(value = "", supportThemeIcons = false) {
    this.value = value;
    this.supportThemeIcons = supportThemeIcons;
  }
  appendText(t) {
    this.value += t;
    return this;
  }
  appendMarkdown(t) {
    this.value += t;
    return this;
  }
  appendCodeblock(code, lang = "") {
    this.value += `\n\`\`\`${lang}\n${code}\n\`\`\`\n`;
    return this;
  }
}

class TextEdit {
  constructor(range, newText) {
    this.range = range;
    this.newText = newText;
  }
  static replace(range, newText) {
    return new TextEdit(range, newText);
  }
  static insert(position, newText) {
    return new TextEdit(new Range(position, position), newText);
  }
  static delete(range) {
    return new TextEdit(range, "");
  }
}

class WorkspaceEdit {
  constructor() {
    this._edits = [];
  }
  replace(uri, range, newText) {
    this._edits.push({ uri, edit: new TextEdit(range, newText) });
  }
  insert(uri, position, newText) {
    this._edits.push({ uri, edit: TextEdit.insert(position, newText) });
  }
  delete(uri, range) {
    this._edits.push({ uri, edit: TextEdit.delete(range) });
  }
  set(uri, edits) {
    for (const edit of edits) this._edits.push({ uri, edit });
  }
  entries() {
    return this._edits.map((e) => [e.uri, [e.edit]]);
  }
  get size() {
    return this._edits.length;
  }
}

class CodeActionKind {
  constructor(value) {
    this.value = value;
  }
  append(part) {
    return new CodeActionKind(this.value ? `${this.value}.${part}` : part);
  }
  contains(other) {
    return this.value === other.value || other.value.startsWith(`${this.value}.`);
  }
  intersects(other) {
    return this.contains(other) || other.contains(this);
  }
}
CodeActionKind.Empty = new CodeActionKind("");
CodeActionKind.QuickFix = new CodeActionKind("quickfix");
CodeActionKind.Refactor = new CodeActionKind("refactor");
CodeActionKind.Source = new CodeActionKind("source");
CodeActionKind.SourceFixAll = new CodeActionKind("source.fixAll");
CodeActionKind.SourceOrganizeImports = new CodeActionKind("source.organizeImports");

/** Plain data classes the client extends or instantiates; the constructor keeps its arguments. */
function dataClass(name, fields) {
  const cls = class {
    constructor(...args) {
      fields.forEach((f, i) => {
        if (args[i] !== undefined) this[f] = args[i];
      });
    }
  };
  Object.defineProperty(cls, "name", { value: name });
  return cls;
}
const CodeAction = dataClass("CodeAction", ["title", "kind"]);
const CodeLens = dataClass("CodeLens", ["range", "command"]);
const CompletionItem = dataClass("CompletionItem", ["label", "kind"]);
const DocumentLink = dataClass("DocumentLink", ["range", "target"]);
const InlayHint = dataClass("InlayHint", ["position", "label", "kind"]);
const SymbolInformation = dataClass("SymbolInformation", ["name", "kind", "containerName", "location"]);
const CallHierarchyItem = dataClass("CallHierarchyItem", ["kind", "name", "detail", "uri", "range", "selectionRange"]);
const TypeHierarchyItem = dataClass("TypeHierarchyItem", ["kind", "name", "detail", "uri", "range", "selectionRange"]);
const Hover = dataClass("Hover", ["contents", "range"]);
const TabInputText = dataClass("TabInputText", ["uri"]);
const TabInputTextDiff = dataClass("TabInputTextDiff", ["original", "modified"]);
const TabInputCustom = dataClass("TabInputCustom", ["uri", "viewType"]);
const TabInputNotebook = dataClass("TabInputNotebook", ["uri", "notebookType"]);

const StatusBarAlignment = { Left: 1, Right: 2 };
const ProgressLocation = { SourceControl: 1, Window: 10, Notification: 15 };
const EndOfLine = { LF: 1, CRLF: 2 };
const LogLevel = { Off: 0, Trace: 1, Debug: 2, Info: 3, Warning: 4, Error: 5 };
const ConfigurationTarget = { Global: 1, Workspace: 2, WorkspaceFolder: 3 };
const ExtensionMode = { Production: 1, Development: 2, Test: 3 };
const UIKind = { Desktop: 1, Web: 2 };

// ------------------------------------------------------------------------------------
// Documents

function makeTextDocument(uri, languageId, text, version = 1) {
  const doc = {
    uri,
    fileName: uri.fsPath,
    languageId,
    version,
    isDirty: false,
    isClosed: false,
    isUntitled: uri.scheme === "untitled",
    eol: text.includes("\r\n") ? EndOfLine.CRLF : EndOfLine.LF,
    _text: text,
    get lineCount() {
      return this._lines().length;
    },
    _lines() {
      return this._text.split(/\r\n|\r|\n/);
    },
    getText(range) {
      if (!range) return this._text;
      return this._text.slice(this.offsetAt(range.start), this.offsetAt(range.end));
    },
    lineAt(lineOrPos) {
      const line = typeof lineOrPos === "number" ? lineOrPos : lineOrPos.line;
      const t = this._lines()[line] ?? "";
      return { lineNumber: line, text: t, range: new Range(line, 0, line, t.length), isEmptyOrWhitespace: t.trim() === "" };
    },
    offsetAt(pos) {
      const re = /\r\n|\r|\n/g;
      let offset = 0;
      for (let l = 0; l < pos.line; l++) {
        const m = re.exec(this._text);
        if (!m) return this._text.length;
        offset = m.index + m[0].length;
      }
      return Math.min(offset + pos.character, this._text.length);
    },
    positionAt(offset) {
      const before = this._text.slice(0, offset).split(/\r\n|\r|\n/);
      return new Position(before.length - 1, before[before.length - 1].length);
    },
    validateRange(r) {
      return r;
    },
    validatePosition(p) {
      return p;
    },
    getWordRangeAtPosition() {
      return undefined;
    },
    save() {
      return Promise.resolve(true);
    },
  };
  return doc;
}

/** VS Code's document selector score (`languages.match`), for language/scheme filters. */
function matchScore(selector, document) {
  if (Array.isArray(selector)) {
    return Math.max(0, ...selector.map((s) => matchScore(s, document)));
  }
  if (typeof selector === "string") {
    if (selector === document.languageId) return 10;
    return selector === "*" ? 5 : 0;
  }
  if (!selector) return 0;
  let score = 0;
  if (selector.scheme) {
    if (selector.scheme === document.uri.scheme) score = 10;
    else if (selector.scheme === "*") score = 5;
    else return 0;
  }
  if (selector.language) {
    if (selector.language === document.languageId) score = 10;
    else if (selector.language === "*") score = Math.max(score, 5);
    else return 0;
  }
  if (selector.notebookType) return 0;
  if (selector.pattern) {
    const pattern = typeof selector.pattern === "string" ? selector.pattern : selector.pattern.pattern;
    const matches = typeof nodePath.matchesGlob === "function" ? nodePath.matchesGlob(document.uri.fsPath, pattern) : true;
    if (!matches) return 0;
    score = Math.max(score, 5);
  }
  return score;
}

// ------------------------------------------------------------------------------------
// The stub

/**
 * @param {object} options
 * @param {Record<string, unknown>} [options.settings]  flat settings, e.g. {"perfsense.interpreter": "/usr/bin/python3"}
 * @param {string[]} [options.workspaceFolders]        folder paths
 * @param {Record<string, object>} [options.extensions] id -> { isActive, exports, activate() }
 * @param {(kind: string, message: string, items: string[]) => string | undefined} [options.respond]
 *        answers showErrorMessage/showWarningMessage/showInformationMessage
 * @param {boolean} [options.echo] copy output channel lines to stderr
 */
function createVscodeStub(options = {}) {
  const settings = { ...(options.settings ?? {}) };
  const record = {
    output: [], // lines of every output channel: "[channel] [level] text"
    statusTexts: [], // every text the status bar items took
    messages: [], // { kind, message, items }
    commandsExecuted: [], // { id, args }
    clipboard: "",
  };
  const missing = new Set();
  const diagnosticsChanged = new EventEmitter();
  const collections = [];
  const statusItems = [];
  const commands = new Map();
  const textDocuments = [];

  const onDidOpenTextDocument = new EventEmitter();
  const onDidCloseTextDocument = new EventEmitter();
  const onDidChangeTextDocument = new EventEmitter();
  const onDidSaveTextDocument = new EventEmitter();
  const onWillSaveTextDocument = new EventEmitter();
  const onDidChangeConfiguration = new EventEmitter();
  const onDidChangeWorkspaceFolders = new EventEmitter();
  const onDidChangeActiveTextEditor = new EventEmitter();
  const onDidChangeVisibleTextEditors = new EventEmitter();
  const onDidChangeTabs = new EventEmitter();
  const onDidChangeTabGroups = new EventEmitter();
  const onDidChangeDiagnostics = new EventEmitter();
  const emitters = [
    diagnosticsChanged,
    onDidOpenTextDocument,
    onDidCloseTextDocument,
    onDidChangeTextDocument,
    onDidSaveTextDocument,
    onWillSaveTextDocument,
    onDidChangeConfiguration,
    onDidChangeWorkspaceFolders,
    onDidChangeActiveTextEditor,
    onDidChangeVisibleTextEditors,
    onDidChangeTabs,
    onDidChangeTabGroups,
    onDidChangeDiagnostics,
  ];

  const workspaceFolders = (options.workspaceFolders ?? []).map((p, index) => ({
    uri: Uri.file(p),
    name: nodePath.basename(p),
    index,
  }));

  function log(channel, level, text) {
    const line = `[${channel}]${level ? ` [${level}]` : ""} ${text}`;
    record.output.push(line);
    if (options.echo) process.stderr.write(`${line}\n`);
  }

  function createOutputChannel(name, opts) {
    const isLog = typeof opts === "object" && opts !== null && opts.log === true;
    let partial = "";
    const channel = {
      name,
      append(text) {
        partial += text;
        const lines = partial.split("\n");
        partial = lines.pop();
        for (const l of lines) log(name, "", l);
      },
      appendLine(text) {
        log(name, "", partial + text);
        partial = "";
      },
      replace(text) {
        partial = "";
        this.append(text);
      },
      clear() {},
      show() {},
      hide() {},
      dispose() {
        if (partial) log(name, "", partial);
        partial = "";
      },
    };
    if (isLog) {
      const levelEmitter = new EventEmitter();
      emitters.push(levelEmitter);
      const fmt = (msg, args) =>
        [msg instanceof Error ? msg.stack ?? msg.message : String(msg), ...args.map((a) => (typeof a === "string" ? a : JSON.stringify(a)))].join(" ");
      Object.assign(channel, {
        logLevel: LogLevel.Trace,
        onDidChangeLogLevel: levelEmitter.event,
        trace: (msg, ...args) => log(name, "trace", fmt(msg, args)),
        debug: (msg, ...args) => log(name, "debug", fmt(msg, args)),
        info: (msg, ...args) => log(name, "info", fmt(msg, args)),
        warn: (msg, ...args) => log(name, "warning", fmt(msg, args)),
        error: (msg, ...args) => log(name, "error", fmt(msg, args)),
      });
    }
    return channel;
  }

  function createStatusBarItem(idOrAlignment, alignmentOrPriority, maybePriority) {
    const hasId = typeof idOrAlignment === "string";
    let text = "";
    const item = {
      id: hasId ? idOrAlignment : "stub.status",
      alignment: hasId ? alignmentOrPriority : idOrAlignment,
      priority: hasId ? maybePriority : alignmentOrPriority,
      name: undefined,
      tooltip: undefined,
      command: undefined,
      backgroundColor: undefined,
      color: undefined,
      accessibilityInformation: undefined,
      visible: false,
      get text() {
        return text;
      },
      set text(value) {
        text = value;
        record.statusTexts.push(value);
      },
      show() {
        this.visible = true;
      },
      hide() {
        this.visible = false;
      },
      dispose() {
        this.visible = false;
        this.disposed = true;
      },
    };
    statusItems.push(item);
    return item;
  }

  function showMessage(kind) {
    return (message, ...rest) => {
      const items = rest.filter((r) => typeof r === "string" || (r && typeof r.title === "string"));
      const titles = items.map((i) => (typeof i === "string" ? i : i.title));
      record.messages.push({ kind, message, items: titles });
      const answer = options.respond ? options.respond(kind, message, titles) : undefined;
      const chosen = answer === undefined ? undefined : items[titles.indexOf(answer)];
      return Promise.resolve(chosen);
    };
  }

  function createDiagnosticCollection(name) {
    const map = new Map(); // uri string -> { uri, diagnostics }
    const changed = (uri) => {
      diagnosticsChanged.fire({ collection: name, uri: uri.toString() });
      onDidChangeDiagnostics.fire({ uris: [uri] });
    };
    const collection = {
      name,
      set(uriOrEntries, diagnostics) {
        if (Array.isArray(uriOrEntries)) {
          for (const [uri, diags] of uriOrEntries) this.set(uri, diags);
          return;
        }
        const key = uriOrEntries.toString();
        if (diagnostics === undefined || diagnostics === null) map.delete(key);
        else map.set(key, { uri: uriOrEntries, diagnostics: [...diagnostics] });
        changed(uriOrEntries);
      },
      delete(uri) {
        map.delete(uri.toString());
        changed(uri);
      },
      clear() {
        const uris = [...map.values()].map((e) => e.uri);
        map.clear();
        for (const u of uris) changed(u);
      },
      forEach(cb) {
        for (const { uri, diagnostics } of map.values()) cb(uri, diagnostics, this);
      },
      get(uri) {
        return map.get(uri.toString())?.diagnostics;
      },
      has(uri) {
        return map.has(uri.toString());
      },
      dispose() {
        map.clear();
        this.disposed = true;
      },
      [Symbol.iterator]: function* () {
        for (const { uri, diagnostics } of map.values()) yield [uri, diagnostics];
      },
    };
    collections.push(collection);
    return collection;
  }

  function getConfiguration(section) {
    const full = (key) => (section ? `${section}.${key}` : key);
    return {
      get(key, defaultValue) {
        const k = full(key);
        return Object.prototype.hasOwnProperty.call(settings, k) ? settings[k] : defaultValue;
      },
      has(key) {
        return Object.prototype.hasOwnProperty.call(settings, full(key));
      },
      inspect(key) {
        const k = full(key);
        return { key: k, globalValue: settings[k] };
      },
      update(key, value) {
        setSetting(full(key), value);
        return Promise.resolve();
      },
    };
  }

  function setSetting(key, value) {
    if (value === undefined) delete settings[key];
    else settings[key] = value;
    onDidChangeConfiguration.fire({
      affectsConfiguration: (s) => key === s || key.startsWith(`${s}.`) || s.startsWith(`${key}.`),
    });
  }

  const noProvider = () => new Disposable(() => undefined);
  const registerProvider = new Proxy(
    {},
    {
      get: (_t, prop) => (typeof prop === "string" && prop.startsWith("register") ? noProvider : undefined),
    },
  );

  const tabGroup = { isActive: true, viewColumn: 1, activeTab: undefined, tabs: [] };

  const workspace = {
    get workspaceFolders() {
      return workspaceFolders.length > 0 ? workspaceFolders : undefined;
    },
    get name() {
      return workspaceFolders[0]?.name;
    },
    get rootPath() {
      return workspaceFolders[0]?.uri.fsPath;
    },
    workspaceFile: undefined,
    textDocuments,
    isTrusted: true,
    getConfiguration,
    getWorkspaceFolder(uri) {
      return workspaceFolders.find((f) => uri.fsPath === f.uri.fsPath || uri.fsPath.startsWith(f.uri.fsPath + nodePath.sep));
    },
    onDidOpenTextDocument: onDidOpenTextDocument.event,
    onDidCloseTextDocument: onDidCloseTextDocument.event,
    onDidChangeTextDocument: onDidChangeTextDocument.event,
    onDidSaveTextDocument: onDidSaveTextDocument.event,
    onWillSaveTextDocument: onWillSaveTextDocument.event,
    onDidChangeConfiguration: onDidChangeConfiguration.event,
    onDidChangeWorkspaceFolders: onDidChangeWorkspaceFolders.event,
    onDidCreateFiles: new EventEmitter().event,
    onDidDeleteFiles: new EventEmitter().event,
    onDidRenameFiles: new EventEmitter().event,
    onWillCreateFiles: new EventEmitter().event,
    onWillDeleteFiles: new EventEmitter().event,
    onWillRenameFiles: new EventEmitter().event,
    onDidOpenNotebookDocument: new EventEmitter().event,
    onDidCloseNotebookDocument: new EventEmitter().event,
    onDidChangeNotebookDocument: new EventEmitter().event,
    onDidSaveNotebookDocument: new EventEmitter().event,
    notebookDocuments: [],
    createFileSystemWatcher() {
      const e = () => new EventEmitter().event;
      return { onDidCreate: e(), onDidChange: e(), onDidDelete: e(), dispose() {} };
    },
    applyEdit() {
      return Promise.resolve(false);
    },
  };

  const window = {
    activeTextEditor: undefined,
    visibleTextEditors: [],
    tabGroups: { all: [tabGroup], activeTabGroup: tabGroup, onDidChangeTabs: onDidChangeTabs.event, onDidChangeTabGroups: onDidChangeTabGroups.event },
    onDidChangeActiveTextEditor: onDidChangeActiveTextEditor.event,
    onDidChangeVisibleTextEditors: onDidChangeVisibleTextEditors.event,
    createOutputChannel,
    createStatusBarItem,
    showErrorMessage: showMessage("error"),
    showWarningMessage: showMessage("warning"),
    showInformationMessage: showMessage("information"),
    withProgress(_options, task) {
      const { token } = makeCancellationToken();
      return Promise.resolve(task({ report() {} }, token));
    },
    showTextDocument(doc) {
      return Promise.resolve({ document: doc });
    },
  };

  const languages = new Proxy(
    {
      createDiagnosticCollection,
      match: matchScore,
      onDidChangeDiagnostics: onDidChangeDiagnostics.event,
      getDiagnostics(uri) {
        if (uri) return collections.flatMap((c) => c.get(uri) ?? []);
        return [];
      },
    },
    {
      get(target, prop) {
        if (prop in target) return target[prop];
        return registerProvider[prop];
      },
    },
  );

  const api = {
    __esModule: true,
    version: "1.82.0",
    Disposable,
    EventEmitter,
    CancellationError,
    CancellationTokenSource,
    Uri,
    Position,
    Range,
    Selection,
    Location,
    Diagnostic,
    DiagnosticSeverity,
    DiagnosticTag,
    DiagnosticRelatedInformation,
    ThemeColor,
    MarkdownString,
    TextEdit,
    WorkspaceEdit,
    CodeActionKind,
    CodeAction,
    CodeLens,
    CompletionItem,
    DocumentLink,
    InlayHint,
    SymbolInformation,
    CallHierarchyItem,
    TypeHierarchyItem,
    Hover,
    TabInputText,
    TabInputTextDiff,
    TabInputCustom,
    TabInputNotebook,
    StatusBarAlignment,
    ProgressLocation,
    EndOfLine,
    LogLevel,
    ConfigurationTarget,
    ExtensionMode,
    UIKind,
    workspace,
    window,
    languages,
    commands: {
      registerCommand(id, fn, thisArg) {
        if (commands.has(id)) throw new Error(`command '${id}' already exists`);
        commands.set(id, fn.bind(thisArg));
        return new Disposable(() => commands.delete(id));
      },
      executeCommand(id, ...args) {
        record.commandsExecuted.push({ id, args });
        const fn = commands.get(id);
        return Promise.resolve(fn ? fn(...args) : undefined);
      },
      getCommands() {
        return Promise.resolve([...commands.keys()]);
      },
    },
    env: {
      appName: "Visual Studio Code (stub)",
      appRoot: "/nonexistent",
      language: "en",
      machineId: "stub-machine",
      sessionId: "stub-session",
      uriScheme: "vscode",
      uiKind: UIKind.Desktop,
      clipboard: {
        readText: () => Promise.resolve(record.clipboard),
        writeText: (t) => {
          record.clipboard = t;
          return Promise.resolve();
        },
      },
      openExternal: () => Promise.resolve(true),
    },
    extensions: {
      getExtension(id) {
        return options.extensions?.[id];
      },
      get all() {
        return Object.values(options.extensions ?? {});
      },
      onDidChange: new EventEmitter().event,
    },
  };

  /** Record every property read that the stub does not implement. */
  function tracked(obj, prefix) {
    return new Proxy(obj, {
      get(target, prop, receiver) {
        if (typeof prop === "string" && !(prop in target) && prop !== "then" && prop !== "default" && prop !== "toJSON") {
          missing.add(`${prefix}${prop}`);
        }
        const value = Reflect.get(target, prop, receiver);
        return value;
      },
    });
  }
  const vscode = tracked(
    {
      ...api,
      workspace: tracked(workspace, "workspace."),
      window: tracked(window, "window."),
      env: tracked(api.env, "env."),
    },
    "",
  );

  const context = {
    subscriptions: [],
    extensionPath: nodePath.resolve(__dirname, ".."),
    extensionUri: Uri.file(nodePath.resolve(__dirname, "..")),
    extensionMode: ExtensionMode.Test,
    globalState: memento(),
    workspaceState: memento(),
    asAbsolutePath: (p) => nodePath.resolve(__dirname, "..", p),
    logUri: Uri.file("/tmp/perfsense-stub-logs"),
    storageUri: undefined,
    globalStorageUri: Uri.file("/tmp/perfsense-stub-storage"),
  };

  function memento() {
    const m = new Map();
    return { get: (k, d) => (m.has(k) ? m.get(k) : d), update: (k, v) => (m.set(k, v), Promise.resolve()), keys: () => [...m.keys()] };
  }

  const stub = {
    vscode,
    context,
    record,
    missing,
    settings,
    statusItems,
    collections,
    /** Fires on every change of any diagnostic collection: { collection, uri }. */
    onDiagnosticsChanged: diagnosticsChanged.event,
    /** Patch Module._load so that `require("vscode")` returns the stub; returns the undo. */
    install() {
      const originalLoad = Module._load;
      Module._load = function load(request, parent, isMain) {
        if (request === "vscode") return vscode;
        return originalLoad.call(this, request, parent, isMain);
      };
      return () => {
        Module._load = originalLoad;
      };
    },
    /**
     * Open a document in an editor, in VS Code's event order: the tab opens first
     * (tabGroups, onDidChangeTabs), then the document (workspace.textDocuments,
     * onDidOpenTextDocument), then it becomes the active editor. The pull-diagnostics
     * client only asks about documents that are visible in a tab.
     */
    openTextDocument(uri, languageId, text) {
      const tab = { label: nodePath.basename(uri.path), input: new TabInputText(uri), isActive: true, isDirty: false, isPinned: false, isPreview: false, group: tabGroup };
      for (const other of tabGroup.tabs) other.isActive = false;
      tabGroup.tabs.push(tab);
      tabGroup.activeTab = tab;
      onDidChangeTabs.fire({ opened: [tab], closed: [], changed: [] });
      const doc = makeTextDocument(uri, languageId, text);
      textDocuments.push(doc);
      onDidOpenTextDocument.fire(doc);
      const editor = { document: doc, viewColumn: 1, selection: new Selection(0, 0, 0, 0), selections: [new Selection(0, 0, 0, 0)], visibleRanges: [], options: {} };
      window.visibleTextEditors = [...window.visibleTextEditors, editor];
      window.activeTextEditor = editor;
      onDidChangeVisibleTextEditors.fire(window.visibleTextEditors);
      onDidChangeActiveTextEditor.fire(editor);
      return doc;
    },
    /** Close the document's editor and the document. */
    closeTextDocument(doc) {
      const key = doc.uri.toString();
      const closedTabs = tabGroup.tabs.filter((t) => t.input.uri.toString() === key);
      tabGroup.tabs = tabGroup.tabs.filter((t) => !closedTabs.includes(t));
      tabGroup.activeTab = tabGroup.tabs[tabGroup.tabs.length - 1];
      onDidChangeTabs.fire({ opened: [], closed: closedTabs, changed: [] });
      window.visibleTextEditors = window.visibleTextEditors.filter((e) => e.document !== doc);
      if (window.activeTextEditor?.document === doc) {
        window.activeTextEditor = window.visibleTextEditors[window.visibleTextEditors.length - 1];
        onDidChangeActiveTextEditor.fire(window.activeTextEditor);
      }
      const i = textDocuments.indexOf(doc);
      if (i >= 0) textDocuments.splice(i, 1);
      doc.isClosed = true;
      onDidCloseTextDocument.fire(doc);
    },
    /** Change a setting ("perfsense.enable") and fire onDidChangeConfiguration. */
    setSetting,
    /** All diagnostics currently set for `uri` in the collections named `name` (any if omitted). */
    diagnosticsFor(uri, name) {
      return collections
        .filter((c) => !c.disposed && (name === undefined || c.name === name))
        .flatMap((c) => c.get(uri) ?? []);
    },
    /** The last status bar item created (the extension makes one). */
    get statusItem() {
      return statusItems[statusItems.length - 1];
    },
    /** Dispose what the test's context collected and every stub emitter. */
    dispose() {
      for (const d of context.subscriptions.splice(0)) {
        try {
          d.dispose();
        } catch {
          // ignore
        }
      }
      for (const e of emitters) e.dispose();
    },
  };
  return stub;
}

module.exports = { createVscodeStub, Uri, Range, Position, Diagnostic, EventEmitter, Disposable };
