"""The one exception the SDK raises for a failed call, built from the server's JSON error envelope."""

from __future__ import annotations

import httpx


class OutcropAPIError(Exception):
    """A call the server refused or failed: `code` is the AWS-style error code (e.g. ValidationException).

    Example:
        >>> try:
        ...     client.images.generate("", width=333)
        ... except OutcropAPIError as exc:
        ...     print(exc.code, exc.status, exc.message)
    """

    def __init__(self, code: str, status: int, message: str, request_id: str | None = None) -> None:
        super().__init__(f"{code} ({status}): {message}")
        self.code = code
        self.status = status
        self.message = message
        self.request_id = request_id

    @classmethod
    def from_response(cls, response: httpx.Response) -> OutcropAPIError:
        """Parse `{"__type", "message"}`; a body that is not that envelope still yields an error."""
        request_id = response.headers.get("x-amzn-RequestId")
        try:
            body = response.json()
        except ValueError:
            return cls(f"HTTP{response.status_code}", response.status_code, response.text[:500], request_id)
        if not isinstance(body, dict):
            return cls(f"HTTP{response.status_code}", response.status_code, str(body)[:500], request_id)
        code = str(body.get("__type") or response.headers.get("x-amzn-ErrorType") or f"HTTP{response.status_code}")
        message = str(body.get("message") or body.get("detail") or body)
        return cls(code, response.status_code, message, request_id)


def raise_for_error(response: httpx.Response) -> None:
    if response.status_code >= 400:
        raise OutcropAPIError.from_response(response)
