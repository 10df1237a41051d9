"""Download pinned real code bases from the package registries into bench/.work/."""
from __future__ import annotations

import hashlib
import io
import json
import sys
import tarfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

WORK = Path(__file__).resolve().parent / ".work"


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310 - fixed registry URLs
        return response.read()


def pypi_sdist(name: str, version: str) -> Path:
    """The unpacked sdist of name==version (cached)."""
    target = WORK / f"{name}-{version}"
    if target.exists():
        return target
    url = f"https://pypi.org/pypi/{name}/{version}/json"
    try:
        files = json.loads(_get(url))["urls"]
    except urllib.error.HTTPError:  # some mirrors serve only the project-level document
        url = f"https://pypi.org/pypi/{name}/json"
        files = json.loads(_get(url))["releases"][version]
    sdist = next(u for u in files if u["packagetype"] == "sdist")
    data = _get(urllib.parse.urljoin(url, sdist["url"]))  # mirrors may answer with relative URLs
    if hashlib.sha256(data).hexdigest() != sdist["digests"]["sha256"]:
        raise SystemExit(f"checksum mismatch for {name} {version}")
    _unpack(data, sdist["filename"], target)
    return target


def npm_package(name: str, version: str) -> Path:
    """The unpacked npm tarball of name@version (cached)."""
    safe = name.replace("/", "__").lstrip("@")
    target = WORK / f"npm-{safe}-{version}"
    if target.exists():
        return target
    meta = json.loads(_get(f"https://registry.npmjs.org/{name.replace('/', '%2F')}/{version}"))
    data = _get(meta["dist"]["tarball"])
    expected = meta["dist"].get("shasum")
    if expected and hashlib.sha1(data).hexdigest() != expected:  # noqa: S324 - npm's own checksum
        raise SystemExit(f"checksum mismatch for {name}@{version}")
    _unpack(data, "x.tgz", target)
    return target


def _unpack(data: bytes, filename: str, target: Path) -> None:
    tmp = target.with_suffix(".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    if filename.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            archive.extractall(tmp)
    else:
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            archive.extractall(tmp, filter="data")
    entries = list(tmp.iterdir())
    (entries[0] if len(entries) == 1 and entries[0].is_dir() else tmp).rename(target)
    if tmp.exists():
        tmp.rmdir()


if __name__ == "__main__":
    WORK.mkdir(parents=True, exist_ok=True)
    print(pypi_sdist(sys.argv[1], sys.argv[2]) if len(sys.argv) == 3 else __doc__)
