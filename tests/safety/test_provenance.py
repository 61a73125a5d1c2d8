"""Signed provenance manifests: valid when untouched, detected when pixels, manifest, key or chunk change."""

from __future__ import annotations

import io
import json
import stat
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image as PILImage
from PIL import PngImagePlugin

from outcrop.cli.exits import EXIT_INVALID
from outcrop.cli.provenance import provenance_group
from outcrop.safety import provenance


@pytest.fixture
def image() -> PILImage.Image:
    pixels = np.random.default_rng(7).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    return PILImage.fromarray(pixels)


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    return tmp_path / "home" / "keys"


def _signed(image: PILImage.Image, keys: Path) -> bytes:
    manifest = provenance.new_manifest("amazon.nova-canvas-v1:0", {"seed": 42, "prompt": "a hill", "cfgScale": 6.5})
    return provenance.sign_png(image, manifest, keys)


def _trusted(keys: Path) -> list[provenance.Ed25519PublicKey]:
    return [provenance.load_public_key(provenance.public_key_file(keys))]


def _rewrite(data: bytes, edit_pixels: Callable[[PILImage.Image], None] = lambda _: None,
             edit_text: Callable[[dict[str, str]], None] = lambda _: None, compress_level: int = 6) -> bytes:  # fmt: skip
    """Decode and re-encode a PNG, carrying its text chunks over after the given edits."""
    with PILImage.open(io.BytesIO(data)) as opened:
        opened.load()
        texts = dict(opened.text)
        image = opened.copy()
    edit_pixels(image)
    edit_text(texts)
    info = PngImagePlugin.PngInfo()
    for key, value in texts.items():
        info.add_itxt(key, value)
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info, compress_level=compress_level)
    return out.getvalue()


def test_signed_png_verifies(image: PILImage.Image, keys: Path) -> None:
    result = provenance.verify_png(_signed(image, keys), _trusted(keys))
    assert result.valid, result.reason
    assert result.digital_source_type == provenance.TRAINED_ALGORITHMIC_MEDIA
    assert result.manifest is not None
    assert result.manifest["aiGenerated"] is True
    assert result.manifest["modelId"] == "amazon.nova-canvas-v1:0"
    assert result.manifest["parameters"] == {"seed": 42, "prompt": "a hill", "cfgScale": 6.5}
    assert result.manifest["contentHash"] == provenance.pixel_hash(image)
    assert result.manifest["outcropVersion"]
    assert result.manifest["created"].endswith("Z")


def test_xmp_packet_is_readable_by_pillow(image: PILImage.Image, keys: Path) -> None:
    with PILImage.open(io.BytesIO(_signed(image, keys))) as opened:
        xmp = opened.text[provenance.XMP_KEY]
    assert "<Iptc4xmpExt:DigitalSourceType>" + provenance.TRAINED_ALGORITHMIC_MEDIA in xmp


def test_reencoding_the_same_pixels_still_verifies(image: PILImage.Image, keys: Path) -> None:
    reencoded = _rewrite(_signed(image, keys), compress_level=1)
    assert reencoded != _signed(image, keys)
    assert provenance.verify_png(reencoded, _trusted(keys)).valid


def test_one_changed_pixel_is_detected(image: PILImage.Image, keys: Path) -> None:
    def nudge(im: PILImage.Image) -> None:
        r, g, b = im.getpixel((5, 5))  # type: ignore[misc]
        im.putpixel((5, 5), ((r + 1) % 256, g, b))

    result = provenance.verify_png(_rewrite(_signed(image, keys), edit_pixels=nudge), _trusted(keys))
    assert not result.valid
    assert "pixels changed" in result.reason


def test_edited_manifest_is_detected(image: PILImage.Image, keys: Path) -> None:
    def edit(texts: dict[str, str]) -> None:
        envelope = json.loads(texts[provenance.MANIFEST_KEY])
        envelope["manifest"]["modelId"] = "someone.else-v1"
        texts[provenance.MANIFEST_KEY] = json.dumps(envelope)

    result = provenance.verify_png(_rewrite(_signed(image, keys), edit_text=edit), _trusted(keys))
    assert not result.valid
    assert "signature does not verify" in result.reason


def test_wrong_key_is_detected(image: PILImage.Image, keys: Path) -> None:
    result = provenance.verify_png(_signed(image, keys), [Ed25519PrivateKey.generate().public_key()])
    assert not result.valid
    assert "signature does not verify" in result.reason


def test_stripped_manifest_chunk_is_detected(image: PILImage.Image, keys: Path) -> None:
    stripped = _rewrite(_signed(image, keys), edit_text=lambda texts: texts.pop(provenance.MANIFEST_KEY))
    result = provenance.verify_png(stripped, _trusted(keys))
    assert not result.valid
    assert result.reason == "no Outcrop manifest in the file"


