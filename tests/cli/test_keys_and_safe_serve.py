"""`outcrop keys` keeps digests only, and `outcrop serve` refuses an open server on a non-loopback host."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from click.testing import CliRunner

from outcrop.cli.exits import EXIT_OPEN_NETWORK
from outcrop.cli.main import cli
from outcrop.cli.serve import is_loopback
from outcrop.sdk.auth import BearerAuth, default_auth
from outcrop.sdk.client import Client
from support.live_server import start_server


def keys(home, *args: str):
    return CliRunner().invoke(cli, ["--home", str(home), "keys", *args])


def test_keys_create_list_revoke(tmp_path):
    created = keys(tmp_path, "create", "ci", "--action", "invoke", "--model", "amazon.titan-*", "--rate", "5")
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip().splitlines()[0]
    stored = (tmp_path / "api-keys.toml").read_text()
    assert secret not in stored and hashlib.sha256(secret.encode()).hexdigest() in stored
    assert (tmp_path / "api-keys.toml").stat().st_mode & 0o077 == 0
    listed = keys(tmp_path, "list").output
    assert "ci" in listed and "amazon.titan-*" in listed and "active" in listed
    assert keys(tmp_path, "create", "ci").exit_code != 0  # names are unique among active keys
    assert keys(tmp_path, "revoke", "ci").exit_code == 0
    assert "revoked" in keys(tmp_path, "list").output


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::"])
def test_serve_refuses_an_open_non_loopback_host(tmp_path, host):
    result = CliRunner().invoke(cli, ["--home", str(tmp_path), "serve", "--host", host])
    assert result.exit_code == EXIT_OPEN_NETWORK
    assert "without credentials" in result.output and "--insecure" in result.output


def test_loopback_hosts():
    assert all(map(is_loopback, ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"]))
    assert not any(map(is_loopback, ["0.0.0.0", "10.0.0.1", "example.com"]))


def test_sdk_sends_the_api_key(tmp_path, models_dir):
    _, secret = keys_file_key(tmp_path)
    assert isinstance(default_auth(environ={"OUTCROP_API_KEY": secret}), BearerAuth)
    assert default_auth(environ={}) is None
    with start_server(home=tmp_path, models_dir=models_dir, profile="tiny") as server:
        assert httpx.get(f"{server.url}/v1/models").status_code == 403  # a key exists: the server is locked
        with Client(server.url, api_key=secret) as client:
            assert client.knowledge_bases.list() == []


def keys_file_key(home):
    from outcrop.access import ApiKey, KeyFile

    return KeyFile(home / "api-keys.toml").create(ApiKey("sdk", ""))
