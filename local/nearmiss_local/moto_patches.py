"""moto's TransactWriteItems, made to cost what DynamoDB's does: independent of the table's size.

moto 5.2.5 backs up every table a transaction touches with `copy.deepcopy(table)`, once per item of
the transaction, so a 5-item claim on a table of 100,000 items deep-copies 500,000 items (seconds
per claim), and the embedded default slows down as its table grows. DynamoDB's cost for a
transaction depends on the items it names. This patch snapshots only those items and restores them
if the transaction is cancelled; the transaction logic itself (conditions, cancellation reasons,
writes) is moto's, unchanged. Used by the local runtime, the benchmarks and the reliability suite.

Not thread-safe on its own (it swaps moto's `copy` module for the call): callers that run requests
in parallel serialise them (LocalServer's lock, the reliability suite's atomic_dynamodb).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

_applied = False
Transact = Callable[[Any, list[dict[str, Any]]], Any]


class _NoCopy:
    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        return value


def snapshotting(original: Transact) -> Transact:
    """`original` (moto's transact_write_items) with per-item snapshots instead of table copies."""
    import moto.dynamodb.models as models

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> Any:
        saved: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = []
        for entry in transact_items:
            op_type, op = next(iter(entry.items()))
            table_name = op.get("TableName")
            if table_name not in self.tables:
                continue
            table = self.get_table(table_name)
            if op_type == "Put":
                key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = op["Item"][table.range_key_attr]
            else:
                key = op["Key"]
            current = self.get_item(table_name, key)
            saved.append(
                (table_name, key, copy.deepcopy(current.to_json()["Attributes"]) if current else None)
            )
        models.copy = _NoCopy  # type: ignore[assignment,attr-defined]  # moto's "backup" becomes the live table
        try:
            return original(self, transact_items)
        except Exception:
            for table_name, key, attrs in reversed(saved):  # restore only what the transaction named
                if attrs is None:
                    self.delete_item(table_name, key)
                else:
                    self.put_item(table_name, attrs)
            raise
        finally:
            models.copy = copy  # type: ignore[assignment,attr-defined]

    return transact_write_items


def apply() -> None:
    """Patch moto for this process (once)."""
    global _applied
    if _applied:
        return
    from moto.dynamodb.models import DynamoDBBackend

    DynamoDBBackend.transact_write_items = snapshotting(DynamoDBBackend.transact_write_items)  # type: ignore[method-assign,assignment]
    _applied = True
