"""Reading a file safely: never blocks on FIFOs or devices, never reads past a size cap."""
from __future__ import annotations

import errno
import os
import stat

from perfsense.scanner.model import SkipReason


class ReadError(Exception):
    def __init__(self, reason: SkipReason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def read_capped(path: str, cap: int) -> bytes:
    """The file's bytes; ReadError(not-regular-file|too-big|vanished|permission|internal-error)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise ReadError(SkipReason.VANISHED, "the file disappeared before it could be read") from None
    except PermissionError:
        raise ReadError(SkipReason.PERMISSION, "permission denied") from None
    except IsADirectoryError:
        raise ReadError(SkipReason.NOT_REGULAR_FILE, "a directory") from None
    except OSError as exc:
        if exc.errno in (errno.ENXIO, errno.ENODEV, errno.EOPNOTSUPP):
            raise ReadError(SkipReason.NOT_REGULAR_FILE, "not a regular file") from None
        if exc.errno == errno.ELOOP:
            raise ReadError(SkipReason.VANISHED, "symlink loop") from None
        raise ReadError(SkipReason.INTERNAL_ERROR, f"cannot open: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ReadError(SkipReason.NOT_REGULAR_FILE, "not a regular file")
        if info.st_size > cap:
            raise ReadError(SkipReason.TOO_BIG, f"{info.st_size} bytes, over the {cap}-byte limit")
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, min(1 << 20, cap + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > cap:
                raise ReadError(SkipReason.TOO_BIG, f"more than the {cap}-byte limit")
        return b"".join(chunks)
    except PermissionError:
        raise ReadError(SkipReason.PERMISSION, "permission denied") from None
    except BlockingIOError:
        raise ReadError(SkipReason.NOT_REGULAR_FILE, "not a regular file") from None
    finally:
        os.close(fd)
