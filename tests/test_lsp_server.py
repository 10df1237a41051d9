"""The language server end to end over stdio (pytest-lsp), with a push-diagnostics client
on a copy of the example project. One server for the module; each test uses its own files."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcMethodNotFound
from pytest_lsp import LanguageClient

from tests.lsp_helpers import (
    CONFIG,
    change,
    copy_shop,
    initialize,
    last,
    lines_of,
    open_doc,
    replace_all,
    wait_for,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")


def apply_edits(text: str, edits) -> str:
    """The text after LSP TextEdits (ASCII text: UTF-16 units are characters)."""
    lines = text.splitlines(keepends=True) + [""]
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    out = text
    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        start = offsets[edit.range.start.line] + edit.range.start.character
        end = offsets[edit.range.end.line] + edit.range.end.character
        out = out[:start] + edit.new_text + out[end:]
    return out
ROOT: dict[str, Path] = {}


@pytest_lsp.fixture(scope="module", config=CONFIG)
async def client(lsp_client: LanguageClient, tmp_path_factory):
    root = copy_shop(tmp_path_factory.mktemp("push"))
    ROOT["root"] = root
    result = await initialize(lsp_client, root)
    assert result.capabilities.diagnostic_provider is None  # a push client is not offered pull
    assert result.capabilities.position_encoding == types.PositionEncodingKind.Utf16
    yield
    await lsp_client.shutdown_session()


def uri_of(rel: str) -> str:
    return (ROOT["root"] / rel).as_uri()


async def routes_open(client: LanguageClient) -> str:
    """app/routes.py open in the editor with both its findings (opened by the first test that needs it)."""
    uri = uri_of("app/routes.py")
    if "routes" not in ROOT:
        ROOT["routes"] = ROOT["root"]
        open_doc(client, uri, (ROOT["root"] / "app/routes.py").read_text())
    await wait_for(lambda: lines_of(client, uri) in ([14, 31], [15, 32]), what="routes.py findings")
    return uri


def write(rel: str, text: str) -> str:
    path = ROOT["root"] / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path.as_uri()


async def test_open_document_gets_the_cli_findings_with_chain_and_docs_link(client: LanguageClient):
    uri = await routes_open(client)
    # line 15 (through payments._post, needs the index) and line 32 (time.sleep), 1-based
    await wait_for(lambda: lines_of(client, uri) == [14, 31], what="both routes.py findings")
    by_line = {d.range.start.line: d for d in client.diagnostics[uri]}
    helper = by_line[14]
    assert helper.source == "perfsense" and helper.severity == types.DiagnosticSeverity.Warning
    assert helper.code_description.href.endswith("#blocking-call-in-async")
    assert helper.range.start.character == 13  # `payments.charge_card(...)`
    related = helper.related_information
    assert related and related[-1].location.uri == uri_of("app/payments.py")
    assert related[-1].location.range.start.line == 7  # requests.post in _post
    assert "requests.post" in related[-1].message
    assert by_line[31].related_information is None
    progress = client.progress_reports
    assert any(isinstance(v, types.WorkDoneProgressEnd) for values in progress.values() for v in values)


async def test_hover_shows_why_and_instead(client: LanguageClient):
    uri = await routes_open(client)
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=31, character=16)))
    assert hover is not None and hover.contents.kind == types.MarkupKind.Markdown
    text = hover.contents.value
    assert "blocking-call-in-async" in text and "**Why is this bad**" in text and "**Use instead**" in text
    assert "event loop" in text
    assert hover.range.start == types.Position(line=31, character=12)
    nothing = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=0, character=0)))
    assert nothing is None


async def test_code_actions_offer_the_rule_fix_and_suppressions(client: LanguageClient):
    uri = write("app/sleepy.py", '"""Waits."""\nimport time\n\n\nasync def poll(n):\n    time.sleep(n)  # backoff\n')
    text = (ROOT["root"] / "app/sleepy.py").read_text()
    open_doc(client, uri, text)
    await wait_for(lambda: lines_of(client, uri) == [5])
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(start=types.Position(line=5, character=0), end=types.Position(line=5, character=0)),
        context=types.CodeActionContext(diagnostics=list(client.diagnostics[uri]))))
    titles = [a.title for a in actions]
    assert titles[0] == "Replace with `await asyncio.sleep(…)`" and actions[0].is_preferred
    fixed = apply_edits(text, actions[0].edit.changes[uri])
    assert fixed == '"""Waits."""\nimport asyncio\nimport time\n\n\nasync def poll(n):\n    await asyncio.sleep(n)  # backoff\n'
    assert actions[0].diagnostics[0].code == "blocking-call-in-async"
    eol = next(a for a in actions if "on this line" in a.title).edit.changes[uri][0]
    assert eol.range.start == types.Position(line=5, character=len("    time.sleep(n)  # backoff"))
    above = next(a for a in actions if "line above" in a.title).edit.changes[uri][0]
    assert above.new_text == "    # perfsense: ignore[blocking-call-in-async]\n"
    # applying the suppression makes the finding go away
    change(client, uri, 2, ((5, 0, 5, 0), above.new_text))
    await wait_for(lambda: (p := last(client, uri)) is not None and p.version == 2 and not p.diagnostics,
                   what="suppressed finding")


async def test_utf16_columns_for_non_ascii_lines(client: LanguageClient):
    text = 'import time\n\n\nasync def f():\n    s = "𝄞é"; time.sleep(1)\n'
    uri = write("app/music.py", text)
    open_doc(client, uri, text)
    await wait_for(lambda: lines_of(client, uri) == [4])
    (diag,) = client.diagnostics[uri]
    # code points: 4 + len('s = "𝄞é"; ') = 14; UTF-16 counts 𝄞 twice
    assert diag.range.start.character == 15 and diag.range.end.character == 15 + len("time.sleep(1)")
    # an edit addressed in UTF-16 units after the surrogate pair: sleep(1) -> sleep(10)
    change(client, uri, 2, ((4, 15 + len("time.sleep(1"), 4, 15 + len("time.sleep(1")), "0"))
    await wait_for(lambda: (p := last(client, uri)) is not None and p.version == 2)
    (diag,) = client.diagnostics[uri]
    assert diag.range.end.character == 15 + len("time.sleep(10)")


async def test_debounced_edits_publish_once_with_the_last_version(client: LanguageClient):
    uri = write("app/typing_fast.py", "import time\n\n\nasync def f():\n    x = 1\n    \n")
    open_doc(client, uri, (ROOT["root"] / "app/typing_fast.py").read_text())
    await wait_for(lambda: last(client, uri) is not None)
    before = len([p for p in client.published if p.uri == uri])
    typed = "time.sleep(3)"
    for index, char in enumerate(typed):
        change(client, uri, 2 + index, ((5, 4 + index, 5, 4 + index), char))
    final = 1 + len(typed)
    await wait_for(lambda: (p := last(client, uri)) is not None and p.version == final)
    await asyncio.sleep(0.3)
    after = [p for p in client.published if p.uri == uri][before:]
    assert [p.version for p in after] == [final]
    assert lines_of(client, uri) == [5]


async def test_stale_versions_are_never_published(client: LanguageClient):
    body = "".join(f"def helper_{i}(x):\n    return [y * {i} for y in range(x)]\n\n" for i in range(2500))
    text = "import time\n\n\nasync def main():\n    time.sleep(1)\n\n" + body
    uri = write("app/big_module.py", text)
    open_doc(client, uri, text)
    await wait_for(lambda: (p := last(client, uri)) is not None and p.version == 1, timeout=30)
    change(client, uri, 2, ((0, 0, 0, 0), "# one\n"))
    await asyncio.sleep(0.06)  # the analysis of version 2 is running now
    change(client, uri, 3, ((0, 0, 0, 0), "# two\n"))
    await wait_for(lambda: (p := last(client, uri)) is not None and p.version == 3, timeout=30)
    versions = [p.version for p in client.published if p.uri == uri]
    assert 2 not in versions and versions[-1] == 3
    assert lines_of(client, uri) == [6]
    client.text_document_did_close(types.DidCloseTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))


async def test_close_clears_the_document(client: LanguageClient):
    uri = write("app/closing.py", "import time\n\n\nasync def f():\n    time.sleep(1)\n")
    open_doc(client, uri, (ROOT["root"] / "app/closing.py").read_text())
    await wait_for(lambda: lines_of(client, uri) == [4])
    client.text_document_did_close(types.DidCloseTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    await wait_for(lambda: (p := last(client, uri)) is not None and p.version is None and not p.diagnostics)


async def test_a_helper_edited_in_another_file_updates_its_callers(client: LanguageClient):
    routes, payments = await routes_open(client), uri_of("app/payments.py")
    text = (ROOT["root"] / "app/payments.py").read_text()
    open_doc(client, payments, text)
    line = text.splitlines().index('    response = requests.post(f"{PROVIDER}/{path}", json=body, timeout=10)')
    old = text.splitlines()[line]
    change(client, payments, 2, ((line, 0, line, len(old)), "    response = body"))
    await wait_for(lambda: lines_of(client, routes) == [31], what="the helper finding to go")
    change(client, payments, 3, ((line, 0, line, len("    response = body")), old))
    await wait_for(lambda: lines_of(client, routes) == [14, 31], what="the helper finding to return")
    client.text_document_did_close(types.DidCloseTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=payments)))


async def test_files_changed_on_disk_and_config_edits_are_picked_up(client: LanguageClient):
    routes = await routes_open(client)
    pyproject = ROOT["root"] / "pyproject.toml"
    pyproject.write_text('[tool.perfsense]\nignore = ["blocking-call-in-async"]\n', encoding="utf-8")
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=pyproject.as_uri(), type=types.FileChangeType.Created)]))
    await wait_for(lambda: lines_of(client, routes) == [], what="the config to silence the rule")
    pyproject.write_text("[tool.perfsense]\n", encoding="utf-8")
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=pyproject.as_uri(), type=types.FileChangeType.Changed)]))
    await wait_for(lambda: lines_of(client, routes) == [14, 31], what="the rule to come back")
    # a helper file changed on disk (not open in the editor)
    payments = ROOT["root"] / "app/payments.py"
    original = payments.read_text()
    payments.write_text(original.replace("requests.post(", "dict("), encoding="utf-8")
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=payments.as_uri(), type=types.FileChangeType.Changed)]))
    await wait_for(lambda: lines_of(client, routes) == [31], what="the disk change")
    payments.write_text(original, encoding="utf-8")
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=payments.as_uri(), type=types.FileChangeType.Changed)]))
    await wait_for(lambda: lines_of(client, routes) == [14, 31])


async def test_client_settings_select_and_ignore(client: LanguageClient):
    routes = await routes_open(client)
    client.set_configuration({"ignore": ["blocking-io"]}, section="perfsense")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await wait_for(lambda: lines_of(client, routes) == [], what="the category to be ignored")
    client.set_configuration({"ignore": []}, section="perfsense")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await wait_for(lambda: lines_of(client, routes) == [14, 31])


async def test_bad_edits_are_rejected_and_the_old_text_kept(client: LanguageClient):
    text = "import time\n\n\nasync def f():\n    s = '𝄞'; time.sleep(1)\n"
    uri = write("app/guarded.py", text)
    open_doc(client, uri, text)
    await wait_for(lambda: lines_of(client, uri) == [4])
    bad = [
        (2, ((3, 5, 1, 0), "x")),  # reversed
        (2, ((4, 9, 4, 2), "x")),  # reversed on one line
        (2, ((40, 0, 41, 0), "x")),  # past the end
        (2, ((4, 10, 4, 10), "x")),  # inside the surrogate pair of 𝄞 (UTF-16 units 9-10)
    ]
    for version, edit in bad:
        change(client, uri, version, edit)
    change(client, uri, 1, ((0, 0, 0, 0), "x"))  # version regression
    client.text_document_did_change(types.DidChangeTextDocumentParams(  # never opened
        text_document=types.VersionedTextDocumentIdentifier(uri=uri_of("app/nothing.py"), version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text="x")]))
    # the next valid edit applies to the unchanged text: the finding moves down by one line
    change(client, uri, 2, ((0, 0, 0, 0), "# note\n"))
    await wait_for(lambda: (p := last(client, uri)) is not None and p.version == 2)
    assert lines_of(client, uri) == [5]
    assert client.diagnostics[uri][0].range.start.character == len("    s = '𝄞'; ") + 1
    rejected = [m.message for m in client.log_messages if "rejected an edit" in m.message]
    assert len(rejected) == 5


async def test_unknown_request_is_answered_and_the_server_keeps_serving(client: LanguageClient):
    with pytest.raises(JsonRpcMethodNotFound):
        await client.protocol.send_request_async("perfsense/noSuchMethod", {})
    client.protocol.notify("perfsense/noSuchNotification", {})
    uri = await routes_open(client)
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=31, character=14)))
    assert hover is not None


async def test_untitled_and_other_uri_schemes(client: LanguageClient):
    text = "import time\n\n\nasync def f():\n    time.sleep(1)\n"
    for uri in ("untitled:Untitled-1", "vscode-notebook-cell:/x.ipynb#a", "git:/repo/app/x.py?ref"):
        open_doc(client, uri, text)
        await wait_for(lambda uri=uri: lines_of(client, uri) == [4], what=uri)


async def test_syntax_errors_while_typing(client: LanguageClient):
    text = "import time\n\n\nasync def f():\n    time.sleep(1)\n\n\ndef g():\n    return 1\n"
    uri = write("app/half_typed.py", text)
    open_doc(client, uri, text)
    await wait_for(lambda: lines_of(client, uri) == [4])
    change(client, uri, 2, ((4, 17, 4, 17), "\n    y = [1 +"))  # an unclosed bracket mid-file
    await wait_for(lambda: (p := last(client, uri)) is not None and p.version == 2)
    assert lines_of(client, uri) == [4]  # outside the broken region: still reported
    replace_all(client, uri, 3, text + "def (((\n" * 50)  # the text no longer parses at all
    await asyncio.sleep(0.4)
    assert last(client, uri).version == 2 and lines_of(client, uri) == [4]  # the last findings stay
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=4, character=6)))
    assert hover is None  # nothing is claimed about text that does not parse
    replace_all(client, uri, 4, "import time\n\nasync def f():\n    time.sleep(1)\n")
    await wait_for(lambda: (p := last(client, uri)) is not None and p.version == 4 and lines_of(client, uri) == [3])


async def test_a_50000_line_file_is_served(client: LanguageClient):
    body = "".join(f"def f{i}():\n    return {i}\n\n\n" for i in range(12_500))
    text = "import time\n\n\nasync def main():\n    time.sleep(1)\n\n\n" + body
    assert text.count("\n") > 50_000
    uri = write("app/huge.py", text)
    open_doc(client, uri, text)
    await wait_for(lambda: lines_of(client, uri) == [4], timeout=60, what="the 50,000-line file")
    change(client, uri, 2, ((50_000, 0, 50_000, 0), "# end\n"))
    await wait_for(lambda: (p := last(client, uri)) is not None and p.version == 2, timeout=60)
    client.text_document_did_close(types.DidCloseTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))


async def test_policies_apply_to_open_buffers(client: LanguageClient):
    minified = "var a=1;" + "function f(){return require('fs').readFileSync('x')}" * 400 + "\n"
    uri = write("web/bundle.js", minified)
    open_doc(client, uri, minified, language="javascript")
    await wait_for(lambda: last(client, uri) is not None)
    assert not last(client, uri).diagnostics
    await wait_for(lambda: any("bundle.js" in m.message and "minified" in m.message for m in client.log_messages))


async def test_files_outside_the_workspace_are_never_read_until_their_folder_is_added(client: LanguageClient):
    second = ROOT["root"].parent / "second"
    (second / "pkg").mkdir(parents=True)
    (second / "pkg" / "__init__.py").write_text("", encoding="utf-8")
    (second / "pkg" / "helper.py").write_text("import time\n\n\ndef nap():\n    time.sleep(1)\n", encoding="utf-8")
    main = second / "pkg" / "main.py"
    text = "from pkg import helper\n\n\nasync def handler():\n    helper.nap()\n"
    main.write_text(text, encoding="utf-8")
    open_doc(client, main.as_uri(), text)
    await wait_for(lambda: last(client, main.as_uri()) is not None)
    await asyncio.sleep(0.3)
    assert lines_of(client, main.as_uri()) == []  # helper.py lies outside every folder: not read
    folder = types.WorkspaceFolder(uri=second.as_uri(), name="second")
    client.workspace_did_change_workspace_folders(types.DidChangeWorkspaceFoldersParams(
        event=types.WorkspaceFoldersChangeEvent(added=[folder], removed=[])))
    await wait_for(lambda: lines_of(client, main.as_uri()) == [4], what="the finding through helper.nap()")
    client.workspace_did_change_workspace_folders(types.DidChangeWorkspaceFoldersParams(
        event=types.WorkspaceFoldersChangeEvent(added=[], removed=[folder])))
    await wait_for(lambda: lines_of(client, main.as_uri()) == [], what="the folder to be forgotten")
    client.text_document_did_close(types.DidCloseTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=main.as_uri())))


async def test_excluded_folders_are_not_analysed(client: LanguageClient):
    text = "const fs = require('fs');\nasync function f() { return fs.readFileSync('x'); }\n"
    uri = write("node_modules/dep/index.js", text)
    open_doc(client, uri, text, language="javascript")
    probe = write("web/probe.js", text)  # opened after: its diagnostics prove the first was handled
    open_doc(client, probe, text, language="javascript")
    await wait_for(lambda: lines_of(client, probe) == [1])
    assert last(client, uri) is None


async def test_an_invalid_config_is_reported_and_the_defaults_serve(client: LanguageClient):
    routes = await routes_open(client)
    config = ROOT["root"] / "perfsense.toml"
    config.write_text('selct = ["n-plus-one"]\n', encoding="utf-8")
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=config.as_uri(), type=types.FileChangeType.Created)]))
    await wait_for(lambda: any("selct" in m.message and "did you mean `select`" in m.message
                               for m in client.messages), what="the config error to be shown")
    config.unlink()
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=config.as_uri(), type=types.FileChangeType.Deleted)]))
    version = max(p.version or 0 for p in client.published if p.uri == routes) + 1
    change(client, routes, version, ((0, 0, 0, 0), "# touched\n"))
    await wait_for(lambda: (p := last(client, routes)) is not None and p.version == version)
    assert lines_of(client, routes) == [15, 32]
    change(client, routes, version + 1, ((0, 0, 1, 0), ""))
    await wait_for(lambda: lines_of(client, routes) == [14, 31])
