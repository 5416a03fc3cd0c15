"""Bench-only: make moto's TransactWriteItems cost what DynamoDB's does, independent of the table size.

moto 5.2.5 backs up every table a transaction touches with `copy.deepcopy(table)`, once per item of
the transaction, so a 5-item claim on a table of 100,000 items deep-copies 500,000 items (seconds
per claim). DynamoDB's cost for a transaction depends on the items it names, not on the table. This
patch snapshots only the items a transaction names and restores those if it is cancelled; the
transaction logic itself (conditions, cancellation reasons, writes) is moto's, unchanged.

moto's GSI Query still visits every item of the table (also unlike DynamoDB); that is not patched but
timed (awscount.MotoClock) and reported apart.
"""

from __future__ import annotations

import copy
from typing import Any

_applied = False


class _NoCopy:
    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        return value


def apply() -> None:
    global _applied
    if _applied:
        return
    import moto.dynamodb.models as models
    from moto.dynamodb.models import DynamoDBBackend

    original = DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
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
        models.copy = _NoCopy  # type: ignore[assignment]  # moto's "backup" becomes the live table
        try:
            return original(self, transact_items)  # type: ignore[no-any-return]
        except Exception:
            for table_name, key, attrs in reversed(saved):  # restore only what the transaction named
                if attrs is None:
                    self.delete_item(table_name, key)
                else:
                    self.put_item(table_name, attrs)
            raise
        finally:
            models.copy = copy  # type: ignore[assignment]

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    _applied = True
