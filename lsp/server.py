"""The perfsense language server: thin pygls handlers over the session.

    python -m perfsense.lsp [--stdio] | --tcp [--host H] [--port N]
    perfsense lsp [--stdio | --tcp --port N]
"""
from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import multiprocessing
import os
import sys
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from lsprotocol import types
from pygls.capabilities import get_capability
from pygls.exceptions import JsonRpcException
from pygls.io_ import StdoutWriter, run_async
from pygls.lsp.server import LanguageServer

from perfsense.lsp import actions
from perfsense.lsp.convert import hover_text, to_range
from perfsense.lsp.logs import setup as setup_logging
from perfsense.lsp.positions import from_client
from perfsense.lsp.protocol import PerfsenseProtocol
from perfsense.lsp.session import Session, Shown
from perfsense.lsp.transport import StreamReader
from perfsense.scanner import __version__
from perfsense.scanner.model import Finding, Position, Span

log = logging.getLogger("perfsense.lsp")


class PerfsenseServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("perfsense", __version__, protocol_cls=PerfsenseProtocol,
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.session = Session(self)
        self.helpers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="perfsense-actions")
        self.exit_code = 1  # until `shutdown` then `exit`

    def start_io(self, stdin: Any = None, stdout: Any = None) -> None:
        """pygls' stdio loop, with perfsense's stdin reader (see transport.py)."""
        stop = self._stop_event = threading.Event()
        reader = StreamReader(stdin or sys.stdin.buffer)
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))

        async def serve_stream() -> None:
            reader.start(asyncio.get_running_loop())
            await run_async(stop_event=stop, reader=reader, protocol=self.protocol,
                            logger=logging.getLogger("pygls.server"), error_handler=self.report_server_error)
        try:
            asyncio.run(serve_stream())
        except BrokenPipeError:
            log.error("perfsense: the connection to the client is lost")
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.shutdown()

    def report_server_error(self, error: Exception, source: Any) -> None:
        """pygls' error hook: answer unparsable messages, log everything, never pop up."""
        if isinstance(error, ValueError) and not isinstance(error, JsonRpcException):  # JSON / UTF-8
            log.warning("perfsense: unparsable message (%s); answered ParseError", error)
            self.protocol._send_data({"jsonrpc": "2.0", "id": None,
                                      "error": {"code": int(types.ErrorCodes.ParseError),
                                                "message": f"Parse error: {error}"[:300]}})
            return
        log.error("perfsense: internal error (%s): %s", getattr(source, "__name__", source), error)


def guarded(fn):
    """Notification handlers: an exception becomes a log message, the server carries on."""
    @functools.wraps(fn)
    def wrapper(*args: Any) -> Any:
        try:
            return fn(*args)
        except Exception:
            log.exception("perfsense: internal error in %s", fn.__name__)
            return None
    return wrapper


