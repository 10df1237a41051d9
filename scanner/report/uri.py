"""Paths to URIs, and strings made safe for strict JSON consumers.

Paths inside perfsense are `str` as `os.fsdecode` gives them: bytes that are not valid
UTF-8 appear as lone surrogates `\\udc80`-`\\udcff` (surrogateescape). They must survive
every writer without raising, and SARIF URIs must lead back to the exact file name.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

# Characters left as they are in a relative URI path: RFC 3986 unreserved characters
# (always kept by `quote`), "/" and most sub-delims. Everything else is percent-encoded:
# space, "%", "#", "?", ":" (a colon in the first segment would read as a scheme), "+"
# (some decoders read it as a space), "[", "]", control characters and non-ASCII.
_SAFE = "/!$&'()*,;=@"
_SURROGATES = re.compile("[\ud800-\udfff]")
_REPLACEMENT = "\ufffd"


def _utf8(text: str) -> bytes:
    """UTF-8 bytes of a name; surrogate-escaped bytes become the original bytes again."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate outside \udc80-\udcff
        return text.encode("utf-8", "surrogatepass")


def path_uri(path: str) -> str:
    """A relative, RFC 3986 valid URI reference for a posix path relative to the scan root.

    `urllib.parse.unquote(uri, errors="surrogateescape")` gives the path back. Never empty:
    the root itself is ".".
    """
    return quote(_utf8(path), safe=_SAFE) or "."


def root_uri(root: str) -> str:
    """The `file:` URI of the scan root, with a trailing slash (for `originalUriBaseIds`)."""
    absolute = os.path.abspath(root) if root else os.getcwd()
    if os.name == "nt":  # pragma: no cover - exercised on Windows only
        uri = PureWindowsPath(absolute).as_uri()
    else:
        uri = "file://" + quote(_utf8(PurePosixPath(absolute).as_posix()), safe=_SAFE)
    return uri if uri.endswith("/") else uri + "/"


def scrub(text: str) -> str:
    """Replace lone surrogates (which strict JSON parsers reject) with U+FFFD."""
    return _SURROGATES.sub(_REPLACEMENT, text)


def scrub_tree(value: Any) -> Any:
    """A copy of a JSON-like value (dicts, lists, strings, numbers) with every string scrubbed."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {scrub(key): scrub_tree(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_tree(item) for item in value]
    return value


def dump_json(doc: Any, *, strict_unicode: bool = False) -> str:
    """Indented ASCII JSON with a trailing newline; never raises on lone surrogates.

    With `strict_unicode`, lone surrogates are replaced by U+FFFD first (for consumers
    that reject them); otherwise they are kept as `\\udcXX` escapes, which Python's `json`
    reads back to the same string (and `os.fsencode` to the original bytes).
    """
    text = json.dumps(doc, indent=2, ensure_ascii=True) + "\n"
    # Surrogates (lone, or halves of an astral character) show as `\udXXX` escapes; without
    # one, there is nothing to scrub.
    if strict_unicode and "\\ud" in text:
        text = json.dumps(scrub_tree(doc), indent=2, ensure_ascii=True) + "\n"
    return text
