"""Reading a model's result back for the wire: shared by the embedding and text families."""

from __future__ import annotations

import numpy as np

from outcrop.errors import ModelError
from outcrop.tasks.converse import ConverseResult
from outcrop.tasks.embed import EmbedResult


def embedded(result: object) -> EmbedResult:
    if not isinstance(result, EmbedResult):
        raise ModelError(f"An embedding model returned {type(result).__name__} instead of a vector.")
    return result


def embedded_list(result: object) -> list[EmbedResult]:
    if not isinstance(result, list) or not all(isinstance(item, EmbedResult) for item in result):
        raise ModelError(f"An embedding model returned {type(result).__name__} instead of vectors.")
    return result


def vector_list(result: EmbedResult) -> list[float]:
    values: list[float] = np.asarray(result.vector, dtype=np.float32).tolist()
    return values


def conversed(result: object) -> ConverseResult:
    if not isinstance(result, ConverseResult):
        raise ModelError(f"A text model returned {type(result).__name__} instead of a chat message.")
    return result


def token_headers(result: object) -> dict[str, str]:
    """Bedrock's token-count response headers for an embedding or text result."""
    if isinstance(result, ConverseResult):
        return {
            "X-Amzn-Bedrock-Input-Token-Count": str(result.input_tokens),
            "X-Amzn-Bedrock-Output-Token-Count": str(result.output_tokens),
        }
    if isinstance(result, EmbedResult):
        return {"X-Amzn-Bedrock-Input-Token-Count": str(result.text_token_count)}
    if isinstance(result, list) and all(isinstance(r, EmbedResult) for r in result):
        return {"X-Amzn-Bedrock-Input-Token-Count": str(sum(r.text_token_count for r in result))}
    return {}
