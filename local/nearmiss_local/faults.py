"""Fault injection for the reliability suite: wrappers around the REAL clients and ports.

Each wrapper forwards to the real object (a moto-backed boto3 client, the SES mailer, the store)
and, where its schedule says so, fails exactly as the real thing fails: a botocore `ClientError`
with AWS's error code and HTTP status (so the adapters classify it with their own code paths), a
botocore timeout, or a process that dies between two steps. Nothing here changes what the product
does with a fault; it only decides when one happens. Schedules are seeded, so a failing run can be
replayed exactly.

- `FaultySes`: the sesv2 client behind `SesMailer`: throttling, 5xx, quota, rejections, timeouts.
- `FaultyDynamo`: a DynamoDB client for `DynamoStore`: errors (after the SDK's own retries gave
  up), or a competing write that lands just before ours (a real race, not a simulated answer).
- `WireFaults`: errors injected *below* the SDK (botocore's `before-send`), so the client's own
  retry policy sees them and retries as it would against AWS.
- `CrashAfterSend`, `CrashingStore`: a process killed in the window between two effects.
"""

from __future__ import annotations

import email
import email.policy
import json
import random
import threading
import weakref
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError, ReadTimeoutError


class ProcessKilled(BaseException):
    """The Lambda sandbox dies here (timeout, OOM, SIGKILL): no `except Exception` runs, nothing more
    is written."""


# ---- errors as AWS sends them ----------------------------------------------------------------------
def client_error(
    operation: str, code: str, message: str, status: int, *, client: Any = None, **extra: Any
) -> ClientError:
    """The ClientError botocore raises for this answer; the client's modelled subclass when it has one
    (so `except client.exceptions.X` clauses in the adapters match, as they do against AWS)."""
    response: dict[str, Any] = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": "fault-injected"},
        **extra,
    }
    cls: type[ClientError] = ClientError
    if client is not None:
        cls = client.exceptions.from_code(code)
    return cls(response, operation)  # type: ignore[arg-type]


def transaction_canceled(client: Any, reasons: list[str]) -> ClientError:
    """TransactionCanceledException with one cancellation reason per item, as DynamoDB answers."""
    listed = [{"Code": r} for r in reasons]
    message = f"Transaction cancelled, please refer cancellation reasons for specific reasons [{', '.join(reasons)}]"  # noqa: E501
    return client_error(
        "TransactWriteItems",
        "TransactionCanceledException",
        message,
        400,
        client=client,
        CancellationReasons=listed,
    )


@dataclass(frozen=True)
class SesFault:
    code: str
    status: int
    message: str
    transient: bool  # what SES means by it: the message was not accepted and may be tried again


THROTTLED = SesFault("TooManyRequestsException", 429, "Maximum sending rate exceeded.", True)
INTERNAL_FAILURE = SesFault("InternalFailure", 500, "The request processing has failed.", True)
UNAVAILABLE = SesFault("ServiceUnavailable", 503, "Service is unavailable. Try again later.", True)
QUOTA_EXCEEDED = SesFault("LimitExceededException", 400, "Daily message quota exceeded.", True)
REJECTED = SesFault("MessageRejected", 400, "Email address is on the account-level suppression list.", False)


