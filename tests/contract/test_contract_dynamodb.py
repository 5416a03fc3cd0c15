"""DynamoDB through the contract layer: keys, items, transactions, batches, queries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from nearmiss_local import contract

from tests.contract.conftest import TABLE
from tests.contract.support import refused

HASH_TOO_LONG = (  # sic: "of2048" is AWS's own wording
    "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of"
    "2048 bytes"
)
RANGE_TOO_LONG = (
    "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size "
    "limit of 1024 bytes"
)
SCHEMA = "The provided key element does not match the schema"
EMPTY = (
    "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an "
    "empty string value. Key: {}"
)


def key(pk: Any = "CAND#ada", sk: Any = "PROFILE") -> dict[str, Any]:
    def typed(value: Any) -> Any:
        return value if isinstance(value, dict) else {"S": value}

    return {"pk": typed(pk), "sk": typed(sk)}


def validation(ddb: Any, call: Callable[[], Any], message: str | None = None, **kw: Any) -> None:
    refused(call, ddb.exceptions.ClientError, "ValidationException", 400, message, **kw)


# Each operation that names an item by its key, as a function of the key.
KEY_OPERATIONS: dict[str, Callable[[Any, dict[str, Any]], Any]] = {
    "GetItem": lambda c, k: c.get_item(TableName=TABLE, Key=k),
    "DeleteItem": lambda c, k: c.delete_item(TableName=TABLE, Key=k),
    "UpdateItem": lambda c, k: c.update_item(
        TableName=TABLE, Key=k, UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": {"S": "1"}}
    ),
    "ConditionCheck": lambda c, k: c.transact_write_items(
        TransactItems=[
            {
                "ConditionCheck": {
                    "TableName": TABLE,
                    "Key": k,
                    "ConditionExpression": "attribute_not_exists(x)",
                }
            }
        ]
    ),
    "TransactUpdate": lambda c, k: c.transact_write_items(
        TransactItems=[{"Update": {"TableName": TABLE, "Key": k, "UpdateExpression": "REMOVE v"}}]
    ),
    "BatchGetItem": lambda c, k: c.batch_get_item(RequestItems={TABLE: {"Keys": [k]}}),
    "BatchWriteDelete": lambda c, k: c.batch_write_item(
        RequestItems={TABLE: [{"DeleteRequest": {"Key": k}}]}
    ),
}
# Each operation that writes a whole item.
ITEM_OPERATIONS: dict[str, Callable[[Any, dict[str, Any]], Any]] = {
    "PutItem": lambda c, i: c.put_item(TableName=TABLE, Item=i),
    "TransactPut": lambda c, i: c.transact_write_items(
        TransactItems=[{"Put": {"TableName": TABLE, "Item": i}}]
    ),
    "BatchWritePut": lambda c, i: c.batch_write_item(RequestItems={TABLE: [{"PutRequest": {"Item": i}}]}),
}


# ---- dynamodb-key-schema ------------------------------------------------------------------------------
@pytest.mark.parametrize("operation", KEY_OPERATIONS)
@pytest.mark.parametrize(
    "bad_key",
    [
        {"pk": {"N": "1"}, "sk": {"S": "PROFILE"}},  # a number where the table declares a string
        {"pk": {"S": "CAND#ada"}},  # the sort key missing
        {"pk": {"S": "CAND#ada"}, "sk": {"S": "PROFILE"}, "kind": {"S": "x"}},  # not a key attribute
    ],
    ids=["wrong-type", "missing", "extra"],
)
def test_dynamodb_key_schema_is_the_tables(ddb: Any, operation: str, bad_key: dict[str, Any]) -> None:
    validation(ddb, lambda: KEY_OPERATIONS[operation](ddb, bad_key), SCHEMA)


@pytest.mark.parametrize("operation", KEY_OPERATIONS)
def test_dynamodb_key_schema_of_a_proper_key_passes(ddb: Any, operation: str) -> None:
    ddb.put_item(TableName=TABLE, Item={**key(), "v": {"S": "1"}})
    KEY_OPERATIONS[operation](ddb, key())


# ---- dynamodb-key-values ------------------------------------------------------------------------------
@pytest.mark.parametrize("operation", KEY_OPERATIONS)
@pytest.mark.parametrize(
    ("bad_key", "message"),
    [
        (key(pk=""), EMPTY.format("pk")),
        (key(sk=""), EMPTY.format("sk")),
        (key(pk="x" * 2049), HASH_TOO_LONG),
        (key(sk="é" * 513), RANGE_TOO_LONG),  # 1026 bytes of UTF-8 in 513 characters
    ],
    ids=["empty-hash", "empty-range", "long-hash", "long-range"],
)
def test_dynamodb_key_values_within_the_limits(ddb: Any, operation: str, bad_key: Any, message: str) -> None:
    validation(ddb, lambda: KEY_OPERATIONS[operation](ddb, bad_key), message)


@pytest.mark.parametrize("operation", KEY_OPERATIONS)
def test_dynamodb_key_values_at_the_limits_pass(ddb: Any, operation: str) -> None:
    KEY_OPERATIONS[operation](ddb, key(pk="x" * 2048, sk="y" * 1024))


# ---- dynamodb-item-table-keys ------------------------------------------------------------------------
@pytest.mark.parametrize("operation", ITEM_OPERATIONS)
@pytest.mark.parametrize(
    ("item", "message"),
    [
        (key(pk="x" * 2049), HASH_TOO_LONG),
        (key(sk="y" * 1025), RANGE_TOO_LONG),
        (
            {"pk": {"S": "CAND#ada"}},
            "One or more parameter values were invalid: Missing the key sk in the item",
        ),
        (
            key(pk={"N": "1"}),
            "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N",
        ),
        (key(pk=""), EMPTY.format("pk")),
    ],
    ids=["long-hash", "long-range", "missing", "wrong-type", "empty"],
)
def test_dynamodb_item_table_keys_are_checked(
    ddb: Any, operation: str, item: Any, message: str | None
) -> None:
    validation(ddb, lambda: ITEM_OPERATIONS[operation](ddb, item), message)


@pytest.mark.parametrize("operation", ITEM_OPERATIONS)
def test_dynamodb_item_table_keys_at_the_limits_pass(ddb: Any, operation: str) -> None:
    ITEM_OPERATIONS[operation](ddb, key(pk="x" * 2048, sk="y" * 1024))


# ---- dynamodb-index-keys ------------------------------------------------------------------------------
@pytest.mark.parametrize("operation", ITEM_OPERATIONS)
@pytest.mark.parametrize(
    ("index_keys", "message"),
    [
        (
            {"due_shard": {"N": "1"}, "due_at": {"S": "2026"}},
            "One or more parameter values were invalid: Type mismatch for Index Key due_shard Expected: S "
            "Actual: N IndexName: due",
        ),
        (
            {"due_shard": {"S": "D" * 2049}, "due_at": {"S": "2026"}},
            "One or more parameter values were invalid: Size limit exceeded for Index Key due_shard Actual "
            "Size: 2049 bytes Max Size: 2048 bytes IndexName: due",
        ),
        (
            {"due_shard": {"S": "DUE#1"}, "due_at": {"S": "t" * 1025}},
            "One or more parameter values were invalid: Size limit exceeded for Index Key due_at Actual "
            "Size: 1025 bytes Max Size: 1024 bytes IndexName: due",
        ),
    ],
    ids=["wrong-type", "long-hash", "long-range"],
)
def test_dynamodb_index_keys_of_the_declared_type_and_size(
    ddb: Any, operation: str, index_keys: dict[str, Any], message: str
) -> None:
    validation(ddb, lambda: ITEM_OPERATIONS[operation](ddb, {**key(), **index_keys}), message)


@pytest.mark.parametrize("operation", ITEM_OPERATIONS)
def test_dynamodb_index_keys_proper_pass(ddb: Any, operation: str) -> None:
    ITEM_OPERATIONS[operation](ddb, {**key(), "due_shard": {"S": "DUE#1"}, "due_at": {"S": "t" * 1024}})


# ---- dynamodb-update-index-keys -----------------------------------------------------------------------
UPDATE_OPERATIONS: dict[str, Callable[[Any, dict[str, Any]], Any]] = {
    "UpdateItem": lambda c, update: c.update_item(TableName=TABLE, Key=key(), **update),
    "TransactUpdate": lambda c, update: c.transact_write_items(
        TransactItems=[{"Update": {"TableName": TABLE, "Key": key(), **update}}]
    ),
}


def _setting(due_at: dict[str, Any]) -> dict[str, Any]:
    """An update as the one-write approval's: index keys set through names and values, among others."""
    return {
        "UpdateExpression": "SET #state = :approved, #v = #v + :one, due_at = :at, due_shard = :shard",
        "ExpressionAttributeNames": {"#state": "state", "#v": "version"},
        "ExpressionAttributeValues": {
            ":approved": {"S": "approved"},
            ":one": {"N": "1"},
            ":at": due_at,
            ":shard": {"S": "DUE#1"},
        },
    }


