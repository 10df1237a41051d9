"""Git facts for reports and diff mode: repository, provenance, lines changed since a revision.

Every git command runs with an argument list (never a shell), in the repository's top
folder, with a time limit; revisions that look like options are refused. Paths from git
are bytes, decoded with `os.fsdecode` like every other path in perfsense.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit, urlunsplit

from perfsense.scanner.report.uri import root_uri

GIT_TIMEOUT = 60.0  # seconds per git command
WHOLE_FILE = None  # a file's entry in ChangedLines.files when every line counts as changed

_HUNK = re.compile(rb"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_SCP = re.compile(r"^(?:[^@/:]+@)?(?P<host>[^/:]+):(?P<path>.*)$")
_ESCAPES = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92, '"': 34}


class GitError(Exception):
    """Git is missing, the folder is not in a repository, or a revision is unknown."""


def _git_binary() -> str:
    git = shutil.which("git")
    if git is None:
        raise GitError("git is not installed (or not on PATH)")
    return git


def run_git(cwd: str, args: Sequence[str]) -> subprocess.CompletedProcess[bytes]:
    """`git ARGS` in `cwd` with a stable, non-interactive environment; raises GitError on OSError."""
    env = {**os.environ, "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat"}
    env.pop("GIT_DIR", None)
    env.pop("GIT_WORK_TREE", None)
    command = [_git_binary(), "-c", "core.quotePath=false", *args]
    try:
        return subprocess.run(command, cwd=cwd, capture_output=True, check=False, env=env,
                              timeout=GIT_TIMEOUT, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GitError(f"could not run git: {exc}") from exc


def _output(result: subprocess.CompletedProcess[bytes]) -> str:
    return os.fsdecode(result.stdout).strip()


def repo_top(folder: str) -> str | None:
    """The top folder of the git work tree that holds `folder`, or None outside one."""
    if not os.path.isdir(folder):
        return None
    try:
        result = run_git(folder, ["rev-parse", "--show-toplevel"])
    except GitError:
        return None
    top = _output(result)
    return os.path.realpath(top) if result.returncode == 0 and top else None


def relative_prefix(root: str, top: str) -> str:
    """The scan root as a posix path relative to the repository top ("" when they are the same)."""
    rel = os.path.relpath(os.path.realpath(root), top)
    if rel == "." or rel.startswith(".."):
        return ""
    return rel.replace(os.sep, "/") + "/"


# -- provenance ----------------------------------------------------------------------------

def provenance(root: str, top: str | None = None) -> dict[str, str] | None:
    """SARIF `versionControlProvenance` fields for the repository holding `root`, if any.

    `repositoryUri` is the `origin` remote without credentials (the repository folder's
    `file:` URI when there is no `origin`); `revisionId` the HEAD commit; `branch` the
    checked-out branch (`refs/heads/…`, absent when HEAD is detached). `top` saves a git
    call when the repository's top folder is known.
    """
    top = top or repo_top(root)
    if top is None:
        return None
    info = {"repositoryUri": root_uri(top)}
    remote = run_git(top, ["remote", "get-url", "origin"])
    if remote.returncode == 0 and _output(remote):
        info["repositoryUri"] = public_url(_output(remote), top)
    head = run_git(top, ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"])
    if head.returncode == 0 and _output(head):
        info["revisionId"] = _output(head)
    branch = run_git(top, ["symbolic-ref", "--quiet", "HEAD"])
    if branch.returncode == 0 and _output(branch).startswith("refs/heads/"):
        info["branch"] = _output(branch)
    return info


def public_url(url: str, top: str) -> str:
    """A remote URL as an absolute URI without user name, password, query or fragment.

    `https://user:token@host/r.git` -> `https://host/r.git`; scp-like `git@host:o/r.git` ->
    `ssh://host/o/r.git`; a local path -> its `file:` URI.
    """
    url = url.strip()
    if "://" in url:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if ":" in host:  # IPv6 literal
            host = f"[{host}]"
        try:
            port = parts.port
        except ValueError:
            port = None
        netloc = host + (f":{port}" if port else "")
        path = quote(parts.path, safe="/%!$&'()*+,;=:@~-._")
        return urlunsplit((parts.scheme.lower(), netloc, path, "", ""))
    match = _SCP.match(url)
    if match and not os.path.isabs(url) and not url.startswith("."):
        path = quote(match["path"].lstrip("/"), safe="/%!$&'()*+,;=:@~-._")
        return f"ssh://{match['host']}/{path}"
    return root_uri(os.path.normpath(os.path.join(top, url)))


# -- diff ----------------------------------------------------------------------------------

@dataclass(slots=True)
class ChangedLines:
    """Lines (1-based) changed since a revision, by path relative to the repository top.

    A path mapped to None (WHOLE_FILE) is new: every line of it counts as changed.
    """

    files: dict[str, set[int] | None] = field(default_factory=dict)

    def touches(self, path: str, first: int, last: int) -> bool:
        if path not in self.files:
            return False
        lines = self.files[path]
        if lines is None:
            return True
        return any(line in lines for line in range(first, last + 1))


def changed_lines(root: str, revision: str) -> tuple[ChangedLines, str]:
    """Lines changed between `revision` and the work tree of the repository holding `root`.

    Returns them with the scan root's prefix inside the repository. Untracked files (not
    ignored) count as new. Raises GitError outside a repository or for an unknown revision.
    """
    if not revision or revision.startswith("-"):
        raise GitError(f"invalid revision {revision!r}")
    top = repo_top(root)
    if top is None:
        raise GitError(f"{root} is not inside a git repository (--diff-base needs one)")
    check = run_git(top, ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}"])
    if check.returncode != 0:
        raise GitError(f"unknown revision {revision!r}: not a commit in {top}")
    diff = run_git(top, ["diff", "--unified=0", "--no-color", "--no-ext-diff", "--no-textconv",
                         "--find-renames", "--src-prefix=a/", "--dst-prefix=b/", check.stdout.decode().strip(),
                         "--"])
    if diff.returncode != 0:
        raise GitError(f"git diff {revision} failed: {os.fsdecode(diff.stderr).strip()}")
    changes = parse_diff(diff.stdout)
    untracked = run_git(top, ["ls-files", "--others", "--exclude-standard", "-z"])
    if untracked.returncode == 0:
        for raw in untracked.stdout.split(b"\0"):
            if raw:
                changes.files[os.fsdecode(raw)] = WHOLE_FILE
    return changes, relative_prefix(root, top)


def parse_diff(data: bytes) -> ChangedLines:
    """Parse `git diff --unified=0` output (a/ and b/ prefixes) into changed new-side lines."""
    changes = ChangedLines()
    path: str | None = None
    new_file = False
    lines = iter(data.split(b"\n"))
    for line in lines:
        if line.startswith(b"diff --git "):
            path, new_file = None, False
        elif line.startswith(b"new file mode"):
            new_file = True
        elif line.startswith(b"+++ "):
            path = _diff_path(line[4:])
            if path is not None:
                changes.files.setdefault(path, WHOLE_FILE if new_file else set())
        elif line.startswith(b"@@ ") and path is not None:
            hunk = _HUNK.match(line)
            if hunk is None:
                continue
            old_count = 1 if hunk[2] is None else int(hunk[2])
            start = int(hunk[3])
            count = 1 if hunk[4] is None else int(hunk[4])
            known = changes.files[path]
            if known is not None:
                known.update(range(start, start + count))
            _skip_body(lines, old_count + count)
    return changes


def _skip_body(lines: Iterator[bytes], count: int) -> None:
    """Consume a hunk's removed and added lines (and "\\ No newline" markers) so none is read as a header."""
    while count > 0:
        line = next(lines, None)
        if line is None:
            return
        if not line.startswith(b"\\"):
            count -= 1


def _diff_path(raw: bytes) -> str | None:
    raw = raw.rstrip(b"\r")
    if raw.startswith(b'"'):
        raw = unquote_c(raw)
    else:
        raw = raw.split(b"\t", 1)[0]  # git appends a tab when a name ends in a space
    if raw == b"/dev/null" or not raw.startswith(b"b/"):
        return None
    return os.fsdecode(raw[2:])


def unquote_c(raw: bytes) -> bytes:
    """Undo git's C-style quoting of a path: `"a\\tb\\303\\251"` -> bytes."""
    body = raw[1:raw.rfind(b'"')] if raw.count(b'"') >= 2 else raw[1:]
    out = bytearray()
    i = 0
    while i < len(body):
        char = body[i]
        if char != 0x5C or i + 1 >= len(body):
            out.append(char)
            i += 1
            continue
        nxt = chr(body[i + 1])
        if nxt in "0123":
            out.append(int(body[i + 1:i + 4], 8) & 0xFF)
            i += 4
        else:
            out.append(_ESCAPES.get(nxt, ord(nxt)))
            i += 2
    return bytes(out)

