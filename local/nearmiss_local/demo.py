"""`make demo`: the whole playbook, offline, months of it in seconds.

A candidate (review mode) registers, proves her address with the link Near Miss mails to it, and
registers two applications through the API. Both are rejected; the
second is re-opened six hours later. A simulated clock then jumps from one dispatcher tick with
work to the next; the real handlers run as their triggers fire; every email SES accepted is
printed as SES received it; the candidate clicks "Approve" in each draft, except one, which
lapses. At the end, each application's timeline.
"""

from __future__ import annotations

import email
import email.policy
import re
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from nearmiss_local.runtime import LocalStack

START = datetime(2026, 11, 24, 15, 10, tzinfo=UTC)  # a Tuesday; Thursday is Thanksgiving in the US
TICK = timedelta(minutes=5)  # the template's DispatchRate
CANDIDATE = "ada-quinn"

CANDIDATE_PROFILE = {
    "name": "Ada Quinn",
    "email": "ada.quinn@example.com",
    "time_zone": "Europe/London",
    "country": "GB",
    "mode": "review",
    "signature": "linkedin.com/in/ada-quinn-example",
}
NORTHWIND = {
    "company": "Northwind Data",
    "job_title": "Staff Platform Engineer",
    "contacts": [
        {
            "name": "Grace Park",
            "email": "grace.park@northwind.example",
            "role": "hiring_manager",
            "title": "Director of Platform",
            "time_zone": "America/New_York",
            "country": "US",
            "discussed": "how the platform team plans to move billing onto event sourcing",
            "resource": {
                "kind": "link",
                "title": "a write-up of how another team migrated billing to event sourcing",
                "url": "https://example.org/articles/billing-event-sourcing",
                "note": "Section 4, on replaying old invoices, is the part we talked about.",
            },
        },
        {
            "name": "Mei Tanaka",
            "email": "mei.tanaka@northwind.example",
            "role": "interviewer",
            "title": "Principal Engineer",
            "time_zone": "Europe/Berlin",
            "country": "DE",
            "discussed": "property-based testing of the scheduling service",
        },
        {
            "name": "Sam Rivera",
            "email": "sam.rivera@northwind.example",
            "role": "recruiter",
        },
    ],
}
CONTOSO = {
    "company": "Contoso Robotics",
    "job_title": "Lead Backend Engineer",
    "contacts": [
        {
            "name": "Priya Natarajan",
            "email": "priya@contoso.example",
            "role": "hiring_manager",
            "time_zone": "Asia/Kolkata",
            "country": "IN",
        },
        {
            "name": "Tom Becker",
            "email": "tom@contoso.example",
            "role": "interviewer",
            "time_zone": "Europe/Berlin",
            "country": "DE",
        },
    ],
}


