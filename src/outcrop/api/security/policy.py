"""Which routes answer without credentials, and which action (and model) every other route needs.

The rules match paths, not route objects, so that a route added later is covered without anyone remembering to
do it: an unmatched path needs a key allowed every action.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import unquote

from outcrop.access import Action

_PUBLIC_GETS = frozenset({"/health", "/ready", "/docs", "/redoc", "/openapi.json", "/metrics", "/ui", "/ui/"})
_PUBLIC_PREFIXES = ("/docs-assets/",)
_UI_ASSET = re.compile(r"^/ui/(?!thumbnails/)[\w./-]+\.(html|css|js|svg|png|ico)$")
SESSION_PATH = "/ui/session"
_SAFE_METHODS = frozenset({"GET", "HEAD"})
_OWN_MODEL_CHECK = re.compile(r"^/v1/images/(generations|edits|variations)$")

_RULES: tuple[tuple[re.Pattern[str], frozenset[Action]], ...] = tuple(
    (re.compile(pattern), frozenset(actions))
    for pattern, actions in (
        (r"^/model/(?P<model>[^/]+)/", [Action.INVOKE]),
        (r"^/async-invoke(/|$)", [Action.JOBS]),
        (r"^/v1/(video/)?jobs(/|$)", [Action.JOBS]),
        (r"^/v1/(images|embeddings|chat)(/|$)", [Action.INVOKE]),
        (r"^/(knowledgebases|v1/knowledge-bases|ui/thumbnails)(/|$)", [Action.KNOWLEDGE_BASES]),
        (r"^/(Create|Get|List|Delete|Put|Query)(VectorBuckets?|Index|Indexes|Vectors)$", [Action.KNOWLEDGE_BASES]),
        (r"^/v1/review(/|$)", [Action.REVIEW]),
        (r"^/v1/models/(pull$|pulls/)", [Action.MODELS_ADMIN]),
        (r"^/v1/models/(?P<model>[^/]+)/(load|unload|pin|unpin)$", [Action.MODELS_ADMIN]),
        (r"^/(foundation-models(/|$)|v1/models$|ui/session$|$)", []),  # listings, STS, sign-out: any credential
    )
)


@dataclass(frozen=True)
class Need:
    """What a request needs: every action in `actions` and, when named, use of `model_id`."""

    actions: frozenset[Action]
    model_id: str | None = None
    # The request picks a model but did not name it (a native route's default model): a key limited to some
    # models must name one, or it could reach any model through the defaults.
    unnamed_model: bool = False


def is_public(method: str, path: str) -> bool:
    """Health, readiness, docs, metrics and the UI's sign-in shell (its static files and the sign-in call)."""
    if path == SESSION_PATH:
        return method in ("GET", "POST")
    if method not in _SAFE_METHODS:
        return False
    return path in _PUBLIC_GETS or path.startswith(_PUBLIC_PREFIXES) or _UI_ASSET.match(path) is not None


def need_of(raw_path: str, body: bytes) -> Need:
    for pattern, actions in _RULES:
        found = pattern.match(raw_path)
        if found is not None:
            model = found.groupdict().get("model")
            model_id = unquote(model) if model else _body_model_id(actions, body)
            unnamed = model_id is None and _picks_model(raw_path, actions, body)
            return Need(actions, model_id, unnamed)
    return Need(frozenset(Action))


def _picks_model(raw_path: str, actions: frozenset[Action], body: bytes) -> bool:
    """A JSON body sent to an invoke or job route chooses a model (by default when it names none); the
    OpenAI-compatible routes check their `model` field themselves (multipart bodies are not read here)."""
    if _OWN_MODEL_CHECK.match(raw_path):
        return False
    return bool(actions & {Action.INVOKE, Action.JOBS}) and body.lstrip().startswith(b"{")


def _body_model_id(actions: frozenset[Action], body: bytes) -> str | None:
    """The `modelId` of a native or StartAsyncInvoke JSON body (the model is not in their paths)."""
    if not actions & {Action.INVOKE, Action.JOBS} or not body.lstrip().startswith(b"{"):
        return None
    try:
        value = json.loads(body).get("modelId")
    except (ValueError, RecursionError):
        return None  # the route reports the malformed body
    return value if isinstance(value, str) else None
