"""Shared pieces of the language-server tests: the server command, a client that records
every publishDiagnostics, a copy of the example project, polling helpers."""
from __future__ import annotations

import asyncio
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

REPO = Path(__file__).resolve().parent.parent
SHOP = REPO / "examples" / "shop"
SERVER = [sys.executable, "-m", "perfsense.lsp", "--stdio"]


@dataclass(frozen=True)
class Published:
    uri: str
    version: int | None
    diagnostics: tuple[types.Diagnostic, ...]
    at: float


def recording_client() -> LanguageClient:
    """A pytest-lsp client that also keeps every publishDiagnostics in `client.published`."""
    client = LanguageClient(converter_factory=default_converter)
    client.published = []  # type: ignore[attr-defined]

    def publish(client: LanguageClient, params: types.PublishDiagnosticsParams) -> None:
        client.diagnostics[params.uri] = params.diagnostics
        client.published.append(Published(params.uri, params.version, tuple(params.diagnostics),  # type: ignore
                                          time.monotonic()))

    def register(client: LanguageClient, params: types.RegistrationParams) -> None:
        client.registrations.extend(params.registrations)  # type: ignore[attr-defined]

    client.registrations = []  # type: ignore[attr-defined]
    features = dict(DEFAULT_CLIENT_FEATURES)
    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = publish
    features[types.CLIENT_REGISTER_CAPABILITY] = register
    register_lsp_features(client, features)
    return client


CONFIG = ClientServerConfig(server_command=SERVER, client_factory=recording_client)


def copy_shop(target: Path) -> Path:
    root = target / "shop"
    shutil.copytree(SHOP, root, ignore=shutil.ignore_patterns(".perfsense_cache", "__pycache__"))
    return root


def capabilities(*, pull: bool = False, encodings: list[str] | None = None, resolve: bool = False,
                 watch: bool = True, configuration: bool = True) -> types.ClientCapabilities:
    text = types.TextDocumentClientCapabilities(
        synchronization=types.TextDocumentSyncClientCapabilities(did_save=True),
        publish_diagnostics=types.PublishDiagnosticsClientCapabilities(
            related_information=True, code_description_support=True, version_support=True),
        hover=types.HoverClientCapabilities(content_format=[types.MarkupKind.Markdown, types.MarkupKind.PlainText]),
        code_action=types.CodeActionClientCapabilities(
            code_action_literal_support=types.ClientCodeActionLiteralOptions(
                code_action_kind=types.ClientCodeActionKindOptions(value_set=[types.CodeActionKind.QuickFix])),
            is_preferred_support=True, data_support=True,
            resolve_support=types.ClientCodeActionResolveOptions(properties=["edit"]) if resolve else None),
        diagnostic=types.DiagnosticClientCapabilities(related_information=True) if pull else None,
    )
    workspace = types.WorkspaceClientCapabilities(
        configuration=configuration,
        did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(dynamic_registration=watch),
        did_change_configuration=types.DidChangeConfigurationClientCapabilities(dynamic_registration=True),
        diagnostics=types.DiagnosticWorkspaceClientCapabilities(refresh_support=True) if pull else None,
        workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=False),
    )
    general = types.GeneralClientCapabilities(position_encodings=encodings) if encodings else None
    return types.ClientCapabilities(text_document=text, workspace=workspace, general=general,
                                    window=types.WindowClientCapabilities(work_done_progress=True))


async def initialize(client: LanguageClient, root: Path, options: dict[str, Any] | None = None,
                     **caps: Any) -> types.InitializeResult:
    return await client.initialize_session(types.InitializeParams(
        capabilities=capabilities(**caps), root_uri=root.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
        initialization_options=options or {"debounceMs": 30}))


async def wait_for(check: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def open_doc(client: LanguageClient, uri: str, text: str, version: int = 1, language: str = "python") -> None:
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id=language, version=version, text=text)))


def change(client: LanguageClient, uri: str, version: int, *edits: tuple[tuple[int, int, int, int], str]) -> None:
    changes = []
    for (sl, sc, el, ec), text in edits:
        changes.append(types.TextDocumentContentChangePartial(
            range=types.Range(start=types.Position(line=sl, character=sc), end=types.Position(line=el, character=ec)),
            text=text))
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version), content_changes=changes))


def replace_all(client: LanguageClient, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))


def lines_of(client: LanguageClient, uri: str, code: str = "blocking-call-in-async") -> list[int]:
    return sorted(d.range.start.line for d in client.diagnostics.get(uri, ()) if d.code == code)


def last(client: LanguageClient, uri: str) -> Published | None:
    items = [p for p in client.published if p.uri == uri]  # type: ignore[attr-defined]
    return items[-1] if items else None
