"""How the SDK and CLI authenticate: an API key as `Authorization: Bearer` (argument or OUTCROP_API_KEY), else
SigV4 (service `bedrock`) with credentials from the AWS chain when it has any, else nothing (an open local server).
"""

from __future__ import annotations

import os
from collections.abc import Generator, Mapping
from typing import Any

import httpx

API_KEY_ENV = "OUTCROP_API_KEY"


class BearerAuth(httpx.Auth):
    def __init__(self, api_key: str) -> None:
        self.api_key = api_key

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self.api_key}"
        yield request


class SigV4Auth(httpx.Auth):
    """Signs each request as a bedrock-runtime client would (botocore's signer over the exact body sent)."""

    requires_request_body = True

    def __init__(self, credentials: Any, region: str = "us-east-1") -> None:
        self.credentials = credentials
        self.region = region

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        from botocore.auth import SigV4Auth as Signer
        from botocore.awsrequest import AWSRequest

        signed = AWSRequest(method=request.method, url=str(request.url), data=request.content,
                            headers={"Content-Type": request.headers.get("content-type", "")})  # fmt: skip
        Signer(self.credentials.get_frozen_credentials(), "bedrock", self.region).add_auth(signed)
        for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token"):
            if name in signed.headers:
                request.headers[name] = signed.headers[name]
        yield request


def default_auth(api_key: str | None = None, environ: Mapping[str, str] | None = None) -> httpx.Auth | None:
    """The caller's key, OUTCROP_API_KEY, or SigV4 when AWS credentials are configured (env or profile)."""
    env = os.environ if environ is None else environ
    key = api_key or env.get(API_KEY_ENV)
    if key:
        return BearerAuth(key)
    if not any(env.get(name) for name in ("AWS_ACCESS_KEY_ID", "AWS_PROFILE")):
        return None  # no instance-metadata probe for a plain local server
    import botocore.session

    session = botocore.session.get_session()
    credentials = session.get_credentials()
    return None if credentials is None else SigV4Auth(credentials, session.get_config_variable("region") or "us-east-1")


def settings_auth(access_key_id: str, secret: str) -> httpx.Auth:
    """SigV4 with the server's own key pair (the in-process client, which is the server)."""
    from botocore.credentials import Credentials

    return SigV4Auth(Credentials(access_key_id, secret))