def _ceil_to_tick(instant: datetime) -> datetime:
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    ticks = -(-(instant - epoch) // TICK)
    return epoch + ticks * TICK


class Demo:
    def __init__(self, stack: LocalStack, traveller: Any, out: Callable[[str], None] = print) -> None:
        self.stack = stack
        self.traveller = traveller
        self.out = out
        self.seen = 0
        self.emails = 0
        self.drafts = 0
        self.proofs = 0

    def api(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        import json

        status, _, text = self.stack.http(method, path, body=body)
        if status >= 300 and status != 202:
            raise SystemExit(f"{method} {path} -> {status}: {text}")
        return json.loads(text) if text.startswith("{") else {}

    def now(self) -> datetime:
        return datetime.now(UTC)

    def say(self, text: str) -> None:
        self.out(f"[{self.now():%a %Y-%m-%d %H:%M} UTC] {text}")

    # ---- the story ------------------------------------------------------------------------------
    def setup(self) -> None:
        self.say("Ada registers with Near Miss (review mode) and lists who she met at two companies.")
        self.api("PUT", f"/candidates/{CANDIDATE}", CANDIDATE_PROFILE)
        self.prove_address()
        self.api("PUT", f"/candidates/{CANDIDATE}/applications/northwind-staff-platform", NORTHWIND)
        self.api("PUT", f"/candidates/{CANDIDATE}/applications/contoso-lead-backend", CONTOSO)
        self.say("Both companies say no. Ada reports the rejections (POST .../rejection).")
        self.api(
            "POST",
            f"/candidates/{CANDIDATE}/applications/northwind-staff-platform/rejection",
            {"reason": "went with an internal candidate"},
        )
        self.api("POST", f"/candidates/{CANDIDATE}/applications/contoso-lead-backend/rejection", {})
        self.stack.pump()

    def agenda(self) -> list[tuple[datetime, str, Callable[[], None]]]:
        def reopen() -> None:
            self.say("Contoso re-opens Ada's application: its playbook must stop.")
            self.api("POST", f"/candidates/{CANDIDATE}/applications/contoso-lead-backend/reopened", {})
            self.stack.pump()

        return [(START + timedelta(hours=6), "reopen", reopen)]

    def run(self) -> None:
        self.setup()
        agenda = self.agenda()
        while True:
            due = self.stack.next_due()
            tick = _ceil_to_tick(due) if due else None
            if agenda and (tick is None or agenda[0][0] <= tick):
                at, _, action = agenda.pop(0)
                self.traveller.move_to(at)
                action()
                continue
            if tick is None:
                break
            self.traveller.move_to(max(tick, self.now()))
            self.stack.tick()
            self.stack.pump()
            self.show_new_mail()

    def prove_address(self) -> None:
        """Near Miss mails Ada a link to prove her address (nothing is sent to it, or with it as
        Reply-To, until she does); she opens it and presses Confirm, as she would."""
        messages = self.stack.sent_messages()[self.seen :]
        assert len(messages) == 1, "one proof mail, and nothing else yet"
        self.seen += 1
        parsed = email.message_from_bytes(messages[0].raw_data.encode(), policy=email.policy.default)
        text = parsed.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
        self.proofs += 1
        self.say(f"proof mail to Ada: {str(parsed['Subject']).strip()}")
        link = re.search(r"https?://[^/\s]+(/address/confirm\?token=\S+)", text)
        assert link, "a proof mail always carries its link"
        status, _, page = self.stack.http("GET", link.group(1), auth=False)  # shows a button, changes nothing
        assert status == 200, page
        status, _, page = self.stack.http("POST", link.group(1), auth=False)
        heading = re.search(r"<h1>(.*?)</h1>", page)
        self.say(
            f"    Ada opens the link and presses Confirm -> {status}: {heading.group(1) if heading else ''}"
        )
        if status != 200:
            raise SystemExit(f"the proof of Ada's address failed: {page}")

    # ---- mail -----------------------------------------------------------------------------------
    def show_new_mail(self) -> None:
        messages = self.stack.sent_messages()
        for message in messages[self.seen :]:
            self.seen += 1
            parsed = email.message_from_bytes(message.raw_data.encode(), policy=email.policy.default)
            text = parsed.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
            if str(parsed["From"]).startswith("Near Miss"):
                self.on_draft(parsed, text)
            else:
                self.print_email(parsed, text)

    def on_draft(self, parsed: Any, text: str) -> None:
        self.drafts += 1
        self.say(f"draft to Ada: {str(parsed['Subject']).strip()}")
        approve = re.search(r"Approve and send: (\S+)", text)
        assert approve, "a draft always carries an approve link"
        url = approve.group(1)
        path = url.split("127.0.0.1:8000", 1)[1]
        if "check-in" in str(parsed["Subject"]) and "Sam Rivera" in str(parsed["Subject"]):
            self.say("    Ada does not answer this one; it will lapse.")
            return
        status, _, page = self.stack.http("POST", path, auth=False)
        heading = re.search(r"<p>(.*?)</p>", page)
        self.say(f"    Ada clicks Approve -> {status}: {heading.group(1) if heading else ''}")

    def print_email(self, parsed: Any, text: str) -> None:
        self.emails += 1
        to = str(parsed["To"])
        zone = self.zone_of(to)
        local = self.now().astimezone(ZoneInfo(zone))
        self.out("")
        self.out(
            f"===== email {self.emails}: sent {self.now():%a %Y-%m-%d %H:%M} UTC"
            f" = {local:%a %H:%M %Z} for the recipient ({zone})"
        )
        for header in ("From", "To", "Reply-To", "Subject", "List-Unsubscribe-Post"):
            if parsed[header]:
                self.out(f"{header}: {parsed[header]}")
        self.out("")
        self.out(re.sub(r"token=[A-Za-z0-9_.%-]+", "token=…", text.rstrip()))
        self.out("")

    def zone_of(self, to: str) -> str:
        for contact in NORTHWIND["contacts"] + CONTOSO["contacts"]:  # type: ignore[operator]
            if contact["email"] in to:
                return str(contact.get("time_zone") or CANDIDATE_PROFILE["time_zone"])
        return "UTC"

    def timelines(self) -> None:
        for application in ("northwind-staff-platform", "contoso-lead-backend"):
            data = self.api("GET", f"/candidates/{CANDIDATE}/applications/{application}/timeline")
            self.out("")
            self.out(f"Timeline of {application}:")
            self.out(
                f"  {'step':<16} {'recipient':<16} {'state':<10} {'planned (UTC)':<21} "
                f"{'their time':<26} reason"
            )
            for s in data["steps"]:
                self.out(
                    f"  {s['kind']:<16} {s['recipient']:<16} {s['state']:<10} {s['planned_at_utc']:<21} "
                    f"{s['planned_at_local']:<26} {s['reason'] or ''}"
                )


def main() -> int:
    import time_machine

    began = time.perf_counter()
    with LocalStack() as stack, time_machine.travel(START, tick=False) as traveller:
        demo = Demo(stack, traveller)
        demo.run()
        demo.timelines()
        states: dict[str, int] = {}
        for application in ("northwind-staff-platform", "contoso-lead-backend"):
            for s in demo.api("GET", f"/candidates/{CANDIDATE}/applications/{application}/timeline")["steps"]:
                states[s["state"]] = states.get(s["state"], 0) + 1
        print()
        print(
            f"Summary: {demo.emails} emails sent to the hiring side, {demo.drafts} drafts and "
            f"{demo.proofs} address proof to the candidate; "
            f"steps by state: {', '.join(f'{k} {v}' for k, v in sorted(states.items()))}; "
            f"dead-lettered events: {len(stack.dead_letters)}; "
            f"simulated {(demo.now() - START).days} days in {time.perf_counter() - began:.1f} s."
        )
        return 1 if stack.dead_letters else 0


if __name__ == "__main__":
    sys.exit(main())
