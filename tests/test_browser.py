"""Chat widgets in a real headless Chromium (Playwright's Python API), against the default assistant.

* the real ``rasa-webchat@1.0.1`` widget (fetched with ``npm pack`` once, cached), served from a page
  of another origin (so CORS is exercised too), talking socket.io to our server;
* our own ``/widget.js`` on the demo page ``/``, over socket.io and over REST (with an auth token).

Each holds a multi-turn conversation including a click on a quick-reply button; screenshots go to
the test's tmp dir and to ``tests/artifacts/``. Chromium comes from Debian (``/usr/bin/chromium``):
Playwright's own browser download is not used.
"""

import functools
import http.server
import json
import shutil
import subprocess
import tarfile
import threading
from pathlib import Path

import pytest

from assistant.agent import BUSY, SORRY, Assistant
from assistant.paths import cache_dir
from assistant.server import BackgroundServer, ServerSettings, create_app
from assistant.server.settings import RateLimit

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
WEBCHAT = "rasa-webchat@1.0.1"
# what to say until the assistant offers buttons (its responses vary at random)
ASK_FOR_BUTTONS = ["find me a restaurant", "help", "I need a hotel", "help", "what can you do"]
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")  # not session: Playwright's sync API runs an event loop until it stops,
def chromium():                  # and asyncio.run() in later test files must not find one running
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: the browser tests need Debian's Chromium. Install it with "
                    "`apt-get install chromium` (.ci/run does).")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail('the browser tests need Playwright\'s Python API: pip install playwright (or pip install -e ".[test]")')
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def webchat_bundle() -> Path:
    """``lib/index.js`` of rasa-webchat 1.0.1, fetched once with ``npm pack`` and cached."""
    folder = cache_dir() / "test-npm" / WEBCHAT.replace("@", "-")
    bundle = folder / "package" / "lib" / "index.js"
    if bundle.exists():
        return bundle
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is missing: the rasa-webchat test fetches the widget with `npm pack`; apt-get install npm")
    folder.mkdir(parents=True, exist_ok=True)
    result = subprocess.run([npm, "pack", WEBCHAT, "--silent"], cwd=folder, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        pytest.fail(f"`npm pack {WEBCHAT}` failed (is the npm registry reachable?):\n{result.stderr}")
    tarball = folder / result.stdout.strip().splitlines()[-1]
    with tarfile.open(tarball) as archive:
        archive.extractall(folder, filter="data")
    assert bundle.exists(), f"{WEBCHAT} has no lib/index.js"
    return bundle


@pytest.fixture(scope="module")
def assistant(default_model_dir, tmp_path_factory):
    db = tmp_path_factory.mktemp("browser") / "conversations.db"
    with Assistant.from_config(model_dir=default_model_dir, store_url=f"sqlite:///{db}") as a:
        yield a


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def page_server(tmp_path_factory):
    """A tiny static site on another origin, for the rasa-webchat page."""
    root = tmp_path_factory.mktemp("site")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _artifact(path: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(path, ARTIFACTS / path.name)


def _count(page, selector):
    return page.locator(selector).count()


def _wait_more(page, selector, than):
    page.wait_for_function("([s, n]) => document.querySelectorAll(s).length > n", arg=[selector, than], timeout=TIMEOUT_MS)


def _user_texts(assistant, sender):
    return [e["text"] for e in assistant.tracker(sender)["events"] if e["event"] == "user"]


def _bot_texts(assistant, sender):
    return [e["text"] for e in assistant.tracker(sender)["events"] if e["event"] == "bot"]


def _say_until_buttons(page, send, reply_selector, bot_selector):
    """Say things until the bot shows quick replies; the texts said."""
    said = []
    for text in ASK_FOR_BUTTONS:
        before = _count(page, bot_selector)
        send(text)
        said.append(text)
        _wait_more(page, bot_selector, before)
        page.wait_for_timeout(300)  # the rest of the turn's messages
        if _count(page, reply_selector):
            return said
    raise AssertionError(f"the assistant offered no buttons after {said}")


# ---------------------------------------------------------------- rasa-webchat
def test_rasa_webchat_holds_a_conversation(chromium, webchat_bundle, page_server, assistant, tmp_path):
    site, site_origin = page_server
    with BackgroundServer(create_app(assistant, ServerSettings(cors_origins=(site_origin,), rate_limit=RateLimit(0, 60)))) as server:
        shutil.copy(webchat_bundle, site / "webchat.js")
        (site / "index.html").write_text(f"""<!doctype html><html><head><meta charset="utf-8"><title>rasa-webchat</title></head>
<body><h1>rasa-webchat 1.0.1 against the city concierge</h1>
<script src="webchat.js"></script>
<script>
  window.WebChat.default({{
    socketUrl: "{server.url}",
    socketPath: "/socket.io/",
    customData: {{"language": "en", "page": "webchat-test"}},
    title: "City concierge",
    initPayload: null,
    params: {{storage: "local"}},
    customMessageDelay: function () {{ return 0; }}
  }}, null);
</script></body></html>""")
        context = chromium.new_context(viewport={"width": 1000, "height": 800})  # a fresh profile
        page = context.new_page()
        problems = []
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        try:
            page.goto(site_origin + "/index.html")
            page.locator(".rw-launcher").click(timeout=TIMEOUT_MS)  # shown once session_confirm came
            box = page.locator(".rw-new-message")
            box.wait_for(timeout=TIMEOUT_MS)

            def send(text):
                box.fill(text)
                box.press("Enter")

            before = _count(page, ".rw-response")
            send("hi")
            _wait_more(page, ".rw-response", before)
            said = ["hi", *_say_until_buttons(page, send, ".rw-reply", ".rw-response")]
            offered = tmp_path / "rasa-webchat-buttons.png"
            page.screenshot(path=str(offered), full_page=True)
            _artifact(offered)
            reply = page.locator(".rw-reply").first
            title = reply.inner_text().strip()
            before = _count(page, ".rw-response")
            reply.click()
            page.locator(".rw-client", has_text=title).last.wait_for(timeout=TIMEOUT_MS)
            _wait_more(page, ".rw-response", before)
            page.wait_for_timeout(300)
            shot = tmp_path / "rasa-webchat.png"
            page.screenshot(path=str(shot), full_page=True)
            _artifact(shot)
            session = json.loads(page.evaluate("window.localStorage.getItem('chat_session')"))["session_id"]
        finally:
            context.close()
    assert not problems, problems
    users = _user_texts(assistant, session)
    assert users[:len(said)] == said and len(users) == len(said) + 1  # + the quick reply's payload
    offered = [b for e in assistant.tracker(session)["events"] if e["event"] == "bot"
               for b in e["data"].get("buttons", []) if b["title"] == title]
    assert offered and users[-1] == offered[-1]["payload"]  # the title was shown, the payload sent
    bots = _bot_texts(assistant, session)
    assert bots and SORRY not in bots and BUSY not in bots
    first = next(e for e in assistant.tracker(session)["events"] if e["event"] == "user")
    assert first["input_channel"] == "socketio" and first["metadata"]["page"] == "webchat-test"


# ---------------------------------------------------------------- our widget
@pytest.mark.parametrize("transport, auth_token", [("socketio", None), ("rest", "s3cret-token")])
def test_our_widget_holds_a_conversation(chromium, assistant, tmp_path, transport, auth_token):
    settings = ServerSettings(auth_token=auth_token, rate_limit=RateLimit(0, 60))
    with BackgroundServer(create_app(assistant, settings)) as server:
        query = f"?transport={transport}" + (f"&token={auth_token}" if auth_token else "")
        context = chromium.new_context(viewport={"width": 1000, "height": 800})
        page = context.new_page()
        problems = []
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        try:
            page.goto(server.url + "/" + query)
            page.locator(".cw-root[data-ready=true]").wait_for(timeout=TIMEOUT_MS)
            box = page.locator(".cw-input")

            def send(text):
                box.fill(text)
                box.press("Enter")

            bot = ".cw-message.cw-bot:not(.cw-typing)"
            before = _count(page, bot)
            send("hi")
            _wait_more(page, bot, before)
            said = ["hi", *_say_until_buttons(page, send, ".cw-quick-reply", bot)]
            offered = tmp_path / f"widget-{transport}-buttons.png"
            page.screenshot(path=str(offered), full_page=True)
            _artifact(offered)
            reply = page.locator(".cw-quick-reply").first
            title, payload = reply.inner_text(), reply.get_attribute("data-payload")
            before = _count(page, bot)
            reply.click()
            page.locator(".cw-user", has_text=title).last.wait_for(timeout=TIMEOUT_MS)
            _wait_more(page, bot, before)
            page.wait_for_timeout(300)
            assert _count(page, ".cw-note") == 0, page.locator(".cw-note").all_inner_texts()
            shot = tmp_path / f"widget-{transport}.png"
            page.screenshot(path=str(shot), full_page=True)
            _artifact(shot)
            session = page.locator(".cw-root").get_attribute("data-session-id")

            # a reload continues the same conversation (the session id is in localStorage)
            page.reload()
            page.locator(".cw-root[data-ready=true]").wait_for(timeout=TIMEOUT_MS)
            assert page.locator(".cw-root").get_attribute("data-session-id") == session
            before = _count(page, bot)
            send("thanks")
            _wait_more(page, bot, before)
        finally:
            context.close()
    assert not problems, problems
    assert _user_texts(assistant, session) == [*said, payload, "thanks"]
    bots = _bot_texts(assistant, session)
    assert bots and SORRY not in bots and BUSY not in bots
    first = next(e for e in assistant.tracker(session)["events"] if e["event"] == "user")
    assert first["input_channel"] == transport

