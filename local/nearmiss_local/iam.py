"""Each function's IAM role, enforced on the embedded default: an AWS call its policies do not allow is
refused with AccessDenied, as Lambda's execution role would refuse it.

The roles are read from the template as SAM translates it (`check_template.translate`), so policy
templates (`EventBridgePutEventsPolicy`), EventInvokeConfig destinations and managed policies expand
exactly as they will in the account. Actions are matched as IAM matches them (wildcards, case-
insensitive); resources are not matched here (their ARNs exist only in the account), so a statement
on the wrong resource still passes locally: the template test checks the resources instead.

A request made while no function runs (the harness, a test setting up data) is not checked.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from nearmiss_local.template_model import TEMPLATE

_acting: ContextVar[str | None] = ContextVar("nearmiss_local_iam_acting", default=None)

# DynamoDB checks a transaction against the action of each item in it (there is no IAM action
# "TransactWriteItems"): https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html
TRANSACT_ITEM_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}
# Error codes per service for an explicit or implicit deny.
DENIED_CODES = {"sqs": "AccessDenied", "s3": "AccessDenied"}


@dataclass(frozen=True)
class Role:
    function: str
    actions: tuple[str, ...]

    def allows(self, action: str) -> bool:
        wanted = action.lower()
        return any(fnmatch.fnmatchcase(wanted, pattern.lower()) for pattern in self.actions)


# The actions of AWS managed policies SAM attaches (they are not in the template).
MANAGED_POLICY_ACTIONS = {
    "AWSLambdaBasicExecutionRole": ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"),
    "AWSXrayWriteOnlyAccess": ("xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:Get*"),
}


def roles_from(cfn: Mapping[str, Any]) -> dict[str, Role]:
    """Function logical id -> the actions its execution role allows, from a translated template."""
    resources = cfn["Resources"]
    roles: dict[str, Role] = {}
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        role_ref = resource["Properties"]["Role"]
        role_id = role_ref["Fn::GetAtt"][0] if isinstance(role_ref, dict) else None
        role = resources.get(role_id or "", {}).get("Properties", {})
        actions: list[str] = []
        for policy in role.get("Policies", []):
            statements = policy["PolicyDocument"]["Statement"]
            for statement in statements if isinstance(statements, list) else [statements]:
                if statement.get("Effect") != "Allow":
                    continue
                listed = statement.get("Action", [])
                actions.extend([listed] if isinstance(listed, str) else listed)
        for arn in role.get("ManagedPolicyArns", []):
            text = arn["Fn::Sub"] if isinstance(arn, dict) and "Fn::Sub" in arn else str(arn)
            name = text.rsplit("/", 1)[-1]
            actions.extend(MANAGED_POLICY_ACTIONS.get(name, ()))
        roles[logical_id] = Role(logical_id, tuple(actions))
    return roles


@lru_cache(maxsize=4)
def _roles_for(template_text: str) -> dict[str, Role]:
    from samtranslator.yaml_helper import yaml_parse

    from nearmiss_local.check_template import translate

    return roles_from(translate(yaml_parse(template_text)))


def template_roles() -> dict[str, Role]:
    return _roles_for(TEMPLATE.read_text())


def actions_of(iam_prefix: str, operation: str, params: Mapping[str, Any]) -> list[str]:
    """The IAM actions one API call needs."""
    if iam_prefix == "dynamodb" and operation in ("TransactWriteItems", "TransactGetItems"):
        needed = {
            f"dynamodb:{TRANSACT_ITEM_ACTIONS[kind]}"
            for item in params.get("TransactItems", [])
            for kind in item
            if kind in TRANSACT_ITEM_ACTIONS
        }
        return sorted(needed)
    return [f"{iam_prefix}:{operation}"]


class Enforcer:
    """Registered on botocore's `before-call`: answers a denied call with AWS's AccessDenied error."""

    def __init__(self, roles: Mapping[str, Role], *, account: str = "123456789012") -> None:
        self.roles = dict(roles)
        self.account = account

    def denied(self, iam_prefix: str, operation: str, params: Mapping[str, Any]) -> str | None:
        function = _acting.get()
        if function is None:
            return None
        role = self.roles.get(function)
        if role is None:
            return None
        for action in actions_of(iam_prefix, operation, params):
            if not role.allows(action):
                return (
                    f"User: arn:aws:sts::{self.account}:assumed-role/{function}Role/{function} is not "
                    f"authorized to perform: {action} because no identity-based policy allows the "
                    f"{action} action"
                )
        return None

    def __call__(self, model: Any, context: dict[str, Any] | None = None, **_: Any) -> Any:
        from nearmiss_local.responses import api_params, error_response

        prefix = model.service_model.signing_name
        message = self.denied(prefix, model.name, api_params(context))
        if message is None:
            return None
        code = DENIED_CODES.get(prefix, "AccessDeniedException")
        return error_response(403 if prefix in DENIED_CODES else 400, code, message)


@contextmanager
def acting_as(function: str) -> Iterator[None]:
    """AWS calls made inside run with `function`'s execution role."""
    token = _acting.set(function)
    try:
        yield
    finally:
        _acting.reset(token)
