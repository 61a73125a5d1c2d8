"""Every ```bash and ```python block of README.md, examples/README.md and docs/*.md, run as a reader runs it, against a
tiny-profile server started here on 127.0.0.1 (writing to a local S3-compatible store), so the documentation and the
code cannot drift apart.

What a reader brings is made here: the photos the blocks name (product.jpg, ./product-photos, query.jpg,
first-frame.png) and the buckets they use. Bash blocks run in bash with `outcrop` given `--url`; a line that starts
a server is dropped (this server stands in), after checking the settings it names exist. Python blocks run with the
default endpoint replaced by this server's and the names earlier sections define (`runtime`, `s3`, `KB`, `time`);
in both, the reader's S3 store of docs/ (127.0.0.1:8333, keys `key`/`secret`) becomes the local SeaweedFS.
A block that cannot run here is listed in SKIPS by a snippet of its text, with the reason, and reported as skipped.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from PIL import Image, ImageDraw

from outcrop.settings import Settings
from support.live_server import LiveServer, start_server
from support.s3_local import LocalS3

REPO = Path(__file__).resolve().parents[2]
DOCUMENTS = [REPO / "README.md", REPO / "examples" / "README.md", *sorted((REPO / "docs").glob("*.md"))]
DEFAULT_URL = "http://127.0.0.1:8686"
S3_URL = "http://127.0.0.1:8333"  # the S3-compatible store docs/ points at
BUCKETS = ("video-bucket", "shop")

SKIPS: dict[str, str] = {  # a snippet that names one block -> why it does not run here
    "pip install torch==2.13.0": "installs packages, pulls ~790 MB of real weights and runs the whole suite "
    "(what CI does with `make test`)",
    "python examples/nova_reel_boto3.py --bucket": "its S3 endpoint and keys are the reader's own; "
    "tests/examples/test_examples.py runs nova_reel_boto3.py against a local SeaweedFS",
    "import litellm": "importing LiteLLM alone takes ~25 s here; tests/integrations/test_litellm.py runs this "
    "configuration (AWS_BEDROCK_RUNTIME_ENDPOINT, AWS_REGION_NAME, LITELLM_LOCAL_MODEL_COST_MAP) against a live server",
}

# A placeholder a reader copies from the previous command's output -> the shell expression that reads it.
PLACEHOLDERS = {
    "ASSET_ID": "$(outcrop review list --status pending --json | python -c "
    "'import json, sys; print(json.load(sys.stdin)[0][\"id\"])')",
}

# What earlier blocks and sections define, for Python blocks that continue them.
PRELUDE = """\
import base64, json, os, time
import boto3

_keys = dict(region_name="us-east-1", aws_access_key_id="local", aws_secret_access_key="local")
runtime = boto3.client("bedrock-runtime", endpoint_url=os.environ["OUTCROP_URL"], **_keys)
s3 = boto3.client("s3", endpoint_url=os.environ["S3_URL"], region_name="us-east-1",
                  aws_access_key_id=os.environ["S3_KEY"], aws_secret_access_key=os.environ["S3_SECRET"])
KB = os.environ["KB"]
"""

FENCE = re.compile(r"^```(bash|python)\n(.*?)^```", re.MULTILINE | re.DOTALL)
SERVE = re.compile(r"^((?:[A-Z0-9_]+=\S+\s+)*)outcrop serve\b.*$")
COMMAND = re.compile(r"(^|[\s;&|(])outcrop (?=[a-z])", re.MULTILINE)


@dataclass(frozen=True)
class Block:
    path: Path
    line: int
    language: str
    text: str

    @property
    def name(self) -> str:
        return f"{self.path.relative_to(REPO)}:{self.line}"

    def skip_reason(self) -> str | None:
        return next((why for snippet, why in SKIPS.items() if snippet in self.text), None)


def blocks() -> list[Block]:
    found = []
    for path in DOCUMENTS:
        text = path.read_text()
        for match in FENCE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append(Block(path, line, match.group(1), match.group(2)))
    return found


BLOCKS = blocks()


def test_the_skip_list_names_blocks_that_exist():
    for snippet in SKIPS:
        assert sum(snippet in block.text for block in BLOCKS) == 1, f"SKIPS entry {snippet!r} names no single block"


def test_every_block_is_found():
    fences = sum(path.read_text().count("```bash") + path.read_text().count("```python") for path in DOCUMENTS)
    assert len(BLOCKS) == fences


# ---------------------------------------------------------------- what a reader brings


def photo(path: Path, colour: tuple[int, int, int], size: tuple[int, int] = (320, 320)) -> None:
    image = Image.new("RGB", size, (235, 235, 230))
    ImageDraw.Draw(image).ellipse((size[0] // 4, size[1] // 4, size[0] * 3 // 4, size[1] * 3 // 4), fill=colour)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)


def readers_files(work: Path) -> None:
    photo(work / "product.jpg", (200, 40, 40))
    photo(work / "query.jpg", (40, 90, 200))
    photo(work / "first-frame.png", (40, 160, 90), (1280, 720))
    for name, colour in [
        ("sneaker-01.jpg", (30, 60, 200)),
        ("boot-07.jpg", (110, 70, 30)),
        ("mug-03.jpg", (200, 30, 30)),
    ]:
        photo(work / "product-photos" / name, colour)
    (work / "examples").symlink_to(REPO / "examples")  # the README's commands run from the repository root


@dataclass(frozen=True)
class Stage:
    server: LiveServer
    s3: LocalS3
    work: Path
    models: Path
    kb: str

    def env(self) -> dict[str, str]:
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "OUTCROP_"))}
        return {**clean, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                "OUTCROP_URL": self.server.url, "OUTCROP_HOME": str(self.work / "client-home"),
                "OUTCROP_MODELS_PATH": str(self.models), "KB": self.kb, "S3_URL": self.s3.endpoint,
                "S3_KEY": self.s3.key, "S3_SECRET": self.s3.secret, "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local", "AWS_DEFAULT_REGION": "us-east-1"}  # fmt: skip


@pytest.fixture(scope="module")
def stage(tmp_path_factory, models_dir, s3_server, pulled) -> Iterator[Stage]:
    pulled("isnet-general-small")  # examples/README.md pulls it first; here that finds it installed
    work = tmp_path_factory.mktemp("reader")
    readers_files(work)
    client = s3_server.client()
    for bucket in BUCKETS:
        client.create_bucket(Bucket=bucket)
    client.upload_file(str(work / "product-photos" / "sneaker-01.jpg"), "shop", "shoes/sneaker-01.jpg")
    home = tmp_path_factory.mktemp("docs-home")
    with start_server(home=home, models_dir=models_dir, profile="tiny", s3_endpoint_url=s3_server.endpoint,
                      s3_access_key_id=s3_server.key, s3_secret_access_key=s3_server.secret) as server:  # fmt: skip
        yield Stage(server, s3_server, work, models_dir, kb=catalogue(server.url, work / "product-photos"))


def catalogue(url: str, folder: Path) -> str:
    """The knowledge base the README's Retrieve block queries as KB (its bash block creates it the same way)."""
    import outcrop

    with outcrop.Client(url) as client:
        kb = client.knowledge_bases.create("docs-catalogue")
        client.knowledge_bases.ingest(kb.id, str(folder))
        return kb.id


