"""Asserting a refusal exactly as AWS's: the exception class, Error.Code, HTTP status, message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError


def refused(
    call: Callable[[], Any],
    exception: type[BaseException],
    code: str,
    status: int,
    message: str | None = None,
    *,
    contains: str | None = None,
) -> ClientError:
    """`call()` raises `exception` (the service's modeled class, or ClientError where the service
    models none) with this code and status, and `message` exactly (or a message containing `contains`)."""
    with pytest.raises(exception) as caught:
        call()
    error = caught.value
    assert type(error) is exception, f"{type(error).__name__} raised, not {exception.__name__}"
    assert isinstance(error, ClientError)
    assert error.response["Error"]["Code"] == code
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == status
    if message is not None:
        assert error.response["Error"]["Message"] == message
    if contains is not None:
        assert contains in error.response["Error"]["Message"]
    return error


def unmodeled(client: Any, code: str) -> type[BaseException]:
    """The class botocore raises for an error code the service does not model: ClientError itself."""
    cls: type[BaseException] = client.exceptions.from_code(code)
    assert cls is ClientError, f"{code} is modeled: use client.exceptions.{code}"
    return cls
