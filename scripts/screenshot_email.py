"""Screenshot the briefing email's HTML in headless Chromium: phone and desktop, light and dark.

    .venv/bin/python scripts/screenshot_email.py [--html FILE] [--out DIR] [--chromium PATH]

Without ``--html`` it runs ``marketbrief demo`` in a fresh workspace and takes the briefing the
demo wrote (``<home>/briefings/*.html``). It writes ``email-{phone,desktop}-{light,dark}.png``
to ``--out`` (default: a new temporary folder) and prints their paths. Full-page shots: the
page is measured first. Dark mode is ``prefers-color-scheme: dark`` emulated through the
DevTools protocol, which Chromium speaks over a pipe (``--remote-debugging-pipe``), so nothing
else is needed — but Chromium itself (Debian: ``apt-get install chromium``).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

VIEWS = {"phone": (390, True), "desktop": (1024, False)}  # CSS width, mobile emulation
SCHEMES = ("light", "dark")


def _high_fd(fd: int) -> int:
    high = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return high


class DevTools:
    """Just enough of the Chrome DevTools protocol, over the pipe of ``--remote-debugging-pipe``
    (messages are JSON ended by NUL; Chromium reads fd 3 and writes fd 4)."""

    def __init__(self, chromium: str) -> None:
        self._profile = tempfile.mkdtemp(prefix="mb-chromium-")  # removed by close()
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()
        # The child must find its ends at fd 3 and 4: moved out of the way first (so that one
        # dup2 cannot overwrite the other), then put there in the child; fds 3 and 4 are kept.
        to_chrome_r, from_chrome_w = (_high_fd(to_chrome_r), _high_fd(from_chrome_w))
        self.process = subprocess.Popen(
            [
                chromium,
                "--headless=new",
                "--remote-debugging-pipe",
                "--no-sandbox",  # root in a container
                "--disable-gpu",
                "--hide-scrollbars",
                "--no-first-run",
                "--no-default-browser-check",
                f"--user-data-dir={self._profile}",
                "about:blank",
            ],
            pass_fds=(3, 4),
            preexec_fn=lambda: (os.dup2(to_chrome_r, 3), os.dup2(from_chrome_w, 4)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def _read_message(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            chunk = os.read(self._from_chrome, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        message: dict[str, Any] = json.loads(raw)
        return message

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        request: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            request["sessionId"] = session
        os.write(self._to_chrome, json.dumps(request).encode() + b"\0")
        while True:
            message = self._read_message()
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
            self.events.append(message)

    def wait_for(self, event: str, session: str) -> None:
        while True:
            for i, message in enumerate(self.events):
                if message.get("method") == event and message.get("sessionId") == session:
                    del self.events[: i + 1]
                    return
            self.events.clear()
            self.events.append(self._read_message())

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, OSError):
            self.call("Browser.close")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_chrome)
        os.close(self._from_chrome)
        shutil.rmtree(self._profile, ignore_errors=True)


def screenshot(
    tools: DevTools,
    url: str,
    out: Path,
    *,
    width: int,
    mobile: bool,
    scheme: str,
    top: int = 0,
    height: int | None = None,
) -> Path:
    """A PNG of ``url`` at ``width`` CSS pixels in the ``scheme`` colours: the whole page, or
    ``height`` pixels of it from ``top``."""
    target = tools.call("Target.createTarget", url="about:blank")["targetId"]
    session = tools.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    tools.call("Page.enable", session)
    tools.call(
        "Emulation.setDeviceMetricsOverride",
        session,
        width=width,
        height=800,
        deviceScaleFactor=2 if mobile else 1,
        mobile=mobile,
    )
    tools.call(
        "Emulation.setEmulatedMedia",
        session,
        features=[{"name": "prefers-color-scheme", "value": scheme}],
    )
    tools.call("Page.navigate", session, url=url)
    tools.wait_for("Page.loadEventFired", session)
    metrics = tools.call("Page.getLayoutMetrics", session)
    page_height = int(metrics["cssContentSize"]["height"]) + 1
    top = min(top, page_height - 1)
    height = min(height or page_height, page_height - top)
    shot = tools.call(
        "Page.captureScreenshot",
        session,
        format="png",
        captureBeyondViewport=True,
        clip={"x": 0, "y": top, "width": width, "height": height, "scale": 1},
    )
    out.write_bytes(base64.b64decode(shot["data"]))
    tools.call("Target.closeTarget", targetId=target)
    return out


def demo_briefing_html(home: Path) -> Path:
    """Run ``marketbrief demo`` in ``home`` and return the briefing HTML it wrote."""
    env = {**os.environ, "MARKETBRIEF_HOME": str(home)}
    subprocess.run(
        [sys.executable, "-m", "marketbrief", "demo", "--json"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    found = sorted((home / "briefings").glob("*.html"))
    if not found:
        raise SystemExit(f"the demo wrote no briefing under {home / 'briefings'}")
    return found[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--html", type=Path, help="the email HTML (default: run the demo)")
    parser.add_argument("--out", type=Path, help="folder for the PNGs (default: a temp folder)")
    parser.add_argument("--chromium", help="the browser (default: chromium on PATH)")
    parser.add_argument("--top", type=int, default=0, help="CSS pixels to skip from the top")
    parser.add_argument("--height", type=int, help="CSS pixels to take (default: the page)")
    args = parser.parse_args()

    chromium = args.chromium or shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        raise SystemExit("no chromium on PATH (Debian: apt-get install chromium)")
    out = args.out or Path(tempfile.mkdtemp(prefix="mb-email-shots-"))
    out.mkdir(parents=True, exist_ok=True)
    html = args.html or demo_briefing_html(Path(tempfile.mkdtemp(prefix="mb-demo-")))

    tools = DevTools(chromium)
    try:
        for view, (width, mobile) in VIEWS.items():
            for scheme in SCHEMES:
                path = screenshot(
                    tools,
                    html.resolve().as_uri(),
                    out / f"email-{view}-{scheme}.png",
                    width=width,
                    mobile=mobile,
                    scheme=scheme,
                    top=args.top,
                    height=args.height,
                )
                print(path)
    finally:
        tools.close()


if __name__ == "__main__":
    main()
