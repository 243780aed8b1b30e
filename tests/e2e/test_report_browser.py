"""The officials' report in a real headless Chromium (Debian's package), driven through the DevTools
protocol: no console errors, no network requests beyond the file itself, the three languages render,
the tile map switches indicator, and a full-page screenshot per language.

The screenshots in docs/screenshots/ are of a real `make run` release, not of this test's fixture marts
(the README says how they are taken)."""

from __future__ import annotations

import base64
import importlib.util
import json
import struct
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--hide-scrollbars"]
TITLES = {"kk": "Қазақстанның байланыс статистикасы", "ru": "Статистика связи Казахстана",
          "en": "Connectivity statistics of Kazakhstan"}


def _publish_helpers():
    path = REPO / "tests" / "integration" / "test_publish.py"
    spec = importlib.util.spec_from_file_location("publish_helpers", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def report_file(tmp_path_factory) -> Path:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: run scripts/install_system_tools.sh "
                    "(apt-get install -y chromium)")
    from shared_homes import copy_home, revised_months

    helpers = _publish_helpers()
    home = tmp_path_factory.mktemp("report") / "home"
    # Months the pipeline built: February published, then March, then March revised (kcell's resubmission).
    marts = helpers.PipelineMarts(copy_home(revised_months(tmp_path_factory), home))
    helpers.publish(marts, period=helpers.PERIODS[-2])
    helpers.publish(marts)
    marts.revise(helpers.PERIOD)
    release, _ = helpers.publish(marts, notes="Kcell corrected its fibre report")
    folder = home / "publication" / release["path"]
    if not (folder / "report.html").is_file():  # S3 or another backend: fetch the release locally
        folder = tmp_path_factory.mktemp("download")
        area = helpers.area_of(marts.settings)
        for key in area.list(release["path"]):
            target = folder / key[len(release["path"]):]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(area.get_bytes(key))
    return folder / "report.html"


