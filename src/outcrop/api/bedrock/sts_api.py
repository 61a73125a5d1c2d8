"""STS GetCallerIdentity: the Nova Reel lab reads its account id from it to name its bucket.

Served at `POST /` (botocore's STS query protocol) when a notebook points `AWS_ENDPOINT_URL_STS` at Outcrop; the
answer names the configured account and a local user.
"""

from __future__ import annotations

from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from starlette.requests import Request
from starlette.responses import Response

from outcrop.api.bedrock.request import read_body, state_of
from outcrop.api.errors import request_id
from outcrop.errors import ValidationError

_NS = "https://sts.amazonaws.com/doc/2011-06-15/"


async def sts(request: Request) -> Response:
    state = state_of(request)
    form = parse_qs((await read_body(request, 64_000)).decode("utf-8", "replace"))
    action = form.get("Action", [""])[0]
    if action != "GetCallerIdentity":
        raise ValidationError(f"STS action '{action}' is not served here; only GetCallerIdentity is.")
    account = escape(state.settings.account_id)
    body = (
        f'<GetCallerIdentityResponse xmlns="{_NS}"><GetCallerIdentityResult>'
        f"<Arn>arn:aws:iam::{account}:user/local</Arn><UserId>AIDALOCAL</UserId><Account>{account}</Account>"
        f"</GetCallerIdentityResult><ResponseMetadata><RequestId>{escape(request_id(request))}</RequestId>"
        "</ResponseMetadata></GetCallerIdentityResponse>"
    )
    return Response(body, media_type="text/xml")
