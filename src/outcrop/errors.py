"""One error hierarchy for every door into Outcrop.

Each class carries the AWS error code, HTTP status and fault side that botocore expects; the wire layers
serialize them, nothing else decides a status code.
"""

from __future__ import annotations

from typing import Any, ClassVar


class OutcropError(Exception):
    """Base of every error Outcrop reports to a caller."""

    code: ClassVar[str] = "InternalServerException"
    http_status: ClassVar[int] = 500
    sender_fault: ClassVar[bool] = False

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra: dict[str, Any] = extra


class ValidationError(OutcropError):
    """The request is malformed or out of range; the message says what to send instead."""

    code = "ValidationException"
    http_status = 400
    sender_fault = True


class AccessDeniedError(OutcropError):
    code = "AccessDeniedException"
    http_status = 403
    sender_fault = True


class UnrecognizedClientError(AccessDeniedError):
    """The access key id or API key is not one this server knows (AWS's answer to an unknown key)."""

    code = "UnrecognizedClientException"


class InvalidSignatureError(AccessDeniedError):
    """The SigV4 signature, its date or the payload hash does not verify."""

    code = "InvalidSignatureException"


class PayloadTooLargeError(ValidationError):
    """The body passes the server's limit; refused before it is buffered."""

    http_status = 413


class ResourceNotFoundError(OutcropError):
    code = "ResourceNotFoundException"
    http_status = 404
    sender_fault = True


class UnknownOperationError(OutcropError):
    """No operation answers this path (404), or not this method on it (405, MethodNotAllowed)."""

    code = "UnknownOperationException"
    http_status = 404
    sender_fault = True


class MethodNotAllowedError(UnknownOperationError):
    http_status = 405


class ModelTimeoutError(OutcropError):
    code = "ModelTimeoutException"
    http_status = 408
    sender_fault = True


class ModelError(OutcropError):
    """A backend failed while running a task; the server keeps serving."""

    code = "ModelErrorException"
    http_status = 424
    sender_fault = True


class ThrottlingError(OutcropError):
    code = "ThrottlingException"
    http_status = 429
    sender_fault = True


class ModelNotReadyError(OutcropError):
    code = "ModelNotReadyException"
    http_status = 429
    sender_fault = True


class ServiceQuotaExceededError(OutcropError):
    code = "ServiceQuotaExceededException"
    http_status = 400
    sender_fault = True


class ConflictError(OutcropError):
    code = "ConflictException"
    http_status = 400
    sender_fault = True


class NotFoundError(OutcropError):
    """S3 Vectors' name for a missing bucket or index (Bedrock says ResourceNotFoundException)."""

    code = "NotFoundException"
    http_status = 404
    sender_fault = True


class VectorConflictError(ConflictError):
    """S3 Vectors answers a conflict with 409, where Bedrock uses 400."""

    http_status = 409


class VectorQuotaError(ServiceQuotaExceededError):
    """S3 Vectors answers an exceeded quota with 402, where Bedrock uses 400."""

    http_status = 402


class InternalServerError(OutcropError):
    code = "InternalServerException"
    http_status = 500


class ServiceUnavailableError(OutcropError):
    code = "ServiceUnavailableException"
    http_status = 503


class WeightsMissingError(AccessDeniedError):
    """A model is known but its weights are not installed; the message names the pull command."""

    def __init__(self, model_id: str, weights: str, alternatives: list[str] | None = None) -> None:
        others = "".join(f" or: outcrop models pull {name}" for name in alternatives or [])
        super().__init__(
            f"The weights '{weights}' serving model '{model_id}' are not installed. "
            f"Install them with: outcrop models pull {weights}{others}"
        )
        self.model_id = model_id
        self.weights = weights
