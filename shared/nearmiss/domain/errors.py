"""Turning validation failures into messages a person can act on: which field, and what is wrong."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

MAX_ERRORS = 10


class InvalidInputError(ValueError):
    """Input that does not validate. `errors` lists (field, reason); str() is the summary."""

    def __init__(self, what: str, errors: list[tuple[str, str]]) -> None:
        self.what = what
        self.errors = errors[:MAX_ERRORS]
        summary = "; ".join(f"{field}: {reason}" for field, reason in self.errors)
        super().__init__(f"invalid {what}: {summary}")

    def as_dict(self) -> dict[str, Any]:
        return {
            "error": f"invalid {self.what}",
            "fields": [{"field": f, "reason": r} for f, r in self.errors],
        }


def field_errors(exc: ValidationError) -> list[tuple[str, str]]:
    out = []
    for error in exc.errors(include_url=False, include_input=False):
        field = ".".join(str(part) for part in error["loc"]) or "(body)"
        message = error["msg"].removeprefix("Value error, ")
        out.append((field, message))
    return out


def invalid(what: str, exc: ValidationError) -> InvalidInputError:
    return InvalidInputError(what, field_errors(exc))