@pytest.mark.parametrize("operation", UPDATE_OPERATIONS)
@pytest.mark.parametrize(
    ("due_at", "message"),
    [
        (
            {"N": "1"},
            "One or more parameter values were invalid: Type mismatch for Index Key due_at Expected: S "
            "Actual: N IndexName: due",
        ),
        (
            {"S": "t" * 1025},
            "One or more parameter values were invalid: Size limit exceeded for Index Key due_at Actual "
            "Size: 1025 bytes Max Size: 1024 bytes IndexName: due",
        ),
    ],
    ids=["wrong-type", "long-range"],
)
def test_dynamodb_update_index_keys_of_the_declared_type_and_size(
    ddb: Any, operation: str, due_at: dict[str, Any], message: str
) -> None:
    ddb.put_item(TableName=TABLE, Item={**key(), "version": {"N": "1"}})
    validation(ddb, lambda: UPDATE_OPERATIONS[operation](ddb, _setting(due_at)), message)


@pytest.mark.parametrize("operation", UPDATE_OPERATIONS)
def test_dynamodb_update_index_keys_within_the_limits_pass(ddb: Any, operation: str) -> None:
    ddb.put_item(TableName=TABLE, Item={**key(), "version": {"N": "1"}})
    UPDATE_OPERATIONS[operation](ddb, _setting({"S": "t" * 1024}))
    item = ddb.get_item(TableName=TABLE, Key=key())["Item"]
    assert (item["due_at"], item["version"], item["state"]) == (
        {"S": "t" * 1024},
        {"N": "2"},
        {"S": "approved"},
    )


