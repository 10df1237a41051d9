"""Logging for the server: perfsense's records go to the client (`window/logMessage`) and
to stderr; nothing is ever written to stdout, which carries the protocol."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from lsprotocol import types

if TYPE_CHECKING:
    from pygls.lsp.server import LanguageServer

_TYPES = ((logging.ERROR, types.MessageType.Error), (logging.WARNING, types.MessageType.Warning),
          (logging.INFO, types.MessageType.Info))


class ClientHandler(logging.Handler):
    """Forwards records to the client from any thread (through the message loop)."""

    def __init__(self, server: LanguageServer, loop_of: Callable[[], asyncio.AbstractEventLoop | None]) -> None:
        super().__init__(logging.INFO)
        self.server = server
        self.loop_of = loop_of
        self.local = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(self.local, "busy", False):
            return  # a record raised while sending a record
        loop: asyncio.AbstractEventLoop | None = self.loop_of()
        if loop is None or loop.is_closed():
            return
        kind = next((t for level, t in _TYPES if record.levelno >= level), types.MessageType.Log)
        try:
            message = self.format(record)
        except Exception:  # noqa: BLE001
            return
        params = types.LogMessageParams(type=kind, message=message)
        try:
            loop.call_soon_threadsafe(self._send, params)
        except RuntimeError:
            pass

    def _send(self, params: types.LogMessageParams) -> None:
        self.local.busy = True
        try:
            with contextlib.suppress(Exception):  # the connection is gone
                self.server.window_log_message(params)
        finally:
            self.local.busy = False


def setup(server: LanguageServer, loop_of: Callable[[], asyncio.AbstractEventLoop | None], level: int = logging.INFO) -> None:
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s: %(message)s"))
    stderr.setLevel(logging.WARNING)
    client = ClientHandler(server, loop_of)
    client.setFormatter(logging.Formatter("%(message)s"))
    ours = logging.getLogger("perfsense")
    ours.setLevel(level)
    ours.propagate = False
    ours.handlers[:] = [client, stderr]
    pygls = logging.getLogger("pygls")
    pygls.setLevel(logging.WARNING)
    pygls.propagate = False
    pygls.handlers[:] = [stderr]
