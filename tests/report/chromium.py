"""Drive headless Chromium over the DevTools protocol on a pipe (no driver, no downloads).

Chromium started with ``--remote-debugging-pipe`` reads protocol commands (JSON, each ended by a
NUL byte) on file descriptor 3 and writes responses and events on descriptor 4. That is all a
page check needs: open a page from disk, wait for its load event, read every image's
``naturalWidth``, collect console errors and uncaught exceptions, and take a screenshot.

Used by the browser test of the report and to make the screenshot in ``docs/figures/``.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Names of a Chromium binary, tried in order on PATH (``LEARNMECH_CHROMIUM`` overrides).
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio")


def find_browser() -> str | None:
    """Path of a Chromium binary, or None when there is none."""
    explicit = os.environ.get("LEARNMECH_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).exists() else None
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class PageCheck:
    """What the browser saw: images (alt, complete, naturalWidth), errors, the screenshot."""

    title: str = ""
    images: list[tuple[str, bool, int]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    screenshot: bytes = b""
    height: int = 0


def check_page(page: str | Path, *, width: int = 1280, max_height: int = 8000,
               timeout: float = 60.0, browser: str | None = None) -> PageCheck:
    """Load ``page`` (a file) in headless Chromium and report on it.

    Parameters
    ----------
    page : str or Path
        An HTML file; opened as a ``file://`` URL.
    width : int
        Viewport width, CSS pixels.
    max_height : int
        The screenshot covers the page down to this many CSS pixels.
    timeout : float
        Seconds to wait for the browser at each step.
    browser : str, optional
        The binary (default :func:`find_browser`).

    Returns
    -------
    PageCheck
        ``errors`` holds console errors, uncaught exceptions and failed loads.
    """
    browser = browser or find_browser()
    if browser is None:
        raise FileNotFoundError("no Chromium found (apt-get install chromium)")
    url = Path(page).resolve().as_uri()
    with tempfile.TemporaryDirectory(prefix="learnmech-chromium-") as profile:
        to_chrome_r, to_chrome_w = os.pipe()
        from_chrome_r, from_chrome_w = os.pipe()

        def plumb() -> None:  # in the child: the protocol's fds 3 and 4 (inheritable)
            import fcntl

            high_r = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10)
            high_w = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        process = subprocess.Popen(
            [browser, *FLAGS, "--remote-debugging-pipe", f"--user-data-dir={profile}",
             f"--window-size={width},900", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=plumb, close_fds=False,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        client = _Pipe(to_chrome_w, from_chrome_r, timeout)
        try:
            return _inspect(client, url, width, max_height)
        finally:
            try:
                client.send("Browser.close")
            except OSError:
                pass
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            os.close(to_chrome_w)
            os.close(from_chrome_r)


def _inspect(client: _Pipe, url: str, width: int, max_height: int) -> PageCheck:
    """Attach to the page target, load ``url``, then measure and photograph it."""
    targets = client.call("Target.getTargets")["targetInfos"]
    page = next(t for t in targets if t["type"] == "page")
    session = client.call("Target.attachToTarget", targetId=page["targetId"],
                          flatten=True)["sessionId"]
    for domain in ("Page", "Runtime", "Log"):
        client.call(f"{domain}.enable", session=session)
    client.call("Page.navigate", session=session, url=url)
    client.wait_for("Page.loadEventFired", session)
    result = PageCheck()
    found = client.call("Runtime.evaluate", session=session, returnByValue=True, expression=(
        "JSON.stringify({title: document.title, height: document.documentElement.scrollHeight,"
        " images: Array.from(document.images).map(i => [i.alt, i.complete, i.naturalWidth])})"
    ))["result"]["value"]
    data = json.loads(found)
    result.title = data["title"]
    result.height = int(data["height"])
    result.images = [(alt, bool(done), int(w)) for alt, done, w in data["images"]]
    height = min(result.height, max_height)
    shot = client.call("Page.captureScreenshot", session=session, format="png",
                       captureBeyondViewport=True,
                       clip={"x": 0, "y": 0, "width": width, "height": height, "scale": 1})
    result.screenshot = base64.b64decode(shot["data"])
    result.errors = client.errors
    return result


class _Pipe:
    """A minimal DevTools protocol client over two pipe file descriptors."""

    def __init__(self, write_fd: int, read_fd: int, timeout: float):
        self._write, self._read, self._timeout = write_fd, read_fd, timeout
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []
        self.errors: list[str] = []

    def send(self, method: str, session: str | None = None, **params: Any) -> int:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self._write, data):]
        return self._next_id

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        """Send a command and return its result (RuntimeError on a protocol error)."""
        wanted = self.send(method, session, **params)
        while True:
            message = self._receive()
            if message.get("id") == wanted:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def wait_for(self, event: str, session: str) -> dict[str, Any]:
        """Wait for an event of this session (one already received counts)."""
        for i, message in enumerate(self._events):
            if message.get("method") == event and message.get("sessionId") == session:
                return self._events.pop(i)
        while True:
            message = self._receive()
            if message.get("method") == event and message.get("sessionId") == session:
                return message

    def _receive(self) -> dict[str, Any]:
        deadline = time.monotonic() + self._timeout
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._read], [], [], max(left, 0))
            if not ready:
                raise TimeoutError(f"Chromium did not answer within {self._timeout} s")
            chunk = os.read(self._read, 1 << 20)
            if not chunk:
                raise ConnectionError("Chromium closed the protocol pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message = json.loads(raw)
        self._note(message)
        if "method" in message:
            self._events.append(message)
        return message

    def _note(self, message: dict[str, Any]) -> None:
        """Record console errors, uncaught exceptions and error log entries."""
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            texts = [str(a.get("value", a.get("description", ""))) for a in params.get("args", [])]
            self.errors.append("console: " + " ".join(texts))
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            self.errors.append("exception: " + str(details.get("text", details)))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            self.errors.append(f"log: {entry.get('text', '')} {entry.get('url', '')}".strip())
