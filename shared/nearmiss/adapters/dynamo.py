"""The DynamoDB store: one table, conditional writes for every guarantee.

Items (pk / sk):
    CAND#<candidate>                 PROFILE                 the candidate (`proved_email` top-level, for
                                                             the dispatcher's claim)
    CAND#<candidate>                 KEY                     the API key's hash, the link generations
    CAND#<candidate>                 APP#<application>       an application with its contacts
    CAND#<candidate>                 APPSTATE#<application>  what became of its rejections (started, held,
                                                             waiting for a re-open), written in the same
                                                             transactions as the items below
    APP#<candidate>#<application>    PLAYBOOK                the newest generation, written with its steps
    APP#<candidate>#<application>    STOP                    newest stop (re-open, hire, cancel)
    APP#<candidate>#<application>    HELD                    a rejection with nobody to write to yet
    APP#<candidate>#<application>    WAIT#<rejected at>      a rejection waiting for the re-open before it
    APP#<candidate>#<application>    NOTICE#<kind>#<key>     an email to the member (needs contacts, people
                                                             to complete, the day's summary of what lapsed)
    APP#<candidate>#<application>    STEP#<step id>          one (application, recipient, step)
    RCPT#<recipient key>             BLOCK#ALL               bounce / complaint: nobody writes again
    RCPT#<recipient key>             BLOCK#CAND#<candidate>  asked this candidate to stop, or replied
    RCPT#<recipient key>             DAY#CAND#<cand>#<date>  the one message this person gets from
                                                             this candidate that day (their calendar)
    CAND#<candidate>                 PROOFMAIL               the proof mails sent today (rate limit)
    LOOKUP#EMAIL#<email key>         CANDIDATE               owner: candidate_id (claimed conditionally,
                                                             only for a proved address)
    LOOKUP#ATS#<ats id>              APPLICATION             owner: candidate_id, application_id
    LOOKUP#REPLY#<reply id>          NOTE                    a note's reply address -> owner: candidate_id,
                                                             application_id, step_id (claimed conditionally)
    LOOKUP#INTAKE#<intake id>        MEMBER                  a member's intake address -> owner: candidate_id,
                                                             key generation (claimed conditionally)
    CAND#<candidate>                 INTAKE                  the id of the member's current intake address
    CAND#<candidate>                 FWD#<SES message id>    what a forward was understood as (no content)
    INBOUND#<SES message id>         TO#<recipient key>      the facts of one received message (no content)
    INBOX#KEPT                       <received at>#<id>#<r>  a kept message, listed for the operator

The due-index (GSI "due") is sparse: only steps with something to do carry `due_shard` and
`due_at`; the dispatcher's cost grows with the due work, not with everything stored. Steps are
spread over `shards` partitions so one hot partition does not cap the dispatch rate.
"""

from __future__ import annotations

