"""The pages people open from our emails, in a real headless Chromium driven by Selenium.

The app runs inside the test: `LocalStack` (template.yaml on moto, the real handlers) under a frozen
clock, served by `LocalServer` on 127.0.0.1. The links come from the emails SES accepted
(GET /_local/mail), exactly as a candidate or a recipient would click them; the simulated clock is
moved by hand (under the server's lock) to let the dispatcher send what was approved.

Needs Debian's `chromium` and `chromium-driver` (`make browser`). Without them the module is skipped,
unless CI is set: then it fails, since CI installs them. Selenium Manager is never used: the driver's
and the browser's paths are given.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import NOW
from tests.helpers import PROOF_SUBJECT, load_event

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
MISSING = [name for name, path in (("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER)) if path is None]
if MISSING and not os.environ.get("CI"):
    pytest.skip(
        f"the browser tests need Debian's {' and '.join(MISSING)} on PATH (`make browser` installs them)",
        allow_module_level=True,
    )

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CANDIDATE = "ada-quinn"
APPLICATION = "northwind-staff-platform"
APP_PATH = f"/candidates/{CANDIDATE}/applications/{APPLICATION}"
GRACE, MEI, SAM = (
    "grace.park@northwind.example",
    "mei.tanaka@northwind.example",
    "sam.rivera@northwind.example",
)
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


# ---- the browser -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    if MISSING:
        pytest.fail(
            f"CI is set but {' and '.join(MISSING)} {'is' if len(MISSING) == 1 else 'are'} not on PATH: "
            "CI must install Debian's chromium and chromium-driver (`make browser`) before these tests",
            pytrace=False,
        )
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--no-proxy-server",
        "--window-size=1000,1200",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()


# ---- the app ---------------------------------------------------------------------------------------
@dataclass
class App:
    """The local server and the stack behind it, with what a test needs to drive them."""

    stack: Any
    server: Any
    traveller: Any
    base_url: str

    def api(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """A JSON API call with the operator key, through the server (which pumps the rule queues)."""
        request = urllib.request.Request(  # noqa: S310  (always http://127.0.0.1:<port>)
            self.base_url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"x-api-key": self.stack.api_key, "content-type": "application/json"},
        )
        try:
            with NO_PROXY.open(request, timeout=15) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def fetch(self, url: str) -> tuple[int, str, str]:
        """GET without a key, as a mail scanner would: (status, content type, body)."""
        try:
            with NO_PROXY.open(url, timeout=15) as response:
                return response.status, response.headers["content-type"], response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers["content-type"], error.read().decode()

    def mail(self) -> list[dict[str, str]]:
        status, mail = self.api("GET", "/_local/mail")
        assert status == 200, mail
        return mail  # type: ignore[no-any-return]

    def mail_to(self, address: str) -> list[dict[str, str]]:
        return [m for m in self.mail() if address in m["to"]]

    def register(self, mode: str, *, prove: bool = True) -> None:
        """Ada registers and (unless told not to) proves her address with the link mailed to it."""
        candidate = {**json.loads(load_event("api/put_candidate.json")["body"]), "mode": mode}
        status, answer = self.api("PUT", f"/candidates/{CANDIDATE}", candidate)
        assert status == 201, answer
        if prove:
            request = urllib.request.Request(self.proof_link(candidate["email"]), method="POST")  # noqa: S310
            with NO_PROXY.open(request, timeout=15) as response:
                assert response.status == 200
        status, answer = self.api("PUT", APP_PATH, json.loads(load_event("api/put_application.json")["body"]))
        assert status == 200, answer

    def proof_link(self, address: str) -> str:
        proofs = [m for m in self.mail_to(address) if m["subject"] == PROOF_SUBJECT]
        assert proofs, self.mail()
        return _link(proofs[-1]["text"], 'open this link and press "Confirm":')

    def reject(self) -> None:
        status, answer = self.api("POST", f"{APP_PATH}/rejection", {})
        assert status == 202, answer

    def run_until(self, when: datetime) -> None:
        """Move the simulated clock to `when`, firing the dispatcher at every due instant on the way."""
        with self.server.lock:
            while (due := self.stack.next_due()) is not None and due <= when:
                self.traveller.move_to(due)
                self.stack.tick()
                self.stack.pump()
            self.traveller.move_to(when)
            self.stack.tick()
            self.stack.pump()

    def timeline(self) -> dict[str, Any]:
        status, answer = self.api("GET", f"{APP_PATH}/timeline")
        assert status == 200, answer
        return answer  # type: ignore[no-any-return]

    def step(self, kind: str, recipient: str) -> dict[str, Any]:
        return next(s for s in self.timeline()["steps"] if s["kind"] == kind and s["recipient"] == recipient)

    def stop_link(self, address: str) -> str:
        """The stop link a note to `address` carries in its List-Unsubscribe header, signed as the
        dispatcher signs it."""
        from nearmiss.domain.playbook import recipient_key
        from nearmiss.service.links import Links

        secret = self.stack._container(self.stack.functions["ApiFunction"]).link_secret
        return Links(self.base_url, secret).stop(CANDIDATE, recipient_key(address), anchor=NOW)

    def draft_for(self, name: str) -> dict[str, str]:
        drafts = [
            m for m in self.mail() if m["subject"].startswith(f"Draft for your review: thank-you to {name} (")
        ]
        assert len(drafts) == 1, [m["subject"] for m in self.mail()]
        return drafts[0]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def app() -> Iterator[App]:
    import time_machine
    from nearmiss_local.runtime import LocalStack
    from nearmiss_local.serve import LocalServer

    port = _free_port()  # the links in the emails are built from base_url: it must be the server's
    base_url = f"http://127.0.0.1:{port}"
    with time_machine.travel(NOW, tick=False) as traveller, LocalStack(base_url=base_url) as stack:
        server = LocalServer(stack, port=port, tick_seconds=3600)  # the clock moves only when a test moves it
        server.start()
        try:
            yield App(stack, server, traveller, base_url)
        finally:
            server.stop()


def _review_mode_drafts(app: App) -> None:
    """Ada, in review mode, rejected at NOW: the thank-you drafts reach her 20 h before 15:10 tomorrow."""
    app.register("review")
    app.reject()
    app.run_until(NOW + timedelta(hours=5))
    assert {s["state"] for s in app.timeline()["steps"] if s["kind"] == "thank_you"} == {"awaiting_approval"}


def _link(text: str, label: str) -> str:
    found = re.search(rf"{re.escape(label)}\s*(http://\S+)", text)
    assert found, f"no {label!r} link in:\n{text}"
    return found.group(1)


def _planned(step: dict[str, Any]) -> datetime:
    return datetime.strptime(step["planned_at_utc"], "%Y-%m-%d %H:%M UTC").replace(tzinfo=UTC)


# ---- what a page must be for everyone: the accessibility basics --------------------------------------
def check_accessible(driver: WebDriver) -> None:
    html = driver.find_element(By.TAG_NAME, "html")
    assert (html.get_attribute("lang") or "").strip(), "the page has no lang attribute"
    assert driver.title.strip(), "the page has no title"
    headings = driver.find_elements(By.TAG_NAME, "h1")
    assert len(headings) == 1 and headings[0].text.strip(), f"{len(headings)} h1 on {driver.current_url}"
    for control in driver.find_elements(By.CSS_SELECTOR, "input, textarea, select"):
        if (control.get_attribute("type") or "").lower() in ("hidden", "submit", "button", "reset", "image"):
            continue
        name = control.get_attribute("name") or control.tag_name
        control_id = control.get_attribute("id")
        labels = driver.find_elements(By.CSS_SELECTOR, f"label[for='{control_id}']") if control_id else []
        labelled = (
            any(label.text.strip() for label in labels)
            or control.find_elements(By.XPATH, "ancestor::label")
            or (control.get_attribute("aria-label") or "").strip()
            or control.get_attribute("aria-labelledby")
        )
        assert labelled, f"the form control {name!r} has no label"
    for button in driver.find_elements(By.CSS_SELECTOR, "button, input[type=submit], input[type=button]"):
        text = button.text or button.get_attribute("value") or button.get_attribute("aria-label") or ""
        assert text.strip(), "a button without text"
    for table in driver.find_elements(By.TAG_NAME, "table"):
        assert table.find_elements(By.TAG_NAME, "caption"), "a table without a caption"
        assert all(th.get_attribute("scope") for th in table.find_elements(By.TAG_NAME, "th")), (
            "th without scope"
        )
    assert "Traceback" not in driver.page_source


def heading(driver: WebDriver) -> str:
    return str(driver.find_element(By.TAG_NAME, "h1").text)


def open_page(driver: WebDriver, url: str) -> None:
    driver.get(url)
    check_accessible(driver)


def click(driver: WebDriver, label: str) -> None:
    """Press the button with this text and wait for the page its form answers with."""
    button = driver.find_element(By.XPATH, f"//button[normalize-space()='{label}']")
    before = driver.find_element(By.TAG_NAME, "html")
    button.click()
    WebDriverWait(driver, 15).until(lambda d: before.id != d.find_element(By.TAG_NAME, "html").id)
    check_accessible(driver)


# ---- (a) a click on Approve that ends in a sent email ------------------------------------------------
def test_approving_a_draft_in_the_browser_ends_in_a_sent_email(
    app: App, browser: WebDriver, tmp_path: Path
) -> None:
    _review_mode_drafts(app)
    draft = app.draft_for("Grace Park")
    assert draft["to"].endswith("<ada.quinn@example.com>")

    open_page(browser, _link(draft["text"], "Read or edit it first:"))
    assert heading(browser) == "Your note to Grace Park"
    assert "Current state: awaiting approval." in browser.find_element(By.TAG_NAME, "main").text
    subject = browser.find_element(By.ID, "subject").get_attribute("value")
    text = browser.find_element(By.ID, "text").get_attribute("value") or ""
    assert f"----- Subject: {subject} -----" in draft["text"]
    assert text.startswith("Hi Grace,") and "Staff Platform Engineer" in text and "Ada Quinn" in text
    assert text.strip() in draft["text"]  # the page shows the very draft the email carried
    screenshot = tmp_path / "review.png"
    assert browser.save_screenshot(str(screenshot))
    png = screenshot.read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000
    # Opening the page changed nothing.
    assert app.step("thank_you", "Grace Park")["state"] == "awaiting_approval"

    click(browser, "Approve and send")
    assert heading(browser) == "Approved"
    # the one-write answer names nobody (the link carries ids and times only, never a name)
    assert "Your note goes out Wednesday 25 November 2026, 15:10 UTC." in browser.page_source

    # The "Approve and send" link of another draft: its page asks, and only the button approves.
    open_page(browser, _link(app.draft_for("Sam Rivera")["text"], "Approve and send:"))
    assert heading(browser) == "Your note to Sam Rivera"
    assert [b.text for b in browser.find_elements(By.TAG_NAME, "button")] == ["Approve and send"]
    assert app.step("thank_you", "Sam Rivera")["state"] == "awaiting_approval"
    click(browser, "Approve and send")
    assert heading(browser) == "Approved"

    step = app.step("thank_you", "Grace Park")
    assert step["state"] == "approved" and not app.mail_to(GRACE)
    app.run_until(_planned(step))
    sent = app.mail_to(GRACE)
    assert len(sent) == 1 and sent[0]["subject"] == subject
    assert sent[0]["text"].startswith("Hi Grace,") and sent[0]["from"].startswith("Ada Quinn <")
    assert len(app.mail_to(SAM)) == 1
    assert not app.mail_to(MEI)  # not approved: not sent
    assert app.step("thank_you", "Grace Park")["state"] == "sent"


# ---- the member proves their address: the page asks, only the button confirms -----------------------
def test_confirming_the_address_in_the_browser_proves_it_and_opening_the_link_does_not(
    app: App, browser: WebDriver
) -> None:
    app.register("review", prove=False)
    address = "ada.quinn@example.com"
    open_page(browser, app.proof_link(address))
    assert heading(browser) == "Confirm your address?"
    assert address in browser.find_element(By.TAG_NAME, "main").text
    assert app.api("GET", f"/candidates/{CANDIDATE}")[1]["email_status"] == "pending"
    click(browser, "Confirm")
    assert heading(browser) == "Address confirmed"
    assert app.api("GET", f"/candidates/{CANDIDATE}")[1]["email_status"] == "proved"


# ---- (b) the candidate's own words are the ones that go out ------------------------------------------
def test_an_edited_draft_goes_out_with_the_edited_words(app: App, browser: WebDriver) -> None:
    _review_mode_drafts(app)
    draft = app.draft_for("Mei Tanaka")["text"].replace("\r\n", "\n")
    generated = draft.split("Hi Mei,\n\n", 1)[1].split("\n")[0]  # the first paragraph the template wrote
    open_page(browser, _link(draft, "Read or edit it first:"))
    assert heading(browser) == "Your note to Mei Tanaka"
    edited_subject = "Thanks, Mei"
    edited = [
        "Hi Mei,",
        "",
        "Thank you for the conversation about property-based testing; I have started using it at work.",
        "Warm regards from London: Ada (café & co, <not a tag>).",
    ]
    subject = browser.find_element(By.ID, "subject")
    subject.clear()
    subject.send_keys(edited_subject)
    textarea = browser.find_element(By.ID, "text")
    textarea.clear()
    textarea.send_keys("\n".join(edited))
    click(browser, "Save and approve")
    assert heading(browser) == "Approved"
    assert "Your note to Mei Tanaka goes out" in browser.page_source

    step = app.step("thank_you", "Mei Tanaka")
    assert step["state"] == "approved"
    app.run_until(_planned(step))
    sent = app.mail_to(MEI)
    assert len(sent) == 1, [m["subject"] for m in app.mail()]
    assert sent[0]["subject"] == edited_subject
    body = sent[0]["text"].replace("\r\n", "\n")
    assert "\n".join(edited) in body, body
    assert generated not in body  # the generated text is gone
    assert "\r" not in sent[0]["text"].replace("\r\n", "")  # no stray carriage return from the form


# ---- (c) a recipient's "please stop" -------------------------------------------------------------------
def test_the_stop_link_in_a_sent_email_cancels_everything_pending_to_that_recipient(
    app: App, browser: WebDriver
) -> None:
    app.register("auto")
    app.reject()
    app.run_until(NOW + timedelta(days=1, hours=1))  # the thank-yous went out at 15:10 UTC on Wednesday
    (thank_you,) = app.mail_to(GRACE)
    pending = [
        s for s in app.timeline()["steps"] if s["recipient"] == "Grace Park" and s["state"] == "scheduled"
    ]
    assert {s["kind"] for s in pending} == {"share_resource", "check_in"}

    # The note shows no stop line: the link is its List-Unsubscribe header, as a mail client offers it
    assert "/stop?token=" not in thank_you["text"]
    open_page(browser, thank_you["list_unsubscribe"].strip("<>"))
    assert heading(browser) == "Stop these notes?"
    assert all(
        s["state"] == "scheduled"
        for s in app.timeline()["steps"]
        if s["step_id"] in {p["step_id"] for p in pending}
    )
    click(browser, "Yes, stop")
    assert heading(browser) == "Done"

    steps = {s["step_id"]: s for s in app.timeline()["steps"]}
    assert all(steps[p["step_id"]]["state"] == "cancelled" for p in pending), steps
    assert any(s["recipient"] == "Sam Rivera" and s["state"] == "scheduled" for s in steps.values())
    app.run_until(NOW + timedelta(days=120))
    assert len(app.mail_to(GRACE)) == 1  # nothing more to her
    assert len(app.mail_to(SAM)) == 2  # the thank-you and the check-in


# ---- (d) a link that cannot be used ---------------------------------------------------------------------
def test_a_tampered_wrong_or_expired_link_shows_a_clear_page_without_a_stack_trace(
    app: App, browser: WebDriver
) -> None:
    _review_mode_drafts(app)
    draft = app.draft_for("Grace Park")["text"]
    review, approve = _link(draft, "Read or edit it first:"), _link(draft, "Approve and send:")
    timeline = _link(draft, "Everything planned for this application:")
    stop = app.stop_link(GRACE)  # a note's stop link is in its headers, and no note has gone out yet

    def tampered(url: str, where: int = -10) -> str:
        """One character of the token changed (not the last one: its low bits are only base64 padding)."""
        char = url[where]
        return url[:where] + ("x" if char != "x" else "y") + url[where + 1 :]

    def claims_of(url: str) -> int:
        return url.rindex(".") - 5  # a character inside the signed claims

    bad = {
        "a tampered signature": tampered(review),
        "tampered claims": tampered(approve, claims_of(approve)),
        "a tampered stop link": tampered(stop),
        "a tampered timeline link": tampered(timeline),
        "garbage": f"{app.base_url}/steps/approve?token=abc.def",
        "no token at all": f"{app.base_url}/stop",
        "an approve link used to skip": approve.replace("/steps/approve?", "/steps/skip?"),
    }
    for what, url in bad.items():
        status, content_type, page = app.fetch(url)
        assert status == 400 and content_type.startswith("text/html"), (what, status, page)
        open_page(browser, url)
        assert heading(browser) == "This link cannot be used", what
        assert not browser.find_elements(By.TAG_NAME, "form"), what
        for leak in ("Traceback", "Exception", "Error:", 'File "'):
            assert leak not in browser.page_source, (what, leak)
    assert app.step("thank_you", "Grace Park")["state"] == "awaiting_approval"  # nothing changed

    app.traveller.move_to(NOW + timedelta(days=30))  # long after the approval window closed
    status, _, _ = app.fetch(review)
    assert status == 400
    open_page(browser, review)
    assert heading(browser) == "This link cannot be used"


# ---- (e) the timeline page ----------------------------------------------------------------------------
def test_the_timeline_page_shows_every_step_in_a_table(app: App, browser: WebDriver) -> None:
    app.register("auto")
    app.reject()
    app.run_until(NOW + timedelta(days=1, hours=1))
    answer = app.timeline()
    # The API's link to the page points at the server that answered (not at a default host).
    assert answer["page_url"].startswith(f"{app.base_url}/timeline?token=")
    open_page(browser, answer["page_url"])
    assert heading(browser) == "Staff Platform Engineer at Northwind Data"
    table = browser.find_element(By.TAG_NAME, "table")
    assert table.find_element(By.TAG_NAME, "caption").text == "The playbook"
    assert [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead th")] == [
        "Step",
        "To",
        "When (their time)",
        "State",
        "Note",
    ]
    rows = [
        [td.text for td in tr.find_elements(By.TAG_NAME, "td")]
        for tr in table.find_elements(By.CSS_SELECTOR, "tbody tr")
    ]
    expected = [
        [
            s["kind"].replace("_", " "),
            f"{s['recipient']} ({s['role'].replace('_', ' ')})",
            s["planned_at_local"],
            s["state"].replace("_", " "),
            s["reason"] or "",
        ]
        for s in answer["steps"]
    ]
    assert rows == expected
    assert len(rows) == 8
    assert sorted(r[3] for r in rows) == ["scheduled"] * 3 + ["sent"] * 3 + ["skipped"] * 2
