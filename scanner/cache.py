"""On-disk cache of per-file results (and of whole-scan results) in `.perfsense_cache/`.

Entries are pickles, so they are signed: each entry starts with an HMAC-SHA256 of its
payload under a per-user secret kept outside the scanned tree (`$XDG_CACHE_HOME/perfsense`,
or `PERFSENSE_CACHE_SECRET`). A cache directory committed to a repository, or written by
anyone else, fails the check and is ignored: it can never make perfsense unpickle
untrusted data.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
import pickle
import secrets
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
DIGEST = 32


def _secret() -> bytes | None:
    env = os.environ.get("PERFSENSE_CACHE_SECRET")
    if env:
        return env.encode()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "perfsense"
    path = base / "secret"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    except OSError:
        return None
    try:
        base.mkdir(parents=True, exist_ok=True)
        value = secrets.token_bytes(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(value)
        return value
    except FileExistsError:
        return path.read_bytes()
    except OSError as exc:
        log.debug("cache disabled: no secret (%s)", exc)
        return None


class Cache:
    def __init__(self, directory: str | None, salt: str) -> None:
        self.salt = salt
        self.secret = _secret() if directory else None
        self.directory = Path(directory) / "v1" if directory and self.secret else None

    @property
    def enabled(self) -> bool:
        return self.directory is not None

    def key(self, *parts: str) -> str:
        digest = hashlib.sha256(self.salt.encode())
        for part in parts:
            digest.update(b"\0" + part.encode("utf-8", "surrogatepass"))
        return digest.hexdigest()

    def _path(self, key: str) -> Path:
        assert self.directory is not None
        return self.directory / key[:2] / key

    def get(self, key: str) -> Any:
        payload = self.get_payload(key)
        return None if payload is None else unpickle(payload)

    def get_payload(self, key: str) -> bytes | None:
        """The pickled entry, once its signature checks out (None: absent or not ours)."""
        if self.directory is None or self.secret is None:
            return None
        try:
            blob = self._path(key).read_bytes()
        except OSError:
            return None
        mac, payload = blob[:DIGEST], blob[DIGEST:]
        if not hmac.compare_digest(mac, hmac.new(self.secret, payload, hashlib.sha256).digest()):
            return None
        return payload

    def put(self, key: str, value: Any) -> None:
        self.put_payload(key, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))

    def put_payload(self, key: str, payload: bytes) -> None:
        """Store an entry already pickled (the scan's workers pickle each result once: for
        the cache and for the trip back to the scanning process)."""
        if self.directory is None or self.secret is None:
            return
        blob = hmac.new(self.secret, payload, hashlib.sha256).digest() + payload
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as out:
                out.write(blob)
            os.replace(tmp, path)
            _gitignore(self.directory.parent)
        except OSError as exc:
            log.debug("cache write failed: %s", exc)


def unpickle(payload: bytes) -> Any:
    """The value of a trusted pickle: a cache entry whose signature checked out, or what a
    scan's own worker process pickled. None if it does not load (a stale entry)."""
    try:
        return pickle.loads(payload)
    except Exception:  # noqa: BLE001
        return None


def _gitignore(directory: Path) -> None:
    marker = directory / ".gitignore"
    if not marker.exists():
        try:
            marker.write_text("# created by perfsense\n*\n", encoding="utf-8")
        except OSError:
            pass