# ---- SES -----------------------------------------------------------------------------------------
@dataclass
class FaultySes:
    """The real sesv2 client, with faults on a seeded schedule for `send_email`.

    In order: a permanent rejection for recipients `reject(to)` says so; a daily quota
    (`daily_quota` messages accepted per UTC day, by the simulated clock) or a burst of quota errors
    (`quota_burst` calls after `quota_after` accepted sends); then throttling with probability
    `throttle` and a 5xx with probability `server_errors`. `max_transient_per_message` caps the
    random faults one message (recipient + subject) can get, so the test's expectation does not hang
    on a 1-in-10,000 streak; quota errors are not capped. `timeout_after_send(to)`: SES accepts the
    message and the answer is lost (a ReadTimeout after the request went out).
    """

    client: Any
    seed: int = 0
    throttle: float = 0.0
    server_errors: float = 0.0
    reject: Callable[[str], bool] = lambda to: False
    quota_after: int | None = None
    quota_burst: int = 0
    daily_quota: int | None = None
    timeout_after_send: Callable[[str], bool] = lambda to: False
    max_transient_per_message: int = 3
    injected: Counter[str] = field(default_factory=Counter)
    accepted: list[tuple[str, str]] = field(default_factory=list)  # (to, message id)
    calls: int = 0
    _rng: random.Random = field(init=False)
    _per_message: Counter[tuple[str, str]] = field(default_factory=Counter)
    _per_day: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)  # noqa: S311  (a replayable fault schedule, not a secret)

    def __getattr__(self, name: str) -> Any:  # meta, exceptions, every other operation: the real client
        return getattr(self.client, name)

    @staticmethod
    def _subject(kwargs: dict[str, Any]) -> str:
        raw = kwargs["Content"]["Raw"]["Data"]
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        return str(parsed["Subject"] or "")

    def _fault(self, to: str, kwargs: dict[str, Any]) -> SesFault | None:
        if self.reject(to):
            return REJECTED
        today = datetime.now(UTC).date().isoformat()  # the simulated clock's day
        if self.daily_quota is not None and self._per_day[today] >= self.daily_quota:
            return QUOTA_EXCEEDED
        if self.quota_after is not None and len(self.accepted) >= self.quota_after and self.quota_burst > 0:
            self.quota_burst -= 1
            return QUOTA_EXCEEDED
        draw = self._rng.random()
        key = (to, self._subject(kwargs))
        if self._per_message[key] >= self.max_transient_per_message:
            return None
        fault = None
        if draw < self.throttle:
            fault = THROTTLED
        elif draw < self.throttle + self.server_errors:
            fault = INTERNAL_FAILURE if self._rng.random() < 0.5 else UNAVAILABLE
        if fault is not None:
            self._per_message[key] += 1
        return fault

    def send_email(self, **kwargs: Any) -> Any:
        to = kwargs["Destination"]["ToAddresses"][0]
        with self._lock:
            self.calls += 1
            fault = self._fault(to, kwargs)
            if fault is not None:
                self.injected[fault.code] += 1
                raise client_error("SendEmail", fault.code, fault.message, fault.status, client=self.client)
        response = self.client.send_email(**kwargs)
        with self._lock:
            self.accepted.append((to, response["MessageId"]))
            self._per_day[datetime.now(UTC).date().isoformat()] += 1
            if self.timeout_after_send(to):
                self.injected["ReadTimeoutAfterSend"] += 1
                raise ReadTimeoutError(
                    endpoint_url="https://email.eu-west-1.amazonaws.com/v2/email/outbound-emails"
                )
        return response


# ---- DynamoDB: above the SDK ------------------------------------------------------------------------
@dataclass
class DynamoRule:
    operation: str  # the client method, e.g. "transact_write_items"
    when: Callable[[dict[str, Any]], bool]
    times: int
    error: Callable[[], BaseException] | None = None  # raised instead of forwarding
    before: Callable[[dict[str, Any]], None] | None = None  # a competing write that lands first
    label: str = ""


