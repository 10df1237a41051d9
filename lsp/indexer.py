"""Background indexing of the workspace folders, with `$/progress`; config reloads; files
changed on disk (`workspace/didChangeWatchedFiles`).

An index is built on its own daemon thread (the per-file stage runs in the engine's
process pool, through the same `.perfsense_cache` as the CLI) while open documents are
already served. A finished build is installed by the analysis thread; a reload builds a
new index and swaps it in when ready, the old one serving until then.
"""
from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from lsprotocol import types

from perfsense.lsp.documents import uri_to_path
from perfsense.lsp.threads import call_soon
from perfsense.lsp.workspace import CONFIG_FILES, Build, Cancelled, Index
from perfsense.scanner.source import language_of

if TYPE_CHECKING:
    from perfsense.lsp.session import Session

log = logging.getLogger("perfsense.lsp")
LARGE_CHANGE = 200  # more files changed on disk at once than this: rebuild the index
ALSO_RELOAD = (".gitignore", "package.json")  # decide what is scanned / what bundle rules know


class Progress:
    """Server-initiated work-done progress; silent when the client does not support it."""

    def __init__(self, session: Session, token: str, title: str, enabled: bool) -> None:
        self.session, self.token, self.title = session, token, title
        self.state = "new"  # new -> creating -> begun -> ended
        self.last = 0.0
        self.pending: tuple[int, int] | None = None
        if not enabled:
            self.state = "off"
            return
        self.state = "creating"
        try:
            session.server.work_done_progress.create(token, callback=lambda *_: self._begin())
        except Exception:  # noqa: BLE001 - progress is a nicety
            self.state = "off"

    def _begin(self) -> None:
        if self.state != "creating":
            return
        self.state = "begun"
        self._send(types.WorkDoneProgressBegin(title=self.title, cancellable=False, percentage=0))
        if self.pending is not None:
            self.report(*self.pending)

    def report(self, done: int, total: int) -> None:
        """Called on the loop thread."""
        self.pending = (done, total)
        now = time.monotonic()
        if self.state != "begun" or (now - self.last < 0.2 and done < total):
            return
        self.last = now
        percentage = int(100 * done / total) if total else 100
        self._send(types.WorkDoneProgressReport(message=f"{done}/{total} files", percentage=percentage))

    def end(self, message: str) -> None:
        if self.state == "begun":
            self._send(types.WorkDoneProgressEnd(message=message))
        self.state = "ended"

    def _send(self, value: object) -> None:
        self.session.server.protocol.notify(types.PROGRESS, types.ProgressParams(token=self.token, value=value))


