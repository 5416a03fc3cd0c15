"""The embedded default's botocore hooks, registered once per process on every client made afterwards.

In order, for each request: the call's API parameters are kept in its context (nearmiss_local.responses);
the AWS contract layer refuses what AWS would refuse (nearmiss_local.contract); the calling function's
execution role is enforced (nearmiss_local.iam); a Lambda `Invoke` runs the real handler of the function
it names on the current LocalStack. Only then does moto's own stubber see the request.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nearmiss_local.runtime import LocalStack

_installed = False
_stack: LocalStack | None = None
_enforcer: Any = None


def use_stack(stack: LocalStack | None) -> None:
    """The stack whose functions the hooks run and whose roles they enforce (None: no checks)."""
    global _stack, _enforcer
    _stack = stack
    if stack is None:
        _enforcer = None
        return
    from nearmiss_local import iam

    _enforcer = iam.Enforcer(iam.template_roles())


def install() -> None:
    """Register the hooks on botocore's built-in handlers (as moto does), once."""
    global _installed
    if _installed:
        return
    from botocore.handlers import BUILTIN_HANDLERS

    from nearmiss_local import responses

    BUILTIN_HANDLERS.append(("before-parameter-build", responses.remember_params))
    from nearmiss_local import contract

    contract.install()
    BUILTIN_HANDLERS.append(("before-call", _enforce_role))
    # On the service's node, after the contract's own handler there (so payload limits are checked first).
    BUILTIN_HANDLERS.append(("before-call.lambda", _invoke))
    _installed = True


def _enforce_role(model: Any, context: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    if _enforcer is None:
        return None
    return _enforcer(model=model, context=context, **kwargs)


def _invoke(model: Any, context: dict[str, Any] | None = None, **_: Any) -> Any:
    """Lambda Invoke on the local stack: the handler runs here, as the template wires it."""
    from nearmiss_local.responses import api_params, error_response, ok_response, streaming

    if _stack is None or model.name != "Invoke":
        return None
    params = api_params(context)
    fn = _stack.function_named(str(params.get("FunctionName", "")))
    if fn is None:
        name = params.get("FunctionName")
        return error_response(404, "ResourceNotFoundException", f"Function not found: {name}")
    payload = params.get("Payload") or b"{}"
    raw = (
        payload.encode()
        if isinstance(payload, str)
        else (payload if isinstance(payload, bytes) else payload.read())
    )
    event = json.loads(raw)
    kind = params.get("InvocationType", "RequestResponse")
    if kind == "DryRun":
        return ok_response(204, {"StatusCode": 204})
    if kind == "Event":
        _stack._invoke_async(fn, event)
        return ok_response(202, {"StatusCode": 202, "Payload": streaming(b"")})
    try:
        result = _stack.invoke(fn.logical_id, event)
        _stack.invocations.append((fn.logical_id, "ok"))
    except Exception as exc:  # Lambda answers 200 and says the function failed
        _stack.invocations.append((fn.logical_id, "failed"))
        body = json.dumps({"errorMessage": str(exc), "errorType": type(exc).__name__}).encode()
        return ok_response(
            200,
            {
                "StatusCode": 200,
                "FunctionError": "Unhandled",
                "ExecutedVersion": "$LATEST",
                "Payload": streaming(body),
            },
        )
    body = json.dumps(result).encode()
    return ok_response(200, {"StatusCode": 200, "ExecutedVersion": "$LATEST", "Payload": streaming(body)})