def create_server() -> PerfsenseServer:
    ls = PerfsenseServer()
    session = ls.session

    @ls.feature(types.INITIALIZED)
    @guarded
    def initialized(_params: types.InitializedParams) -> None:
        session.initialized()

    @ls.feature(types.SHUTDOWN)
    @guarded
    def shutdown(_params: Any) -> None:
        session.shutdown()

    @ls.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
    @guarded
    def did_save(params: types.DidSaveTextDocumentParams) -> None:
        session.did_save(params.text_document.uri)

    @ls.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    @guarded
    def did_change_configuration(params: types.DidChangeConfigurationParams) -> None:
        session.did_change_configuration(params)

    @ls.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    @guarded
    def did_change_workspace_folders(params: types.DidChangeWorkspaceFoldersParams) -> None:
        session.indexer.folders_changed(params.event)

    @ls.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    @guarded
    def did_change_watched_files(params: types.DidChangeWatchedFilesParams) -> None:
        session.indexer.files_changed(params.changes)

    @ls.feature(types.TEXT_DOCUMENT_DIAGNOSTIC,
                types.DiagnosticOptions(identifier="perfsense", inter_file_dependencies=True,
                                        workspace_diagnostics=False))
    async def diagnostic(params: types.DocumentDiagnosticParams) -> types.DocumentDiagnosticReport:
        shown = await session.current(params.text_document.uri)
        if shown is None:
            return types.RelatedFullDocumentDiagnosticReport(items=[])
        if params.previous_result_id == shown.result_id:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=shown.result_id)
        return types.RelatedFullDocumentDiagnosticReport(items=shown.diagnostics, result_id=shown.result_id)

    @ls.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(params: types.HoverParams) -> types.Hover | None:
        shown = await session.current(params.text_document.uri)
        if shown is None or not shown.current:
            return None
        at = _position(session, shown, params.position)
        hits = [f for f in shown.report.findings if at is not None and _covers(f.location.span, at)]
        if not hits:
            return None
        formats = get_capability(session.caps, "text_document.hover.content_format", None) or []
        markdown = types.MarkupKind.Markdown in formats
        source = shown.report.source
        return types.Hover(
            contents=types.MarkupContent(kind=types.MarkupKind.Markdown if markdown else types.MarkupKind.PlainText,
                                         value=hover_text(hits, markdown)),
            range=to_range(hits[0].location.span, source.line_text, session.converter.encoding))

    @ls.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix], resolve_provider=True))
    async def code_action(params: types.CodeActionParams) -> list[types.CodeAction] | None:
        only = params.context.only
        if only and not any(types.CodeActionKind.QuickFix.value.startswith(str(getattr(k, "value", k)))
                            for k in only):
            return None
        uri = params.text_document.uri
        shown = await session.current(uri)
        if shown is None or not shown.current:
            return None
        start, end = _position(session, shown, params.range.start), _position(session, shown, params.range.end)
        if start is None or end is None:
            return None
        picked = [(i, f) for i, f in enumerate(shown.report.findings) if _overlaps(f.location.span, start, end)]
        if not picked:
            return None
        lazy = "edit" in (get_capability(session.caps, "text_document.code_action.resolve_support.properties",
                                         None) or [])
        loop = session.loop
        assert loop is not None
        return await loop.run_in_executor(ls.helpers, _actions, session, uri, shown, picked, lazy)

    @ls.feature(types.CODE_ACTION_RESOLVE)
    async def resolve(action: types.CodeAction) -> types.CodeAction:
        data = action.data if isinstance(action.data, dict) else {}
        uri, version, fingerprint = data.get("uri"), data.get("version"), data.get("fingerprint")
        if not isinstance(uri, str):
            return action
        shown = session.shown.get(uri)
        if shown is None or shown.version != version or not shown.current:
            return action
        finding = next((f for f in shown.report.findings if f.fingerprint == fingerprint), None)
        if finding is None:
            return action
        loop = session.loop
        assert loop is not None
        fix = await loop.run_in_executor(ls.helpers, actions.rule_fix, finding, shown.report.source,
                                         _options(session, uri, finding.rule_id))
        if fix is not None:
            action.edit = actions.workspace_edit(fix, uri, shown.version, shown.report.source,
                                                 session.converter.encoding, _document_changes(session))
        return action

    return ls


def _position(session: Session, shown: Shown, position: types.Position) -> Position | None:
    source = shown.report.source
    column = from_client(source.line_text(position.line), position.character, session.converter.encoding)
    return Position(position.line, column) if column is not None else None


def _covers(span: Span, at: Position) -> bool:
    return span.start <= at <= span.end


def _overlaps(span: Span, start: Position, end: Position) -> bool:
    if span.start.line <= start.line <= span.end.line or start.line <= span.start.line <= end.line:
        return True
    return span.start <= end and start <= span.end


def _options(session: Session, uri: str, rule_id: str) -> dict[str, Any] | None:
    doc = session.docs.get(uri)
    located = session.locate(doc) if doc is not None else None
    return dict(located[0].settings.rule_options.get(rule_id, {})) if located is not None else None