class Browser:
    """Headless Chromium with the DevTools protocol on a loopback port (websockets client)."""

    def __init__(self, profile: Path):
        profile.mkdir(parents=True, exist_ok=True)
        port_file = profile / "DevToolsActivePort"
        port_file.unlink(missing_ok=True)  # a stale one would name a dead port
        self.process = subprocess.Popen(
            [str(CHROMIUM), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0",
             "--remote-debugging-address=127.0.0.1", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text().strip()):
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.close()
                raise RuntimeError("chromium did not open its DevTools port")
            time.sleep(0.05)
        self.port = int(port_file.read_text().splitlines()[0])

    def open(self, url: str) -> Page:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/json/new?about:blank", method="PUT")
        with urllib.request.urlopen(request, timeout=10) as response:
            target = json.load(response)
        page = Page(target["webSocketDebuggerUrl"])
        page.call("Page.navigate", url=url)
        page.wait_for("Page.loadEventFired")
        page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        return page

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


class Page:
    def __init__(self, websocket_url: str):
        from websockets.sync.client import connect

        self._connection = connect(websocket_url, max_size=None, open_timeout=10)
        self.socket = self._connection.__enter__()
        self.next_id = 0
        self.events: list[dict] = []
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")

    def call(self, method: str, **params):
        self.next_id += 1
        ident = self.next_id
        self.socket.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv(timeout=60))
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, event: str, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        seen = next((m for m in self.events if m.get("method") == event), None)
        while seen is None:
            message = json.loads(self.socket.recv(timeout=max(0.1, deadline - time.monotonic())))
            self.events.append(message)
            if message.get("method") == event:
                seen = message
        return seen

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    def problems(self) -> list[str]:
        """Console messages, uncaught exceptions and browser log entries (failed loads, CSP …)."""
        found = []
        for message in self.events:
            method, params = message.get("method"), message.get("params", {})
            if method == "Runtime.consoleAPICalled":
                found.append(f"console.{params['type']}: " + " ".join(
                    str(a.get("value", a.get("description"))) for a in params["args"]))
            elif method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                found.append(
                    "exception: " + (details.get("exception", {}).get("description") or details["text"])
                )
            elif method == "Log.entryAdded" and params["entry"]["level"] in ("error", "warning"):
                found.append(f"log.{params['entry']['level']}: {params['entry']['text']}")
        return found

    def requests(self) -> list[str]:
        return [
            m["params"]["request"]["url"]
            for m in self.events
            if m.get("method") == "Network.requestWillBeSent"
        ]

    def screenshot(self, path: Path, width: int = 1280, height: int | None = None) -> None:
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=900,
                  deviceScaleFactor=1, mobile=False)
        full = int(self.call("Page.getLayoutMetrics")["cssContentSize"]["height"])
        shot = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                         clip={"x": 0, "y": 0, "width": width,
                               "height": min(height or full, full), "scale": 1})
        path.write_bytes(base64.b64decode(shot["data"]))

    def close(self) -> None:
        self._connection.__exit__(None, None, None)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: run scripts/install_system_tools.sh")
    instance = Browser(tmp_path_factory.mktemp("chromium-profile"))
    yield instance
    instance.close()


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def test_console_catches_errors_in_a_broken_page(browser, tmp_path):
    """The check below can fail: a page with a script error and an external image is caught."""
    broken = tmp_path / "broken.html"
    broken.write_text('<!DOCTYPE html><html><body><img src="http://192.0.2.1/x.png">'
                      "<script>console.error('boom'); undefinedFunction();</script></body></html>")
    page = browser.open(broken.as_uri())
    try:
        problems = page.problems()
        assert any("boom" in p for p in problems) and any("undefinedFunction" in p for p in problems)
        assert any(url.startswith("http://192.0.2.1") for url in page.requests())
    finally:
        page.close()


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_report_renders_in_each_language(browser, report_file, language, tmp_path):
    page = browser.open(f"{report_file.as_uri()}#{language}")
    try:
        assert page.problems() == []
        assert page.requests() == [report_file.as_uri()], "the report must load nothing but itself"
        assert page.evaluate("document.documentElement.lang") == language
        assert page.evaluate("document.title").startswith(TITLES[language])
        text = page.evaluate("document.body.innerText")
        assert TITLES[language] in text
        for other, title in TITLES.items():
            if other != language:
                assert title not in text, f"{other} text visible in the {language} page"
        # Every visible labelled element is in the chosen language.
        hidden = page.evaluate(
            f"[...document.querySelectorAll('[data-l]')].filter(e => e.dataset.l !== '{language}')"
            ".filter(e => e.offsetParent !== null).length")
        assert hidden == 0
        shown = page.evaluate(f"document.querySelectorAll('[data-l=\"{language}\"]').length")
        assert shown > 100
        cards = page.evaluate("document.querySelectorAll('#headline .card svg').length")
        assert cards >= 5, "a trajectory chart per targeted indicator"
        tiles = page.evaluate("document.querySelectorAll('.panel:not([hidden]) .tile').length")
        assert tiles == 20

        # The tile map's indicator chooser switches the panel.
        before = page.evaluate("document.querySelector('.panel:not([hidden])').id")
        page.evaluate("document.querySelectorAll('[data-show-map]')[1].click()")
        after = page.evaluate("document.querySelector('.panel:not([hidden])').id")
        assert before != after
        assert page.evaluate("document.querySelectorAll('.panel:not([hidden])').length") == 1
        page.evaluate("document.querySelectorAll('[data-show-map]')[0].click()")

        full = tmp_path / f"report-{language}-full.png"
        page.screenshot(full)
        width, height = png_size(full)
        assert width == 1280 and height > 2000
        top = tmp_path / f"report-{language}.png"
        page.screenshot(top, height=1800)
        assert page.problems() == []
    finally:
        page.close()


def test_dump_dom_after_switching_language_by_hash(report_file, tmp_path):
    """The plain command line path (no DevTools): --dump-dom shows the language set from the hash."""
    for language in ("ru", "en"):
        result = subprocess.run(
            [str(CHROMIUM), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / language}",
             "--enable-logging=stderr",
             "--v=0", "--dump-dom", f"{report_file.as_uri()}#{language}"],
            capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr[-2000:]
        assert f'<html lang="{language}" data-lang="{language}">' in result.stdout
        assert "CONSOLE" not in result.stderr, [
            line for line in result.stderr.splitlines() if "CONSOLE" in line
        ]
