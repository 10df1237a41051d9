"""The JSON-RPC/LSP protocol with perfsense's guards around pygls.

- Messages that cannot be structured (bad params) get an InvalidParams error response
  when they are requests, instead of silence; bodies that are not JSON-RPC objects get
  InvalidRequest; requests before `initialize` get ServerNotInitialized.
- didOpen / didChange / didClose go to the session, which validates edit ranges and
  versions (pygls' own handlers apply any range blindly).
- `initialize` advertises pull diagnostics only to clients that pull.
- `exit` records the exit status (0 after `shutdown`, else 1).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.protocol import LanguageServerProtocol, lsp_method
from pygls.protocol.json_rpc import RPCError, RPCNotification, RPCRequest, RPCResponse

if TYPE_CHECKING:
    from perfsense.lsp.server import PerfsenseServer

log = logging.getLogger("perfsense.lsp")


@dataclass(frozen=True, slots=True)
class _Unusable:
    """A message whose params do not fit its method."""

    id: Any
    method: str
    is_request: bool
    reason: str


class PerfsenseProtocol(LanguageServerProtocol):
    _server: PerfsenseServer

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initialized = False

    # --- robustness --------------------------------------------------------------------
    def structure_message(self, data: dict[str, Any]):
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            method = data.get("method") if isinstance(data, dict) else None
            if not isinstance(method, str):
                raise
            cause = exc.__cause__
            reason = str(cause).splitlines()[0] if cause is not None else str(exc)
            return _Unusable(data.get("id"), method, "id" in data, reason[:300])

    def handle_message(self, message: Any) -> None:
        if isinstance(message, _Unusable):
            log.warning("perfsense: %s with unusable params (%s); %s", message.method, message.reason,
                        "answered InvalidParams" if message.is_request else "ignored")
            if message.is_request:
                self._error(message.id, types.ErrorCodes.InvalidParams,
                            f"invalid params for {message.method}: {message.reason}")
            return
        if not isinstance(message, (RPCRequest, RPCNotification, RPCResponse, RPCError)):
            msg_id = message.get("id") if isinstance(message, dict) else None
            log.warning("perfsense: not a JSON-RPC 2.0 message; answered InvalidRequest")
            self._error(msg_id if isinstance(msg_id, (int, str)) else None, types.ErrorCodes.InvalidRequest,
                        "not a JSON-RPC 2.0 request or notification")
            return
        method = getattr(message, "method", None)
        if isinstance(message, RPCRequest) and message.jsonrpc != self.VERSION:
            self._error(message.id, types.ErrorCodes.InvalidRequest, "jsonrpc must be \"2.0\"")
            return
        if not self.initialized and method not in (types.INITIALIZE, types.EXIT, None):
            if isinstance(message, RPCRequest):
                self._error(message.id, types.ErrorCodes.ServerNotInitialized,
                            f"{method}: the server is not initialized yet")
            return
        super().handle_message(message)

    def _error(self, msg_id: Any, code: int, text: str) -> None:
        self._send_data({"jsonrpc": self.VERSION, "id": msg_id, "error": {"code": int(code), "message": text}})

    # --- lifecycle ---------------------------------------------------------------------
    @lsp_method(types.INITIALIZE)
    def lsp_initialize(self, params: types.InitializeParams):
        result = yield from super().lsp_initialize(params)
        session = self._server.session
        session.initialize(params, str(getattr(self.workspace.position_encoding, "value",
                                               self.workspace.position_encoding) or "utf-16"))
        if not session.pull:
            result.capabilities.diagnostic_provider = None
        self.initialized = True
        return result

    @lsp_method(types.EXIT)
    def lsp_exit(self, *args: Any):
        self._server.exit_code = 0 if self._shutdown else 1
        yield from super().lsp_exit(*args)

    # --- documents (validated by the session) ----------------------------------------
    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams) -> None:
        self._guard("didOpen", self._server.session.did_open, params.text_document)

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams) -> None:
        self._guard("didChange", self._server.session.did_change, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams) -> None:
        self._guard("didClose", self._server.session.did_close, params.text_document.uri)

    def _guard(self, name: str, fn: Any, *args: Any) -> None:
        try:
            fn(*args)
        except Exception:
            log.exception("perfsense: internal error handling %s", name)
