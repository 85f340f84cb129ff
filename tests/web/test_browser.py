"""End to end in a real browser: headless Chromium (Debian's ``chromium`` and
``chromium-driver``, driven by Selenium) against the real app served by uvicorn on a loopback
port. A person subscribes from the home page, confirms from the mail in the outbox, changes the
watchlist, comments on an article (held, as a first comment), and an operator signs in by a
mailed link and approves it. Screenshots of the article page and /manage, at phone and desktop
widths, go to ``$MARKETBRIEF_SCREENSHOTS`` (else the test's temporary folder).

Skipped, saying why, when Chromium or its driver is missing (``.ci/run`` installs both).
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
import uvicorn
from news_support import NOW, make_analysis
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from marketbrief.core import make_marketbrief
from marketbrief.model import ReaderStatus, Watchlist
from marketbrief.settings import load_settings
from marketbrief.web import create_app

pytestmark = pytest.mark.slow


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
READER = "ada@example.com"
OPERATOR = "op@example.com"
TITLE = "Patriot orders rise at RTX"
COMMENT = "Patriot orders look strong to me."
PHONE, DESKTOP = (390, 844), (1280, 900)


class Server:
    """The app on a free loopback port, served by uvicorn in a thread, over a workspace whose
    mails land as .eml files in ``outbox``."""

    def __init__(self, home: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        settings = load_settings(public_url=self.url, operator_emails=[OPERATOR])
        assert settings.smtp_url is None and settings.home == home
        self.outbox = settings.outbox_dir
        self.brief = make_marketbrief(settings)
        config = uvicorn.Config(
            create_app(settings, brief=self.brief),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.brief.close()

    def link_mailed_to(self, address: str, path: str, *, seen: set[Path]) -> str:
        """The link to ``path`` in the newest mail to ``address`` not in ``seen``."""
        deadline = time.monotonic() + 5
        while True:
            for file in sorted(self.outbox.glob("*.eml")) if self.outbox.is_dir() else ():
                if file in seen:
                    continue
                message = email.message_from_bytes(file.read_bytes(), policy=email.policy.default)
                assert isinstance(message, EmailMessage)
                if message["To"] != address:
                    continue
                seen.add(file)
                body = message.get_body(("plain",))
                assert body is not None
                found = re.search(re.escape(self.url + path) + r"\S+", body.get_content())
                assert found, f"no {path} link in the mail to {address}"
                return found.group(0)
            assert time.monotonic() < deadline, f"no mail to {address} in {self.outbox}"
            time.sleep(0.05)


@pytest.fixture
def server(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    monkeypatch.delenv("MARKETBRIEF_SMTP_URL", raising=False)
    with Server(workspace) as running:
        yield running


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    if CHROMIUM is None or DRIVER is None:
        pytest.skip(
            "no chromium or chromedriver on PATH: apt-get install chromium chromium-driver "
            "(.ci/run does)"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        f"--window-size={DESKTOP[0]},{DESKTOP[1]}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(DRIVER))
    driver.set_page_load_timeout(15)
    try:
        yield driver
    finally:
        driver.quit()


def text_of(driver: WebDriver) -> str:
    return driver.find_element(By.TAG_NAME, "body").text


def press(driver: WebDriver, label: str) -> None:
    """Click the (single) button that says ``label`` and wait for the next page."""
    old = driver.find_element(By.TAG_NAME, "html")
    buttons = [b for b in driver.find_elements(By.TAG_NAME, "button") if b.text == label]
    assert len(buttons) == 1, f"{len(buttons)} buttons say {label!r} on {driver.current_url}"
    buttons[0].click()
    wait = WebDriverWait(driver, 10)
    wait.until(expected_conditions.staleness_of(old), f"{label!r} led nowhere")
    wait.until(lambda d: d.execute_script("return document.readyState") == "complete")


def fill(driver: WebDriver, label: str, value: str) -> None:
    """Type ``value`` into the field whose <label> says ``label`` (as a person finds it)."""
    field = driver.find_element(By.XPATH, f"//label[normalize-space(text()[1])='{label}']")
    box = driver.find_element(By.ID, field.get_attribute("for") or "")
    box.clear()
    box.send_keys(value)


def screenshot(driver: WebDriver, folder: Path, name: str) -> None:
    """The whole page at phone and desktop widths, as ``<name>-phone.png`` and
    ``<name>-desktop.png``."""
    for label, (width, height) in (("phone", PHONE), ("desktop", DESKTOP)):
        driver.set_window_size(width, height)
        full = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(width, max(height, min(int(full) + 140, 4000)))
        wide = driver.execute_script("return document.documentElement.scrollWidth")
        assert wide <= width, f"{name} scrolls sideways at {width} px ({wide} px wide)"
        assert driver.save_screenshot(str(folder / f"{name}-{label}.png"))
    driver.set_window_size(*DESKTOP)


def test_subscribe_confirm_comment_and_moderate(
    server: Server, browser: WebDriver, tmp_path: Path
) -> None:
    shots = Path(os.environ.get("MARKETBRIEF_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    store = server.brief.store
    store.save_analysis(make_analysis("a1", published_at=NOW, title=TITLE))
    store.add_reader(OPERATOR, "Operator", Watchlist(), now=NOW - timedelta(days=1))
    seen: set[Path] = set()
    site = server.url

    # the home page: the article and the subscribe form
    browser.get(site + "/")
    assert TITLE in text_of(browser)
    fill(browser, "Email", READER)
    fill(browser, "Name", "Ada")
    fill(browser, "Tickers to follow", "RTX")
    press(browser, "Subscribe")
    assert browser.current_url == site + "/subscribe/sent"
    assert store.get_reader(READER).status is ReaderStatus.PENDING

    # the mail's link shows a button; the button confirms and signs in
    browser.get(server.link_mailed_to(READER, "/confirm?token=", seen=seen))
    assert "Briefings will go to " + READER in text_of(browser)
    assert store.get_reader(READER).status is ReaderStatus.PENDING  # GET changed nothing
    press(browser, "Confirm my subscription")
    assert browser.current_url == site + "/manage?welcome=1"
    page = text_of(browser)
    assert "You are subscribed." in page and f"Signed in as {READER}." in page

    # change the watchlist
    fill(browser, "Tickers", "RTX, LMT")
    browser.find_element(By.XPATH, "//label[normalize-space()='Daily']").click()
    press(browser, "Save")
    assert "Saved." in text_of(browser)
    assert browser.find_element(By.ID, "tickers").get_attribute("value") == "RTX, LMT"
    assert store.get_reader(READER).watchlist.tickers == ("RTX", "LMT")
    screenshot(browser, shots, "manage")

    # the article, and a first comment: held, seen only by its author
    browser.get(site + "/")
    browser.find_element(By.LINK_TEXT, TITLE).click()
    assert browser.current_url == site + "/articles/a1"
    assert "No comments yet." in text_of(browser)
    fill(browser, "Your comment", COMMENT)
    press(browser, "Post comment")
    assert "your comment waits for a moderator" in text_of(browser)
    browser.get(site + "/articles/a1")
    page = text_of(browser)
    assert COMMENT in page and "waiting for a moderator; only you see it" in page
    screenshot(browser, shots, "article-held")

    # signed out, no one else sees it
    browser.get(site + "/manage")
    press(browser, "Sign out")
    browser.get(site + "/articles/a1")
    assert COMMENT not in text_of(browser)

    # the operator signs in by a mailed link and approves it
    browser.get(site + "/signin")
    fill(browser, "Email", OPERATOR)
    press(browser, "Mail me a sign-in link")
    browser.get(server.link_mailed_to(OPERATOR, "/signin/", seen=seen))
    press(browser, "Sign in")
    assert f"Signed in as {OPERATOR}." in text_of(browser)
    browser.get(site + "/moderation")
    page = text_of(browser)
    assert "Waiting (1)" in page and COMMENT in page
    press(browser, "Approve")
    assert "Waiting (0)" in text_of(browser)

    # shown to everyone now
    browser.get(site + "/manage")
    press(browser, "Sign out")
    browser.get(site + "/articles/a1")
    page = text_of(browser)
    assert COMMENT in page and "Ada" in page and "waiting for a moderator" not in page
    screenshot(browser, shots, "article")
