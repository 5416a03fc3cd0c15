"""Count the AWS requests our code makes, with botocore event hooks, and estimate what they cost.

`install()` appends two hooks to botocore's BUILTIN_HANDLERS, so every botocore session created
afterwards has them (the handlers' clients, Powertools' own secrets client, the harness's clients):

- `provide-client-params.*.*` sees the API parameters before validation. For DynamoDB it records
  the item sizes written and asks for `ReturnConsumedCapacity=TOTAL` (moto then reports its numbers).
- `after-call.*.*` sees the parsed response: items read, Count/ScannedCount, ConsumedCapacity.

Each request is attributed to whoever is current in `ATTRIBUTION` (a function's logical id while
its handler runs, "harness" otherwise) and to the current `PHASE`.

Capacity is estimated from item sizes with DynamoDB's published rules, because moto reports fixed
placeholder units (1.0 per write, 0.5 per query) whatever the size:
  reads: 4 KB units; eventually consistent (GSI queries) half a unit; a Query is billed on the sum
         of the item sizes it returns, rounded up to 4 KB; an item not found still costs one unit.
  writes: 1 KB units; transactional writes (TransactWriteItems) cost two units per KB, and a
          ConditionCheck item is billed as a transactional write of at least 1 KB (assumption).
  GSI "due" (projection ALL): a write that puts an item into the index, changes it in the index or
          removes it from the index costs index writes on top: put = new size, delete = old size,
          a changed index key = both (DynamoDB docs, "Provisioned throughput considerations for GSIs").
          Index writes caused by a transaction are counted at the standard (1x) rate (assumption).
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

ATTRIBUTION = threading.local()
GSI_KEYS = ("due_shard", "due_at")
INDEX_NAME = "due"


def current_owner() -> str:
    return getattr(ATTRIBUTION, "owner", "harness")


def current_phase() -> str:
    return getattr(ATTRIBUTION, "phase", "")


class owner:
    """Context manager: requests made inside are attributed to `name` (and optionally a phase)."""

    def __init__(self, name: str, phase: str | None = None) -> None:
        self.name, self.phase = name, phase

    def __enter__(self) -> None:
        self.saved = (current_owner(), current_phase())
        ATTRIBUTION.owner = self.name
        if self.phase is not None:
            ATTRIBUTION.phase = self.phase

    def __exit__(self, *exc: object) -> None:
        ATTRIBUTION.owner, ATTRIBUTION.phase = self.saved


def set_phase(phase: str) -> None:
    ATTRIBUTION.phase = phase


# ---- DynamoDB item size (developer guide: "Item sizes and formats") -----------------------------
def _value_size(value: dict[str, Any]) -> int:
    ((kind, v),) = value.items()
    if kind == "S":
        return len(v.encode())
    if kind == "N":
        digits = len(str(v).lstrip("-").replace(".", "").lstrip("0")) or 1
        return math.ceil(digits / 2) + 1
    if kind == "B":
        return len(v)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(_value_size({kind[0]: x}) for x in v)
    if kind == "M":
        return 3 + sum(len(k.encode()) + _value_size(x) + 1 for k, x in v.items())
    if kind == "L":
        return 3 + sum(_value_size(x) + 1 for x in v)
    return 0


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _kb_units(size: int, unit: int) -> int:
    return max(1, math.ceil(size / unit))


@dataclass
class Request:
    owner: str
    phase: str
    service: str
    operation: str
    rru: float = 0.0
    wru: float = 0.0
    moto_units: float | None = None
    items_read: int = 0
    scanned: int = 0
    bytes_written: int = 0
    bus_entries: int = 0
    index: str | None = None
    error: str | None = None


@dataclass
class Counter_:
    requests: list[Request] = field(default_factory=list)
    shadow: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (pk, sk) -> item
    enabled: bool = True
    _pending: dict[int, Request] = field(default_factory=dict)

    # ---- hooks -----------------------------------------------------------------------------------
    def on_params(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        if not self.enabled:
            return
        service = model.service_model.service_name
        request = Request(current_owner(), current_phase(), service, model.name)
        context["bench_request"] = request
        if service == "dynamodb":
            if model.name in (
                "GetItem",
                "PutItem",
                "UpdateItem",
                "DeleteItem",
                "Query",
                "Scan",
                "BatchGetItem",
                "BatchWriteItem",
                "TransactWriteItems",
                "TransactGetItems",
            ):
                params.setdefault("ReturnConsumedCapacity", "TOTAL")
            self._estimate_writes(request, params)
            request.index = params.get("IndexName")
            context["bench_params"] = params
        elif service == "events" and model.name == "PutEvents":
            request.bus_entries = len(params.get("Entries", []))

    def on_after(self, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        request = context.get("bench_request")
        if request is None or not self.enabled:
            return
        error = parsed.get("Error", {}).get("Code") if isinstance(parsed, dict) else None
        request.error = error
        if request.service == "dynamodb":
            self._after_dynamo(request, context.get("bench_params", {}), parsed)
        self.requests.append(request)

    # ---- DynamoDB estimates -------------------------------------------------------------------------
    def _key(self, item_or_key: dict[str, Any]) -> tuple[str, str]:
        return item_or_key["pk"]["S"], item_or_key["sk"]["S"]

    def _index_cost(self, old: dict[str, Any] | None, new: dict[str, Any] | None) -> int:
        def indexed(item: dict[str, Any] | None) -> bool:
            return item is not None and all(k in item for k in GSI_KEYS)

        was, now = indexed(old), indexed(new)
        cost = 0
        if was and now:
            assert old is not None
            assert new is not None
            same_key = all(old[k] == new[k] for k in GSI_KEYS)
            cost += (
                _kb_units(item_size(new), 1024)
                if same_key
                else (_kb_units(item_size(old), 1024) + _kb_units(item_size(new), 1024))
            )
        elif was:
            assert old is not None
            cost += _kb_units(item_size(old), 1024)
        elif now:
            assert new is not None
            cost += _kb_units(item_size(new), 1024)
        return cost

    def _estimate_writes(self, request: Request, params: dict[str, Any]) -> None:
        """Write units are estimated when the request is made (applied to the shadow only on success)."""
        op = request.operation
        if op == "PutItem":
            item = params["Item"]
            size = item_size(item)
            request.bytes_written = size
            request.wru = _kb_units(size, 1024)
        elif op == "UpdateItem":
            request.wru = 1  # our only UpdateItem writes the small STOP marker
        elif op == "BatchWriteItem":
            for table_requests in params.get("RequestItems", {}).values():
                for r in table_requests:
                    if "PutRequest" in r:
                        size = item_size(r["PutRequest"]["Item"])
                        request.bytes_written += size
                        request.wru += _kb_units(size, 1024)
                    else:
                        request.wru += 1
        elif op == "TransactWriteItems":
            for entry in params.get("TransactItems", []):
                if "Put" in entry:
                    size = item_size(entry["Put"]["Item"])
                    request.bytes_written += size
                    request.wru += 2 * _kb_units(size, 1024)
                elif "ConditionCheck" in entry:
                    existing = self.shadow.get(self._key(entry["ConditionCheck"]["Key"]))
                    request.wru += 2 * _kb_units(item_size(existing) if existing else 0, 1024)
                else:
                    request.wru += 2

    def _apply_put(self, request: Request, item: dict[str, Any]) -> None:
        key = self._key(item)
        request.wru += self._index_cost(self.shadow.get(key), item)
        self.shadow[key] = item

    def _after_dynamo(self, request: Request, params: dict[str, Any], parsed: dict[str, Any]) -> None:
        op = request.operation
        consumed = parsed.get("ConsumedCapacity")
        if isinstance(consumed, dict):
            request.moto_units = float(consumed.get("CapacityUnits", 0))
        elif isinstance(consumed, list):
            request.moto_units = float(sum(c.get("CapacityUnits", 0) for c in consumed))
        ok = request.error is None
        consistent = bool(params.get("ConsistentRead"))
        factor = 1.0 if consistent else 0.5
        if op == "GetItem":
            item = parsed.get("Item")
            request.items_read = 1 if item else 0
            request.rru = factor * _kb_units(item_size(item) if item else 0, 4096)
        elif op == "BatchGetItem":
            for items in parsed.get("Responses", {}).values():
                for item in items:
                    request.items_read += 1
                    request.rru += factor * _kb_units(item_size(item), 4096)
            requested = sum(len(t.get("Keys", [])) for t in params.get("RequestItems", {}).values())
            request.rru += factor * max(0, requested - request.items_read)  # keys not found: one unit each
        elif op in ("Query", "Scan"):
            items = parsed.get("Items", [])
            request.items_read = len(items)
            request.scanned = int(parsed.get("ScannedCount", len(items)))
            total = sum(item_size(i) for i in items)
            request.rru = factor * _kb_units(total, 4096)
        elif op == "PutItem" and ok:
            self._apply_put(request, params["Item"])
        elif op == "BatchWriteItem" and ok:
            for table_requests in params.get("RequestItems", {}).values():
                for r in table_requests:
                    if "PutRequest" in r:
                        self._apply_put(request, r["PutRequest"]["Item"])
        elif op == "TransactWriteItems" and ok:
            for entry in params.get("TransactItems", []):
                if "Put" in entry:
                    self._apply_put(request, entry["Put"]["Item"])

    # ---- summaries -----------------------------------------------------------------------------------
    def select(self, *, owners: set[str] | None = None, exclude_owner: str | None = None) -> list[Request]:
        return [
            r
            for r in self.requests
            if (owners is None or r.owner in owners) and (exclude_owner is None or r.owner != exclude_owner)
        ]

    @staticmethod
    def by_operation(requests: list[Request]) -> dict[str, int]:
        return dict(sorted(Counter(f"{r.service}.{r.operation}" for r in requests).items()))

    @staticmethod
    def by_owner_operation(requests: list[Request]) -> dict[str, dict[str, int]]:
        out: dict[str, Counter[str]] = defaultdict(Counter)
        for r in requests:
            out[r.owner][f"{r.service}.{r.operation}"] += 1
        return {k: dict(sorted(v.items())) for k, v in sorted(out.items())}


COUNTER = Counter_()
_installed = False


def install() -> Counter_:
    """Register the hooks for every botocore session created from now on (call before any client)."""
    global _installed
    if not _installed:
        from botocore.handlers import BUILTIN_HANDLERS

        BUILTIN_HANDLERS.append(("provide-client-params", COUNTER.on_params))
        BUILTIN_HANDLERS.append(("after-call", COUNTER.on_after))
        _installed = True
    return COUNTER


class MotoClock:
    """Time spent inside moto's request processing (its before-send stubber), per thread of control."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.cpu_seconds = 0.0
        self.calls = 0
        self.installed = False

    def install(self) -> MotoClock:
        if self.installed:
            return self
        self.installed = True
        from moto.core.models import botocore_stubber

        original = botocore_stubber.process_request
        clock = self

        def timed(request: Any) -> Any:
            started, cpu = time.perf_counter(), time.thread_time()
            try:
                return original(request)
            finally:
                clock.seconds += time.perf_counter() - started
                clock.cpu_seconds += time.thread_time() - cpu
                clock.calls += 1

        botocore_stubber.process_request = timed  # type: ignore[method-assign]
        return self

    def reset(self) -> None:
        self.seconds, self.cpu_seconds, self.calls = 0.0, 0.0, 0


MOTO = MotoClock()