def forget_other_catalogues(stage: Stage) -> None:
    """Blocks are alternatives (the README's "three ways"): each starts without the knowledge bases others made."""
    with httpx.Client(base_url=stage.server.url) as http:
        for found in http.get("/v1/knowledge-bases").raise_for_status().json()["knowledgeBases"]:
            if found["id"] != stage.kb:
                http.delete(f"/v1/knowledge-bases/{found['id']}").raise_for_status()


# ---------------------------------------------------------------- running a block


def bash_script(text: str) -> tuple[str, list[str]]:
    """The block with `--url` on each outcrop command, placeholders read, and server starts dropped (returned)."""
    lines, serves = [], []
    for line in text.replace("\\\n", " ").splitlines():
        command = line.split(" #", 1)[0].strip().removesuffix("&").strip()
        if SERVE.match(command):
            serves.append(command)
            continue
        lines.append(line)
    script = "\n".join(lines)
    for placeholder, expression in PLACEHOLDERS.items():
        script = script.replace(placeholder, expression)
    return COMMAND.sub(r'\1outcrop --url "$OUTCROP_URL" ', script), serves


def check_serve_line(command: str) -> None:
    """A dropped `outcrop serve` line still has to name real settings and options."""
    words = shlex.split(command)
    variables = [w.split("=", 1)[0] for w in words if re.match(r"[A-Z0-9_]+=", w)]
    fields = {f"OUTCROP_{name.upper()}" for name in Settings.model_fields}
    assert [v for v in variables if v.startswith("OUTCROP_") and v not in fields] == [], command
    options = words[words.index("serve") + 1 :]
    done = subprocess.run(["outcrop", "serve", *options, "--help"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{command}: {done.stderr}"


def readers_addresses(text: str, stage: Stage) -> str:
    """The reader's server and S3 store (default port, and docs/'s SeaweedFS with keys `key`/`secret`) -> ours."""
    for theirs, ours in {DEFAULT_URL: stage.server.url, S3_URL: stage.s3.endpoint,
                         'aws_access_key_id="key"': f'aws_access_key_id="{stage.s3.key}"',
                         'aws_secret_access_key="secret"': f'aws_secret_access_key="{stage.s3.secret}"'}.items():  # fmt: skip
        text = text.replace(theirs, ours)
    return text


def run_block(block: Block, stage: Stage) -> subprocess.CompletedProcess[str]:
    if block.language == "bash":
        script, serves = bash_script(block.text)
        for command in serves:
            check_serve_line(command)
        script = readers_addresses(script, stage).replace("/tmp/", f"{stage.work}/tmp/")
        argv = ["bash", "-e", "-o", "pipefail", "-c", script]
    else:
        argv = [sys.executable, "-c", PRELUDE + readers_addresses(block.text, stage)]
    return subprocess.run(argv, cwd=stage.work, env=stage.env(), capture_output=True, text=True, timeout=240,
                          check=False)  # fmt: skip


@pytest.mark.parametrize("block", BLOCKS, ids=[block.name for block in BLOCKS])
def test_documented_block_runs(block: Block, stage: Stage) -> None:
    reason = block.skip_reason()
    if reason:
        pytest.skip(f"{block.name}: {reason}")
    forget_other_catalogues(stage)
    done = run_block(block, stage)
    assert done.returncode == 0, f"{block.name} exited {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"


def test_the_readme_lists_every_exit_code():
    from outcrop.cli.exits import MEANINGS

    rows = re.findall(r"^\| (\d+) \| (.+?) \|$", (REPO / "README.md").read_text(), re.MULTILINE)
    assert {int(code): meaning for code, meaning in rows} == MEANINGS
