"""The AWS contract layer of the embedded default: refuse locally what AWS would refuse.

moto accepts much that AWS refuses (an SES tag value with a '.', a DynamoDB key of 3 KB, an SQS body
with a NUL in it, an EventBridge entry with an `aws.` source...), so code that passes every local
test can fail every request once deployed. This layer checks each request a client makes against
the documented limits of the operation, and answers a request AWS would refuse exactly as AWS
answers it: the same HTTP status, the same error code, the same (or very nearly the same) message,
serialized in the service's own wire protocol and parsed by botocore's own parser, so the caller
sees the service's modeled exception class (`client.exceptions.BadRequestException`, ...) or, where
the service does not model the error, a `ClientError` with the right `Error.Code`.

How it hooks in (botocore's own event system, as moto's `before-send` stubber does):
- `before-parameter-build.<service>.<Operation>`: the rules of the operation look at the API
  parameters (with moto's in-process backends for the state a rule needs: verified identities,
  configuration sets, table schemas, queue attributes). A refusal is kept in the request context.
  EventBridge's per-entry failures are taken out of the request here, so moto sees only the rest.
- `before-call.<service>.<Operation>` (registered first): answers a refused request. botocore
  then raises the error as for a real answer: no retry, no request to moto.
- `after-call.<service>.<Operation>`: puts per-entry failures back into a PutEvents answer, and
  corrects what moto answers differently from AWS (GetEmailIdentity's VerifiedForSendingStatus).

`install()` registers the hooks on `botocore.handlers.BUILTIN_HANDLERS`, so every session created
afterwards (moto's `mock_aws` resets boto3's default session, so clients made inside it qualify)
is checked; `uninstall()` turns them off again. `state.sandbox` (or `with sandbox():`) switches on
the SES sandbox; `state.unverified` names SES identities that exist but are not verified yet.
`RULES` lists every rule with its documented limit, its error and the page that documents it.
Rules marked `enforced_by="moto"` are limits moto already enforces with AWS's code and message;
they are listed (and tested through the layer) so that the table is the whole contract.
"""

from __future__ import annotations

import email
import email.message
import email.utils
import io
import json
import os
import re
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import escape
from typing import Any, Literal

KIB = 1024
MIB = 1024 * KIB
CONTEXT_KEY = "nearmiss_contract"
REFUSED_KEPT = 1000


# ---- the model of a rule ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Refusal:
    """AWS's answer to a request it refuses."""

    code: str
    message: str
    status: int = 400
    fields: tuple[tuple[str, str], ...] = ()  # further error elements some services add (S3: Size)


@dataclass(frozen=True)
class EntryFailure:
    """A PutEvents entry EventBridge refuses: reported in the answer, not raised."""

    code: str
    message: str


@dataclass
class Call:
    """One request as the rules see it."""

    service: str  # botocore's service name: "sesv2", "dynamodb", "events", ...
    operation: str  # the API operation: "SendEmail"
    params: dict[str, Any]
    region: str
    account: str
    model: Any  # botocore.model.OperationModel
    cache: dict[str, Any] = field(default_factory=dict)


Check = Callable[[Call], Refusal | None]
EntryCheck = Callable[[Call, Mapping[str, Any]], EntryFailure | None]
Answer = Callable[[Call, dict[str, Any]], None]


@dataclass(frozen=True)
class Rule:
    name: str
    service: str
    operations: tuple[str, ...]
    limit: str
    error: str  # the error code it answers with
    status: int  # and the HTTP status (200 for a per-entry failure or a corrected answer)
    doc: str  # the page that documents the limit
    enforced_by: Literal["contract", "moto"] = "contract"
    check: Check | None = None
    entry_check: EntryCheck | None = None
    answer: Answer | None = None

    @property
    def operation(self) -> str:
        return ", ".join(self.operations)


@dataclass(frozen=True)
class Refused:
    """What the layer refused (kept in `state.refused`, for a run to report)."""

    rule: str
    service: str
    operation: str
    code: str
    message: str


@dataclass
class ContractState:
    """Switches of the contract layer (process-wide), and what it refused so far."""

    sandbox: bool = False  # the SES sandbox: every recipient must be verified too
    unverified: set[str] = field(default_factory=set)  # SES identities that exist but are not verified
    refused: list[Refused] = field(default_factory=list)  # the latest REFUSED_KEPT refusals

    def record(self, refused: Refused) -> None:
        self.refused.append(refused)
        del self.refused[:-REFUSED_KEPT]

    def reset(self) -> None:
        self.sandbox = False
        self.unverified = set()
        self.refused = []


state = ContractState()


@contextmanager
def sandbox(on: bool = True) -> Iterator[None]:
    """The SES account is (or is not) in the sandbox for the duration of the block."""
    saved = state.sandbox
    state.sandbox = on
    try:
        yield
    finally:
        state.sandbox = saved


def _account() -> str:
    from moto.core.models import DEFAULT_ACCOUNT_ID

    return os.environ.get("MOTO_ACCOUNT_ID", DEFAULT_ACCOUNT_ID)


def _validation(message: str) -> Refusal:
    return Refusal("ValidationException", message)