import secrets
import zlib
from collections.abc import Sequence
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from nearmiss.domain.events import ApplicationRejected
from nearmiss.domain.models import FROM_STORE, Application, Candidate, StepState
from nearmiss.domain.notices import next_summary_slot
from nearmiss.domain.playbook import recipient_key
from nearmiss.domain.records import (
    Due,
    ForwardRecord,
    MemberSeen,
    Notice,
    NoticeEntry,
    NoticeState,
    PlaybookRecord,
    StepRecord,
)
from nearmiss.service.ports import (
    PROOF_MAIL_GAP,
    PROOF_MAILS_PER_DAY,
    ApplicationState,
    ClaimOutcome,
    CreateOutcome,
    HeldRejection,
    InboundRecord,
    IntakeRoute,
    LinkGeneration,
    LookupTaken,
    ProfileChanged,
    ReplyRoute,
    StartReads,
    Suppression,
    Waiting,
    next_proof_mail,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

DUE_INDEX = "due"
_CONTENDED = frozenset({"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"})
# Which condition of the claim transaction failed first, by its position in the transaction.
_CLAIM_FAILURES = (
    ClaimOutcome.LOST,
    ClaimOutcome.STOPPED,
    ClaimOutcome.SUPPRESSED,
    ClaimOutcome.SUPPRESSED,
    ClaimOutcome.DAY_TAKEN,
)
ISO = "%Y-%m-%dT%H:%M:%S.%fZ"


def _iso(instant: datetime) -> str:
    """Fixed-width UTC text, so string order is time order in key conditions."""
    return instant.astimezone(UTC).strftime(ISO)


def _parse_iso(text: str | None) -> datetime | None:
    return datetime.strptime(text, ISO).replace(tzinfo=UTC) if text else None


def due_shard(step: StepRecord, shards: int) -> int:
    """The due-index shard of a step: stable, and even across shards."""
    return _due_shard_of(step.candidate_id, step.application_id, step.step_id, shards)


def _due_shard_of(candidate_id: str, application_id: str, step_id: str, shards: int) -> int:
    return zlib.crc32(f"{candidate_id}#{application_id}#{step_id}".encode()) % shards


def notice_shard(notice: Notice, shards: int) -> int:
    """The due-index shard of a notice: beside the steps, so the dispatcher's queries find both."""
    key = f"{notice.candidate_id}#{notice.application_id}#NOTICE#{notice.notice_id}".encode()
    return zlib.crc32(key) % shards


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _reasons(exc: Any) -> list[str]:
    """The cancellation reason of each item of a cancelled transaction, in order."""
    return [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]


class DynamoStore:
    def __init__(
        self, client: DynamoDBClient, table_name: str, *, shards: int = 4, retention_days: int = 400
    ) -> None:
        self.client = client
        self.table = table_name
        self.shards = shards
        self.retention = timedelta(days=retention_days)

    # ---- keys ------------------------------------------------------------------------------
    @staticmethod
    def _app_pk(candidate_id: str, application_id: str) -> str:
        return f"APP#{candidate_id}#{application_id}"

    def _shard(self, step: StepRecord) -> str:
        return f"DUE#{due_shard(step, self.shards)}"

    def _expiry(self, at: datetime) -> dict[str, str]:
        return {"N": str(int((at + self.retention).timestamp()))}

    # ---- serialisation ---------------------------------------------------------------------
    def _step_item(self, step: StepRecord) -> dict[str, Any]:
        item: dict[str, Any] = {
            "pk": _s(self._app_pk(step.candidate_id, step.application_id)),
            "sk": _s(f"STEP#{step.step_id}"),
            "kind": _s("step"),
            "state": _s(step.state.value),
            "version": {"N": str(step.version)},
            "doc": _s(step.model_dump_json()),
            "expires_at_epoch": self._expiry(step.planned_at),
            # What the one-write approval (approve_on_time) checks and sets beside the doc.
            "planned_at": _s(_iso(step.planned_at)),
        }
        if step.due_at is not None:
            item["due_shard"] = _s(self._shard(step))
            item["due_at"] = _s(_iso(step.due_at))
        if step.expires_at is not None:
            item["expires_at"] = _s(_iso(step.expires_at))
        if step.updated_at is not None:
            item["updated_at"] = _s(_iso(step.updated_at))
        return item

    @staticmethod
    def _step_from(item: dict[str, Any]) -> StepRecord:
        """The step of an item. Every write puts the doc and its top-level copies alike, except the
        one-write approval, which moves only the top level (state, version, due_at, updated_at): a
        newer top-level version wins over the doc, and an approval so taken clears the doc's reason,
        as `decide_read`'s would."""
        step = StepRecord.model_validate_json(item["doc"]["S"], context=FROM_STORE)
        version = int(item["version"]["N"]) if "version" in item else step.version
        if version == step.version:
            return step
        state = StepState(item["state"]["S"])
        changes: dict[str, Any] = {
            "version": version,
            "state": state,
            "due_at": _parse_iso(item.get("due_at", {}).get("S")),
            "updated_at": _parse_iso(item.get("updated_at", {}).get("S")) or step.updated_at,
        }
        if state is StepState.APPROVED and step.state is not StepState.APPROVED:
            changes["reason"] = None
        return step.model_copy(update=changes)

    def _doc_item(self, pk: str, sk: str, kind: str, doc: str, at: datetime) -> dict[str, Any]:
        return {
            "pk": _s(pk),
            "sk": _s(sk),
            "kind": _s(kind),
            "doc": _s(doc),
            "expires_at_epoch": self._expiry(at),
        }

    # ---- candidates and applications ---------------------------------------------------------
    def put_candidate(
        self,
        candidate: Candidate,
        *,
        previous_email: str | None = None,
        expected: Candidate | None = None,
    ) -> None:
        """The profile and the lookup by its proved address, together (one transaction).

        Only a proved address holds a lookup (so only a proved address matches webhooks and held
        events): it is claimed for this candidate if nobody else holds it (LookupTaken("email")
        otherwise, and nothing is written). An address still waiting for proof is only checked
        free in the same transaction, never claimed: typing someone's address takes nothing from
        them. The previous address's lookup, if this candidate holds it and it is no longer their
        proved one, goes in the same transaction, so a later webhook for it matches nobody.
        `expected`: write only over exactly this stored profile (ProfileChanged otherwise)."""
        now = datetime.now(UTC)
        me = _s(candidate.candidate_id)
        item = self._doc_item(
            f"CAND#{candidate.candidate_id}", "PROFILE", "candidate", candidate.model_dump_json(), now
        )
        proved = candidate.usable_email
        if proved is not None:  # top-level, so the dispatcher's claim can check it (MemberSeen)
            item["proved_email"] = _s(proved)
        put: dict[str, Any] = {"TableName": self.table, "Item": item}
        if expected is not None:
            put["ConditionExpression"] = "doc = :expected"
            put["ExpressionAttributeValues"] = {":expected": _s(expected.model_dump_json())}
        free_or_mine = {
            "ConditionExpression": "attribute_not_exists(pk) OR candidate_id = :me",
            "ExpressionAttributeValues": {":me": me},
        }
        items: list[dict[str, Any]] = [{"Put": put}]
        claimed: dict[int, str] = {}
        if proved is not None:
            lookup = {
                "pk": _s(f"LOOKUP#EMAIL#{recipient_key(proved)}"),
                "sk": _s("CANDIDATE"),
                "kind": _s("lookup"),
                "candidate_id": me,  # the owner
                "expires_at_epoch": self._expiry(now),
            }
            claimed[len(items)] = "email"
            items.append({"Put": {"TableName": self.table, "Item": lookup, **free_or_mine}})
        waiting = candidate.address_awaiting_proof
        if waiting is not None:
            key = {"pk": _s(f"LOOKUP#EMAIL#{recipient_key(waiting)}"), "sk": _s("CANDIDATE")}
            claimed[len(items)] = "email"
            items.append({"ConditionCheck": {"TableName": self.table, "Key": key, **free_or_mine}})
        if previous_email is not None:
            old_key = f"LOOKUP#EMAIL#{recipient_key(previous_email)}"
            held = self._lookup(old_key, "CANDIDATE")
            still_mine = proved is not None and recipient_key(proved) == recipient_key(previous_email)
            checked = waiting is not None and recipient_key(waiting) == recipient_key(previous_email)
            if (
                not still_mine
                and not checked
                and held
                and held["candidate_id"]["S"] == candidate.candidate_id
            ):
                items.append(
                    {
                        "Delete": {
                            "TableName": self.table,
                            "Key": {"pk": _s(old_key), "sk": _s("CANDIDATE")},
                            "ConditionExpression": "candidate_id = :me",
                            "ExpressionAttributeValues": {":me": me},
                        }
                    }
                )
        self._transact_claiming(items, claimed, changed=0 if expected is not None else None)

    def record_proof_mail(self, candidate_id: str, address: str, at: datetime) -> datetime | None:
        """Count a proof mail to `address` against the member's allowance, if it has room: at most
        PROOF_MAILS_PER_DAY in a day (a window from its first mail), and to the same address at most
        one per PROOF_MAIL_GAP. None: recorded, send it; else the instant the next one may go.
        Conditional updates, so two requests at once cannot both pass."""
        key = {"pk": _s(f"CAND#{candidate_id}"), "sk": _s("PROOFMAIL")}
        values = {
            ":now": _s(_iso(at)),
            ":day_ago": _s(_iso(at - timedelta(days=1))),
            ":gap_ago": _s(_iso(at - PROOF_MAIL_GAP)),
            ":addr": _s(recipient_key(address)),
            ":one": {"N": "1"},
        }
        spaced = "(last_sent < :gap_ago OR last_address <> :addr)"
        attempts = [
            (  # a new day's window
                "SET kind = :kind, window_start = :now, sent_count = :one, last_sent = :now, "
                "last_address = :addr, expires_at_epoch = :exp",
                f"attribute_not_exists(pk) OR (window_start < :day_ago AND {spaced})",
                {":kind": _s("proof-mail"), ":exp": self._expiry(at)},
            ),
            (  # the same window, with room left
                "SET last_sent = :now, last_address = :addr ADD sent_count :one",
                f"window_start >= :day_ago AND sent_count < :max AND {spaced}",
                {":max": {"N": str(PROOF_MAILS_PER_DAY)}},
            ),
        ]
        for update, condition, extra in attempts:
            used = {k: v for k, v in values.items() if k in update or k in condition}
            try:
                self.client.update_item(
                    TableName=self.table,
                    Key=key,
                    UpdateExpression=update,
                    ConditionExpression=condition,
                    ExpressionAttributeValues={**used, **extra},
                )
            except self.client.exceptions.ConditionalCheckFailedException:
                continue
            return None
        item = self._lookup(key["pk"]["S"], "PROOFMAIL") or {}
        return next_proof_mail(
            window_start=_parse_iso(item.get("window_start", {}).get("S")),
            sent_count=int(item.get("sent_count", {}).get("N", "0")),
            last_sent=_parse_iso(item.get("last_sent", {}).get("S")),
            same_address=item.get("last_address", {}).get("S") == recipient_key(address),
            at=at,
        )

    def _transact_claiming(
        self, items: list[dict[str, Any]], fields: dict[int, str], *, changed: int | None = None
    ) -> None:
        """Write `items` in one transaction; a failed condition on a claimed lookup (its position
        in `fields`) becomes LookupTaken naming the field, one at `changed` ProfileChanged."""
        try:
            self.client.transact_write_items(TransactItems=items)  # type: ignore[arg-type]
        except self.client.exceptions.TransactionCanceledException as exc:
            reasons = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
            if (
                changed is not None
                and len(reasons) > changed
                and reasons[changed] == "ConditionalCheckFailed"
            ):
                raise ProfileChanged from None
            for position, field in fields.items():
                if len(reasons) > position and reasons[position] == "ConditionalCheckFailed":
                    raise LookupTaken(field) from None
            raise

    def transfer_lookup(
        self,
        *,
        lookup_pk: str,
        lookup_sk: str,
        owner: dict[str, str],
        document: tuple[str, str, str, str],
        record: dict[str, str],
        at: datetime,
    ) -> bool:
        """The operator's transfer of a lookup: the lookup (conditional on the owner it had when it
        was read), the new owner's item that names the key, and the record, in one transaction.
        False when the lookup changed meanwhile (nothing written)."""
        current = self._lookup(lookup_pk, lookup_sk)
        condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
        if current is not None:
            condition = {
                "ConditionExpression": "candidate_id = :was",
                "ExpressionAttributeValues": {":was": current["candidate_id"]},
            }
        pk, sk, kind, doc = document
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": {
                        "pk": _s(lookup_pk),
                        "sk": _s(lookup_sk),
                        "kind": _s("lookup"),
                        **{k: _s(v) for k, v in owner.items()},
                        "expires_at_epoch": self._expiry(at),
                    },
                    **condition,
                }
            },
            {  # an update, not a put: the item's other attributes (an application's states_kept) stay
                "Update": {
                    "TableName": self.table,
                    "Key": {"pk": _s(pk), "sk": _s(sk)},
                    # A profile's proved_email (what the dispatcher's claim checks) goes: the next
                    # claim for this member fails its check, reads the profile and sets it afresh.
                    "UpdateExpression": "SET kind = :kind, doc = :doc, expires_at_epoch = :exp"
                    + (" REMOVE proved_email" if sk == "PROFILE" else ""),
                    "ExpressionAttributeValues": {
                        ":kind": _s(kind),
                        ":doc": _s(doc),
                        ":exp": self._expiry(at),
                    },
                }
            },
            {
                "Put": {
                    "TableName": self.table,
                    "Item": {
                        "pk": _s(f"CAND#{owner['candidate_id']}"),
                        "sk": _s(f"TRANSFER#{_iso(at)}#{secrets.token_hex(4)}"),
                        "kind": _s("lookup-transfer"),
                        "from_candidate_id": current["candidate_id"] if current else _s("(nobody)"),
                        **{k: _s(v) for k, v in record.items()},
                        "expires_at_epoch": self._expiry(at),
                    },
                }
            },
        ]
        previous = current["candidate_id"]["S"] if current is not None else None
        if lookup_sk == "CANDIDATE" and previous is not None and previous != owner["candidate_id"]:
            items.append(self._unprove(previous))
        try:
            self.client.transact_write_items(TransactItems=items)  # type: ignore[arg-type]
        except self.client.exceptions.TransactionCanceledException as exc:
            reasons = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
            if any(r == "ConditionalCheckFailed" for r in reasons):
                return False  # the lookup, or the previous owner's profile, changed meanwhile
            raise
        return True

    def _unprove(self, candidate_id: str) -> dict[str, Any]:
        """The transaction item that takes an address away from the member who held its lookup: the
        address stays on their profile, no longer proved (nothing of theirs goes to it, or names it,
        until they prove an address again), conditional on the profile being as read."""
        pk = {"pk": _s(f"CAND#{candidate_id}"), "sk": _s("PROFILE")}
        got = self.client.get_item(TableName=self.table, Key=pk, ConsistentRead=True).get("Item")
        if got is None:
            return {
                "ConditionCheck": {
                    "TableName": self.table,
                    "Key": pk,
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        held = Candidate.model_validate_json(got["doc"]["S"], context=FROM_STORE)
        unproved = held.model_copy(update={"email_proved_at": None})
        return {
            "Update": {
                "TableName": self.table,
                "Key": pk,
                "UpdateExpression": "SET doc = :doc REMOVE proved_email",
                "ConditionExpression": "doc = :read",
                "ExpressionAttributeValues": {":doc": _s(unproved.model_dump_json()), ":read": got["doc"]},
            }
        }

    def get_candidate(self, candidate_id: str) -> Candidate | None:
        got = self.client.get_item(
            TableName=self.table, Key={"pk": _s(f"CAND#{candidate_id}"), "sk": _s("PROFILE")}
        )
        return (
            Candidate.model_validate_json(got["Item"]["doc"]["S"], context=FROM_STORE)
            if "Item" in got
            else None
        )

    def put_application(self, application: Application, *, previous_ats_id: str | None = None) -> None:
        """The application, and the lookup by its ATS id when it has one (one transaction). The
        lookup is claimed for this application only if nobody else holds it (LookupTaken
        ("ats_application_id") otherwise, nothing written); an ATS id the application no longer
        has is released in the same transaction."""
        now = datetime.now(UTC)
        owner = {":c": _s(application.candidate_id), ":a": _s(application.application_id)}
        mine = "candidate_id = :c AND application_id = :a"
        item = self._doc_item(
            f"CAND#{application.candidate_id}",
            f"APP#{application.application_id}",
            "application",
            application.model_dump_json(),
            now,
        )
        # `states_kept`: the application's state item (APPSTATE#) says all there is (application_states).
        # True of a new application, and of one that was; not of one stored before states were kept.
        item["states_kept"] = {"BOOL": True}
        put: dict[str, Any] = {
            "TableName": self.table,
            "Item": item,
            "ConditionExpression": "attribute_not_exists(pk) OR attribute_exists(states_kept)",
        }
        items: list[dict[str, Any]] = [{"Put": put}]
        if application.ats_application_id:
            items.append(
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": {
                            "pk": _s(f"LOOKUP#ATS#{application.ats_application_id}"),
                            "sk": _s("APPLICATION"),
                            "kind": _s("lookup"),
                            "candidate_id": _s(application.candidate_id),  # the owner
                            "application_id": _s(application.application_id),
                            "expires_at_epoch": self._expiry(now),
                        },
                        "ConditionExpression": f"attribute_not_exists(pk) OR ({mine})",
                        "ExpressionAttributeValues": owner,
                    }
                }
            )
        if previous_ats_id and previous_ats_id != application.ats_application_id:
            held = self._lookup(f"LOOKUP#ATS#{previous_ats_id}", "APPLICATION")
            if held and (held["candidate_id"]["S"], held["application_id"]["S"]) == (
                application.candidate_id,
                application.application_id,
            ):
                items.append(
                    {
                        "Delete": {
                            "TableName": self.table,
                            "Key": {"pk": _s(f"LOOKUP#ATS#{previous_ats_id}"), "sk": _s("APPLICATION")},
                            "ConditionExpression": mine,
                            "ExpressionAttributeValues": owner,
                        }
                    }
                )
        try:
            self._transact_claiming(items, {1: "ats_application_id"})
        except self.client.exceptions.TransactionCanceledException as exc:
            if _reasons(exc)[:1] != ["ConditionalCheckFailed"]:
                raise
            # Stored before states were kept: saved as before, still unmarked (its counts read its items).
            del item["states_kept"], put["ConditionExpression"]
            self._transact_claiming(items, {1: "ats_application_id"})

    def load(self, candidate_id: str, application_id: str) -> tuple[Candidate | None, Application | None]:
        """The candidate and the application in one request (BatchGetItem)."""
        keys = [(f"CAND#{candidate_id}", "PROFILE"), (f"CAND#{candidate_id}", f"APP#{application_id}")]
        found = self._get_many(keys)
        profile, app = (found.get(k) for k in keys)
        return (
            Candidate.model_validate_json(profile["doc"]["S"], context=FROM_STORE) if profile else None,
            Application.model_validate_json(app["doc"]["S"], context=FROM_STORE) if app else None,
        )

    def _get_many(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        """Items by key in one BatchGetItem (consistent; at most 100 keys), asking again only for
        the keys DynamoDB left unprocessed."""
        request: dict[str, Any] = {
            "Keys": [{"pk": _s(pk), "sk": _s(sk)} for pk, sk in dict.fromkeys(keys)],
            "ConsistentRead": True,
        }
        found: dict[tuple[str, str], dict[str, Any]] = {}
        while request:
            got = self.client.batch_get_item(RequestItems={self.table: request})  # type: ignore[dict-item]
            for item in got["Responses"].get(self.table, []):
                found[(item["pk"]["S"], item["sk"]["S"])] = item
            request = dict(got.get("UnprocessedKeys", {}).get(self.table) or {})
        return found

    def start_reads(self, candidate_id: str, application_id: str) -> StartReads:
        """The member, the application, the playbook marker, the stop and the member's link
        generation (the steps' snapshot of the member): one BatchGetItem."""
        member, app = f"CAND#{candidate_id}", self._app_pk(candidate_id, application_id)
        keys = [
            (member, "PROFILE"),
            (member, f"APP#{application_id}"),
            (app, "PLAYBOOK"),
            (app, "STOP"),
            (member, "KEY"),
        ]
        found = self._get_many(keys)
        profile, application, marker, stop, key = (found.get(k) for k in keys)
        candidate = (
            Candidate.model_validate_json(profile["doc"]["S"], context=FROM_STORE) if profile else None
        )
        return StartReads(
            candidate=candidate,
            application=Application.model_validate_json(application["doc"]["S"], context=FROM_STORE)
            if application
            else None,
            playbook=PlaybookRecord.model_validate_json(marker["doc"]["S"], context=FROM_STORE)
            if marker
            else None,
            stopped_at=_parse_iso(stop["stopped_at"]["S"]) if stop else None,
            seen=self._seen(candidate, self._generation_of(key) if key else None),
        )

    def application_states(self, candidate_id: str) -> list[tuple[Application, ApplicationState | None]]:
        """One paginated Query of the member's APP# and APPSTATE# items (sk begins with "APP")."""
        items = self._query_all(f"CAND#{candidate_id}", "APP")
        states: dict[str, ApplicationState] = {}
        for item in items:
            sk = item["sk"]["S"]
            if sk.startswith("APPSTATE#"):
                held = "held_since" in item
                waits = bool(item.get("waiting", {}).get("SS"))
                states[sk.removeprefix("APPSTATE#")] = ApplicationState(
                    started="playbook_generation" in item,
                    waiting=Waiting.NEEDS_CONTACTS
                    if held
                    else (Waiting.WAITING_FOR_REOPEN if waits else None),
                )
        out: list[tuple[Application, ApplicationState | None]] = []
        for item in items:
            if item["sk"]["S"].startswith("APP#"):
                application = Application.model_validate_json(item["doc"]["S"], context=FROM_STORE)
                kept = "states_kept" in item
                out.append(
                    (
                        application,
                        states.get(application.application_id, ApplicationState()) if kept else None,
                    )
                )
        return out

    def _state(
        self, candidate_id: str, application_id: str, at: datetime, change: str, values: dict[str, Any]
    ) -> dict[str, Any]:
        """The transaction item that changes the application's state item (APPSTATE#) with `change`:
        more SET actions (after a comma) and other clauses, with their `values`."""
        return {
            "Update": {
                "TableName": self.table,
                "Key": {"pk": _s(f"CAND#{candidate_id}"), "sk": _s(f"APPSTATE#{application_id}")},
                "UpdateExpression": f"SET kind = :state_kind, expires_at_epoch = :state_exp{change}",
                "ExpressionAttributeValues": {
                    ":state_kind": _s("application-state"),
                    ":state_exp": self._expiry(at),
                    **values,
                },
            }
        }

    def member_as_now(self, candidate_id: str) -> MemberSeen | None:
        """The member's proved address and link generation in one request (BatchGetItem). A profile
        written without `proved_email` (before the claim checked it, or by the operator's transfer)
        gets it now, on the condition that it is unchanged: else no claim could ever pass for it."""
        pk = f"CAND#{candidate_id}"
        keys = [(pk, "PROFILE"), (pk, "KEY")]
        found = self._get_many(keys)
        profile, key = (found.get(k) for k in keys)
        candidate = None
        if profile is not None:
            candidate = Candidate.model_validate_json(profile["doc"]["S"], context=FROM_STORE)
            proved = candidate.usable_email
            if proved is not None and profile.get("proved_email") != _s(proved):
                with suppress(self.client.exceptions.ConditionalCheckFailedException):
                    self.client.update_item(  # changed meanwhile: the claim fails, the next run reads
                        TableName=self.table,
                        Key={"pk": _s(pk), "sk": _s("PROFILE")},
                        UpdateExpression="SET proved_email = :email",
                        ConditionExpression="doc = :doc",
                        ExpressionAttributeValues={":email": _s(proved), ":doc": profile["doc"]},
                    )
        return self._seen(candidate, self._generation_of(key))

    @staticmethod
    def _seen(candidate: Candidate | None, generation: LinkGeneration | None) -> MemberSeen | None:
        if generation is None:
            return MemberSeen.of(candidate, None, None)
        return MemberSeen.of(candidate, generation.account, generation.key)

    # ---- playbooks -------------------------------------------------------------------------
    def create_playbook(
        self, playbook: PlaybookRecord, steps: Sequence[StepRecord], notices: Sequence[Notice] = ()
    ) -> CreateOutcome:
        pk = self._app_pk(playbook.candidate_id, playbook.application_id)
        marker = self._doc_item(pk, "PLAYBOOK", "playbook", playbook.model_dump_json(), playbook.started_at)
        marker["generation"] = {"N": str(playbook.generation)}
        stopped_check = not playbook.stopped_first
        put: dict[str, Any] = {"TableName": self.table, "Item": marker}
        if playbook.generation == 1:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            # The next generation replaces exactly the one before it: of concurrent starts, one wins.
            # Markers written before generations carry no number: they are generation 1.
            previous = playbook.generation - 1
            put["ConditionExpression"] = "attribute_exists(pk) AND " + (
                "(attribute_not_exists(#g) OR #g = :previous)" if previous == 1 else "#g = :previous"
            )
            put["ExpressionAttributeNames"] = {"#g": "generation"}
            put["ExpressionAttributeValues"] = {":previous": {"N": str(previous)}}
        items: list[dict[str, Any]] = [{"Put": put}]
        if stopped_check:
            items.append(
                {
                    "ConditionCheck": {
                        "TableName": self.table,
                        "Key": {"pk": _s(pk), "sk": _s("STOP")},
                        # A stop wins when it happened after the rejection (a re-open, a hire).
                        "ConditionExpression": "attribute_not_exists(pk) OR stopped_at < :rejected",
                        "ExpressionAttributeValues": {":rejected": _s(_iso(playbook.rejected_at))},
                    }
                }
            )
        items += [{"Put": {"TableName": self.table, "Item": self._step_item(s)}} for s in steps]
        # The member's notices of this generation (people to complete): written with it, or not at all.
        items += [{"Put": {"TableName": self.table, "Item": self._notice_item(n)}} for n in notices]
        # Started, and the held rejection released (a playbook was written): the state item says so.
        # At most 2 + 75 steps (MAX_CONTACTS x 5) + 1 notice + these 2 = 80 of a transaction's 100.
        items.append(
            self._state(
                playbook.candidate_id,
                playbook.application_id,
                playbook.started_at,
                ", playbook_generation = :g REMOVE held_since",
                {":g": {"N": str(playbook.generation)}},
            )
        )
        items.append({"Delete": {"TableName": self.table, "Key": {"pk": _s(pk), "sk": _s("HELD")}}})
        try:
            self.client.transact_write_items(TransactItems=items)  # type: ignore[arg-type]
        except self.client.exceptions.TransactionCanceledException as exc:
            reasons = _reasons(exc)
            if reasons and reasons[0] == "ConditionalCheckFailed":
                return CreateOutcome.DUPLICATE
            if stopped_check and len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
                return CreateOutcome.STOPPED
            raise
        return CreateOutcome.CREATED

    def get_playbook(self, candidate_id: str, application_id: str) -> PlaybookRecord | None:
        key = {"pk": _s(self._app_pk(candidate_id, application_id)), "sk": _s("PLAYBOOK")}
        got = self.client.get_item(TableName=self.table, Key=key, ConsistentRead=True)
        return (
            PlaybookRecord.model_validate_json(got["Item"]["doc"]["S"], context=FROM_STORE)
            if "Item" in got
            else None
        )

    def get_stop(self, candidate_id: str, application_id: str) -> datetime | None:
        key = {"pk": _s(self._app_pk(candidate_id, application_id)), "sk": _s("STOP")}
        got = self.client.get_item(TableName=self.table, Key=key, ConsistentRead=True)
        if "Item" not in got:
            return None
        return datetime.strptime(got["Item"]["stopped_at"]["S"], ISO).replace(tzinfo=UTC)

    def record_stop(self, candidate_id: str, application_id: str, occurred_at: datetime, reason: str) -> None:
        """Keep the newest stop: an older, late-arriving stop does not move the marker back."""
        with suppress(self.client.exceptions.ConditionalCheckFailedException):  # a newer stop is recorded
            self.client.update_item(
                TableName=self.table,
                Key={"pk": _s(self._app_pk(candidate_id, application_id)), "sk": _s("STOP")},
                UpdateExpression="SET stopped_at = :at, reason = :why, kind = :kind, expires_at_epoch = :exp",
                ConditionExpression="attribute_not_exists(stopped_at) OR stopped_at < :at",
                ExpressionAttributeValues={
                    ":at": _s(_iso(occurred_at)),
                    ":why": _s(reason),
                    ":kind": _s("stop"),
                    ":exp": self._expiry(occurred_at),
                },
            )

    def hold_rejection(self, rejection: ApplicationRejected, reason: str, at: datetime) -> None:
        item = self._doc_item(
            self._app_pk(rejection.candidate_id, rejection.application_id),
            "HELD",
            "held-rejection",
            rejection.model_dump_json(),
            at,
        )
        item["reason"] = _s(reason)
        item["at"] = _s(_iso(at))
        held = self._state(
            rejection.candidate_id, rejection.application_id, at, ", held_since = :at", {":at": _s(_iso(at))}
        )
        self.client.transact_write_items(
            TransactItems=[{"Put": {"TableName": self.table, "Item": item}}, held]  # type: ignore[list-item]
        )

    def held_rejection(self, candidate_id: str, application_id: str) -> HeldRejection | None:
        key = {"pk": _s(self._app_pk(candidate_id, application_id)), "sk": _s("HELD")}
        got = self.client.get_item(TableName=self.table, Key=key, ConsistentRead=True)
        if "Item" not in got:
            return None
        item = got["Item"]
        since = datetime.strptime(item["at"]["S"], ISO).replace(tzinfo=UTC) if "at" in item else None
        rejection = ApplicationRejected.model_validate_json(item["doc"]["S"], context=FROM_STORE)
        # Only contacts hold this item (held before the reason was a code, it was a sentence).
        return HeldRejection(rejection, Waiting.NEEDS_CONTACTS, since or rejection.rejected_at)

    def release_rejection(self, candidate_id: str, application_id: str) -> None:
        key = {"pk": _s(self._app_pk(candidate_id, application_id)), "sk": _s("HELD")}
        released = self._state(candidate_id, application_id, datetime.now(UTC), " REMOVE held_since", {})
        self.client.transact_write_items(
            TransactItems=[{"Delete": {"TableName": self.table, "Key": key}}, released]  # type: ignore[list-item]
        )

    def wait_for_reopen(self, rejection: ApplicationRejected, at: datetime) -> None:
        item = self._doc_item(
            self._app_pk(rejection.candidate_id, rejection.application_id),
            f"WAIT#{_iso(rejection.rejected_at)}",
            "waiting-rejection",
            rejection.model_dump_json(),
            at,
        )
        item["at"] = _s(_iso(at))
        waits = self._state(
            rejection.candidate_id,
            rejection.application_id,
            at,
            " ADD waiting :w",
            {":w": {"SS": [_iso(rejection.rejected_at)]}},
        )
        self.client.transact_write_items(
            TransactItems=[{"Put": {"TableName": self.table, "Item": item}}, waits]  # type: ignore[list-item]
        )

    def waiting_rejections(self, candidate_id: str, application_id: str) -> list[ApplicationRejected]:
        items = self._query_all(self._app_pk(candidate_id, application_id), "WAIT#")
        return [
            ApplicationRejected.model_validate_json(i["doc"]["S"], context=FROM_STORE) for i in items
        ]  # sk order: time

    def release_waiting(self, candidate_id: str, application_id: str, rejected_at: datetime) -> None:
        key = {"pk": _s(self._app_pk(candidate_id, application_id)), "sk": _s(f"WAIT#{_iso(rejected_at)}")}
        # DELETE of a set's last value removes the attribute (a set is never empty).
        released = self._state(
            candidate_id,
            application_id,
            datetime.now(UTC),
            " DELETE waiting :w",
            {":w": {"SS": [_iso(rejected_at)]}},
        )
        self.client.transact_write_items(
            TransactItems=[{"Delete": {"TableName": self.table, "Key": key}}, released]  # type: ignore[list-item]
        )

    # ---- notices to the member ---------------------------------------------------------------
    def _notice_key(self, notice: Notice) -> dict[str, Any]:
        return {
            "pk": _s(self._app_pk(notice.candidate_id, notice.application_id)),
            "sk": _s(f"NOTICE#{notice.notice_id}"),
        }

    def _notice_item(self, notice: Notice) -> dict[str, Any]:
        item: dict[str, Any] = {
            **self._notice_key(notice),
            "kind": _s("notice"),
            "state": _s(notice.state.value),
            "version": {"N": str(notice.version)},
            "doc": _s(notice.model_copy(update={"entries": ()}).model_dump_json()),
            "expires_at_epoch": self._expiry(notice.created_at),
        }
        if notice.entries:  # a set may not be empty
            item["entries"] = {"SS": [e.model_dump_json() for e in notice.entries]}
        if notice.due_at is not None:
            item["due_shard"] = _s(f"DUE#{notice_shard(notice, self.shards)}")
            item["due_at"] = _s(_iso(notice.due_at))
        return item

    @staticmethod
    def _notice_from(item: dict[str, Any]) -> Notice:
        notice = Notice.model_validate_json(item["doc"]["S"], context=FROM_STORE)
        entries = sorted(
            (
                NoticeEntry.model_validate_json(e, context=FROM_STORE)
                for e in item.get("entries", {}).get("SS", [])
            ),
            key=lambda e: (e.recipient, e.step_id),
        )
        due = item.get("due_at", {}).get("S")
        return notice.model_copy(
            update={
                "state": NoticeState(item["state"]["S"]),
                "version": int(item["version"]["N"]),
                "entries": tuple(entries),
                "due_at": datetime.strptime(due, ISO).replace(tzinfo=UTC) if due else None,
            }
        )

    def add_notice(self, notice: Notice) -> bool:
        try:
            self.client.put_item(
                TableName=self.table,
                Item=self._notice_item(notice),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def add_to_summary(self, notice: Notice) -> Notice:
        """One UpdateItem (two when the day's summary went out already): the entries are a string
        set, so an entry added twice (a retried run) is one entry; `version` counts every addition,
        so a claim read before it fails and the fuller summary goes next run."""
        assert notice.entries, "a summary entry is needed (a set may not be empty)"
        slot = notice
        for _ in range(3):  # the day's, else the next day's (the one after only if a clock went back)
            empty = slot.model_copy(update={"entries": (), "state": NoticeState.PENDING, "version": 0})
            assert slot.due_at is not None
            try:
                got = self.client.update_item(
                    TableName=self.table,
                    Key=self._notice_key(slot),
                    UpdateExpression="SET #doc = if_not_exists(#doc, :doc), "
                    "#state = if_not_exists(#state, :pending), #due = if_not_exists(#due, :due), "
                    "#shard = if_not_exists(#shard, :shard), #kind = :kind, "
                    "#exp = if_not_exists(#exp, :exp) ADD #entries :entries, #version :one",
                    ConditionExpression="attribute_not_exists(pk) OR #state = :pending",
                    ExpressionAttributeNames={
                        "#doc": "doc",
                        "#state": "state",
                        "#due": "due_at",
                        "#shard": "due_shard",
                        "#kind": "kind",
                        "#exp": "expires_at_epoch",
                        "#entries": "entries",
                        "#version": "version",
                    },
                    ExpressionAttributeValues={
                        ":doc": _s(empty.model_dump_json()),
                        ":pending": _s(NoticeState.PENDING.value),
                        ":due": _s(_iso(slot.due_at)),
                        ":shard": _s(f"DUE#{notice_shard(slot, self.shards)}"),
                        ":kind": _s("notice"),
                        ":exp": self._expiry(slot.created_at),
                        ":entries": {"SS": [e.model_dump_json() for e in notice.entries]},
                        ":one": {"N": "1"},
                    },
                    ReturnValues="ALL_NEW",
                )
            except self.client.exceptions.ConditionalCheckFailedException:
                slot = next_summary_slot(slot)
                continue
            return self._notice_from(got["Attributes"])
        raise RuntimeError("no summary slot was free in three days")

    def replace_notice(self, old: Notice, new: Notice) -> bool:
        try:
            self.client.put_item(
                TableName=self.table,
                Item=self._notice_item(new),
                ConditionExpression="#v = :v",
                ExpressionAttributeNames={"#v": "version"},
                ExpressionAttributeValues={":v": {"N": str(old.version)}},
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def list_notices(self, candidate_id: str, application_id: str) -> list[Notice]:
        items = self._query_all(self._app_pk(candidate_id, application_id), "NOTICE#")
        return [self._notice_from(i) for i in items]

    def list_steps(self, candidate_id: str, application_id: str) -> list[StepRecord]:
        return [
            self._step_from(i) for i in self._query_all(self._app_pk(candidate_id, application_id), "STEP#")
        ]

    def get_step(self, candidate_id: str, application_id: str, step_id: str) -> StepRecord | None:
        key = {"pk": _s(self._app_pk(candidate_id, application_id)), "sk": _s(f"STEP#{step_id}")}
        got = self.client.get_item(TableName=self.table, Key=key, ConsistentRead=True)
        return self._step_from(got["Item"]) if "Item" in got else None

    def decision_reads(
        self, candidate_id: str, application_id: str, step_id: str
    ) -> tuple[LinkGeneration | None, StepRecord | None]:
        """The account's key item and the step: one BatchGetItem."""
        keys = [
            (f"CAND#{candidate_id}", "KEY"),
            (self._app_pk(candidate_id, application_id), f"STEP#{step_id}"),
        ]
        found = self._get_many(keys)
        key, step = (found.get(k) for k in keys)
        generation = (
            LinkGeneration(key["account_generation"]["S"], key["key_generation"]["S"])
            if key and "account_generation" in key
            else None
        )
        return generation, self._step_from(step) if step else None

    def approve_on_time(
        self,
        candidate_id: str,
        application_id: str,
        step_id: str,
        *,
        key_generation: str,
        planned_at: datetime,
        now: datetime,
    ) -> bool:
        """One TransactWriteItems: the KEY still of `key_generation` (a renewed key or a deleted
        account kills the link, as the read path's comparison does) and the STEP's top level moved
        to approved, due at its planned instant, only while it awaits approval on time. The doc is
        left as it was (`_step_from` lets the newer top level win). Items written before the top
        level carried `planned_at` and `expires_at` fail the condition: the caller reads."""
        planned = _s(_iso(planned_at))
        items: list[dict[str, Any]] = [
            {
                "ConditionCheck": {
                    "TableName": self.table,
                    "Key": {"pk": _s(f"CAND#{candidate_id}"), "sk": _s("KEY")},
                    "ConditionExpression": "key_generation = :key",
                    "ExpressionAttributeValues": {":key": _s(key_generation)},
                }
            },
            {
                "Update": {
                    "TableName": self.table,
                    "Key": {
                        "pk": _s(self._app_pk(candidate_id, application_id)),
                        "sk": _s(f"STEP#{step_id}"),
                    },
                    "UpdateExpression": "SET #state = :approved, #v = #v + :one, due_at = :planned, "
                    "due_shard = :shard, updated_at = :now",
                    "ConditionExpression": "#state = :awaiting AND planned_at = :planned "
                    "AND planned_at >= :now AND expires_at > :now",
                    "ExpressionAttributeNames": {"#state": "state", "#v": "version"},
                    "ExpressionAttributeValues": {
                        ":approved": _s(StepState.APPROVED.value),
                        ":awaiting": _s(StepState.AWAITING_APPROVAL.value),
                        ":one": {"N": "1"},
                        ":planned": planned,
                        ":shard": _s(
                            f"DUE#{_due_shard_of(candidate_id, application_id, step_id, self.shards)}"
                        ),
                        ":now": _s(_iso(now)),
                    },
                }
            },
        ]
        try:
            self.client.transact_write_items(TransactItems=items)  # type: ignore[arg-type]
        except self.client.exceptions.TransactionCanceledException as exc:
            reasons = set(_reasons(exc))
            if reasons <= {"None", "ConditionalCheckFailed"} | _CONTENDED:
                return False  # nothing written: the read path gives the answer (or the error)
            raise
        return True

    def due_steps(self, now: datetime, limit: int, *, shard: int | None = None) -> list[Due]:
        """Up to `limit` steps (and notices) due at `now`: one Query per shard (or only `shard`), each
        for its share of the limit; shards that had more are asked again for what the others left
        unused. Notices share the index: the dispatcher finds them with no query of their own."""
        due: list[Due] = []
        shards = range(self.shards) if shard is None else [shard]
        cursors: dict[int, dict[str, Any] | None] = dict.fromkeys(shards)  # None: from the start
        while cursors and len(due) < limit:
            share = max(1, -(-(limit - len(due)) // len(cursors)))
            for n in list(cursors):
                kwargs = self._due_query(n, now, share)
                if cursors[n] is not None:
                    kwargs["ExclusiveStartKey"] = cursors[n]
                page = self.client.query(**kwargs)
                due += [
                    self._notice_from(i) if i["sk"]["S"].startswith("NOTICE#") else self._step_from(i)
                    for i in page["Items"]
                ]
                if "LastEvaluatedKey" in page:
                    cursors[n] = page["LastEvaluatedKey"]
                else:
                    del cursors[n]  # this shard has nothing more due
                if len(due) >= limit:
                    break
        due.sort(key=lambda s: s.due_at or now)
        return due[:limit]

    def shards_with_due(self, now: datetime) -> list[int]:
        """One Query per shard (Select COUNT, Limit 1): does it hold anything due?"""
        return [
            n
            for n in range(self.shards)
            if self.client.query(**self._due_query(n, now, 1), Select="COUNT").get("Count", 0)
        ]

    def _due_query(self, shard: int, now: datetime, limit: int) -> dict[str, Any]:
        return {
            "TableName": self.table,
            "IndexName": DUE_INDEX,
            "KeyConditionExpression": "due_shard = :shard AND due_at <= :now",
            "ExpressionAttributeValues": {":shard": _s(f"DUE#{shard}"), ":now": _s(_iso(now))},
            "Limit": limit,
        }

    def _put_if_version(self, old: StepRecord, new: StepRecord) -> dict[str, Any]:
        return {
            "TableName": self.table,
            "Item": self._step_item(new),
            "ConditionExpression": "#v = :v",
            "ExpressionAttributeNames": {"#v": "version"},
            "ExpressionAttributeValues": {":v": {"N": str(old.version)}},
        }

    def add_step(self, step: StepRecord) -> bool:
        try:
            self.client.put_item(
                TableName=self.table,
                Item=self._step_item(step),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def replace_step(self, old: StepRecord, new: StepRecord) -> bool:
        try:
            self.client.put_item(**self._put_if_version(old, new))
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def _not_stopped_since(self, pk: str, rejected_at: datetime | None) -> dict[str, Any]:
        """The stop marker holds only a stop older than the step's generation began (a stop before
        a later rejection belongs to an earlier generation). Steps stored before generations carry
        no rejection time: for them, any stop stops."""
        check: dict[str, Any] = {
            "TableName": self.table,
            "Key": {"pk": _s(pk), "sk": _s("STOP")},
            "ConditionExpression": "attribute_not_exists(pk)",
        }
        if rejected_at is not None:
            check["ConditionExpression"] = "attribute_not_exists(pk) OR stopped_at < :rejected"
            check["ExpressionAttributeValues"] = {":rejected": _s(_iso(rejected_at))}
        return check

    def _member_checks(self, candidate_id: str, seen: MemberSeen) -> list[dict[str, Any]]:
        """The member is as `seen` says: the PROFILE's proved address, the KEY's generations (or no
        generation, as seen). Items written before these attributes existed fail the check (the
        dispatcher then reads the member afresh): a stale snapshot costs a read, never a wrong send."""
        pk = _s(f"CAND#{candidate_id}")
        key: dict[str, Any] = {
            "TableName": self.table,
            "Key": {"pk": pk, "sk": _s("KEY")},
            "ConditionExpression": "attribute_not_exists(account_generation)",
        }
        if seen.account is not None and seen.key is not None:
            key["ConditionExpression"] = "account_generation = :account AND key_generation = :key"
            key["ExpressionAttributeValues"] = {":account": _s(seen.account), ":key": _s(seen.key)}
        profile = {
            "TableName": self.table,
            "Key": {"pk": pk, "sk": _s("PROFILE")},
            "ConditionExpression": "proved_email = :email",
            "ExpressionAttributeValues": {":email": _s(seen.email)},
        }
        return [{"ConditionCheck": profile}, {"ConditionCheck": key}]

    def claim_send(
        self, old: StepRecord, new: StepRecord, day: str, *, reply: ReplyRoute | None = None
    ) -> ClaimOutcome:
        pk = self._app_pk(old.candidate_id, old.application_id)
        rcpt = _s(f"RCPT#{old.recipient_key}")
        owner = _s(f"{pk}#{old.step_id}")
        items: list[dict[str, Any]] = [
            {"Put": self._put_if_version(old, new)},
            {"ConditionCheck": self._not_stopped_since(pk, old.rejected_at)},
            {
                "ConditionCheck": {
                    "TableName": self.table,
                    "Key": {"pk": rcpt, "sk": _s("BLOCK#ALL")},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "ConditionCheck": {
                    "TableName": self.table,
                    "Key": {"pk": rcpt, "sk": _s(f"BLOCK#CAND#{old.candidate_id}")},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Put": {
                    "TableName": self.table,
                    "Item": {
                        "pk": rcpt,
                        # Per member: one member's note never delays another's, nor tells them
                        # that someone else writes to the same person.
                        "sk": _s(f"DAY#CAND#{old.candidate_id}#{day}"),
                        "owner": owner,
                        "expires_at_epoch": {
                            "N": str(int((new.updated_at or old.planned_at).timestamp()) + 3 * 86400)
                        },
                    },
                    "ConditionExpression": "attribute_not_exists(pk) OR #owner = :owner",
                    "ExpressionAttributeNames": {"#owner": "owner"},
                    "ExpressionAttributeValues": {":owner": owner},
                }
            },
        ]
        failures = list(_CLAIM_FAILURES)
        if new.member is not None:
            checks = self._member_checks(new.candidate_id, new.member)
            items += checks
            failures += [ClaimOutcome.MEMBER_CHANGED] * len(checks)
        if reply is not None:
            items.append({"Put": self._reply_route_put(reply, new.updated_at or old.planned_at)})
            failures.append(ClaimOutcome.REPLY_TAKEN)
        return self._claim(items, failures)

    def claim_draft(self, old: StepRecord, new: StepRecord) -> ClaimOutcome:
        """The draft's claim: the step (if unchanged) and, when `new.member` is set, the member's
        checks, in one transaction (one request, as the plain conditional write it replaces)."""
        items: list[dict[str, Any]] = [{"Put": self._put_if_version(old, new)}]
        failures = [ClaimOutcome.LOST]
        if new.member is not None:
            checks = self._member_checks(new.candidate_id, new.member)
            items += checks
            failures += [ClaimOutcome.MEMBER_CHANGED] * len(checks)
        return self._claim(items, failures)

    def _claim(self, items: list[dict[str, Any]], failures: list[ClaimOutcome]) -> ClaimOutcome:
        """Run a claim transaction; a cancelled one says which condition failed first (by position)."""
        try:
            self.client.transact_write_items(TransactItems=items)  # type: ignore[arg-type]
        except self.client.exceptions.TransactionCanceledException as exc:
            reasons = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
            failed = [i for i, code in enumerate(reasons) if code == "ConditionalCheckFailed"]
            if failed:
                return failures[failed[0]]
            if set(reasons) & _CONTENDED:
                # Nothing was written: another transaction held an item, or the table throttled.
                # The step stays as it was, due; this run leaves it to the next.
                return ClaimOutcome.LOST
            raise
        return ClaimOutcome.CLAIMED

    # ---- recipients --------------------------------------------------------------------------
    def suppress(self, suppression: Suppression, at: datetime) -> None:
        """Block a recipient (for one candidate, or for all); a candidate's blocks are also listed
        under the candidate, so deleting the candidate finds them."""
        sk = "BLOCK#ALL" if suppression.candidate_id is None else f"BLOCK#CAND#{suppression.candidate_id}"
        items = [
            {
                "pk": _s(f"RCPT#{suppression.recipient_key}"),
                "sk": _s(sk),
                "kind": _s("suppression"),
                "reason": _s(suppression.reason),
                "at": _s(_iso(at)),
                "expires_at_epoch": self._expiry(at),
            }
        ]
        if suppression.candidate_id is not None:
            items.append(
                {
                    "pk": _s(f"CAND#{suppression.candidate_id}"),
                    "sk": _s(f"SUPPRESSED#{suppression.recipient_key}"),
                    "kind": _s("suppression-ref"),
                    "expires_at_epoch": self._expiry(at),
                }
            )
        self.client.transact_write_items(
            TransactItems=[{"Put": {"TableName": self.table, "Item": i}} for i in items]
        )

    # ---- candidates: keys, listing, deletion ---------------------------------------------------
    def _query_all(self, pk: str, prefix: str | None = None) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {"TableName": self.table, "ConsistentRead": True}
        if prefix is None:
            kwargs["KeyConditionExpression"] = "pk = :pk"
            kwargs["ExpressionAttributeValues"] = {":pk": _s(pk)}
        else:
            kwargs["KeyConditionExpression"] = "pk = :pk AND begins_with(sk, :prefix)"
            kwargs["ExpressionAttributeValues"] = {":pk": _s(pk), ":prefix": _s(prefix)}
        items: list[dict[str, Any]] = []
        while True:
            page = self.client.query(**kwargs)
            items += page["Items"]
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def set_candidate_key(self, candidate_id: str, key_hash: str) -> None:
        """A new key, and with it a new link generation: the links signed for the earlier key are
        dead. The account generation is set once, when the account's first key is (deletion removes
        this item, so a re-created id gets a new one)."""
        self.client.update_item(
            TableName=self.table,
            Key={"pk": _s(f"CAND#{candidate_id}"), "sk": _s("KEY")},
            UpdateExpression="SET kind = :kind, key_hash = :hash, key_generation = :key, "
            "account_generation = if_not_exists(account_generation, :account), expires_at_epoch = :exp",
            ExpressionAttributeValues={
                ":kind": _s("api-key"),
                ":hash": _s(key_hash),
                ":key": _s(secrets.token_urlsafe(12)),
                ":account": _s(secrets.token_urlsafe(12)),
                ":exp": self._expiry(datetime.now(UTC)),
            },
        )

    def candidate_key_hash(self, candidate_id: str) -> str | None:
        item = self._lookup(f"CAND#{candidate_id}", "KEY")
        return item["key_hash"]["S"] if item else None

    def link_generation(self, candidate_id: str) -> LinkGeneration | None:
        return self._generation_of(self._lookup(f"CAND#{candidate_id}", "KEY"))

    @staticmethod
    def _generation_of(item: dict[str, Any] | None) -> LinkGeneration | None:
        if not item or "account_generation" not in item:
            return None
        return LinkGeneration(item["account_generation"]["S"], item["key_generation"]["S"])

    def list_applications(self, candidate_id: str) -> list[Application]:
        items = self._query_all(f"CAND#{candidate_id}", "APP#")
        return [Application.model_validate_json(i["doc"]["S"], context=FROM_STORE) for i in items]

    def delete_candidate(self, candidate_id: str) -> int:
        """Everything of the candidate: profile, key, applications, playbooks, steps, stops, the
        lookups they own (and only those), the suppressions they caused, and every copy of every
        webhook kept under an address or ATS id they own. Returns how many items went."""
        own = self._query_all(f"CAND#{candidate_id}")
        keys: list[tuple[str, str]] = [(i["pk"]["S"], i["sk"]["S"]) for i in own]
        owned_lookups: list[tuple[str, str, dict[str, Any]]] = []  # deleted on the owner condition
        held_under: list[str] = []  # UNMATCHED#<match key> partitions that are theirs
        for item in own:
            sk = item["sk"]["S"]
            if sk == "PROFILE":
                email_key = recipient_key(
                    str(Candidate.model_validate_json(item["doc"]["S"], context=FROM_STORE).email)
                )
                lookup = f"LOOKUP#EMAIL#{email_key}"
                found = self._lookup(lookup, "CANDIDATE")
                if found and found["candidate_id"]["S"] == candidate_id:
                    owned_lookups.append((lookup, "CANDIDATE", {":c": _s(candidate_id)}))
                    held_under.append(f"UNMATCHED#EMAIL#{email_key}")
            elif sk.startswith("APP#"):
                application = Application.model_validate_json(item["doc"]["S"], context=FROM_STORE)
                pk = self._app_pk(candidate_id, application.application_id)
                app_items = self._query_all(pk)
                keys += [(i["pk"]["S"], i["sk"]["S"]) for i in app_items]
                # The reply-address lookups of its notes (deleted only while they are this candidate's).
                for reply_id in {
                    self._step_from(i).reply_id for i in app_items if i["sk"]["S"].startswith("STEP#")
                } - {None}:
                    owned_lookups.append((f"LOOKUP#REPLY#{reply_id}", "NOTE", {":c": _s(candidate_id)}))
                # The one-message-a-day locks its steps took (they name the application).
                for rcpt in {
                    self._step_from(i).recipient_key for i in app_items if i["sk"]["S"].startswith("STEP#")
                }:
                    keys += [
                        (d["pk"]["S"], d["sk"]["S"])
                        for d in self._query_all(f"RCPT#{rcpt}", "DAY#")
                        if d.get("owner", {}).get("S", "").startswith(f"{pk}#")
                    ]
                ats = application.ats_application_id
                if ats:
                    found = self._lookup(f"LOOKUP#ATS#{ats}", "APPLICATION")
                    if found and (found["candidate_id"]["S"], found["application_id"]["S"]) == (
                        candidate_id,
                        application.application_id,
                    ):
                        condition = {":c": _s(candidate_id), ":a": _s(application.application_id)}
                        owned_lookups.append((f"LOOKUP#ATS#{ats}", "APPLICATION", condition))
                        held_under.append(f"UNMATCHED#ATS#{ats}")
            elif sk == "INTAKE":  # the member's intake address (deleted only while it is theirs)
                intake = f"LOOKUP#INTAKE#{item['intake_id']['S']}"
                owned_lookups.append((intake, "MEMBER", {":c": _s(candidate_id)}))
            elif sk.startswith("SUPPRESSED#"):
                keys.append((f"RCPT#{sk.removeprefix('SUPPRESSED#')}", f"BLOCK#CAND#{candidate_id}"))
        for partition in held_under:  # each held event is filed under all its keys: every copy goes
            for held in self._query_all(partition):
                keys += [(f"UNMATCHED#{k}", held["sk"]["S"]) for k in held["filed_under"]["SS"]]
        removed = 0
        for pk, sk, owner in owned_lookups:
            # Conditional: a lookup is deleted only while it is still this candidate's.
            owner_condition = " AND ".join(
                f"{'candidate_id' if name == ':c' else 'application_id'} = {name}" for name in owner
            )
            with suppress(self.client.exceptions.ConditionalCheckFailedException):
                self.client.delete_item(
                    TableName=self.table,
                    Key={"pk": _s(pk), "sk": _s(sk)},
                    ConditionExpression=owner_condition,
                    ExpressionAttributeValues=owner,
                )
                removed += 1
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), 25):  # BatchWriteItem takes at most 25 requests
            requests = [
                {"DeleteRequest": {"Key": {"pk": _s(pk), "sk": _s(sk)}}}
                for pk, sk in unique[start : start + 25]
            ]
            pending: dict[str, Any] = {self.table: requests}
            while pending:
                pending = self.client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
        return removed + len(unique)

    # ---- webhook intake --------------------------------------------------------------------------
    #   DELIVERY                     webhook#<hash>           routed once (adapters/deliveries.py)
    #   LOOKUP#EMAIL#<email key>     CANDIDATE                -> candidate id
    #   LOOKUP#ATS#<ats app id>      APPLICATION              -> candidate id, application id
    #   UNMATCHED#<match key>        <dedupe key>             an event kept for later, with its reason
    def _lookup(self, pk: str, sk: str) -> dict[str, Any] | None:
        got = self.client.get_item(TableName=self.table, Key={"pk": _s(pk), "sk": _s(sk)})
        return got.get("Item")

    def find_candidate_by_email(self, email: str) -> str | None:
        item = self._lookup(f"LOOKUP#EMAIL#{recipient_key(email)}", "CANDIDATE")
        return item["candidate_id"]["S"] if item else None

    def find_application_by_ats_id(self, ats_application_id: str) -> tuple[str, str] | None:
        item = self._lookup(f"LOOKUP#ATS#{ats_application_id}", "APPLICATION")
        return (item["candidate_id"]["S"], item["application_id"]["S"]) if item else None

    def keep_unmatched(
        self, match_keys: list[str], dedupe_key: str, document: str, reason: str, at: datetime
    ) -> None:
        for key in match_keys:
            self.client.put_item(
                TableName=self.table,
                Item={
                    "pk": _s(f"UNMATCHED#{key}"),
                    "sk": _s(dedupe_key),
                    "kind": _s("unmatched"),
                    "doc": _s(document),
                    "reason": _s(reason),
                    "filed_under": {"SS": match_keys},
                    "at": _s(_iso(at)),
                    "expires_at_epoch": self._expiry(at),
                },
            )

    def held_events(self, match_key: str) -> list[tuple[str, str, str]]:
        """The events kept under one match key: (dedupe key, document, reason), oldest first."""
        items = self._query_all(f"UNMATCHED#{match_key}")
        items.sort(key=lambda i: i.get("at", {}).get("S", ""))
        return [(i["sk"]["S"], i["doc"]["S"], i.get("reason", {}).get("S", "")) for i in items]

    def take_held(self, match_key: str, dedupe_key: str) -> str | None:
        """Remove one kept event, every copy, in one transaction; its document, or None when it is
        gone already (someone else decided on it first: only one decision wins)."""
        got = self._lookup(f"UNMATCHED#{match_key}", dedupe_key)
        if got is None:
            return None
        deletes = [
            {
                "Delete": {
                    "TableName": self.table,
                    "Key": {"pk": _s(f"UNMATCHED#{key}"), "sk": _s(dedupe_key)},
                    **({"ConditionExpression": "attribute_exists(pk)"} if key == match_key else {}),
                }
            }
            for key in got["filed_under"]["SS"]
        ]
        try:
            self.client.transact_write_items(TransactItems=deletes)  # type: ignore[arg-type]
        except self.client.exceptions.TransactionCanceledException as exc:
            reasons = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
            if "ConditionalCheckFailed" in reasons:
                return None
            raise
        return str(got["doc"]["S"])

    # ---- reply addresses and received mail ----------------------------------------------------------
    def put_reply_route(self, route: ReplyRoute, at: datetime) -> bool:
        try:
            self.client.put_item(**self._reply_route_put(route, at))
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def _reply_route_put(self, route: ReplyRoute, at: datetime) -> dict[str, Any]:
        """The lookup of a note's reply address, owned by its member: written only where the id is
        free or already names this very note (a retried send writes it again)."""
        return {
            "TableName": self.table,
            "Item": {
                "pk": _s(f"LOOKUP#REPLY#{route.reply_id}"),
                "sk": _s("NOTE"),
                "kind": _s("reply-route"),
                "candidate_id": _s(route.candidate_id),
                "application_id": _s(route.application_id),
                "step_id": _s(route.step_id),
                "recipient_key": _s(route.recipient_key),
                "account": _s(route.account),
                "at": _s(_iso(at)),
                "expires_at_epoch": self._expiry(at),
            },
            "ConditionExpression": "attribute_not_exists(pk) OR (candidate_id = :c AND "
            "application_id = :a AND step_id = :s)",
            "ExpressionAttributeValues": {
                ":c": _s(route.candidate_id),
                ":a": _s(route.application_id),
                ":s": _s(route.step_id),
            },
        }

    def reply_route(self, reply_id: str) -> ReplyRoute | None:
        item = self._lookup(f"LOOKUP#REPLY#{reply_id}", "NOTE")
        if item is None:
            return None
        return ReplyRoute(
            reply_id=reply_id,
            candidate_id=item["candidate_id"]["S"],
            application_id=item["application_id"]["S"],
            step_id=item["step_id"]["S"],
            recipient_key=item["recipient_key"]["S"],
            account=item.get("account", {}).get("S", ""),
        )

    def _inbound_item(self, record: InboundRecord) -> dict[str, Any]:
        item: dict[str, Any] = {
            "pk": _s(f"INBOUND#{record.message_id}"),
            "sk": _s(f"TO#{record.recipient_key}"),
            "kind": _s("inbound"),
            "message_id": _s(record.message_id),
            "recipient_key": _s(record.recipient_key),
            "status": _s(record.status),
            "reason": _s(record.reason or "-"),
            "received_at": _s(_iso(record.received_at)),
            "s3_key": _s(record.s3_key),
            "verdicts": {"M": {k: _s(v) for k, v in record.verdicts.items()}},
            "expires_at_epoch": self._expiry(record.received_at),
        }
        if record.candidate_id:
            item["candidate_id"] = _s(record.candidate_id)
        if record.kind:
            item["classified"] = _s(record.kind)
        return item

    @staticmethod
    def _inbound_from(item: dict[str, Any]) -> InboundRecord:
        return InboundRecord(
            message_id=item["message_id"]["S"],
            recipient_key=item["recipient_key"]["S"],
            status=item["status"]["S"],
            reason=item["reason"]["S"],
            received_at=datetime.strptime(item["received_at"]["S"], ISO).replace(tzinfo=UTC),
            s3_key=item["s3_key"]["S"],
            verdicts={k: v["S"] for k, v in item.get("verdicts", {}).get("M", {}).items()},
            candidate_id=item.get("candidate_id", {}).get("S"),
            kind=item.get("classified", {}).get("S"),
        )

    def get_inbound(self, message_id: str, recipient_key: str) -> InboundRecord | None:
        got = self.client.get_item(
            TableName=self.table,
            Key={"pk": _s(f"INBOUND#{message_id}"), "sk": _s(f"TO#{recipient_key}")},
            ConsistentRead=True,
        )
        return self._inbound_from(got["Item"]) if "Item" in got else None

    def put_inbound(self, record: InboundRecord, *, expect: str | None) -> bool:
        item = self._inbound_item(record)
        condition: dict[str, Any] = (
            {"ConditionExpression": "attribute_not_exists(pk)"}
            if expect is None
            else {
                "ConditionExpression": "#status = :expect",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": {":expect": _s(expect)},
            }
        )
        try:
            self.client.put_item(TableName=self.table, Item=item, **condition)
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        if record.status == "kept":  # listed for the operator (the same facts, under one partition)
            listed = {
                **item,
                "pk": _s("INBOX#KEPT"),
                "sk": _s(f"{_iso(record.received_at)}#{record.message_id}#{record.recipient_key}"),
            }
            self.client.put_item(TableName=self.table, Item=listed)
        return True

    def kept_inbound(self, limit: int) -> list[InboundRecord]:
        page = self.client.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": _s("INBOX#KEPT")},
            ScanIndexForward=False,
            Limit=limit,
        )
        return [self._inbound_from(i) for i in page["Items"]]

    # ---- intake addresses and forwards -----------------------------------------------------------------
    def claim_intake(self, route: IntakeRoute, at: datetime, *, previous: str | None = None) -> bool:
        mine = {":c": _s(route.candidate_id)}
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": {
                        "pk": _s(f"LOOKUP#INTAKE#{route.intake_id}"),
                        "sk": _s("MEMBER"),
                        "kind": _s("intake-route"),
                        "candidate_id": _s(route.candidate_id),  # the owner
                        "key_generation": _s(route.key),
                        "at": _s(_iso(at)),
                        "expires_at_epoch": self._expiry(at),
                    },
                    "ConditionExpression": "attribute_not_exists(pk) OR candidate_id = :c",
                    "ExpressionAttributeValues": mine,
                }
            },
            {
                "Put": {
                    "TableName": self.table,
                    "Item": {
                        "pk": _s(f"CAND#{route.candidate_id}"),
                        "sk": _s("INTAKE"),
                        "kind": _s("intake"),
                        "intake_id": _s(route.intake_id),
                        "expires_at_epoch": self._expiry(at),
                    },
                }
            },
        ]
        if previous and previous != route.intake_id:
            held = self._lookup(f"LOOKUP#INTAKE#{previous}", "MEMBER")
            if held and held["candidate_id"]["S"] == route.candidate_id:
                items.append(
                    {
                        "Delete": {
                            "TableName": self.table,
                            "Key": {"pk": _s(f"LOOKUP#INTAKE#{previous}"), "sk": _s("MEMBER")},
                            "ConditionExpression": "candidate_id = :c",
                            "ExpressionAttributeValues": mine,
                        }
                    }
                )
        try:
            self._transact_claiming(items, {0: "intake address"})
        except LookupTaken:
            return False
        return True

    def intake_route(self, intake_id: str) -> IntakeRoute | None:
        item = self._lookup(f"LOOKUP#INTAKE#{intake_id}", "MEMBER")
        if item is None:
            return None
        return IntakeRoute(intake_id, item["candidate_id"]["S"], item["key_generation"]["S"])

    def intake_of(self, candidate_id: str) -> str | None:
        item = self._lookup(f"CAND#{candidate_id}", "INTAKE")
        return item["intake_id"]["S"] if item else None

    def put_forward(self, record: ForwardRecord, *, expect_version: int | None = None) -> bool:
        item = self._doc_item(
            f"CAND#{record.candidate_id}",
            f"FWD#{record.forward_id}",
            "forward",
            record.model_dump_json(),
            record.created_at,
        )
        item["version"] = {"N": str(record.version)}
        condition: dict[str, Any] = (
            {"ConditionExpression": "attribute_not_exists(pk)"}
            if expect_version is None
            else {
                "ConditionExpression": "version = :v",
                "ExpressionAttributeValues": {":v": {"N": str(expect_version)}},
            }
        )
        try:
            self.client.put_item(TableName=self.table, Item=item, **condition)
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def get_forward(self, candidate_id: str, forward_id: str) -> ForwardRecord | None:
        got = self.client.get_item(
            TableName=self.table,
            Key={"pk": _s(f"CAND#{candidate_id}"), "sk": _s(f"FWD#{forward_id}")},
            ConsistentRead=True,
        )
        return (
            ForwardRecord.model_validate_json(got["Item"]["doc"]["S"], context=FROM_STORE)
            if "Item" in got
            else None
        )
