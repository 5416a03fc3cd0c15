"""`make demo`: the whole playbook, offline, months of it in seconds.

A candidate (review mode) registers, proves her address with the link Near Miss mails to it, and
registers two applications through the API. Both are rejected; the
second is re-opened six hours later. A simulated clock then jumps from one dispatcher tick with
work to the next; the real handlers run as their triggers fire; every email SES accepted is
printed as SES received it; the candidate clicks "Approve" in each draft, except one, which
lapses. Replies come back through SES (each note has its own reply address): Grace answers her
thank-you, which stops the rest of her notes and reaches Ada; Sam's out-of-office answers his, and
names the day he is back, which moves his three-week check-in past it. At the end, each
application's timeline.

Northwind's rejection and Mei Tanaka come by forwarded mail: Ada forwards the interview invitation
she got (Google Calendar: Grace Park organises, Mei Tanaka interviews) to her private intake address,
and Near Miss adds Mei to the application and answers with what it understood; she adds what she
discussed with Mei on the page its "edit" link opens. Later she forwards Greenhouse's rejection; the
answer says what it understood and whom it knows, and the notes start only when she presses "Start
the notes", counting from when she received the rejection (the original's Date).
"""

from __future__ import annotations

import email
import email.policy
import re
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from nearmiss_local.runtime import RECEIVING_DOMAIN, LocalStack

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
    # A first check-in three weeks on, and the usual one at 90 days (a list of offsets is allowed).
    "playbook": {"check_in_after_days": [21, 90]},
}
GRACE_REPLY = """\
From: Grace Park <grace.park@northwind.example>
To: {to}
Subject: Re: Thank you, Grace
Message-ID: <CAGrace.1@northwind.example>
Content-Type: text/plain; charset=utf-8

Ada, thank you for the note, and for the write-up on event sourcing. We will have a
second platform role open in the spring: may I put your name forward?

Grace
"""
# Written as Outlook and Gmail write them (RFC 3834's Auto-Submitted header), with the return date in
# the words the classifier reads ("out of the office until <date>", "back on <date>").
SAM_OUT_OF_OFFICE = """\
From: Sam Rivera <sam.rivera@northwind.example>
To: {to}
Subject: Automatic reply: Thank you, Sam
Auto-Submitted: auto-replied
X-Auto-Response-Suppress: All
Message-ID: <AM0PR.ooo.1@northwind.example>
Content-Type: text/plain; charset=utf-8

I am out of the office until Monday 21 December 2026, with no access to email.
I will be back on 21 December 2026 and will answer then.
"""
# The corpus's forwards (tests/fixtures/mail/forwards/), as Ada's mail client forwards them: the Google
# Calendar invitation of 2 November and Greenhouse's rejection, received Tue 24 Nov at 16:10 her time.
FORWARDS = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "mail" / "forwards"
INVITATION = "inv-google-request.eml"
REJECTION = "rej-greenhouse-en-gmail.eml"
REJECTION_FORWARDED = START + timedelta(
    hours=3, minutes=20
)  # the forward's own Date: 19:27 +0100 (18:27 UTC)
MEI = {
    "name": "Mei Tanaka",
    "email": "mei.tanaka@northwind.example",
    "role": "interviewer",
    "title": "Principal Engineer",
    "time_zone": "Europe/Berlin",
    "country": "DE",
    "discussed": "property-based testing of the scheduling service",
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
        self.forwards = 0
        self.sam_check_in_drafts = 0
        self.reply_to: dict[str, str] = {}  # recipient -> the Reply-To of their first note
        self.notices = 0
        self.proofs = 0
        self.answers = 0  # Near Miss's answers to Ada's forwards
        self.intake = ""

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
    @property
    def by_mail(self) -> bool:
        """The stack receives mail (a ReceivingDomain): forwards and replies come through SES."""
        return bool(self.stack.receipt_rules)

    def setup(self) -> None:
        self.say("Ada registers with Near Miss (review mode) and lists who she met at two companies.")
        profile = self.api("PUT", f"/candidates/{CANDIDATE}", CANDIDATE_PROFILE)
        self.prove_address()
        self.intake = str(profile.get("intake_address") or "")
        northwind = dict(NORTHWIND)
        if not self.by_mail:  # Mei comes from the invitation Ada forwards, when mail comes in
            northwind["contacts"] = [*NORTHWIND["contacts"], MEI]  # type: ignore[misc]
        self.api("PUT", f"/candidates/{CANDIDATE}/applications/northwind-staff-platform", northwind)
        self.api("PUT", f"/candidates/{CANDIDATE}/applications/contoso-lead-backend", CONTOSO)
        if self.by_mail:
            self.forward_invitation()
            self.say("Contoso says no. Ada reports that rejection by hand (POST .../rejection).")
        else:
            self.say("Both companies say no. Ada reports the rejections (POST .../rejection).")
            self.api(
                "POST",
                f"/candidates/{CANDIDATE}/applications/northwind-staff-platform/rejection",
                {"reason": "went with an internal candidate"},
            )
        self.api("POST", f"/candidates/{CANDIDATE}/applications/contoso-lead-backend/rejection", {})
        self.stack.pump()

    # ---- forwards, through SES ----------------------------------------------------------------------------
    def forward(self, name: str) -> list[Any]:
        """Ada forwards one mail to her intake address; Near Miss's answers (one) are printed."""
        raw = (FORWARDS / name).read_bytes()
        self.stack.deliver_mail(raw, [self.intake], source=str(CANDIDATE_PROFILE["email"]))
        self.stack.pump()
        answers = []
        for message in self.stack.sent_messages()[self.seen :]:
            self.seen += 1
            parsed = email.message_from_bytes(message.raw_data.encode(), policy=email.policy.default)
            text = parsed.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
            self.answers += 1
            self.out("")
            self.out(f"===== Near Miss answers Ada's forward {self.now():%a %Y-%m-%d %H:%M} UTC")
            for header in ("From", "To", "Subject"):
                self.out(f"{header}: {parsed[header]}")
            self.out("")
            self.out(re.sub(r"token=[A-Za-z0-9_.%-]+", "token=…", text.rstrip()))
            self.out("")
            answers.append(text)
        return answers

    def open_link(self, text: str, action: str) -> str:
        found = re.search(rf"(\S+/forwards/{action}\?token=\S+)", text)
        assert found, f"the answer carries a {action} link"
        parts = urlsplit(found.group(1))
        return f"{parts.path}?{parts.query}"

    def forward_invitation(self) -> None:
        self.say(f"Ada forwards the interview invitation she got on 2 November to {self.intake}.")
        (answer,) = self.forward(INVITATION)
        found = re.findall(r"^- (.+?) \((.+?)\)$", answer.split("The people Near Miss knows", 1)[0], re.M)
        self.say(f"    found in the invitation: {', '.join(f'{n} ({r})' for n, r in found)}")
        northwind = self.api("GET", f"/candidates/{CANDIDATE}/applications/northwind-staff-platform")
        for contact in northwind["contacts"]:
            self.say(f"    contact: {contact['name']:<11} {contact['role']:<15} {contact['email']}")
        edit = self.open_link(answer, "edit")
        status, _, _ = self.stack.http("GET", edit, auth=False)  # the page; only its button acts
        form = urlencode({f"discussed:{MEI['email']}": MEI["discussed"]})
        status, _, page = self.stack.http(
            "POST", edit, auth=False, body=form, headers={"content-type": "application/x-www-form-urlencoded"}
        )
        heading = re.search(r"<p>(.*?)</p>", page)
        said = heading.group(1) if heading else ""
        self.say(f"    Ada adds what she discussed with Mei (the edit link's page, POST) -> {status}: {said}")

    def forward_rejection(self) -> None:
        self.say("Ada forwards Greenhouse's rejection from Northwind Data (received at 16:10 her time).")
        (answer,) = self.forward(REJECTION)
        start = self.open_link(answer, "start")
        self.stack.pump()
        before = self.steps_to("Grace Park")
        self.say(f"    nothing has started yet: {len(before)} notes planned")
        status, _, _ = self.stack.http("GET", start, auth=False)  # a scanner's visit would stop here
        status, _, page = self.stack.http(
            "POST", start, auth=False, body="", headers={"content-type": "application/x-www-form-urlencoded"}
        )
        heading = re.search(r"<p>(.*?)</p>", page)
        self.say(f"    Ada clicks Start the notes -> {status}: {heading.group(1) if heading else ''}")
        self.stack.pump()

    def agenda(self) -> list[tuple[datetime, str, Callable[[], None]]]:
        def reopen() -> None:
            self.say("Contoso re-opens Ada's application: its playbook must stop.")
            self.api("POST", f"/candidates/{CANDIDATE}/applications/contoso-lead-backend/reopened", {})
            self.stack.pump()

        agenda: list[tuple[datetime, str, Callable[[], None]]] = [
            (START + timedelta(hours=6), "reopen", reopen)
        ]
        if self.by_mail:  # the stack receives mail (a ReceivingDomain): forwards and replies come in
            agenda.insert(0, (REJECTION_FORWARDED, "the rejection forwarded", self.forward_rejection))
            agenda += [
                (START + timedelta(days=1, hours=23), "grace replies", self.grace_replies),
                (START + timedelta(days=1, hours=23, minutes=5), "sam is away", self.sam_is_away),
            ]
        return agenda

    # ---- replies, through SES ---------------------------------------------------------------------------
    def deliver(self, sender: str, template: str) -> tuple[str, str]:
        to = self.reply_to[sender]
        raw = template.format(to=to).replace("\n", "\r\n").encode()
        message_id = self.stack.deliver_mail(raw, [to], source=sender)
        self.stack.pump()
        return to, message_id

    def inbound(self, to: str, message_id: str) -> Any:
        from nearmiss.domain.playbook import recipient_key

        store = self.stack._container(self.stack.functions["ReceiveMailFunction"]).store
        return store.get_inbound(message_id, recipient_key(to))

    def steps_to(self, name: str) -> list[Any]:
        store = self.stack._container(self.stack.functions["ApiFunction"]).store
        steps = store.list_steps(CANDIDATE, "northwind-staff-platform")
        return sorted((s for s in steps if s.recipient_name == name), key=lambda s: s.planned_at)

    def grace_replies(self) -> None:
        self.say("Grace answers her thank-you (to its reply address, reply+…@ the receiving domain).")
        to, message_id = self.deliver("grace.park@northwind.example", GRACE_REPLY)
        record = self.inbound(to, message_id)
        self.say(f"    receive_mail: {record.kind}; {record.reason}")
        for step in self.steps_to("Grace Park"):
            self.say(f"    Grace's {step.kind.value:<15} {step.state.value}")
        self.show_new_mail()

    def sam_is_away(self) -> None:
        check_in = next(s for s in self.steps_to("Sam Rivera") if s.kind.value == "check_in")
        before = check_in.planned_at
        self.say("Sam's mailbox answers his thank-you: an out-of-office, back on 21 December.")
        to, message_id = self.deliver("sam.rivera@northwind.example", SAM_OUT_OF_OFFICE)
        record = self.inbound(to, message_id)
        after = next(s for s in self.steps_to("Sam Rivera") if s.step_id == check_in.step_id)
        self.say(f"    receive_mail: {record.kind}; {record.reason}")
        if after.planned_at != before:
            self.say(
                f"    Sam's 21-day check-in moves from {before:%a %d %b %H:%M} UTC to "
                f"{after.planned_at:%a %d %b %H:%M} UTC, past his return; nothing else stops."
            )
        else:
            self.say(
                "    Sam's 21-day check-in stays at "
                f"{before:%a %d %b %H:%M} UTC: the classifier read no return date in it (yet)."
            )

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
            to = parsed["To"].addresses[0].addr_spec
            if parsed["Reply-To"] and to not in self.reply_to:
                self.reply_to[to] = str(parsed["Reply-To"])
            if str(parsed["From"]).startswith("Near Miss") and not str(parsed["Subject"]).startswith("Draft"):
                self.notices += 1  # a notice to Ada: what lapsed or was too late, or who is missing
                self.say(f"notice to Ada: {str(parsed['Subject']).strip()}")
            elif str(parsed["From"]).startswith("Near Miss"):
                self.on_draft(parsed, text)
            elif "via Near Miss" in str(parsed["From"]):
                self.print_forward(parsed, text)
            else:
                self.print_email(parsed, text)

    def print_forward(self, parsed: Any, text: str) -> None:
        self.forwards += 1
        self.out("")
        self.out(f"===== forwarded to Ada {self.now():%a %Y-%m-%d %H:%M} UTC (she answers Grace directly)")
        for header in ("From", "To", "Reply-To", "Subject"):
            self.out(f"{header}: {parsed[header]}")
        self.out("")
        self.out(text.rstrip())
        self.out("")

    def on_draft(self, parsed: Any, text: str) -> None:
        self.drafts += 1
        self.say(f"draft to Ada: {str(parsed['Subject']).strip()}")
        approve = re.search(r"Approve and send: (\S+)", text)
        assert approve, "a draft always carries an approve link"
        url = approve.group(1)
        path = url.split("127.0.0.1:8000", 1)[1]
        if "check-in" in str(parsed["Subject"]) and "Sam Rivera" in str(parsed["Subject"]):
            self.sam_check_in_drafts += 1
            if self.sam_check_in_drafts == 2:  # the 90-day one
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
                value = re.sub(r"reply\+[a-z2-7]+@", "reply+…@", str(parsed[header]))
                self.out(f"{header}: {value}")
        self.out("")
        self.out(re.sub(r"token=[A-Za-z0-9_.%-]+", "token=…", text.rstrip()))
        self.out("")

    def zone_of(self, to: str) -> str:
        """The recipient's zone as the application now lists them (Mei came from a forwarded
        invitation, with no zone: the playbook falls back to Ada's)."""
        for application in ("northwind-staff-platform", "contoso-lead-backend"):
            for contact in self.api("GET", f"/candidates/{CANDIDATE}/applications/{application}")["contacts"]:
                if contact["email"] and contact["email"] in to:
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
    with (
        LocalStack(parameters={"ReceivingDomain": RECEIVING_DOMAIN}) as stack,
        time_machine.travel(START, tick=False) as traveller,
    ):
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
            f"{demo.proofs} address proof to the candidate, {demo.forwards} reply forwarded to her, "
            f"{demo.answers} answers to her forwards"
            + (f", {demo.notices} notice{'s' * (demo.notices != 1)} to the candidate" if demo.notices else "")
            + "; "
            f"steps by state: {', '.join(f'{k} {v}' for k, v in sorted(states.items()))}; "
            f"dead-lettered events: {len(stack.dead_letters)}; "
            f"simulated {(demo.now() - START).days} days in {time.perf_counter() - began:.1f} s."
        )
        return 1 if stack.dead_letters else 0


if __name__ == "__main__":
    sys.exit(main())
