"""A pull-diagnostics client (like vscode-languageclient): `textDocument/diagnostic`,
refresh after cross-file changes, cancellation, lazy code-action edits, UTF-8 positions."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcRequestCancelled
from pytest_lsp import LanguageClient

from tests.lsp_helpers import CONFIG, change, copy_shop, initialize, open_doc, wait_for

pytestmark = pytest.mark.asyncio(loop_scope="module")
ROOT: dict[str, Path] = {}


@pytest_lsp.fixture(scope="module", config=CONFIG)
async def client(lsp_client: LanguageClient, tmp_path_factory):
    root = copy_shop(tmp_path_factory.mktemp("pull"))
    ROOT["root"] = root
    result = await initialize(lsp_client, root, {"debounceMs": 200}, pull=True, resolve=True,
                              encodings=["utf-8", "utf-16"])
    provider = result.capabilities.diagnostic_provider
    assert provider is not None and provider.inter_file_dependencies
    assert result.capabilities.position_encoding == types.PositionEncodingKind.Utf8
    yield
    await lsp_client.shutdown_session()


def uri_of(rel: str) -> str:
    return (ROOT["root"] / rel).as_uri()


async def pull(client: LanguageClient, uri: str, previous: str | None = None):
    return await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(
        text_document=types.TextDocumentIdentifier(uri=uri), previous_result_id=previous))


async def pulled_lines(client: LanguageClient, uri: str) -> list[int]:
    report = await pull(client, uri)
    return sorted(d.range.start.line for d in report.items)


async def routes_open(client: LanguageClient) -> str:
    """app/routes.py open, with its findings pulled once (the index is ready then)."""
    uri = uri_of("app/routes.py")
    if "routes" not in ROOT:
        ROOT["routes"] = ROOT["root"]
        open_doc(client, uri, (ROOT["root"] / "app/routes.py").read_text())
    for _ in range(300):
        if len(await pulled_lines(client, uri)) == 2:
            break
        await asyncio.sleep(0.05)
    return uri


def sleepy(name: str) -> str:
    text = "import asyncio\nimport time\n\n\nasync def poll(n):\n    time.sleep(n)\n"
    path = ROOT["root"] / "app" / name
    path.write_text(text, encoding="utf-8")
    return path.as_uri()


async def test_pull_returns_findings_and_nothing_is_pushed(client: LanguageClient):
    uri = await routes_open(client)
    report = await pull(client, uri)
    assert sorted(d.range.start.line for d in report.items) == [14, 31]
    assert report.items[0].related_information or report.items[1].related_information
    again = await pull(client, uri, report.result_id)
    assert again.kind == "unchanged" and again.result_id == report.result_id
    assert client.published == []  # never both push and pull to one client


async def test_cross_file_change_asks_the_client_to_pull_again(client: LanguageClient):
    routes, payments = await routes_open(client), uri_of("app/payments.py")
    text = (ROOT["root"] / "app/payments.py").read_text()
    open_doc(client, payments, text)
    await pull(client, payments)
    before = client.diagnostic_refresh_count
    line = next(i for i, l in enumerate(text.splitlines()) if "requests.post(" in l)
    original = text.splitlines()[line]
    change(client, payments, 2, ((line, 0, line, len(original)), "    response = body"))
    await pull(client, payments)
    await wait_for(lambda: client.diagnostic_refresh_count > before, what="workspace/diagnostic/refresh")
    assert await pulled_lines(client, routes) == [31]
    change(client, payments, 3, ((line, 0, line, len("    response = body")), original))
    await pull(client, payments)
    await wait_for(lambda: client.diagnostic_refresh_count > before + 1, what="a second refresh")
    assert await pulled_lines(client, routes) == [14, 31]
    client.text_document_did_close(types.DidCloseTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=payments)))


async def test_a_pending_pull_can_be_cancelled(client: LanguageClient):
    uri = sleepy("cancel_me.py")
    open_doc(client, uri, (ROOT["root"] / "app/cancel_me.py").read_text())
    assert [d.range.start.line for d in (await pull(client, uri)).items] == [5]
    change(client, uri, 2, ((0, 0, 0, 0), "# edited\n"))  # analysis waits for the 200 ms debounce
    future = client.protocol.send_request(types.TEXT_DOCUMENT_DIAGNOSTIC, types.DocumentDiagnosticParams(
        text_document=types.TextDocumentIdentifier(uri=uri)), msg_id="pull-to-cancel")
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="pull-to-cancel"))
    with pytest.raises(JsonRpcRequestCancelled):
        await asyncio.wrap_future(future)
    report = await pull(client, uri)  # the server still answers, for the new version
    assert [d.range.start.line for d in report.items] == [6]


async def test_code_action_edits_are_resolved_lazily(client: LanguageClient):
    uri = sleepy("lazy_fix.py")
    open_doc(client, uri, (ROOT["root"] / "app/lazy_fix.py").read_text())
    await pull(client, uri)
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(start=types.Position(line=5, character=6), end=types.Position(line=5, character=6)),
        context=types.CodeActionContext(diagnostics=[])))
    fix = actions[0]
    assert fix.title == "Replace with `await asyncio.sleep(…)`" and fix.edit is None and fix.data
    resolved = await client.code_action_resolve_async(fix)
    (edit,) = resolved.edit.changes[uri]  # `time.sleep(n)` -> `await asyncio.sleep(n)`; asyncio imported already
    assert edit.new_text == "await asyncio"
    assert edit.range == types.Range(start=types.Position(line=5, character=4),
                                     end=types.Position(line=5, character=8))
    assert all(a.edit is not None for a in actions[1:])  # suppressions are cheap: given at once
async def test_utf8_positions_when_negotiated(client: LanguageClient):
    text = 'import time\n\n\nasync def f():\n    s = "𝄞é"; time.sleep(1)\n'
    path = ROOT["root"] / "app/utf8.py"
    path.write_text(text, encoding="utf-8")
    open_doc(client, path.as_uri(), text)
    report = await pull(client, path.as_uri())
    (diag,) = report.items
    prefix = '    s = "𝄞é"; '
    assert diag.range.start.character == len(prefix.encode("utf-8"))
    change(client, path.as_uri(), 2, ((4, len(prefix.encode()) + 2, 4, len(prefix.encode()) + 2), "#"))
    report = await pull(client, path.as_uri())  # `ti#me.sleep(1)`: no longer a blocking call
    assert len(report.items) == 0