# ---- dynamodb-item-size -------------------------------------------------------------------------------
def test_dynamodb_item_size_is_computed_as_documented() -> None:
    item = {
        "pk": {"S": "CAND#ada"},  # 2 + 8
        "n": {"N": "-0012.3400"},  # 1 + (4 significant digits: 2 bytes) + 1
        "flag": {"BOOL": True},  # 4 + 1
        "l": {"L": [{"S": "ab"}, {"NULL": True}]},  # 1 + 3 + (1 + 2) + (1 + 1)
        "m": {"M": {"k": {"S": "v"}}},  # 1 + 3 + 1 + 1 + 1
        "ss": {"SS": ["a", "bc"]},  # 2 + 3
        "b": {"B": b"\x00\x01"},  # 1 + 2
    }
    assert contract.item_size(item) == 10 + 4 + 5 + 9 + 7 + 5 + 3


@pytest.mark.parametrize("operation", ITEM_OPERATIONS)
def test_dynamodb_item_size_above_400_kb_is_refused(ddb: Any, operation: str) -> None:
    # 380,000 bytes of text and a list of 14,800 NULLs: 409,617 bytes as DynamoDB counts (each list
    # element has a byte of overhead, the list 3), under 405,000 as moto counts.
    item = {**key(), "d": {"S": "z" * 380_000}, "l": {"L": [{"NULL": True}] * 14_800}}
    assert contract.item_size(item) > 400 * 1024
    validation(
        ddb, lambda: ITEM_OPERATIONS[operation](ddb, item), "Item size has exceeded the maximum allowed size"
    )


@pytest.mark.parametrize("operation", ITEM_OPERATIONS)
def test_dynamodb_item_size_of_a_large_item_passes(ddb: Any, operation: str) -> None:
    ITEM_OPERATIONS[operation](ddb, {**key(), "doc": {"S": "z" * 300_000}})


# ---- dynamodb-request-constraints ---------------------------------------------------------------------
def test_dynamodb_request_constraints_at_most_100_transaction_items(ddb: Any) -> None:
    items = [{"Put": {"TableName": TABLE, "Item": key(sk=f"STEP#{i}")}} for i in range(101)]
    validation(
        ddb,
        lambda: ddb.transact_write_items(TransactItems=items),
        contains="at 'transactItems' failed to satisfy constraint: Member must have length less than or "
        "equal to 100",
    )
    ddb.transact_write_items(TransactItems=items[:100])


