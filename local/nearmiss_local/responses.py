"""Answering a botocore request from inside the process, as the service would have answered it.

A `before-call` handler that returns `(http_response, parsed)` replaces the request: botocore then
raises the service's own modeled exception for an error status, exactly as for a real answer.
`remember_params` keeps the call's API parameters in the request context, where the `before-call`
handlers read them (botocore hands those only the serialized request).
"""

from __future__ import annotations

import io
from typing import Any

from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.response import StreamingBody

PARAMS_KEY = "nearmiss_api_params"


def remember_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    context[PARAMS_KEY] = params


def api_params(context: dict[str, Any] | None) -> dict[str, Any]:
    return dict((context or {}).get(PARAMS_KEY, {}))


def error_response(status: int, code: str, message: str) -> tuple[AWSResponse, dict[str, Any]]:
    http = AWSResponse("https://local.invalid/", status, HTTPHeaders(), None)
    parsed = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": {}, "RetryAttempts": 0},
    }
    return http, parsed


def ok_response(status: int, fields: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
    http = AWSResponse("https://local.invalid/", status, HTTPHeaders(), None)
    parsed = {**fields, "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": {}, "RetryAttempts": 0}}
    return http, parsed


def streaming(data: bytes) -> StreamingBody:
    return StreamingBody(io.BytesIO(data), len(data))
