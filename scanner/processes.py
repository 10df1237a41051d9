"""Helpers for the processes a scan forks: workers that end with their parent, a memory
cap, and `Forked`, a computation run in a forked copy of this process alongside it."""
from __future__ import annotations

import logging
import os
import pickle
import select
import signal
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from perfsense.scanner.cache import unpickle

log = logging.getLogger(__name__)
T = TypeVar("T")
WORKER_MEMORY = 4 << 30  # bytes of address space a worker may add to what it inherits


class Forked(Generic[T]):
    """`compute()` run in a forked copy of this process while the caller goes on; its
    result comes back pickled through a pipe. A copy shares the parent's memory until
    either writes it, so a large read-only structure (a project's facts) costs nothing to
    hand over.

    Only forked when that is safe: on POSIX, from a process with a single thread (a child
    forked while another thread holds a lock can hang on it). Otherwise, and whenever the
    child fails, dies or runs past the timeout, `result()` returns None and the caller
    computes the value itself, so the outcome never depends on the fork.
    """

    def __init__(self, compute: Callable[[], T]) -> None:
        self.pid = 0
        self.fd = -1
        if not hasattr(os, "fork") or threading.active_count() > 1:
            return
        parent = os.getpid()
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            code = 1
            try:
                os.close(read)
                die_with_parent(parent)
                data = pickle.dumps(compute(), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write, "wb") as out:
                    out.write(data)
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        self.pid, self.fd = pid, read

    @property
    def started(self) -> bool:
        return self.pid > 0

    def result(self, timeout: float) -> T | None:
        """The child's result; None if there is no child or it did not deliver in time."""
        if not self.started:
            return None
        chunks: list[bytes] = []
        deadline = time.monotonic() + timeout
        complete = False
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                    break
                chunk = os.read(self.fd, 1 << 20)
                if not chunk:
                    complete = True
                    break
                chunks.append(chunk)
        finally:
            self._close()
            status = self._reap(complete)
        if not complete or status != 0:
            log.debug("forked computation failed (status %s)", status)
            return None
        return unpickle(b"".join(chunks))  # (the scan's own child: trusted, like its workers)

    def abandon(self) -> None:
        """Stop and reap the child if it is still there (after `result()`: nothing to do)."""
        self._close()
        if self.started:
            self._reap(complete=False)

    def _close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def _reap(self, complete: bool) -> int | None:
        if not complete:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        _pid, status = os.waitpid(self.pid, 0)
        self.pid = 0
        return os.waitstatus_to_exitcode(status)


def die_with_parent(parent: int) -> None:
    """The worker ends when the scanning process does, even when it is killed (a CI job's
    timeout), so a killed scan or language server leaves no orphaned workers spinning.

    Forked workers (the CLI): the kernel sends SIGKILL when the parent dies (Linux
    PR_SET_PDEATHSIG). Workers of a fork server (the language server) have the fork
    server as parent and hold both ends of their task pipe, so they would wait forever: a
    daemon thread watches the scanning process and exits when it is gone."""
    if os.getppid() == parent:
        try:
            import ctypes

            ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):  # not Linux
            pass
        if os.getppid() != parent:  # the parent died before prctl
            os._exit(1)
        return
    if not _alive(parent):
        os._exit(1)
    threading.Thread(target=_exit_with, args=(parent,), name="perfsense-watch-parent", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _exit_with(pid: int) -> None:
    try:
        handle = os.pidfd_open(pid)  # Linux 5.3+: readable once the process has ended
    except (AttributeError, OSError):
        handle = None
    if handle is not None:
        select.select([handle], [], [])
    else:
        while _alive(pid):
            time.sleep(1.0)
    os._exit(1)


def limit_memory(extra: int = WORKER_MEMORY) -> None:
    """Cap this (worker) process's address space at what it has (inherited from the scan,
    which may hold a large project already) plus `extra`, so a runaway allocation raises
    MemoryError (the file becomes `out-of-memory`) instead of calling the OOM killer."""
    try:
        import resource

        with open("/proc/self/statm", "rb") as handle:
            limit = int(handle.read().split()[0]) * resource.getpagesize() + extra
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard == resource.RLIM_INFINITY or hard > limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, ValueError, OSError):  # not on this platform
        pass