def test_dynamodb_request_constraints_index_name_pattern(ddb: Any) -> None:
    validation(
        ddb,
        lambda: ddb.query(
            TableName=TABLE,
            IndexName="due index",
            KeyConditionExpression="due_shard = :s",
            ExpressionAttributeValues={":s": {"S": "DUE#1"}},
        ),
        "1 validation error detected: Value 'due index' at 'indexName' failed to satisfy constraint: Member "
        "must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
    )


# ---- dynamodb-transact-one-op-per-item (moto) ---------------------------------------------------------
def test_dynamodb_transact_one_op_per_item(ddb: Any) -> None:
    check = {
        "ConditionCheck": {
            "TableName": TABLE,
            "Key": key(),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }
    validation(
        ddb,
        lambda: ddb.transact_write_items(TransactItems=[{"Put": {"TableName": TABLE, "Item": key()}}, check]),
        "Transaction request cannot include multiple operations on one item",
    )
    ddb.transact_write_items(TransactItems=[{"Put": {"TableName": TABLE, "Item": key(sk="OTHER")}}, check])


# ---- dynamodb-batch-write-limits ----------------------------------------------------------------------
def test_dynamodb_batch_write_limits_at_most_25_requests(ddb: Any) -> None:
    puts = [{"PutRequest": {"Item": key(sk=f"STEP#{i}")}} for i in range(26)]
    validation(
        ddb,
        lambda: ddb.batch_write_item(RequestItems={TABLE: puts}),
        contains="Member must have length less than or equal to 25",
    )
    assert ddb.batch_write_item(RequestItems={TABLE: puts[:25]})["UnprocessedItems"] == {}


def test_dynamodb_batch_write_limits_count_all_tables(ddb: Any) -> None:
    ddb.create_table(
        TableName="other",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
    )
    requests = {
        TABLE: [{"PutRequest": {"Item": key(sk=f"STEP#{i}")}} for i in range(13)],
        "other": [{"PutRequest": {"Item": {"id": {"S": str(i)}}}} for i in range(13)],
    }
    validation(
        ddb,
        lambda: ddb.batch_write_item(RequestItems=requests),
        "Too many items requested for the BatchWriteItem call",
    )


def test_dynamodb_batch_write_limits_no_item_twice(ddb: Any) -> None:
    twice = [{"PutRequest": {"Item": {**key(), "v": {"S": "1"}}}}, {"DeleteRequest": {"Key": key()}}]
    validation(
        ddb,
        lambda: ddb.batch_write_item(RequestItems={TABLE: twice}),
        "Provided list of item keys contains duplicates",
    )
    ddb.batch_write_item(RequestItems={TABLE: [twice[0], {"DeleteRequest": {"Key": key(sk="OTHER")}}]})


# ---- dynamodb-transact-size ---------------------------------------------------------------------------
def test_dynamodb_transact_size_above_4_mb_in_all_is_refused(ddb: Any) -> None:
    # Eleven items of 390,000 bytes of text: each under 400 KB, 4.29 million bytes in all
    items = [
        {"Put": {"TableName": TABLE, "Item": {**key(sk=f"STEP#{i}"), "d": {"S": "z" * 390_000}}}}
        for i in range(11)
    ]
    assert sum(contract.item_size(i["Put"]["Item"]) for i in items) > 4 * 1024 * 1024
    validation(
        ddb,
        lambda: ddb.transact_write_items(TransactItems=items),
        "The aggregate size of the items in the transaction cannot exceed 4 MB",
    )
    assert "Item" not in ddb.get_item(TableName=TABLE, Key=key(sk="STEP#0"))


def test_dynamodb_transact_size_of_ten_large_items_passes(ddb: Any) -> None:
    items = [
        {"Put": {"TableName": TABLE, "Item": {**key(sk=f"STEP#{i}"), "d": {"S": "z" * 390_000}}}}
        for i in range(10)
    ]
    ddb.transact_write_items(TransactItems=items)
    assert "Item" in ddb.get_item(TableName=TABLE, Key=key(sk="STEP#9"))


# ---- dynamodb-transact-unused-expression-attributes ---------------------------------------------------
def test_dynamodb_transact_unused_expression_attributes_a_value_is_refused(ddb: Any) -> None:
    update = {
        "TableName": TABLE,
        "Key": key(),
        "UpdateExpression": "SET #v = :v",
        "ExpressionAttributeNames": {"#v": "v"},
        "ExpressionAttributeValues": {":v": {"S": "1"}, ":spare": {"S": "2"}},
    }
    validation(
        ddb,
        lambda: ddb.transact_write_items(TransactItems=[{"Update": update}]),
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:spare}",
    )
    del update["ExpressionAttributeValues"][":spare"]
    ddb.transact_write_items(TransactItems=[{"Update": update}])
    assert ddb.get_item(TableName=TABLE, Key=key())["Item"]["v"] == {"S": "1"}