def _document_changes(session: Session) -> bool:
    return bool(get_capability(session.caps, "workspace.workspace_edit.document_changes", False))


def _actions(session: Session, uri: str, shown: Shown, picked: list[tuple[int, Finding]],
             lazy: bool) -> list[types.CodeAction]:
    """Quick fixes for the findings in the requested range (on a helper thread)."""
    encoding = session.converter.encoding
    source = shown.report.source
    document_changes = _document_changes(session)
    out: list[types.CodeAction] = []
    for index, finding in picked:
        diagnostic = shown.diagnostics[index] if index < len(shown.diagnostics) else None
        fixable = bool(dict(finding.fix)) or _fix_available(finding.rule_id)
        if fixable and lazy and "replace" not in dict(finding.fix):
            title = dict(finding.fix).get("title") or f"Fix `{finding.rule_id}` (perfsense)"
            out.append(types.CodeAction(
                title=title, kind=types.CodeActionKind.QuickFix, is_preferred=True,
                diagnostics=[diagnostic] if diagnostic is not None else None,
                data={"uri": uri, "version": shown.version, "fingerprint": finding.fingerprint}))
        elif fixable:
            fix = actions.rule_fix(finding, source, _options(session, uri, finding.rule_id))
            if fix is not None:
                out.append(actions.to_code_action(fix, uri, shown.version, source, encoding, diagnostic,
                                                  document_changes))
        for suppression in actions.suppressions(finding, source):
            out.append(actions.to_code_action(suppression, uri, shown.version, source, encoding, diagnostic,
                                              document_changes))
    return out


def _fix_available(rule_id: str) -> bool:
    from perfsense.scanner.engine.registry import rule_class

    cls = rule_class(rule_id)
    return bool(cls is not None and cls.fix_available)


# --- entry points ------------------------------------------------------------------------
def serve(tcp: bool = False, host: str = "127.0.0.1", port: int = 2087, verbose: bool = False) -> int:
    """Run the server until `exit` (or the client goes away), then end the process with its
    exit status (130 is returned on Ctrl-C)."""
    _prepare_processes()
    ls = create_server()
    session = ls.session
    setup_logging(ls, lambda: session.loop, logging.DEBUG if verbose else logging.INFO)
    try:
        if tcp:
            ls.start_tcp(host, port)
        else:
            ls.start_io()
    except SystemExit:
        pass
    except KeyboardInterrupt:
        return 130
    finally:
        session.closed = True
        session.shutdown()
        ls.helpers.shutdown(wait=False, cancel_futures=True)
    code = ls.exit_code
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed by `exit`, or the client is gone
            pass
    # End here: an indexing process pool may still be busy (do not wait for it), and
    # freeing a large workspace index object by object took 1.7 s on Django (0.04 s now).
    os._exit(code)


def _prepare_processes() -> None:
    """Index workers start from a clean process (forkserver), never forked from a threaded server,
    and never with the working directory (the user's repository) on their sys.path: they
    start as `python -c …`, which would put it first."""
    os.environ["PYTHONSAFEPATH"] = "1"
    try:
        multiprocessing.set_start_method("forkserver", force=True)
        multiprocessing.set_forkserver_preload(["perfsense.scanner.engine.runner"])
    except (ValueError, RuntimeError):
        pass


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m perfsense.lsp", description="The perfsense language server.")
    parser.add_argument("--stdio", action="store_true", help="talk LSP over stdin/stdout (the default)")
    parser.add_argument("--tcp", action="store_true", help="listen on TCP instead (for debugging)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2087)
    parser.add_argument("--verbose", "-v", action="store_true", help="log details to the client")
    parser.add_argument("--version", action="version", version=f"perfsense {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args, unknown = build_parser().parse_known_args(argv)
    if unknown:
        print(f"perfsense lsp: ignoring unknown arguments: {' '.join(unknown)}", file=sys.stderr)
    return serve(tcp=args.tcp, host=args.host, port=args.port, verbose=args.verbose)

