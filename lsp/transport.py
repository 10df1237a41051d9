"""Reading the client's byte stream: one thread reads stdin in large chunks, the message
loop takes frames from a buffer.

pygls' own stdin reader makes a thread-pool round trip for every header line and body,
which costs about a millisecond per message on a busy machine: a storm of 1,000
keystrokes took a second just to read. This reader also bounds what a client can make the
server hold: a header line without an end, or a body announced larger than MAX_BODY, is
dropped (the body is answered as an invalid request), never buffered without limit.
"""
from __future__ import annotations

import asyncio
import os
import threading
from typing import BinaryIO

CHUNK = 1 << 16
MAX_HEADER = 1 << 16  # a header line longer than this is junk
MAX_BODY = 256 << 20  # bigger messages are skipped, not buffered


class StreamReader:
    """`readline()` / `readexactly(n)` over a stream read by a daemon thread."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._buffer = bytearray()
        self._start = 0  # consumed bytes at the front of the buffer
        self._eof = False
        self._waiter: asyncio.Future | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        threading.Thread(target=self._pump, name="perfsense-stdin", daemon=True).start()

    def _pump(self) -> None:
        try:
            fd = self._stream.fileno()
        except (AttributeError, OSError, ValueError):
            fd = None
        while True:
            try:
                data = os.read(fd, CHUNK) if fd is not None else self._stream.read1(CHUNK)  # type: ignore[attr-defined]
            except OSError:
                data = b""
            try:
                assert self._loop is not None
                self._loop.call_soon_threadsafe(self._feed, data)
            except RuntimeError:  # the loop is closed: the server is exiting
                return
            if not data:
                return

    def _feed(self, data: bytes) -> None:
        if data:
            if self._start > CHUNK and self._start * 2 > len(self._buffer):
                del self._buffer[:self._start]
                self._start = 0
            self._buffer += data
        else:
            self._eof = True
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def _more(self) -> None:
        assert self._loop is not None
        self._waiter = self._loop.create_future()
        await self._waiter

    def _take(self, size: int) -> bytes:
        data = bytes(self._buffer[self._start:self._start + size])
        self._start += len(data)
        return data

    async def readline(self) -> bytes:
        while True:
            end = self._buffer.find(b"\n", self._start)
            if end >= 0:
                return self._take(end + 1 - self._start)
            if self._eof:
                return self._take(len(self._buffer) - self._start)
            if len(self._buffer) - self._start > MAX_HEADER:
                self._start = len(self._buffer)  # no line end in sight: junk, dropped
            await self._more()

    async def readexactly(self, size: int) -> bytes:
        if size > MAX_BODY:
            await self._skip(size)
            return b"null"  # answered as an invalid request; the stream stays in step
        while len(self._buffer) - self._start < size and not self._eof:
            await self._more()
        return self._take(size)

    async def _skip(self, size: int) -> None:
        while size > 0:
            available = len(self._buffer) - self._start
            if available == 0:
                if self._eof:
                    return
                await self._more()
                continue
            step = min(size, available)
            self._start += step
            size -= step