class FaultyDynamo:
    """A DynamoDB client for DynamoStore: the real (moto) client, plus rules.

    A rule with `error` raises it instead of sending the request: what the store sees once the
    SDK's retries are used up (or for errors the SDK does not retry, such as a cancelled
    transaction). A rule with `before` runs a competitor's write just before ours is forwarded, so
    our request meets a real condition failure in the backend. Each rule fires `times` times.
    """

    def __init__(self, client: Any) -> None:
        self._client = client
        self.rules: list[DynamoRule] = []
        self.injected: Counter[str] = Counter()
        self._lock = threading.Lock()

    def add(self, rule: DynamoRule) -> DynamoRule:
        self.rules.append(rule)
        return rule

    def fail(
        self,
        operation: str,
        error: Callable[[], BaseException],
        *,
        when: Callable[[dict[str, Any]], bool] = lambda kwargs: True,
        times: int = 1,
        label: str = "",
    ) -> DynamoRule:
        return self.add(DynamoRule(operation, when, times, error=error, label=label or operation))

    def race(
        self,
        operation: str,
        competitor: Callable[[dict[str, Any]], None],
        *,
        when: Callable[[dict[str, Any]], bool] = lambda kwargs: True,
        times: int = 1,
        label: str = "",
    ) -> DynamoRule:
        return self.add(DynamoRule(operation, when, times, before=competitor, label=label or operation))

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if not callable(attr) or name not in self._client.meta.method_to_api_mapping:
            return attr

        def call(**kwargs: Any) -> Any:
            rule = self._take(name, kwargs)
            if rule is not None:
                self.injected[rule.label] += 1
                if rule.before is not None:
                    rule.before(kwargs)
                if rule.error is not None:
                    raise rule.error()
            return attr(**kwargs)

        return call

    def _take(self, name: str, kwargs: dict[str, Any]) -> DynamoRule | None:
        with self._lock:
            for rule in self.rules:
                if rule.operation == name and rule.times > 0 and rule.when(kwargs):
                    rule.times -= 1
                    return rule
        return None

    def pending(self) -> int:
        return sum(r.times for r in self.rules)

    def provisioned_throughput_exceeded(self, operation: str) -> Callable[[], BaseException]:
        api = self._client.meta.method_to_api_mapping[operation]
        return lambda: client_error(
            api,
            "ProvisionedThroughputExceededException",
            "The level of configured provisioned throughput for the table was exceeded.",
            400,
            client=self._client,
        )

    def canceled(self, reasons: list[str]) -> Callable[[], BaseException]:
        return lambda: transaction_canceled(self._client, reasons)


# ---- DynamoDB: below the SDK (its retry policy sees the error) -------------------------------------------
class _Raw:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.data


class WireFaults:
    """Error answers injected at botocore's `before-send`, where moto (or the network) takes the request.

    The client's own retry policy (bootstrap builds DynamoDB clients in standard mode, 5 attempts)
    then retries as it would against AWS; `instant_sdk_backoff` records its sleeps instead of waiting.

    - `add(op, code)`: DynamoDB refused the request (throttled, over capacity): it was not applied.
    - `add(op, code, applied=True)`: DynamoDB applied the request and the answer was lost (a 500
      after the commit, a reset connection). The SDK retries the same request: a TransactWriteItems
      carries the ClientRequestToken botocore generated for it, and, as DynamoDB does for ten
      minutes, a request with a committed token is answered as the same transaction (moto does not
      model this, so it is done here); any other request is simply executed again.
    """

    def __init__(self, client: Any) -> None:
        self.client = client
        self.plan: dict[str, list[tuple[str, int, bool]]] = {}
        self.injected: Counter[str] = Counter()
        self.requests: Counter[str] = Counter()
        self.replayed_tokens = 0
        self._committed: set[str] = set()
        _answer_before_moto()
        service = client.meta.service_model.service_id.hyphenize()
        # botocore calls every before-send handler and takes the first answer; this one is more
        # specific than moto's, so it answers first, and moto skips the requests it answered.
        client.meta.events.register_first(f"before-send.{service}", self._before_send)

    def add(
        self, operation: str, code: str, *, status: int = 400, times: int = 1, applied: bool = False
    ) -> None:
        """The next `times` requests of `operation` (API name, e.g. "PutItem") get this error answer."""
        self.plan.setdefault(operation, []).extend([(code, status, applied)] * times)

    def _before_send(self, request: Any, **kwargs: Any) -> Any:
        from moto.core.models import botocore_stubber

        operation = kwargs.get("event_name", "").rsplit(".", 1)[-1]  # before-send.dynamodb.PutItem
        self.requests[operation] += 1
        token = None
        if operation == "TransactWriteItems":
            token = json.loads(request.body or b"{}").get("ClientRequestToken")
            if token in self._committed:
                self.replayed_tokens += 1
                _ANSWERED.add(request)
                return _response(request.url, 200, "{}")
        queue = self.plan.get(operation)
        if not queue:
            return None
        code, status, applied = queue.pop(0)
        self.injected[f"{operation}:{code}{' (applied)' if applied else ''}"] += 1
        _ANSWERED.add(request)
        if applied:
            answered = botocore_stubber.process_request(request)  # moto executes it; the answer is lost
            if answered is not None and answered[0] == 200 and token:
                self._committed.add(token)
        body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": "fault injected"})
        return _response(request.url, status, body)