# ---- the service model's own constraints (botocore checks min lengths, never max or pattern) ------------
def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _shown(value: Any, shape: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return f"[{shape.member.name}, ...{len(value)} members]"
    if isinstance(value, dict):
        return f"{{...{len(value)} entries}}"
    return str(value)


def _model_constraints(call: Call) -> Refusal | None:
    """The `max` length and `pattern` of each top-level member, as the service model states them.
    The message is the one AWS's JSON services give ("1 validation error detected: Value ... at
    'tableName' failed to satisfy constraint: ..."); several violations are reported together."""
    shape = call.model.input_shape
    problems: list[str] = []
    for name, member in shape.members.items():
        value = call.params.get(name)
        if value is None:
            continue
        where = f"Value '{_shown(value, member)}' at '{_lower_first(name)}' failed to satisfy constraint: "
        maximum = member.metadata.get("max")
        if (
            maximum is not None
            and member.type_name in ("string", "list", "map", "blob")
            and isinstance(value, str | bytes | list | tuple | dict)
            and len(value) > maximum
        ):
            problems.append(where + f"Member must have length less than or equal to {maximum}")
        pattern = member.metadata.get("pattern")
        if pattern and isinstance(value, str) and re.fullmatch(pattern, value) is None:
            problems.append(where + f"Member must satisfy regular expression pattern: {pattern}")
    if not problems:
        return None
    count = len(problems)
    return _validation(f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(problems))


# ---- SES v2 -------------------------------------------------------------------------------------------
SES_TAG = re.compile(r"[A-Za-z0-9_-]+")
SES_TAG_MAX = 256  # characters, name and value alike
SES_MAX_RECIPIENTS = 50
SES_MAX_MESSAGE = 40 * MIB  # SES API v2: 40 MB per message, after base64 encoding of its parts
SES_SIMULATOR = "simulator.amazonses.com"  # the mailbox simulator: sendable from the sandbox


def _ses(call: Call) -> Any:
    """moto's SES backend (SES v2 keeps its identities and configuration sets there)."""
    from moto.ses.models import ses_backends

    return ses_backends[call.account][call.region]


def _raw(call: Call) -> bytes | None:
    data = ((call.params.get("Content") or {}).get("Raw") or {}).get("Data")
    if data is None:
        return None
    return data.encode() if isinstance(data, str) else bytes(data)


def _mime(call: Call) -> email.message.Message | None:
    if "mime" not in call.cache:
        raw = _raw(call)
        call.cache["mime"] = None if raw is None else email.message_from_bytes(raw)
    mime: email.message.Message | None = call.cache["mime"]
    return mime


def _bare(address: str) -> str:
    return email.utils.parseaddr(address)[1] or address.strip()


def _sender(call: Call) -> str | None:
    """The From identity: FromEmailAddress, or for Raw content without it, the From header."""
    given = call.params.get("FromEmailAddress")
    if given:
        return _bare(str(given))
    mime = _mime(call)
    if mime is not None and mime["From"]:
        return _bare(str(mime["From"]))
    return None


def _recipients(call: Call) -> list[str]:
    """The envelope recipients: the Destination, or for Raw content without one, To/Cc/Bcc."""
    destination = call.params.get("Destination") or {}
    listed = [
        str(a) for kind in ("ToAddresses", "CcAddresses", "BccAddresses") for a in destination.get(kind) or []
    ]
    if listed:
        return listed
    mime = _mime(call)
    if mime is None:
        return []
    headers = [str(v) for h in ("To", "Cc", "Bcc") for v in mime.get_all(h) or []]
    return [address for _, address in email.utils.getaddresses(headers) if address]


def _pending(name: str) -> bool:
    """Created, not verified yet (`state.unverified`)."""
    return name.lower() in {u.lower() for u in state.unverified}


def _identity_verified(identity: Any, name: str) -> bool:
    return bool(identity.verification_status == "SUCCESS") and not _pending(name)


def _verified(call: Call, address: str) -> bool:
    """May this account send From (or, in the sandbox, to) `address`? The address itself, its domain
    or a parent domain must be a verified identity: a verified domain covers its addresses and its
    subdomains. https://docs.aws.amazon.com/ses/latest/dg/creating-identities.html"""
    identities = _ses(call).email_identities
    bare = _bare(address)
    if bare in identities and _identity_verified(identities[bare], bare):
        return True
    by_name = {name.lower(): (name, identity) for name, identity in identities.items()}
    labels = bare.rpartition("@")[2].lower().rstrip(".").split(".")
    for i in range(max(1, len(labels) - 1)):
        found = by_name.get(".".join(labels[i:]))
        if found is not None and _identity_verified(found[1], found[0]):
            return True
    return False


def _not_verified(call: Call, identities: Sequence[str]) -> Refusal:
    # https://docs.aws.amazon.com/ses/latest/dg/troubleshoot-error-messages.html
    return Refusal(
        "MessageRejected",
        "Email address is not verified. The following identities failed the check in region "
        f"{call.region.upper()}: {', '.join(identities)}",
    )


def ses_email_tags(call: Call) -> Refusal | None:
    # https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_MessageTag.html
    # Name and Value: only ASCII letters, digits, '_' and '-', at most 256 characters. The wording is
    # SES's (v1 answers InvalidParameterValue with it; v2 answers BadRequestException).
    for tag in call.params.get("EmailTags") or []:
        for part in ("name", "value"):
            text = str(tag.get(part.capitalize(), ""))
            if text == "":
                return Refusal("BadRequestException", f"The tag {part} must be specified.")
            if len(text) > SES_TAG_MAX:
                return Refusal("BadRequestException", f"Tag {part} cannot exceed {SES_TAG_MAX} characters.")
            if SES_TAG.fullmatch(text) is None:
                return Refusal(
                    "BadRequestException",
                    f"Invalid tag {part} <{text}>: only alphanumeric ASCII characters, '_', and '-' "
                    "are allowed.",
                )
    return None


def ses_recipient_count(call: Call) -> Refusal | None:
    # https://docs.aws.amazon.com/ses/latest/dg/quotas.html : 50 recipients per message (To, CC, BCC).
    # SES answers "Recipient count exceeds 50." (InvalidParameterValue in v1, BadRequest in v2).
    if len(_recipients(call)) > SES_MAX_RECIPIENTS:
        return Refusal("BadRequestException", f"Recipient count exceeds {SES_MAX_RECIPIENTS}.")
    return None


def ses_configuration_set(call: Call) -> Refusal | None:
    # https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_SendEmail.html (NotFoundException,
    # 404: "The resource you attempted to access doesn't exist."); moto sends with any name.
    name = call.params.get("ConfigurationSetName")
    if name and name not in _ses(call).config_sets:
        return Refusal("NotFoundException", f"Configuration set <{name}> does not exist.", 404)
    return None


def _simple_size(call: Call) -> int:
    """What SES's MIME message will at least weigh: the parts, attachments base64-encoded."""
    simple = (call.params.get("Content") or {}).get("Simple") or {}
    size = len(str((simple.get("Subject") or {}).get("Data", "")).encode())
    for part in (simple.get("Body") or {}).values():
        size += len(str(part.get("Data", "")).encode())
    for header in simple.get("Headers") or []:
        size += len(str(header.get("Name", "")).encode()) + len(str(header.get("Value", "")).encode())
    for attachment in simple.get("Attachments") or []:
        content = attachment.get("RawContent") or b""
        size += -(-len(content) // 3) * 4
    return size


def ses_message_size(call: Call) -> Refusal | None:
    # https://docs.aws.amazon.com/ses/latest/dg/quotas.html : "Using the SES v2 API or SMTP - Maximum
    # message size (including attachments): 40 MB per message (after base64 encoding)". The error's
    # wording is not documented; SES's v1 answer names the limit in bytes, as here.
    raw = _raw(call)
    size = len(raw) if raw is not None else _simple_size(call)
    if size > SES_MAX_MESSAGE:
        return Refusal(
            "MessageRejected", f"Message length is more than {SES_MAX_MESSAGE} bytes long: '{size}'."
        )
    return None


def ses_sender_verified(call: Call) -> Refusal | None:
    # https://docs.aws.amazon.com/ses/latest/dg/troubleshoot-error-messages.html : "Email address is not
    # verified. The following identities failed the check in region region: identity1, ..." (400).
    if call.params.get("FromEmailAddressIdentityArn"):
        return None  # sending authorization: the identity is another account's, not in this stack
    sender = _sender(call)
    if sender is None or _verified(call, sender):
        return None
    failed = [sender]
    if state.sandbox:  # SES names every identity that failed, the sender first
        failed += [r for r in _recipients(call) if not _sendable_to(call, r)]
    return _not_verified(call, failed)


def _sendable_to(call: Call, recipient: str) -> bool:
    bare = _bare(recipient)
    return bare.lower().endswith("@" + SES_SIMULATOR) or _verified(call, bare)


def ses_sandbox_recipients(call: Call) -> Refusal | None:
    # https://docs.aws.amazon.com/ses/latest/dg/request-production-access.html : in the sandbox, mail
    # goes only to verified identities and the mailbox simulator. Off unless `state.sandbox`.
    if not state.sandbox:
        return None
    failed = list(dict.fromkeys(r for r in _recipients(call) if not _sendable_to(call, r)))
    return _not_verified(call, failed) if failed else None


def ses_identity_exists(call: Call) -> Refusal | None:
    # https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_GetEmailIdentity.html (NotFoundException,
    # 404). moto refuses too, with the bare name as the message; the wording here is the one AWS-parity
    # emulators record for it (not in AWS's documentation).
    name = str(call.params.get("EmailIdentity", ""))
    identities = _ses(call).email_identities
    if name in identities or name.lower() in {n.lower() for n in identities if "@" not in n}:
        return None
    return Refusal("NotFoundException", f"Identity {name} does not exist.", 404)


def ses_identity_verified_status(call: Call, parsed: dict[str, Any]) -> None:
    # https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_GetEmailIdentity.html :
    # VerifiedForSendingStatus is true when the identity may send. moto answers false for every
    # identity while it lets each of them send; an identity in `state.unverified` is PENDING.
    name = str(call.params.get("EmailIdentity", ""))
    if _pending(name):
        parsed["VerifiedForSendingStatus"] = False
        parsed["VerificationStatus"] = "PENDING"
    elif parsed.get("VerificationStatus") == "SUCCESS":
        parsed["VerifiedForSendingStatus"] = True


def ses_identity_unique(call: Call) -> Refusal | None:
    # https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_CreateEmailIdentity.html
    # (AlreadyExistsException, 400; AWS's wording, grammar included). moto creates it again.
    name = str(call.params.get("EmailIdentity", ""))
    if name.lower() in {n.lower() for n in _ses(call).email_identities}:
        return Refusal("AlreadyExistsException", f"Email identity {name} already exist.")
    return None


# ---- DynamoDB -----------------------------------------------------------------------------------------
DDB_HASH_MAX = 2048  # bytes
DDB_RANGE_MAX = 1024  # bytes
DDB_ITEM_MAX = 400 * KIB  # DynamoDB's KB is 1024 bytes
DDB_BATCH_WRITE_MAX = 25
DDB_BATCH_GET_MAX = 100
DDB_TRANSACTION_MAX = 4 * 1024 * KIB  # the aggregate size of a transaction's items (4 MB)
# AWS's messages, verbatim ("limit of2048" has no space in AWS's answer either).
DDB_HASH_TOO_LONG = (
    "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of"
    f"{DDB_HASH_MAX} bytes"
)
DDB_RANGE_TOO_LONG = (
    "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size "
    f"limit of {DDB_RANGE_MAX} bytes"
)
DDB_SCHEMA_MISMATCH = "The provided key element does not match the schema"


@dataclass(frozen=True)
class _Schema:
    hash: str
    range: str | None
    types: dict[str, str]  # attribute -> S, N or B, as AttributeDefinitions declare it
    indexes: dict[str, tuple[str, str | None]]  # index name -> (hash, range)

    @property
    def keys(self) -> list[str]:
        return [self.hash, *([self.range] if self.range else [])]


def _schema(call: Call, table_name: Any) -> _Schema | None:
    """The table's key schema, from moto's backend (None: no such table, moto answers that)."""
    from moto.dynamodb.models import dynamodb_backends

    name = str(table_name)
    name = name.rsplit("/", 1)[-1] if name.startswith("arn:") else name
    table = dynamodb_backends[call.account][call.region].tables.get(name)
    if table is None:
        return None
    keys = {k["KeyType"]: k["AttributeName"] for k in table.schema}
    indexes: dict[str, tuple[str, str | None]] = {}
    for index in [*table.global_indexes, *table.indexes]:
        index_keys = {k["KeyType"]: k["AttributeName"] for k in index.schema}
        indexes[index.name] = (index_keys["HASH"], index_keys.get("RANGE"))
    return _Schema(
        hash=keys["HASH"],
        range=keys.get("RANGE"),
        types={d["AttributeName"]: d["AttributeType"] for d in table.attr},
        indexes=indexes,
    )


def _typed(value: Any) -> tuple[str, Any]:
    ((kind, data),) = value.items()
    return str(kind), data


def _number_size(text: str) -> int:
    digits = re.sub(r"[eE].*$", "", text.strip().lstrip("+-")).replace(".", "").lstrip("0").rstrip("0")
    return -(-len(digits) // 2) + 1


def _value_size(value: Any) -> int:
    """An attribute value's size as DynamoDB counts it.
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html"""
    kind, data = _typed(value)
    if kind == "S":
        return len(str(data).encode())
    if kind == "N":
        return _number_size(str(data))
    if kind == "B":
        return len(data.encode() if isinstance(data, str) else bytes(data))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(_value_size({kind[0]: element}) for element in data)
    if kind == "L":
        return 3 + sum(1 + _value_size(element) for element in data)
    if kind == "M":
        return 3 + sum(1 + len(str(k).encode()) + _value_size(v) for k, v in data.items())
    return 0


def item_size(item: Mapping[str, Any]) -> int:
    """The item's size: its attribute names (UTF-8 bytes) and values, per the documented formula."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _is_empty(kind: str, data: Any) -> bool:
    return kind in ("S", "B") and len(data) == 0


def _key_element_refusal(schema: _Schema, key: Mapping[str, Any]) -> Refusal | None:
    """A Key naming exactly the table's key attributes, each of its declared type."""
    if set(key) != set(schema.keys):
        return _validation(DDB_SCHEMA_MISMATCH)
    for name in schema.keys:
        if _typed(key[name])[0] != schema.types.get(name):
            return _validation(DDB_SCHEMA_MISMATCH)
    return None


def _key_value_refusal(schema: _Schema, key: Mapping[str, Any]) -> Refusal | None:
    for name in schema.keys:
        kind, data = _typed(key[name])
        if _is_empty(kind, data):
            return _empty_key(name, kind)
    return _key_size_refusal(schema, key)


def _key_size_refusal(schema: _Schema, key: Mapping[str, Any]) -> Refusal | None:
    if schema.hash in key and _value_size(key[schema.hash]) > DDB_HASH_MAX:
        return _validation(DDB_HASH_TOO_LONG)
    if schema.range and schema.range in key and _value_size(key[schema.range]) > DDB_RANGE_MAX:
        return _validation(DDB_RANGE_TOO_LONG)
    return None


def _empty_key(name: str, kind: str) -> Refusal:
    return _validation(
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot "
        f"contain an empty {'string' if kind == 'S' else 'binary'} value. Key: {name}"
    )


def _item_key_refusal(schema: _Schema, item: Mapping[str, Any]) -> Refusal | None:
    """An item's own table key: present, of the declared type, not empty, within the size limits."""
    for name in schema.keys:
        if name not in item:
            return _validation(
                f"One or more parameter values were invalid: Missing the key {name} in the item"
            )
        kind, data = _typed(item[name])
        expected = schema.types.get(name)
        if kind != expected:
            return _validation(
                f"One or more parameter values were invalid: Type mismatch for key {name} expected: "
                f"{expected} actual: {kind}"
            )
        if _is_empty(kind, data):
            return _empty_key(name, kind)
    return _key_size_refusal(schema, item)


def _table_keys_fine(schema: _Schema, item: Mapping[str, Any]) -> bool:
    return _item_key_refusal(schema, item) is None


def _index_key_refusal(schema: _Schema, item: Mapping[str, Any]) -> Refusal | None:
    """Secondary index keys in an item: of the declared type, within the key size limits."""
    for index, (hash_key, range_key) in schema.indexes.items():
        for attribute, limit in ((hash_key, DDB_HASH_MAX), (range_key, DDB_RANGE_MAX)):
            if attribute is None or attribute not in item:
                continue
            kind = _typed(item[attribute])[0]
            expected = schema.types.get(attribute)
            if expected is not None and kind != expected:
                return _validation(
                    "One or more parameter values were invalid: Type mismatch for Index Key "
                    f"{attribute} Expected: {expected} Actual: {kind} IndexName: {index}"
                )
            size = _value_size(item[attribute])
            if size > limit:
                return _validation(
                    "One or more parameter values were invalid: Size limit exceeded for Index Key "
                    f"{attribute} Actual Size: {size} bytes Max Size: {limit} bytes IndexName: {index}"
                )
    return None


# What each operation's requests carry: (table, key-or-item, is-an-item).
_Target = tuple[Any, Mapping[str, Any], bool]


def _targets(call: Call) -> list[_Target]:
    params, operation = call.params, call.operation
    if operation == "PutItem":
        return [(params.get("TableName"), params.get("Item") or {}, True)]
    if operation in ("GetItem", "DeleteItem", "UpdateItem"):
        return [(params.get("TableName"), params.get("Key") or {}, False)]
    targets: list[_Target] = []
    if operation == "TransactWriteItems":
        for entry in params.get("TransactItems") or []:
            for kind, op in entry.items():
                if kind == "Put":
                    targets.append((op.get("TableName"), op.get("Item") or {}, True))
                else:  # ConditionCheck, Update, Delete
                    targets.append((op.get("TableName"), op.get("Key") or {}, False))
    elif operation == "BatchWriteItem":
        for table, requests in (params.get("RequestItems") or {}).items():
            for request in requests:
                if "PutRequest" in request:
                    targets.append((table, request["PutRequest"].get("Item") or {}, True))
                if "DeleteRequest" in request:
                    targets.append((table, request["DeleteRequest"].get("Key") or {}, False))
    elif operation == "BatchGetItem":
        for table, wanted in (params.get("RequestItems") or {}).items():
            targets += [(table, key, False) for key in wanted.get("Keys") or []]
    return targets


def _each_target(
    call: Call, check: Callable[[_Schema, Mapping[str, Any], bool], Refusal | None]
) -> Refusal | None:
    for table, value, is_item in _targets(call):
        schema = _schema(call, table)
        if schema is None:
            continue
        refusal = check(schema, value, is_item)
        if refusal is not None:
            return refusal
    return None


def dynamodb_key_schema(call: Call) -> Refusal | None:
    # https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_GetItem.html : "you must provide
    # all of the attributes [of the primary key]"; their types are the table's AttributeDefinitions.
    # moto accepts a wrong type in GetItem, DeleteItem, ConditionCheck and the batch operations.
    return _each_target(call, lambda s, v, item: None if item else _key_element_refusal(s, v))


def dynamodb_key_values(call: Call) -> Refusal | None:
    # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html : a partition
    # key value is 1 to 2048 bytes, a sort key value 1 to 1024 bytes (so not empty). moto checks
    # only the items it writes, not the keys of reads, deletes and condition checks.
    return _each_target(
        call,
        lambda s, v, item: None if item or _key_element_refusal(s, v) else _key_value_refusal(s, v),
    )


def dynamodb_item_keys(call: Call) -> Refusal | None:
    # https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html : "You must provide
    # all of the attributes for the primary key"; types as declared; 1..2048 / 1..1024 bytes
    # (Constraints.html). moto checks PutItem and BatchWriteItem so, but cancels a transaction (instead
    # of a ValidationException) for an item missing its key, and uses the pre-2020 empty-string wording.
    return _each_target(call, lambda s, v, item: _item_key_refusal(s, v) if item else None)


def dynamodb_index_keys(call: Call) -> Refusal | None:
    # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html : index key attributes
    # "must be of type String, Number, or Binary" as declared, within the key size limits above.
    return _each_target(
        call,
        lambda s, v, item: _index_key_refusal(s, v) if item and _table_keys_fine(s, v) else None,
    )


_UPDATE_CLAUSE = re.compile(r"\b(SET|REMOVE|ADD|DELETE)\b", re.IGNORECASE)
_PLAIN_ASSIGNMENT = re.compile(r"^\s*(#?[A-Za-z0-9_]+)\s*=\s*(:[A-Za-z0-9_]+)\s*$")


def _set_values(update: Mapping[str, Any]) -> dict[str, Any]:
    """The attributes an update's SET clauses give a plain value (`name = :value`), with the values."""
    parts = _UPDATE_CLAUSE.split(str(update.get("UpdateExpression") or ""))
    names = update.get("ExpressionAttributeNames") or {}
    values = update.get("ExpressionAttributeValues") or {}
    assigned: dict[str, Any] = {}
    for keyword, body in zip(parts[1::2], parts[2::2], strict=True):
        if keyword.upper() != "SET":
            continue
        for part in body.split(","):
            found = _PLAIN_ASSIGNMENT.match(part)
            if found and found.group(2) in values:
                assigned[str(names.get(found.group(1), found.group(1)))] = values[found.group(2)]
    return assigned


def dynamodb_update_index_keys(call: Call) -> Refusal | None:
    # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html : an update that sets an
    # index key attribute is held to the same type and size as a written item's (dynamodb-index-keys).
    # moto refuses a wrong type (in its own words) but not an index key over the size limits.
    if call.operation == "UpdateItem":
        updates = [call.params]
    else:
        updates = [e["Update"] for e in call.params.get("TransactItems") or [] if "Update" in e]
    for update in updates:
        schema = _schema(call, update.get("TableName"))
        if schema is None:
            continue
        refusal = _index_key_refusal(schema, _set_values(update))
        if refusal is not None:
            return refusal
    return None


def dynamodb_item_size(call: Call) -> Refusal | None:
    # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html : "The maximum
    # item size in DynamoDB is 400 KB, which includes both attribute name binary length (UTF-8 length)
    # and attribute value lengths". moto counts differently (and refuses from 405,000 bytes).
    return _each_target(
        call,
        lambda s, v, item: (
            _validation("Item size has exceeded the maximum allowed size")
            if item and _table_keys_fine(s, v) and item_size(v) > DDB_ITEM_MAX
            else None
        ),
    )


_CONDITION = re.compile(r"(?P<name>[#\w.]+)\s*(?:=|<=|>=|<|>)\s*(?P<value>:\w+)")
_BETWEEN = re.compile(r"(?P<name>[#\w.]+)\s+BETWEEN\s+(?P<low>:\w+)\s+AND\s+(?P<high>:\w+)", re.I)
_BEGINS = re.compile(r"begins_with\s*\(\s*(?P<name>[#\w.]+)\s*,\s*(?P<value>:\w+)\s*\)", re.I)


def _key_conditions(call: Call) -> list[tuple[str, Any]]:
    """(attribute, value) of each comparison in the Query's key condition."""
    params = call.params
    found: list[tuple[str, Any]] = []
    legacy = params.get("KeyConditions")
    if legacy:
        for name, condition in legacy.items():
            found += [(name, value) for value in condition.get("AttributeValueList") or []]
        return found
    expression = str(params.get("KeyConditionExpression") or "")
    names = params.get("ExpressionAttributeNames") or {}
    values = params.get("ExpressionAttributeValues") or {}
    pairs: list[tuple[str, str]] = []
    for match in _BETWEEN.finditer(expression):
        pairs += [(match["name"], match["low"]), (match["name"], match["high"])]
    for match in _BEGINS.finditer(expression):
        pairs.append((match["name"], match["value"]))
    rest = _BEGINS.sub(" ", _BETWEEN.sub(" ", expression))
    pairs += [(m["name"], m["value"]) for m in _CONDITION.finditer(rest)]
    for name, placeholder in pairs:
        if placeholder in values:
            found.append((str(names.get(name, name)), values[placeholder]))
    return found


def dynamodb_query_key_condition(call: Call) -> Refusal | None:
    # https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Query.html : the key condition
    # compares key attributes with values of their declared type ("Condition parameter type does not
    # match schema type"); a base-table key value is within the key limits (not empty, 2048 / 1024).
    schema = _schema(call, call.params.get("TableName"))
    if schema is None:
        return None
    index = call.params.get("IndexName")
    if index is not None and index not in schema.indexes:
        return None  # moto answers an unknown index
    hash_key, range_key = schema.indexes[index] if index else (schema.hash, schema.range)
    for name, value in _key_conditions(call):
        if name not in (hash_key, range_key):
            continue
        kind, data = _typed(value)
        if kind != schema.types.get(name):
            return _validation(
                "One or more parameter values were invalid: Condition parameter type does not match "
                "schema type"
            )
        if _is_empty(kind, data):
            return _empty_key(name, kind)
        if index is None:
            limit, message = (
                (DDB_HASH_MAX, DDB_HASH_TOO_LONG) if name == hash_key else (DDB_RANGE_MAX, DDB_RANGE_TOO_LONG)
            )
            if _value_size(value) > limit:
                return _validation(message)
    return None


def _batch_key(schema: _Schema | None, value: Mapping[str, Any]) -> str:
    keys = schema.keys if schema else sorted(value)
    return json.dumps([value.get(k) for k in keys], sort_keys=True, default=str)


def dynamodb_batch_write(call: Call) -> Refusal | None:
    # https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html : "up to 25
    # put or delete requests"; "You can't ... put and delete the same item in the same BatchWriteItem
    # request" (ValidationException). moto takes any number, and duplicates.
    requests = call.params.get("RequestItems") or {}
    for table, entries in requests.items():
        if len(entries) > DDB_BATCH_WRITE_MAX:
            return _validation(
                f"1 validation error detected: Value '{{{table}=[...{len(entries)} requests]}}' at "
                "'requestItems' failed to satisfy constraint: Map value must satisfy constraint: "
                f"[Member must have length less than or equal to {DDB_BATCH_WRITE_MAX}, Member must have "
                "length greater than or equal to 1]"
            )
    if sum(len(entries) for entries in requests.values()) > DDB_BATCH_WRITE_MAX:
        return _validation("Too many items requested for the BatchWriteItem call")
    for table, entries in requests.items():
        schema = _schema(call, table)
        seen: set[str] = set()
        for request in entries:
            if "PutRequest" in request:
                item = request["PutRequest"].get("Item") or {}
                key = {k: item[k] for k in (schema.keys if schema else []) if k in item}
            else:
                key = request.get("DeleteRequest", {}).get("Key") or {}
            marker = _batch_key(schema, key)
            if marker in seen:
                return _validation("Provided list of item keys contains duplicates")
            seen.add(marker)
    return None


def dynamodb_transact_size(call: Call) -> Refusal | None:
    # https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html : "The
    # aggregate size of the items in the transaction cannot exceed 4 MB." Counted as DynamoDB sizes
    # items: each Put's item, each other action's key. moto does not check it.
    total = sum(item_size(value) for _, value, _ in _targets(call))
    if total > DDB_TRANSACTION_MAX:
        return _validation("The aggregate size of the items in the transaction cannot exceed 4 MB")
    return None


def dynamodb_transact_unused_expression_attributes(call: Call) -> Refusal | None:
    # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ExpressionAttributeValues.html
    # : every value (and every name, ExpressionAttributeNames) given must be used by the action's own
    # expressions, else ValidationException "Value provided in ExpressionAttributeValues unused in
    # expressions: keys: {:x}". moto checks it for single calls only, not for each action of a
    # transaction, where our expressions are assembled from parts (_state, _member_checks).
    for entry in call.params.get("TransactItems") or []:
        for action in entry.values():
            used = " ".join(
                str(action.get(part) or "") for part in ("ConditionExpression", "UpdateExpression")
            )
            tokens = set(re.findall(r"[:#][A-Za-z0-9_]+", used))
            for given in ("ExpressionAttributeValues", "ExpressionAttributeNames"):
                unused = sorted(set(action.get(given) or {}) - tokens)
                if unused:
                    return _validation(
                        f"Value provided in {given} unused in expressions: keys: {{{', '.join(unused)}}}"
                    )
    return None


def dynamodb_batch_get(call: Call) -> Refusal | None:
    # https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html : "up to 100
    # items"; more in all ("Too many items requested for the BatchGetItem call"); a key asked for twice
    # is refused ("Provided list of item keys contains duplicates", ValidationException). moto answers
    # duplicates with the item once.
    requests = call.params.get("RequestItems") or {}
    for table, wanted in requests.items():
        keys = wanted.get("Keys") or []
        if len(keys) > DDB_BATCH_GET_MAX:
            return _validation(
                "1 validation error detected: Value at "
                f"'requestItems.{table}.member.keys' failed to satisfy constraint: Member must have length "
                f"less than or equal to {DDB_BATCH_GET_MAX}"
            )
    if sum(len(w.get("Keys") or []) for w in requests.values()) > DDB_BATCH_GET_MAX:
        return _validation("Too many items requested for the BatchGetItem call")
    for table, wanted in requests.items():
        schema = _schema(call, table)
        markers = [_batch_key(schema, k) for k in wanted.get("Keys") or []]
        if len(set(markers)) != len(markers):
            return _validation("Provided list of item keys contains duplicates")
    return None


# ---- EventBridge --------------------------------------------------------------------------------------
EVENTS_MAX_TOTAL = 1 * MIB  # "the total entry size must be less than 1MB" (256 KB before AWS raised it)


def entry_size(entry: Mapping[str, Any]) -> int:
    """A PutEvents entry's size, computed as EventBridge documents it.
    https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html"""
    size = 14 if entry.get("Time") is not None else 0
    size += len(str(entry.get("Source", "")).encode()) + len(str(entry.get("DetailType", "")).encode())
    if entry.get("Detail") is not None:
        size += len(str(entry["Detail"]).encode())
    size += sum(len(str(r).encode()) for r in entry.get("Resources") or [] if r is not None)
    return size


def events_total_size(call: Call) -> Refusal | None:
    # https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html : "the total entry
    # size must be less than 1MB". AWS: ValidationException "Total size of the entries in the request
    # is over the limit." for the whole request. moto takes any size.
    total = sum(entry_size(e) for e in call.params.get("Entries") or [])
    if total >= EVENTS_MAX_TOTAL:
        return _validation("Total size of the entries in the request is over the limit.")
    return None


def events_aws_source(call: Call, entry: Mapping[str, Any]) -> EntryFailure | None:
    # https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsResultEntry.html :
    # NotAuthorizedForSourceException, "You do not have permissions to publish events with this source
    # onto this event bus": the `aws.` sources belong to AWS services. The entry fails, the call does
    # not (FailedEntryCount). moto publishes it.
    if str(entry.get("Source", "")).startswith("aws."):
        return EntryFailure("NotAuthorizedForSourceException", "Not authorized for the source.")
    return None


def events_detail_object(call: Call, entry: Mapping[str, Any]) -> EntryFailure | None:
    # https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsRequestEntry.html :
    # Detail is "A valid JSON object"; otherwise MalformedDetail ("The JSON provided is not valid").
    # moto refuses text that is not JSON, but takes an array, a string or a number.
    detail = entry.get("Detail")
    if detail is None:
        return None
    try:
        parsed = json.loads(detail)
    except ValueError:
        return None  # moto answers MalformedDetail itself, as AWS does
    if not isinstance(parsed, dict):
        return EntryFailure("MalformedDetail", "Detail is malformed.")
    return None


# ---- SQS ----------------------------------------------------------------------------------------------
SQS_MAX_MESSAGE = 1 * MIB  # 1,048,576 bytes (256 KiB before AWS raised it; the queue default is 1 MiB too)
_SQS_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _queue(call: Call) -> Any:
    from moto.sqs.models import sqs_backends

    name = str(call.params.get("QueueUrl", "")).rstrip("/").rsplit("/", 1)[-1]
    return sqs_backends[call.account][call.region].queues.get(name)


def sqs_message_size(call: Call) -> Refusal | None:
    # https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html : the
    # body is at most 1 MiB, and the queue's MaximumMessageSize; "All parts of the message attribute,
    # including Name, Type, and Value, are part of the message size restriction"
    # (API_MessageAttributeValue.html). moto counts the body only.
    size = len(str(call.params.get("MessageBody", "")).encode())
    for name, attribute in (call.params.get("MessageAttributes") or {}).items():
        size += len(name.encode()) + len(str(attribute.get("DataType", "")).encode())
        if "StringValue" in attribute:
            size += len(str(attribute["StringValue"]).encode())
        if "BinaryValue" in attribute:
            size += len(bytes(attribute["BinaryValue"]))
    queue = _queue(call)
    limit = min(SQS_MAX_MESSAGE, int(queue.maximum_message_size)) if queue is not None else SQS_MAX_MESSAGE
    if size > limit:
        return Refusal(
            "InvalidParameterValue",
            f"One or more parameters are invalid. Reason: Message must be shorter than {limit} bytes.",
        )
    return None


def sqs_message_characters(call: Call) -> Refusal | None:
    # https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html : only
    # #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF, else
    # InvalidMessageContents. moto queues anything.
    bad = _SQS_FORBIDDEN.search(str(call.params.get("MessageBody", "")))
    if bad is None:
        return None
    return Refusal(
        "InvalidMessageContents",
        f"Invalid binary character '#x{ord(bad.group()):X}' was found in the message body, the set of "
        "allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF",
    )


def _sqs_range(call: Call, parameter: str, low: int, high: int, reason: str) -> Refusal | None:
    value = call.params.get(parameter)
    if value is None or low <= int(value) <= high:
        return None
    return Refusal(
        "InvalidParameterValue", f"Value {value} for parameter {parameter} is invalid. Reason: {reason}."
    )


def sqs_receive_max_messages(call: Call) -> Refusal | None:
    # https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html :
    # MaxNumberOfMessages "Valid values: 1 to 10". moto refuses too, its message doubled.
    return _sqs_range(call, "MaxNumberOfMessages", 1, 10, "Must be between 1 and 10, if provided")


def sqs_receive_wait_time(call: Call) -> Refusal | None:
    # https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html :
    # WaitTimeSeconds 0 to 20 (moto refuses too, with its comparison the wrong way round).
    return _sqs_range(call, "WaitTimeSeconds", 0, 20, "Must be >= 0 and <= 20, if provided")


def sqs_receive_visibility_timeout(call: Call) -> Refusal | None:
    # https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html :
    # VisibilityTimeout 0 to 43,200 seconds (12 hours); make replay sets it while it works.
    return _sqs_range(call, "VisibilityTimeout", 0, 43200, "Must be >= 0 and <= 43200, if provided")


# ---- Lambda -------------------------------------------------------------------------------------------
LAMBDA_SYNC_MAX = 6 * MIB  # 6,291,456 bytes
LAMBDA_ASYNC_MAX = 1 * MIB  # 1 MB (256 KB before AWS raised it)


def _payload_size(payload: Any) -> int:
    if payload is None:
        return 0
    if isinstance(payload, str):
        return len(payload.encode())
    if isinstance(payload, bytes | bytearray | memoryview):
        return len(payload)
    if isinstance(payload, io.IOBase) or hasattr(payload, "seek"):
        here = int(payload.tell())
        end = int(payload.seek(0, io.SEEK_END))
        payload.seek(here)
        return end - here
    return len(bytes(payload))


def lambda_payload(call: Call) -> Refusal | None:
    # https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html : "For synchronous invocations, the
    # maximum payload size is 6 MB. For asynchronous invocations, the maximum payload size is 1 MB."
    # (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html). AWS answers 413
    # RequestEntityTooLargeException with the messages below. moto takes any size.
    size = _payload_size(call.params.get("Payload"))
    if call.params.get("InvocationType") == "Event":
        if size > LAMBDA_ASYNC_MAX:
            return Refusal(
                "RequestEntityTooLargeException",
                f"{size} byte payload is too large for the Event invocation type "
                f"(limit {LAMBDA_ASYNC_MAX} bytes)",
                413,
            )
        return None
    if size > LAMBDA_SYNC_MAX:
        return Refusal(
            "RequestEntityTooLargeException",
            f"Request must be smaller than {LAMBDA_SYNC_MAX} bytes for the InvokeFunction operation",
            413,
        )
    return None


# ---- S3 -----------------------------------------------------------------------------------------------
S3_KEY_MAX = 1024  # bytes of UTF-8


def s3_key_length(call: Call) -> Refusal | None:
    # https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html : "The object key name is a
    # sequence of Unicode characters with UTF-8 encoding of up to 1,024 bytes long."
    # https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html : KeyTooLongError, 400,
    # "Your key is too long". moto takes any length.
    size = len(str(call.params.get("Key", "")).encode())
    if size > S3_KEY_MAX:
        return Refusal(
            "KeyTooLongError",
            "Your key is too long",
            fields=(("Size", str(size)), ("MaxSizeAllowed", str(S3_KEY_MAX))),
        )
    return None


def s3_get_object_range(call: Call) -> Refusal | None:
    # https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html : PartNumber "Positive integer
    # between 1 and 10,000"; S3 answers 400 InvalidArgument "Part number must be an integer between 1
    # and 10000, inclusive". moto ignores it.
    part = call.params.get("PartNumber")
    if part is not None and not 1 <= int(part) <= 10000:
        return Refusal(
            "InvalidArgument",
            "Part number must be an integer between 1 and 10000, inclusive",
            fields=(("ArgumentName", "partNumber"), ("ArgumentValue", str(part))),
        )
    return None


# ---- SES email receiving (what SES does before and while it invokes a receipt rule's actions) -----------
# https://docs.aws.amazon.com/ses/latest/dg/quotas.html (email receiving): a message is at most 40 MB
# including its headers, and at most 100 recipients per message; larger messages are bounced by SES at
# SMTP time and never reach a rule. The S3 action writes the object as ObjectKeyPrefix + messageId.
SES_RECEIVE_MAX_BYTES = 40 * MIB
SES_RECEIVE_MAX_RECIPIENTS = 100
# The verdict statuses SES documents; DISABLED is a rule with ScanEnabled false. A receiver must read any
# string (SES may add one): the runtime builds only these.
SES_VERDICT_STATUSES = frozenset({"PASS", "FAIL", "GRAY", "PROCESSING_FAILED", "DISABLED"})
SES_DMARC_POLICIES = frozenset({"none", "quarantine", "reject"})
SES_COMMON_HEADERS = frozenset(
    {"returnPath", "from", "sender", "replyTo", "date", "to", "cc", "bcc", "messageId", "subject"}
)
_SES_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$")


def ses_receiving_refusal(
    size: int, recipients: Sequence[str], *, tls: bool, tls_required: bool
) -> str | None:
    """Why SES would not accept a message at SMTP time (its sender gets the bounce), or None."""
    if size > SES_RECEIVE_MAX_BYTES:
        return f"552 5.3.4 Message size exceeds fixed limit ({size} > {SES_RECEIVE_MAX_BYTES} bytes)"
    if not recipients:
        return "554 5.5.1 no valid recipients"
    if len(recipients) > SES_RECEIVE_MAX_RECIPIENTS:
        return f"452 4.5.3 Too many recipients (at most {SES_RECEIVE_MAX_RECIPIENTS})"
    if tls_required and not tls:
        return "530 5.7.0 Must issue a STARTTLS command first (the rule's TlsPolicy is Require)"
    return None


def ses_receipt_event_problems(event: Mapping[str, Any]) -> list[str]:
    """What is wrong with a receipt event, against the documented shape of the Lambda action's event
    (https://docs.aws.amazon.com/ses/latest/dg/receiving-email-action-lambda-event.html and
    receiving-email-notifications-contents.html): the local runtime checks every event it builds."""
    problems: list[str] = []

    def need(where: str, value: Any, kind: type | tuple[type, ...]) -> bool:
        if not isinstance(value, kind):
            problems.append(
                f"{where}: expected {getattr(kind, '__name__', kind)}, got {type(value).__name__}"
            )
            return False
        return True

    records = event.get("Records")
    if not need("Records", records, list) or not records:
        return problems or ["Records: empty"]
    for i, record in enumerate(records):
        at = f"Records[{i}]"
        if not need(at, record, dict):
            continue
        if record.get("eventSource") != "aws:ses":
            problems.append(f"{at}.eventSource: must be 'aws:ses'")
        if record.get("eventVersion") != "1.0":
            problems.append(f"{at}.eventVersion: must be '1.0'")
        ses = record.get("ses")
        if not need(f"{at}.ses", ses, dict):
            continue
        mail, receipt = ses.get("mail"), ses.get("receipt")
        if need(f"{at}.ses.mail", mail, dict):
            for name in ("timestamp", "source", "messageId"):
                need(f"{at}.ses.mail.{name}", mail.get(name), str)
            if isinstance(mail.get("timestamp"), str) and not _SES_ISO.match(mail["timestamp"]):
                problems.append(f"{at}.ses.mail.timestamp: not ISO 8601 UTC with Z")
            # "A complete list of all recipient addresses (including To: and CC: recipients) from the
            # MIME headers": as many as the sender wrote, none when there is no To or Cc.
            need(f"{at}.ses.mail.destination", mail.get("destination"), list)
            need(f"{at}.ses.mail.headersTruncated", mail.get("headersTruncated"), bool)
            headers = mail.get("headers")
            if need(f"{at}.ses.mail.headers", headers, list):
                for h in headers:
                    if not (isinstance(h, dict) and set(h) == {"name", "value"}):
                        problems.append(f"{at}.ses.mail.headers: each is {{name, value}}")
                        break
                if isinstance(receipt, dict):
                    problems += ses_authentication_results_problems(
                        headers, receipt, at=f"{at}.ses.mail.headers"
                    )
            common = mail.get("commonHeaders")
            if need(f"{at}.ses.mail.commonHeaders", common, dict):
                unknown = set(common) - SES_COMMON_HEADERS
                if unknown:
                    problems.append(f"{at}.ses.mail.commonHeaders: unknown {sorted(unknown)}")
                for name in ("from", "to", "cc", "bcc", "replyTo", "sender"):
                    if name in common:
                        need(f"{at}.ses.mail.commonHeaders.{name}", common[name], list)
        if need(f"{at}.ses.receipt", receipt, dict):
            need(f"{at}.ses.receipt.timestamp", receipt.get("timestamp"), str)
            need(f"{at}.ses.receipt.processingTimeMillis", receipt.get("processingTimeMillis"), int)
            # The envelope's RCPT TO addresses the rule matched. AWS: they "may differ" from
            # mail.destination (the header To/Cc addresses): a Bcc'd address is in one, not the other.
            need(f"{at}.ses.receipt.recipients", receipt.get("recipients"), list)
            for name in ("spamVerdict", "virusVerdict", "spfVerdict", "dkimVerdict", "dmarcVerdict"):
                verdict = receipt.get(name)
                if not (isinstance(verdict, dict) and isinstance(verdict.get("status"), str)):
                    problems.append(f"{at}.ses.receipt.{name}: {{status: <string>}}")
            policy = receipt.get("dmarcPolicy")
            if policy is not None and policy not in SES_DMARC_POLICIES:
                problems.append(f"{at}.ses.receipt.dmarcPolicy: one of {sorted(SES_DMARC_POLICIES)}")
            action = receipt.get("action")
            if need(f"{at}.ses.receipt.action", action, dict):
                if action.get("type") != "Lambda":
                    problems.append(f"{at}.ses.receipt.action.type: a Lambda action's event says 'Lambda'")
                if not str(action.get("functionArn", "")).startswith("arn:aws:lambda:"):
                    problems.append(f"{at}.ses.receipt.action.functionArn: a Lambda function ARN")
                if action.get("invocationType") not in ("Event", "RequestResponse"):
                    problems.append(f"{at}.ses.receipt.action.invocationType: Event or RequestResponse")
    return problems


# How a receipt verdict reads in SES's Authentication-Results (RFC 8601 result words).
SES_AUTHENTICATION_RESULT = {"PASS": "pass", "FAIL": "fail", "GRAY": "none", "PROCESSING_FAILED": "temperror"}
_AR_RESULT = re.compile(r"\b(spf|dkim|dmarc)=([a-z]+)", re.I)


def ses_authentication_results_problems(
    headers: list[Any], receipt: Mapping[str, Any], *, at: str = "headers"
) -> list[str]:
    """SES's own `Authentication-Results` header (receiving-email-notifications-contents.html: SES adds
    it, with Received-SPF and the X-SES verdict headers, above the message's own): the first one in
    `mail.headers` is SES's (authserv-id amazonses.com), and its spf/dkim/dmarc results say what the
    receipt's verdicts say (PASS as pass, FAIL as fail...). receive_mail reads the DKIM signer's domain
    from it, so an event where another's header comes first must not be built."""
    found = [
        h.get("value", "")
        for h in headers
        if isinstance(h, dict) and str(h.get("name", "")).lower() == "authentication-results"
    ]
    if not found:
        return []
    first = str(found[0])
    if first.split(";", 1)[0].strip().lower() != "amazonses.com":
        return [f"{at}: the first Authentication-Results is SES's own (authserv-id amazonses.com)"]
    words = SES_AUTHENTICATION_RESULT
    problems = []
    for method, result in _AR_RESULT.findall(first):
        verdict = (receipt.get(f"{method.lower()}Verdict") or {}).get("status")
        if method.lower() == "dkim" and result.lower() == "fail" and verdict == "PASS":
            continue  # one signature may fail while another passes
        if verdict in words and result.lower() != words[verdict]:
            problems.append(
                f"{at}: Authentication-Results {method}={result} but the {method}Verdict is {verdict}"
            )
    return problems


# ---- the table ----------------------------------------------------------------------------------------
_SES = "https://docs.aws.amazon.com/ses/latest"
_DDB = "https://docs.aws.amazon.com/amazondynamodb/latest"
_EB = "https://docs.aws.amazon.com/eventbridge/latest"
_SQS = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference"
DDB_ITEM_OPS = ("PutItem", "TransactWriteItems", "BatchWriteItem")
DDB_KEY_OPS = ("GetItem", "DeleteItem", "UpdateItem", "TransactWriteItems", "BatchWriteItem", "BatchGetItem")
DDB_OPS = (*dict.fromkeys((*DDB_ITEM_OPS, *DDB_KEY_OPS, "Query")),)

# fmt: off
RULES: tuple[Rule, ...] = (
    # SES v2 SendEmail: in this order, the request's form, then what the account has.
    Rule("ses-email-tags", "sesv2", ("SendEmail",),
         "EmailTags Name and Value: 1..256 of [A-Za-z0-9_-]", "BadRequestException", 400,
         f"{_SES}/APIReference-V2/API_MessageTag.html", check=ses_email_tags),
    Rule("ses-recipient-count", "sesv2", ("SendEmail",),
         "at most 50 recipients (To, Cc and Bcc together)", "BadRequestException", 400,
         f"{_SES}/dg/quotas.html", check=ses_recipient_count),
    Rule("ses-configuration-set-exists", "sesv2", ("SendEmail",),
         "ConfigurationSetName names an existing configuration set", "NotFoundException", 404,
         f"{_SES}/APIReference-V2/API_SendEmail.html", check=ses_configuration_set),
    Rule("ses-message-size", "sesv2", ("SendEmail",),
         "message at most 40 MB (41,943,040 bytes) including attachments", "MessageRejected", 400,
         f"{_SES}/dg/quotas.html", check=ses_message_size),
    Rule("ses-sender-verified", "sesv2", ("SendEmail",),
         "the From identity (FromEmailAddress, or the Raw From header) is verified: the address, "
         "its domain or a parent domain", "MessageRejected", 400,
         f"{_SES}/dg/troubleshoot-error-messages.html", check=ses_sender_verified),
    Rule("ses-sandbox-recipients", "sesv2", ("SendEmail",),
         "in the sandbox (state.sandbox), every recipient is verified or the mailbox simulator",
         "MessageRejected", 400, f"{_SES}/dg/request-production-access.html",
         check=ses_sandbox_recipients),
    Rule("ses-identity-exists", "sesv2", ("GetEmailIdentity",),
         "the identity exists in the account and region", "NotFoundException", 404,
         f"{_SES}/APIReference-V2/API_GetEmailIdentity.html", check=ses_identity_exists),
    Rule("ses-identity-verified-status", "sesv2", ("GetEmailIdentity",),
         "VerifiedForSendingStatus true for a verified identity (moto: always false); "
         "state.unverified identities are PENDING", "-", 200,
         f"{_SES}/APIReference-V2/API_GetEmailIdentity.html", answer=ses_identity_verified_status),
    Rule("ses-identity-unique", "sesv2", ("CreateEmailIdentity",),
         "an identity is created once", "AlreadyExistsException", 400,
         f"{_SES}/APIReference-V2/API_CreateEmailIdentity.html", check=ses_identity_unique),
    # DynamoDB: the form of the request, then each key and item against the table's schema.
    Rule("dynamodb-request-constraints", "dynamodb", DDB_OPS,
         "top-level members within the model's max length and pattern (TransactItems <= 100, "
         "TableName <= 1024, IndexName [a-zA-Z0-9_.-]{3,255}, ClientRequestToken <= 36)",
         "ValidationException", 400, f"{_DDB}/APIReference/API_TransactWriteItems.html",
         check=_model_constraints),
    Rule("dynamodb-transact-one-op-per-item", "dynamodb", ("TransactWriteItems",),
         "one operation per item in a transaction", "ValidationException", 400,
         f"{_DDB}/APIReference/API_TransactWriteItems.html", enforced_by="moto"),
    Rule("dynamodb-transact-size", "dynamodb", ("TransactWriteItems",),
         "the aggregate size of a transaction's items at most 4 MB (4,194,304 bytes)",
         "ValidationException", 400, f"{_DDB}/APIReference/API_TransactWriteItems.html",
         check=dynamodb_transact_size),
    Rule("dynamodb-transact-unused-expression-attributes", "dynamodb", ("TransactWriteItems",),
         "each action uses every expression attribute value and name it gives", "ValidationException", 400,
         f"{_DDB}/developerguide/Expressions.ExpressionAttributeValues.html",
         check=dynamodb_transact_unused_expression_attributes),
    Rule("dynamodb-batch-write-limits", "dynamodb", ("BatchWriteItem",),
         "at most 25 requests, no item twice", "ValidationException", 400,
         f"{_DDB}/APIReference/API_BatchWriteItem.html", check=dynamodb_batch_write),
    Rule("dynamodb-batch-get-limits", "dynamodb", ("BatchGetItem",),
         "at most 100 keys, no key twice", "ValidationException", 400,
         f"{_DDB}/APIReference/API_BatchGetItem.html", check=dynamodb_batch_get),
    Rule("dynamodb-key-schema", "dynamodb", DDB_KEY_OPS,
         "a Key has exactly the table's key attributes, of their declared types", "ValidationException",
         400, f"{_DDB}/APIReference/API_GetItem.html", check=dynamodb_key_schema),
    Rule("dynamodb-key-values", "dynamodb", DDB_KEY_OPS,
         "key values not empty; partition key <= 2048 bytes, sort key <= 1024 bytes",
         "ValidationException", 400, f"{_DDB}/developerguide/Constraints.html",
         check=dynamodb_key_values),
    Rule("dynamodb-item-table-keys", "dynamodb", DDB_ITEM_OPS,
         "an item has its table key attributes, of their declared types, not empty, within "
         "2048 / 1024 bytes", "ValidationException", 400, f"{_DDB}/APIReference/API_PutItem.html",
         check=dynamodb_item_keys),
    Rule("dynamodb-index-keys", "dynamodb", DDB_ITEM_OPS,
         "secondary index key attributes of their declared types, within 2048 / 1024 bytes",
         "ValidationException", 400, f"{_DDB}/developerguide/GSI.html", check=dynamodb_index_keys),
    Rule("dynamodb-update-index-keys", "dynamodb", ("UpdateItem", "TransactWriteItems"),
         "an update's SET of a secondary index key: of its declared type, within 2048 / 1024 bytes",
         "ValidationException", 400, f"{_DDB}/developerguide/GSI.html", check=dynamodb_update_index_keys),
    Rule("dynamodb-item-size", "dynamodb", DDB_ITEM_OPS,
         "an item at most 400 KB (409,600 bytes) as documented", "ValidationException", 400,
         f"{_DDB}/developerguide/CapacityUnitCalculations.html", check=dynamodb_item_size),
    Rule("dynamodb-query-key-condition", "dynamodb", ("Query",),
         "key condition values of the key's declared type; not empty; within 2048 / 1024 bytes",
         "ValidationException", 400, f"{_DDB}/APIReference/API_Query.html",
         check=dynamodb_query_key_condition),
    # EventBridge PutEvents: the request, then each entry (an entry's failure is in the answer).
    Rule("eventbridge-entries-count", "events", ("PutEvents",),
         "1..10 entries (and the model's other max lengths)", "ValidationException", 400,
         f"{_EB}/APIReference/API_PutEvents.html", check=_model_constraints),
    Rule("eventbridge-total-size", "events", ("PutEvents",),
         "total entry size (as documented) less than 1 MB", "ValidationException", 400,
         f"{_EB}/userguide/eb-putevent-size.html", check=events_total_size),
    Rule("eventbridge-aws-source", "events", ("PutEvents",),
         "no entry with an aws. source (per entry)", "NotAuthorizedForSourceException", 200,
         f"{_EB}/APIReference/API_PutEventsResultEntry.html", entry_check=events_aws_source),
    Rule("eventbridge-detail-object", "events", ("PutEvents",),
         "Detail is a JSON object (per entry)", "MalformedDetail", 200,
         f"{_EB}/APIReference/API_PutEventsRequestEntry.html", entry_check=events_detail_object),
    # SQS
    Rule("sqs-message-size", "sqs", ("SendMessage",),
         "body and attributes at most 1 MiB (1,048,576 bytes) and the queue's MaximumMessageSize",
         "InvalidParameterValue", 400, f"{_SQS}/API_SendMessage.html", check=sqs_message_size),
    Rule("sqs-message-characters", "sqs", ("SendMessage",),
         "body only of the allowed Unicode characters", "InvalidMessageContents", 400,
         f"{_SQS}/API_SendMessage.html", check=sqs_message_characters),
    Rule("sqs-receive-max-messages", "sqs", ("ReceiveMessage",),
         "MaxNumberOfMessages 1..10", "InvalidParameterValue", 400,
         f"{_SQS}/API_ReceiveMessage.html", check=sqs_receive_max_messages),
    Rule("sqs-receive-wait-time", "sqs", ("ReceiveMessage",),
         "WaitTimeSeconds 0..20", "InvalidParameterValue", 400,
         f"{_SQS}/API_ReceiveMessage.html", check=sqs_receive_wait_time),
    Rule("sqs-receive-visibility-timeout", "sqs", ("ReceiveMessage",),
         "VisibilityTimeout 0..43200", "InvalidParameterValue", 400,
         f"{_SQS}/API_ReceiveMessage.html", check=sqs_receive_visibility_timeout),
    Rule("sqs-receipt-handle", "sqs", ("DeleteMessage",),
         "ReceiptHandle is one the queue gave", "ReceiptHandleIsInvalid", 400,
         f"{_SQS}/API_DeleteMessage.html", enforced_by="moto"),
    # Lambda Invoke
    Rule("lambda-request-constraints", "lambda", ("Invoke",),
         "FunctionName 1..256 of the documented pattern; Qualifier 1..128", "ValidationException", 400,
         "https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html", check=_model_constraints),
    Rule("lambda-payload-size", "lambda", ("Invoke",),
         "Payload at most 6 MB (6,291,456 bytes) for RequestResponse, 1 MB (1,048,576 bytes) for Event",
         "RequestEntityTooLargeException", 413,
         "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html", check=lambda_payload),
    # Secrets Manager
    Rule("secretsmanager-secret-id", "secretsmanager", ("GetSecretValue",),
         "SecretId 1..2048 characters (VersionId 32..64, VersionStage 1..256)", "ValidationException", 400,
         "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html",
         check=_model_constraints),
    # S3
    Rule("s3-key-length", "s3", ("PutObject", "GetObject"),
         "object key at most 1024 bytes of UTF-8", "KeyTooLongError", 400,
         "https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html", check=s3_key_length),
    Rule("s3-get-object-part-number", "s3", ("GetObject",),
         "PartNumber 1..10000", "InvalidArgument", 400,
         "https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html", check=s3_get_object_range),
    Rule("s3-object-exists", "s3", ("GetObject",),
         "the key names an object of the bucket (receive_mail keeps a message whose object is gone)",
         "NoSuchKey", 404, "https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html",
         enforced_by="moto"),
    Rule("s3-bucket-exists", "s3", ("GetObject", "PutObject"),
         "the bucket exists", "NoSuchBucket", 404,
         "https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html", enforced_by="moto"),
)
# fmt: on


def rules_for(service: str, operation: str) -> list[Rule]:
    return [r for r in RULES if r.service == service and operation in r.operations]


# ---- answering as the service answers -----------------------------------------------------------------
class _Raw:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.data


def _wire_error(model: Any, refusal: Refusal) -> tuple[dict[str, str], bytes]:
    """The error as the service puts it on the wire, in its protocol."""
    service = model.service_model
    protocol = service.resolved_protocol
    if protocol == "rest-xml":
        extra = "".join(f"<{k}>{escape(v, quote=False)}</{k}>" for k, v in refusal.fields)
        message = escape(refusal.message, quote=False)
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{refusal.code}</Code><Message>{message}</Message>{extra}"
            f"<RequestId>{uuid.uuid4().hex[:16].upper()}</RequestId></Error>"
        )
        return {"content-type": "application/xml"}, xml.encode()
    if protocol == "rest-json":
        headers = {"content-type": "application/json", "x-amzn-errortype": refusal.code}
        return headers, json.dumps({"message": refusal.message, **dict(refusal.fields)}).encode()
    # json (awsJson1_0 / 1_1); SQS is query-compatible: its legacy code travels in a header.
    headers = {"content-type": f"application/x-amz-json-{service.metadata.get('jsonVersion', '1.0')}"}
    if service.metadata.get("awsQueryCompatible") is not None:
        headers["x-amzn-query-error"] = f"{refusal.code};Sender"
    prefix = service.metadata.get("targetPrefix") or service.service_name
    error = {"__type": f"com.amazonaws.{prefix.lower()}#{refusal.code}", "message": refusal.message}
    return headers, json.dumps({**error, **dict(refusal.fields)}).encode()


def _answer(model: Any, url: str, status: int, headers: dict[str, str], body: bytes) -> tuple[Any, Any]:
    """(http_response, parsed): botocore's own parser reads the answer, modeled error fields included."""
    from botocore.awsrequest import AWSResponse, HTTPHeaders
    from botocore.endpoint import convert_to_response_dict
    from botocore.parsers import create_parser

    http_headers = HTTPHeaders()
    http_headers["x-amzn-RequestId"] = str(uuid.uuid4())
    for key, value in headers.items():
        http_headers[key] = value
    http = AWSResponse(url, status, http_headers, _Raw(body))
    response = convert_to_response_dict(http, model)
    parser = create_parser(model.service_model.resolved_protocol)
    parsed = parser.parse(response, model.output_shape)
    if status >= 300:
        error_shape = model.service_model.shape_for_error_code(parsed.get("Error", {}).get("Code"))
        if error_shape is not None:
            parsed.update(parser.parse(response, error_shape))
    parsed.setdefault("ResponseMetadata", {}).setdefault("RetryAttempts", 0)  # as botocore's retry handler
    return http, parsed


def _refused(model: Any, url: str, refusal: Refusal) -> tuple[Any, Any]:
    headers, body = _wire_error(model, refusal)
    return _answer(model, url, refusal.status, headers, body)


# ---- the hooks ----------------------------------------------------------------------------------------
@dataclass
class _Verdict:
    call: Call
    rules: list[Rule]
    refusal: Refusal | None = None
    entry_failures: dict[int, EntryFailure] = field(default_factory=dict)
    entry_count: int = 0
    all_failed: bool = False


def _safely[T](check: Callable[..., T], *args: Any) -> T | None:
    """A check on parameters botocore has not validated yet: a malformed request is botocore's to
    refuse (ParamValidationError), not a rule's."""
    try:
        return check(*args)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def _before_parameter_build(params: dict[str, Any], model: Any, context: Any = None, **_: Any) -> None:
    if not _installed or context is None:
        return
    rules = rules_for(model.service_model.service_name, model.name)
    if not rules:
        return
    call = Call(
        service=model.service_model.service_name,
        operation=model.name,
        params=params,
        region=str(context.get("client_region") or os.environ.get("AWS_DEFAULT_REGION", "us-east-1")),
        account=_account(),
        model=model,
    )
    verdict = _Verdict(call, rules)
    context[CONTEXT_KEY] = verdict
    for rule in rules:
        if rule.check is not None:
            refusal = _safely(rule.check, call)
            if refusal is not None:
                verdict.refusal = refusal
                state.refused.append(
                    Refused(rule.name, call.service, call.operation, refusal.code, refusal.message)
                )
                return
    entry_rules = [r for r in rules if r.entry_check is not None]
    entries = params.get("Entries")
    if not entry_rules or not isinstance(entries, list):
        return
    for index, entry in enumerate(entries):
        for rule in entry_rules:
            failure = _safely(rule.entry_check, call, entry)  # type: ignore[arg-type]
            if failure is not None:
                verdict.entry_failures[index] = failure
                state.refused.append(
                    Refused(rule.name, call.service, call.operation, failure.code, failure.message)
                )
                break
    if verdict.entry_failures:
        verdict.entry_count = len(entries)
        kept = [e for i, e in enumerate(entries) if i not in verdict.entry_failures]
        if kept:
            params["Entries"] = kept  # moto sees only what AWS would accept
        else:
            verdict.all_failed = True


def _failed_entry(failure: EntryFailure) -> dict[str, str]:
    return {"ErrorCode": failure.code, "ErrorMessage": failure.message}


def _before_call(model: Any, params: dict[str, Any], context: Any = None, **_: Any) -> Any:
    verdict: _Verdict | None = (context or {}).get(CONTEXT_KEY)
    if not _installed or verdict is None:
        return None
    url = str(params.get("url", "https://local.invalid/"))
    if verdict.refusal is not None:
        return _refused(model, url, verdict.refusal)
    if verdict.all_failed:
        entries = [_failed_entry(verdict.entry_failures[i]) for i in range(verdict.entry_count)]
        body = json.dumps({"FailedEntryCount": len(entries), "Entries": entries}).encode()
        return _answer(model, url, 200, {"content-type": "application/x-amz-json-1.1"}, body)
    return None


def _after_call(
    http_response: Any, parsed: dict[str, Any], model: Any, context: Any = None, **_: Any
) -> None:
    verdict: _Verdict | None = (context or {}).get(CONTEXT_KEY)
    if not _installed or verdict is None or http_response.status_code >= 300:
        return
    if verdict.refusal is not None:
        return
    if verdict.entry_failures and not verdict.all_failed and isinstance(parsed.get("Entries"), list):
        accepted = iter(parsed["Entries"])
        parsed["Entries"] = [
            _failed_entry(verdict.entry_failures[i]) if i in verdict.entry_failures else next(accepted)
            for i in range(verdict.entry_count)
        ]
        parsed["FailedEntryCount"] = int(parsed.get("FailedEntryCount", 0)) + len(verdict.entry_failures)
    for rule in verdict.rules:
        if rule.answer is not None:
            rule.answer(verdict.call, parsed)


# ---- installing ---------------------------------------------------------------------------------------
_installed = False
_specs: list[tuple[Any, ...]] = []


def _service_ids() -> dict[str, str]:
    """botocore's event names use the hyphenized service id ("events" -> "eventbridge")."""
    import botocore.session

    loader = botocore.session.get_session()
    return {s: loader.get_service_model(s).service_id.hyphenize() for s in {r.service for r in RULES}}


def _handler_specs() -> list[tuple[Any, ...]]:
    from botocore.handlers import REGISTER_FIRST

    ids = _service_ids()
    specs: list[tuple[Any, ...]] = []
    for service, operation in dict.fromkeys((r.service, op) for r in RULES for op in r.operations):
        suffix = f"{ids[service]}.{operation}"
        specs.append((f"before-parameter-build.{suffix}", _before_parameter_build))
        # First on its own node, and more specific than a generic `before-call`: the contract answers
        # before any other in-process handler (the local Lambda Invoke, IAM) or moto's stubber.
        specs.append((f"before-call.{suffix}", _before_call, REGISTER_FIRST))
        specs.append((f"after-call.{suffix}", _after_call))
    return specs


def install() -> None:
    """Check every client created from now on (idempotent)."""
    global _installed
    from botocore.handlers import BUILTIN_HANDLERS

    if not _specs:
        _specs.extend(_handler_specs())
    for spec in _specs:
        if spec not in BUILTIN_HANDLERS:
            BUILTIN_HANDLERS.append(spec)
    _register_on_default_session()
    _installed = True


def _register_on_default_session() -> None:
    """boto3's default session, if one exists already, was made before the specs were built in."""
    import boto3

    session = boto3.DEFAULT_SESSION
    if session is None:
        return
    emitter = session._session.get_component("event_emitter")
    for spec in _specs:
        event, handler = spec[0], spec[1]
        unique = f"nearmiss-contract:{event}"
        if len(spec) == 3:
            emitter.register_first(event, handler, unique_id=unique)
        else:
            emitter.register(event, handler, unique_id=unique)


def uninstall() -> None:
    """Stop checking (clients made meanwhile keep the hooks, which then do nothing); reset the state."""
    global _installed
    from botocore.handlers import BUILTIN_HANDLERS

    for spec in _specs:
        while spec in BUILTIN_HANDLERS:
            BUILTIN_HANDLERS.remove(spec)
    _installed = False
    state.reset()


def installed() -> bool:
    return _installed
