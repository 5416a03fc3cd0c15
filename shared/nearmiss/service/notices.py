"""Mail to the member (never to the hiring side): the drafts' address, and the notices' words.

Where the member's own mail goes is decided in one place, `Candidate.usable_email`: the address
they proved (issue 10). The dispatcher reads it when it sends (drafts and notices alike), so a
notice waits while the member has no proved address, and goes to the new one once it is proved.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from nearmiss.domain import compose
from nearmiss.domain.compose import KIND_LABELS, ROLE_LABELS, OutgoingMessage
from nearmiss.domain.models import Role, StepState
from nearmiss.domain.records import Notice, NoticeEntry, NoticeKind
from nearmiss.service.ports import Store, Waiting

WHY = {
    StepState.LAPSED: "no approval came before it expired",
    StepState.TOO_LATE: "past its latest useful moment",
}


def _why(entry: NoticeEntry) -> str:
    if entry.state is StepState.LAPSED and entry.reason == "approved too late":
        return "your approval came after it expired"
    return WHY.get(entry.state, entry.reason or entry.state.value.replace("_", " "))


def _role_label(role: str) -> str:
    try:
        return ROLE_LABELS[Role(role)]
    except (ValueError, KeyError):
        return role.replace("_", " ")


def contacts_how(candidate_id: str, application_id: str) -> str:
    """Where the member adds contacts (the API route; the timeline page shows it too)."""
    return (
        f"PUT /candidates/{candidate_id}/applications/{application_id} with its contacts "
        "(name, email, role), through the API with your key, or ask your career-services contact."
    )


def compose_notice(
    notice: Notice, *, to_address: str, timeline_url: str, platform_address: str, zone: str = "UTC"
) -> OutgoingMessage:
    """The notice as it goes to the member (`to_address`: the address they proved), from Near Miss;
    every value is escaped in the HTML."""
    context = {
        "first_name": compose.first_name(notice.member.name),
        "company": notice.company,
        "job_title": notice.job_title,
        "timeline_url": timeline_url,
        "contacts_how": contacts_how(notice.candidate_id, notice.application_id),
        "names": list(notice.names),
        "rejected_local": (
            notice.rejected_at.astimezone(ZoneInfo(zone)).strftime("%A %d %B %Y")
            if notice.rejected_at
            else ""
        ),
        "entries": [
            {
                "kind_label": KIND_LABELS[e.kind],
                "recipient": e.recipient,
                "role_label": _role_label(e.role),
                "why": _why(e),
            }
            for e in notice.entries
        ],
    }
    rendered = compose.render(f"notice_{notice.kind.value}", context)
    return OutgoingMessage(
        to_name=notice.member.name,
        to_address=to_address,
        from_name="Near Miss",
        from_address=platform_address,
        reply_to=None,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
    )


def describe(notice: Notice) -> dict[str, object]:
    """A notice as the timeline shows it."""
    return {
        "kind": notice.kind.value,
        "state": notice.state.value,
        "due_at": notice.due_at.isoformat() if notice.due_at else None,
        "sent_at": notice.sent_at.isoformat() if notice.sent_at else None,
        "names": list(notice.names) if notice.kind is NoticeKind.TO_COMPLETE else [],
        "entries": len(notice.entries),
        "reason": notice.reason,
    }


def waiting(store: Store, candidate_id: str, application_id: str) -> dict[str, str] | None:
    """The rejection of an application that waits, and why: nobody to write to (needs_contacts),
    or delivered before the re-open that precedes it (waiting_for_reopen); None when none waits."""
    held = store.held_rejection(candidate_id, application_id)
    if held is not None:
        return {"state": held.state.value, "rejected_at": held.rejection.rejected_at.isoformat()}
    early = store.waiting_rejections(candidate_id, application_id)
    if early:
        return {"state": Waiting.WAITING_FOR_REOPEN.value, "rejected_at": early[0].rejected_at.isoformat()}
    return None