def test_changed_xmp_source_type_is_detected(image: PILImage.Image, keys: Path) -> None:
    def edit(texts: dict[str, str]) -> None:
        texts[provenance.XMP_KEY] = texts[provenance.XMP_KEY].replace("trainedAlgorithmicMedia", "digitalCapture")

    result = provenance.verify_png(_rewrite(_signed(image, keys), edit_text=edit), _trusted(keys))
    assert not result.valid
    assert "XMP" in result.reason


def test_not_an_image_is_invalid(keys: Path) -> None:
    assert not provenance.verify_png(b"not a png", []).valid


def test_dev_key_is_created_once_with_private_mode(image: PILImage.Image, keys: Path) -> None:
    first = provenance.signing_key(keys)
    second = provenance.signing_key(keys)
    path = keys / provenance.DEV_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first.public_key() == second.public_key()
    assert provenance.load_public_key(provenance.public_key_file(keys)) == first.public_key()


def test_configured_key_is_used(image: PILImage.Image, tmp_path: Path, keys: Path) -> None:
    configured = tmp_path / "configured.pem"
    provenance.signing_key(tmp_path / "other")  # writes a key we then point at explicitly
    (tmp_path / "other" / provenance.DEV_KEY_FILE).rename(configured)
    data = provenance.sign_png(image, provenance.new_manifest("m", {}), keys, key_path=configured)
    assert provenance.verify_png(data, [provenance.load_public_key(configured)]).valid
    assert not (keys / provenance.DEV_KEY_FILE).exists()


def test_cli_verify_exit_codes(image: PILImage.Image, tmp_path: Path, keys: Path) -> None:
    home = keys.parent
    good = tmp_path / "good.png"
    good.write_bytes(_signed(image, keys))
    bad = tmp_path / "bad.png"
    bad.write_bytes(_rewrite(good.read_bytes(), edit_pixels=lambda im: im.putpixel((0, 0), (0, 0, 0))))
    runner = CliRunner()
    ok = runner.invoke(provenance_group, ["verify", str(good)], obj=None, default_map=None,
                       env={"OUTCROP_HOME": str(home)})  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["valid"] is True
    tampered = runner.invoke(provenance_group, ["verify", str(bad), "--key", str(provenance.public_key_file(keys))])
    assert tampered.exit_code == EXIT_INVALID
    assert json.loads(tampered.output)["valid"] is False


def test_c2pa_content_credentials_keep_the_outcrop_manifest_valid(image: PILImage.Image, keys: Path) -> None:
    pytest.importorskip("c2pa", reason="c2pa-python (optional) is not installed")
    from outcrop.safety import content_credentials

    manifest = provenance.new_manifest("amazon.nova-canvas-v1:0", {"seed": 3})
    data = content_credentials.add_content_credentials(provenance.sign_png(image, manifest, keys), manifest, keys)
    report = content_credentials.read_content_credentials(data)
    assert report.present
    assert report.state == "Valid"  # signed and intact; the local dev CA is not on a trust list
    assert report.problems == ["signingCredential.untrusted"]
    assert report.manifest is not None
    labels = {a["label"]: a["data"] for a in report.manifest["assertions"]}
    actions = labels["c2pa.actions.v2"]["actions"] if "c2pa.actions.v2" in labels else labels["c2pa.actions"]["actions"]
    assert actions[0]["digitalSourceType"] == provenance.TRAINED_ALGORITHMIC_MEDIA
    assert labels[content_credentials.PARAMETERS_LABEL]["parameters"] == {"seed": 3}
    assert provenance.verify_png(data, _trusted(keys)).valid  # caBX chunk added, pixels and iTXt untouched
    # a second asset reuses the issued chain
    chain = (keys / content_credentials.CHAIN_FILE).read_bytes()
    content_credentials.add_content_credentials(provenance.sign_png(image, manifest, keys), manifest, keys)
    assert (keys / content_credentials.CHAIN_FILE).read_bytes() == chain


def test_c2pa_detects_tampering(image: PILImage.Image, keys: Path) -> None:
    pytest.importorskip("c2pa", reason="c2pa-python (optional) is not installed")
    from outcrop.safety import content_credentials

    manifest = provenance.new_manifest("m", {})
    data = content_credentials.add_content_credentials(provenance.sign_png(image, manifest, keys), manifest, keys)
    tampered = _rewrite(data, edit_pixels=lambda im: im.putpixel((1, 1), (0, 0, 0)))  # drops caBX: re-encoded
    assert not content_credentials.read_content_credentials(tampered).present
    flipped = bytearray(data)
    flipped[-40] ^= 0xFF  # inside the image data, after the C2PA chunk
    assert content_credentials.read_content_credentials(bytes(flipped)).state == "Invalid"
    assert not content_credentials.read_content_credentials(provenance.sign_png(image, manifest, keys)).present