def test_dynamodb_transact_unused_expression_attributes_a_name_is_refused(ddb: Any) -> None:
    check = {
        "TableName": TABLE,
        "Key": key(),
        "ConditionExpression": "attribute_not_exists(pk)",
        "ExpressionAttributeNames": {"#spare": "v"},
    }
    validation(
        ddb,
        lambda: ddb.transact_write_items(TransactItems=[{"ConditionCheck": check}]),
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#spare}",
    )


# ---- dynamodb-batch-get-limits ------------------------------------------------------------------------
def test_dynamodb_batch_get_limits_at_most_100_keys(ddb: Any) -> None:
    keys = [key(sk=f"STEP#{i}") for i in range(101)]
    validation(
        ddb,
        lambda: ddb.batch_get_item(RequestItems={TABLE: {"Keys": keys}}),
        contains="less than or equal to 100",
    )
    ddb.batch_get_item(RequestItems={TABLE: {"Keys": keys[:100]}})


def test_dynamodb_batch_get_limits_count_all_tables(ddb: Any) -> None:
    ddb.create_table(
        TableName="other",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
    )
    wanted = {
        TABLE: {"Keys": [key(sk=f"STEP#{i}") for i in range(60)]},
        "other": {"Keys": [{"id": {"S": str(i)}} for i in range(60)]},
    }
    validation(
        ddb,
        lambda: ddb.batch_get_item(RequestItems=wanted),
        "Too many items requested for the BatchGetItem call",
    )


# ---- dynamodb-query-key-condition ---------------------------------------------------------------------
def query(ddb: Any, expression: str, values: dict[str, Any], **kw: Any) -> Any:
    return ddb.query(
        TableName=TABLE, KeyConditionExpression=expression, ExpressionAttributeValues=values, **kw
    )


@pytest.mark.parametrize(
    ("expression", "values", "kw", "message"),
    [
        (
            "pk = :p",
            {":p": {"N": "1"}},
            {},
            "One or more parameter values were invalid: Condition parameter type does not match schema type",
        ),
        (
            "#s = :s AND due_at <= :t",
            {":s": {"N": "1"}, ":t": {"S": "2026"}},
            {"IndexName": "due", "ExpressionAttributeNames": {"#s": "due_shard"}},
            "One or more parameter values were invalid: Condition parameter type does not match schema type",
        ),
        ("pk = :p", {":p": {"S": ""}}, {}, EMPTY.format("pk")),
        ("pk = :p", {":p": {"S": "x" * 2049}}, {}, HASH_TOO_LONG),
        ("pk = :p AND sk = :s", {":p": {"S": "a"}, ":s": {"S": "y" * 1025}}, {}, RANGE_TOO_LONG),
        (
            "pk = :p AND sk BETWEEN :a AND :b",
            {":p": {"S": "a"}, ":a": {"S": "a"}, ":b": {"S": "y" * 1025}},
            {},
            RANGE_TOO_LONG,
        ),
        (
            "pk = :p AND begins_with(sk, :s)",
            {":p": {"S": "a"}, ":s": {"N": "1"}},
            {},
            "One or more parameter values were invalid: Condition parameter type does not match schema type",
        ),
    ],
    ids=["hash-type", "index-hash-type", "empty", "long-hash", "long-range", "between", "begins-with"],
)
def test_dynamodb_query_key_condition_matches_the_keys(
    ddb: Any, expression: str, values: Any, kw: Any, message: str
) -> None:
    validation(ddb, lambda: query(ddb, expression, values, **kw), message)