_ANSWERED: weakref.WeakSet[Any] = weakref.WeakSet()


def _response(url: str, status: int, body: str) -> Any:
    from botocore.awsrequest import AWSResponse, HTTPHeaders

    headers = HTTPHeaders()
    headers["x-amzn-RequestId"] = "fault-injected"
    headers["content-type"] = "application/x-amz-json-1.0"
    return AWSResponse(url, status, headers, _Raw(body.encode()))


def _answer_before_moto() -> None:
    """Let moto's before-send hook pass over the requests WireFaults answered (once per process)."""
    from moto.core.botocore_stubber import BotocoreStubber

    if getattr(BotocoreStubber.__call__, "_skips_answered", False):
        return
    original = BotocoreStubber.__call__

    def __call__(self: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
        if request in _ANSWERED:
            return None
        return original(self, event_name, request, **kwargs)

    __call__._skips_answered = True  # type: ignore[attr-defined]
    BotocoreStubber.__call__ = __call__  # type: ignore[method-assign]


@contextmanager
def instant_sdk_backoff() -> Iterator[list[float]]:
    """botocore sleeps between retries (`time.sleep` in botocore.endpoint); record the delays instead."""
    import time as real_time

    import botocore.endpoint as endpoint

    delays: list[float] = []

    class _Time:
        def __getattr__(self, name: str) -> Any:
            return getattr(real_time, name)

        @staticmethod
        def sleep(seconds: float) -> None:
            delays.append(seconds)

    saved = endpoint.time  # type: ignore[attr-defined]  # botocore.endpoint does `import time`
    endpoint.time = _Time()  # type: ignore[attr-defined]
    try:
        yield delays
    finally:
        endpoint.time = saved  # type: ignore[attr-defined]


# ---- crash windows -------------------------------------------------------------------------------------
@dataclass
class CrashAfterSend:
    """A mailer that sends for real, then the process dies before the caller sees the message id."""

    mailer: Any
    crashes: int = 1
    sent: list[str] = field(default_factory=list)

    def send(self, message: Any) -> str:
        message_id: str = self.mailer.send(message)
        self.sent.append(message.to_address)
        if self.crashes > 0:
            self.crashes -= 1
            raise ProcessKilled(f"killed after SES accepted {message_id}")
        return message_id


@dataclass
class CrashBeforeSend:
    """The process dies after the claim, before the request reaches SES."""

    mailer: Any
    crashes: int = 1

    def send(self, message: Any) -> str:
        if self.crashes > 0:
            self.crashes -= 1
            raise ProcessKilled("killed before the send")
        return str(self.mailer.send(message))


class CrashingStore:
    """The real store, except that writing a step as `state` fails (a DynamoDB outage after the
    SES call, or `ProcessKilled`) for the next `times` such writes."""

    def __init__(self, store: Any, *, state: str, error: Callable[[], BaseException], times: int = 1) -> None:
        self._store = store
        self._state = state
        self._error = error
        self.times = times

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def replace_step(self, old: Any, new: Any) -> bool:
        if self.times > 0 and new.state.value == self._state:
            self.times -= 1
            raise self._error()
        return bool(self._store.replace_step(old, new))