class Indexer:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.generation = 0
        self.running: dict[str, int] = {}  # root -> generation of the build in flight
        self.config_errors: dict[str, str | None] = {}
        self.progress_support = False

    def open_folders(self, roots: Iterable[str]) -> None:
        """Indexes for the workspace folders (config read now; the build waits for start_all)."""
        for root in roots:
            index = Index(root, self.session.settings)
            self._config_note(index)
            self.session.indexes[root] = index

    @staticmethod
    def roots(params: types.InitializeParams) -> list[str]:
        return roots_of(params)

    def folders_changed(self, event: types.WorkspaceFoldersChangeEvent) -> None:
        """Folders added to or removed from the workspace: indexes follow, documents move."""
        session = self.session
        for folder in event.removed or []:
            path = uri_to_path(folder.uri)
            root = os.path.abspath(path) if path else None
            if root is not None and session.indexes.pop(root, None) is not None:
                self.running.pop(root, None)  # a build in flight is dropped when it ends
        added = [root for root in roots_of(types.InitializeParams(
            capabilities=types.ClientCapabilities(), workspace_folders=list(event.added or [])))
                 if root not in session.indexes]
        self.open_folders(added)
        for root in added:
            self.start(session.indexes[root])
        for uri, doc in session.docs.items():
            located = session.locate(doc)
            if located is not None and located[0].root is not None:
                session.loose.pop(uri, None)
        session.reanalyse_all()

    def start_all(self) -> None:
        for index in list(self.session.indexes.values()):
            self.start(index)

    def start(self, index: Index) -> None:
        session = self.session
        assert index.root is not None
        if not session.settings.index_workspace:
            self._swap(index)
            return
        self.generation += 1
        generation = self.running[index.root] = self.generation
        progress = Progress(session, f"perfsense-index-{generation}",
                            f"perfsense: indexing {os.path.basename(index.root) or index.root}",
                            self.progress_support)
        thread = threading.Thread(target=self._build, args=(index, generation, progress), daemon=True,
                                  name=f"perfsense-index-{generation}")
        thread.start()

    def _current(self, index: Index, generation: int) -> bool:
        return not self.session.closed and self.running.get(index.root or "") == generation

    def _build(self, index: Index, generation: int, progress: Progress) -> None:
        """On the indexing thread."""
        loop = self.session.loop
        started = time.monotonic()

        def report(done: int, total: int) -> None:
            if loop is not None:
                call_soon(loop, progress.report, done, total)
        try:
            build = index.build(self.session.settings.index_jobs, lambda: not self._current(index, generation),
                                report)
        except Cancelled:
            if loop is not None:
                call_soon(loop, progress.end, "cancelled")
            return
        except Exception:
            log.exception("perfsense: indexing %s failed", index.root)
            if loop is not None:
                call_soon(loop, progress.end, "failed")
            return
        seconds = time.monotonic() - started
        if loop is not None:
            call_soon(loop, self._built, index, generation, build, progress, seconds)

    def _built(self, index: Index, generation: int, build: Build, progress: Progress, seconds: float) -> None:
        if not self._current(index, generation):
            progress.end("superseded")
            return
        self.running.pop(index.root or "", None)
        nodes, edges = build.graph.size
        log.info("perfsense: indexed %s: %d files, %d skipped, call graph %d functions / %d calls, %.1f s",
                 index.root, len(build.tasks), len(build.skips), nodes, edges, seconds)
        self.session.jobs.append(lambda: (index.install(build), [index])[1])
        self._swap(index)
        progress.end(f"{len(build.tasks)} files")

    def _swap(self, index: Index) -> None:
        """Make `index` the one serving its folder; documents move over to it."""
        session = self.session
        assert index.root is not None
        old = session.indexes.get(index.root)
        session.indexes[index.root] = index
        if old is not index:
            for uri, doc in session.docs.items():
                located = session.locate(doc)
                if located is not None and located[0] is index:
                    session.dirty[uri] = None
        session._kick()

    def reload(self, roots: Iterable[str], force: bool = False) -> set[str]:
        """Re-read the config of these folders; re-index those whose config changed (or all,
        with `force`). Returns the folders being re-indexed."""
        started: set[str] = set()
        for root in roots:
            old = self.session.indexes.get(root)
            if old is None:
                continue
            index = Index(root, self.session.settings)
            self._config_note(index)
            if not force and index.config == old.config:
                continue
            log.info("perfsense: configuration of %s changed; re-indexing", root)
            self.start(index)
            started.add(root)
        return started

    def _config_note(self, index: Index) -> None:
        root = index.root or ""
        error = index.config_error
        if error is not None and self.config_errors.get(root) != error:
            log.error("perfsense: %s (using the default configuration)", error)
            with contextlib.suppress(Exception):  # the client may already be gone
                self.session.server.window_show_message(types.ShowMessageParams(
                    type=types.MessageType.Warning, message=f"perfsense: {error}"))
        self.config_errors[root] = error

    def files_changed(self, changes: Iterable[types.FileEvent]) -> None:
        session = self.session
        reload: set[str] = set()  # config files: re-indexed when the config changed
        forced: set[str] = set()  # .gitignore, package.json: re-indexed
        changed: dict[str, set[str]] = {}
        roots = sorted(session.indexes, key=len, reverse=True)
        for change in changes:
            path = uri_to_path(change.uri)
            if path is None:
                continue
            path = os.path.abspath(path)
            root = next((r for r in roots if path.startswith(r.rstrip(os.sep) + os.sep)), None)
            if root is None:
                continue
            name = os.path.basename(path)
            if name in CONFIG_FILES and os.path.dirname(path) == root:
                reload.add(root)
                continue
            if name in ALSO_RELOAD:
                forced.add(root)
                continue
            index = session.indexes[root]
            rel = index.rel_of(path)
            if rel is None:
                continue
            if language_of(name) is not None:
                changed.setdefault(root, set()).add(rel)
            else:  # a folder: whatever the index holds under it
                changed.setdefault(root, set()).update(r for r in index.tasks if r.startswith(rel + "/"))
        rebuilt = self.reload(reload - forced) | self.reload(forced, force=True)
        for root, rels in changed.items():
            if root in rebuilt or not rels:
                continue
            if len(rels) > LARGE_CHANGE:
                self.reload([root], force=True)
                continue
            index = session.indexes[root]
            ordered = sorted(rels)
            session.jobs.append(lambda index=index, ordered=ordered: (index.refresh(ordered), [index])[1])
        session._kick()


def roots_of(params: types.InitializeParams) -> list[str]:
    """The local workspace folders (deduplicated, existing directories only)."""
    uris = [folder.uri for folder in params.workspace_folders or []]
    if not uris and params.root_uri:
        uris = [params.root_uri]
    paths = [uri_to_path(uri) for uri in uris]
    if not uris and params.root_path:
        paths = [params.root_path]
    roots: list[str] = []
    for path in paths:
        if path and os.path.isdir(path):
            root = os.path.abspath(path)
            if root not in roots:
                roots.append(root)
    return roots
