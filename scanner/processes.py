"""Helpers for the worker processes a scan forks: they end with their parent and have a
memory cap."""
from __future__ import annotations

import os
import select
import signal
import threading
import time

WORKER_MEMORY = 4 << 30  # bytes of address space a worker may add to what it inherits


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