def test_dynamodb_query_key_condition_proper_passes(ddb: Any) -> None:
    ddb.put_item(TableName=TABLE, Item={**key(), "due_shard": {"S": "DUE#1"}, "due_at": {"S": "2026-11-25"}})
    assert (
        query(ddb, "pk = :p AND begins_with(sk, :s)", {":p": {"S": "CAND#ada"}, ":s": {"S": "PRO"}})["Count"]
        == 1
    )
    due = query(
        ddb,
        "due_shard = :s AND due_at <= :t",
        {":s": {"S": "DUE#1"}, ":t": {"S": "2026-12-01"}},
        IndexName="due",
    )
    assert due["Count"] == 1
    legacy = ddb.query(
        TableName=TABLE,
        KeyConditions={"pk": {"AttributeValueList": [{"S": "CAND#ada"}], "ComparisonOperator": "EQ"}},
    )
    assert legacy["Count"] == 1
    validation(
        ddb,
        lambda: ddb.query(
            TableName=TABLE,
            KeyConditions={"pk": {"AttributeValueList": [{"N": "1"}], "ComparisonOperator": "EQ"}},
        ),
        "One or more parameter values were invalid: Condition parameter type does not match schema type",
    )


def test_dynamodb_an_empty_string_set_is_refused_in_an_update(ddb: Any) -> None:
    # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html
    # "empty sets are not supported": the member's summary (adapters/dynamo.py add_to_summary) adds
    # its entries as a string set, so it never sends an empty one (moto refuses it as AWS does).
    validation(
        ddb,
        lambda: ddb.update_item(
            TableName=TABLE,
            Key=key("APP#ada#northwind", "NOTICE#summary#2026-11-25"),
            UpdateExpression="ADD #e :e",
            ExpressionAttributeNames={"#e": "entries"},
            ExpressionAttributeValues={":e": {"SS": []}},
        ),
        contains="An string set  may not be empty",  # sic: AWS's own wording
    )


def test_dynamodb_a_string_set_adds_each_value_once_and_returns_the_new_item(ddb: Any) -> None:
    def add(*values: str) -> Any:
        return ddb.update_item(
            TableName=TABLE,
            Key=key("APP#ada#northwind", "NOTICE#summary#2026-11-25"),
            UpdateExpression="ADD #e :e, #v :one",
            ExpressionAttributeNames={"#e": "entries", "#v": "version"},
            ExpressionAttributeValues={":e": {"SS": list(values)}, ":one": {"N": "1"}},
            ReturnValues="ALL_NEW",
        )["Attributes"]

    add("a", "b")
    item = add("b", "c")  # a retried run adds "b" again: one entry
    assert sorted(item["entries"]["SS"]) == ["a", "b", "c"] and item["version"] == {"N": "2"}


def test_dynamodb_batch_get_limits_no_key_twice(ddb: Any) -> None:
    # The start's and a decision's reads (adapters/dynamo.py _get_many) ask for each key once.
    validation(
        ddb,
        lambda: ddb.batch_get_item(RequestItems={TABLE: {"Keys": [key(), key(sk="KEY"), key()]}}),
        "Provided list of item keys contains duplicates",
    )
    ddb.batch_get_item(RequestItems={TABLE: {"Keys": [key(), key(sk="KEY")], "ConsistentRead": True}})


def test_dynamodb_a_transaction_updates_a_string_set_and_its_last_value_deleted_removes_it(ddb: Any) -> None:
    """An application's state item (adapters/dynamo.py `_state`): written by Update items of the
    transactions that hold, start or release a rejection; ADD creates the item and the set, DELETE of
    the set's last value removes the attribute (a set is never empty), REMOVE of an absent one is
    nothing. One item once per transaction (moto refuses a second operation on it, as AWS does)."""
    state = key(sk="APPSTATE#northwind")

    def change(expression: str, values: dict[str, Any] | None = None) -> dict[str, Any]:
        update: dict[str, Any] = {"TableName": TABLE, "Key": state, "UpdateExpression": expression}
        if values:
            update["ExpressionAttributeValues"] = values
        return {"Update": update}

    wait = {":w": {"SS": ["2026-11-25T00:00:00.000000Z"]}}
    ddb.transact_write_items(
        TransactItems=[
            change("SET kind = :k ADD waiting :w", {":k": {"S": "application-state"}, **wait}),
            {"Put": {"TableName": TABLE, "Item": {**key(pk="APP#ada#northwind", sk="WAIT#1")}}},
        ]
    )
    assert ddb.get_item(TableName=TABLE, Key=state)["Item"]["waiting"] == wait[":w"]
    ddb.transact_write_items(TransactItems=[change("DELETE waiting :w REMOVE held_since", wait)])
    assert "waiting" not in ddb.get_item(TableName=TABLE, Key=state)["Item"]
    validation(
        ddb,
        lambda: ddb.transact_write_items(
            TransactItems=[change("REMOVE held_since"), {"Delete": {"TableName": TABLE, "Key": state}}]
        ),
        contains="multiple operations on one item",
    )
