"""Provenance manifests on generated PNGs: IPTC digital source type in XMP plus a signed Outcrop manifest.

Two iTXt chunks go into every PNG:
- `XML:com.adobe.xmp`: an XMP packet whose `Iptc4xmpExt:DigitalSourceType` says "trainedAlgorithmicMedia", the
  standard way other tools (Photoshop, exiftool, news agencies' pipelines) learn that an image is AI-generated.
- `outcrop:manifest`: an *Outcrop* manifest (not C2PA): JSON naming the model, parameters, time, version and the
  SHA-256 of the decoded RGBA pixels, with an Ed25519 signature.

The signature covers the manifest JSON and the pixel hash, not the file bytes: re-encoding the same pixels (a
different zlib level, chunks reordered) still verifies, while any changed pixel, edited manifest field or a key
we do not trust fails. Trust comes only from the public keys the verifier passes in; the key embedded in the
chunk is a hint for humans, never believed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import os
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from PIL import Image as PILImage
from PIL import PngImagePlugin, UnidentifiedImageError
from PIL.Image import Image

from outcrop import __version__

TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
XMP_KEY = "XML:com.adobe.xmp"
MANIFEST_KEY = "outcrop:manifest"
FORMAT = "outcrop.provenance/1"
DEV_KEY_FILE = "provenance-ed25519.pem"
# Domain separation: a signature made for this purpose can never be replayed as a signature over something else.
_CONTEXT = b"outcrop-provenance-v1\x00"
_XMP = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/">
   <Iptc4xmpExt:DigitalSourceType>{source}</Iptc4xmpExt:DigitalSourceType>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="r"?>"""
# XMP allows the value as an element or as an attribute; a regex reads both without handing untrusted XML to a
# parser (entity expansion), and we only ever need this one field.
_SOURCE_TYPE = re.compile(r"Iptc4xmpExt:DigitalSourceType(?:>\s*|\s*=\s*\")([^<\"\s]+)")


@dataclass(frozen=True)
class Verification:
    valid: bool
    reason: str
    manifest: dict[str, Any] | None = None
    digital_source_type: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"valid": self.valid, "reason": self.reason, "manifest": self.manifest,
                "digitalSourceType": self.digital_source_type}  # fmt: skip


def new_manifest(model_id: str, parameters: Mapping[str, Any], created: float | None = None) -> dict[str, Any]:
    """The manifest fields known before the pixels; `sign_png` adds the pixel hash."""
    return {
        "format": FORMAT,
        "aiGenerated": True,
        "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA,
        "modelId": model_id,
        "parameters": json.loads(json.dumps(dict(parameters))),  # fails early on values JSON cannot carry
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if created is None else created)),
        "outcropVersion": __version__,
    }


def pixel_hash(image: Image) -> str:
    """SHA-256 over the size and the RGBA bytes: what the picture is, whatever PNG encoder wrote it."""
    rgba = image.convert("RGBA")
    digest = hashlib.sha256(f"{rgba.width}x{rgba.height}\n".encode())
    digest.update(rgba.tobytes())
    return "sha256:" + digest.hexdigest()


def signing_key(keys_dir: Path, key_path: Path | None = None) -> Ed25519PrivateKey:
    """The configured key, else the local development key under `keys_dir` (created once, mode 0600)."""
    if key_path is not None:
        return _read_private(key_path)
    path = keys_dir / DEV_KEY_FILE
    if not path.exists():
        _create_dev_key(path)
    return _read_private(path)


def public_key_file(keys_dir: Path) -> Path:
    """Where the development key's public half is written (next to the private key)."""
    return keys_dir / DEV_KEY_FILE.replace(".pem", ".pub.pem")


def load_public_key(path: Path) -> Ed25519PublicKey:
    """An Ed25519 public key from a PEM file; a private key PEM is accepted and its public half used."""
    data = path.read_bytes()
    if b"PRIVATE KEY" in data:
        return _read_private(path).public_key()
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path}: not an Ed25519 public key")
    return key


def sign_png(image: Image, manifest: Mapping[str, Any], keys_dir: Path, key_path: Path | None = None) -> bytes:
    """PNG bytes of `image` carrying the XMP digital source type and the signed manifest (plus its pixel hash)."""
    envelope = signed_envelope({**manifest, "contentHash": pixel_hash(image)}, keys_dir, key_path)
    body = envelope["manifest"]
    info = PngImagePlugin.PngInfo()
    source = str(body.get("digitalSourceType", TRAINED_ALGORITHMIC_MEDIA))
    info.add_itxt(XMP_KEY, _XMP.format(source=source))
    info.add_itxt(MANIFEST_KEY, json.dumps(envelope, sort_keys=True))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def signed_envelope(body: Mapping[str, Any], keys_dir: Path, key_path: Path | None = None) -> dict[str, Any]:
    """`{"manifest", "algorithm", "publicKey", "signature"}`: the form embedded in PNGs and written as a video's
    manifest.json, where `contentHashes` name each file's SHA-256 instead of a pixel hash."""
    key = signing_key(keys_dir, key_path)
    return {
        "manifest": dict(body),
        "algorithm": "Ed25519",
        "publicKey": _raw_b64(key.public_key()),
        "signature": base64.b64encode(key.sign(_message(body))).decode(),
    }


def verify_files(envelope_json: str, files: Mapping[str, bytes], keys: Iterable[Ed25519PublicKey]) -> Verification:
    """Whether a video's manifest.json was signed by a trusted key and every listed file still has its hash."""
    envelope = _envelope(envelope_json)
    if envelope is None:
        return Verification(False, "not an Outcrop manifest")
    manifest, signature = envelope
    trusted = list(keys)
    if not any(_verifies(key, signature, manifest) for key in trusted):
        return Verification(False, "signature does not verify with any trusted key", manifest)
    hashes: Mapping[str, str] = manifest.get("contentHashes", {})
    for name, data in files.items():
        if hashes.get(name) != file_hash(data):
            return Verification(False, f"{name} changed since signing (or is not in the manifest)", manifest)
    return Verification(True, "signature valid; files match the manifest", manifest)


def file_hash(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def verify_png(data: bytes, public_keys: Iterable[Ed25519PublicKey]) -> Verification:
    """Whether `data` is a PNG whose manifest was signed by one of `public_keys` over exactly these pixels."""
    try:
        with PILImage.open(io.BytesIO(data)) as opened:
            opened.load()
            texts = dict(getattr(opened, "text", {}))
            content_hash = pixel_hash(opened)
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        return Verification(False, f"not a readable image ({exc})")
    source = _source_type(texts.get(XMP_KEY))
    envelope = _envelope(texts.get(MANIFEST_KEY))
    if envelope is None:
        return Verification(False, "no Outcrop manifest in the file", digital_source_type=source)
    manifest, signature = envelope
    failure = _check(manifest, signature, content_hash, list(public_keys), source)
    if failure is not None:
        return Verification(False, failure, manifest, source)
    return Verification(True, "signature valid; pixels match the manifest", manifest, source)


def _check(
    manifest: dict[str, Any], signature: bytes, content_hash: str, keys: list[Ed25519PublicKey], source: str | None
) -> str | None:
    """Why the manifest does not verify, or None when it does."""
    if not keys:
        return "no trusted public key to verify with"
    if not any(_verifies(key, signature, manifest) for key in keys):
        return "signature does not verify with any trusted key (manifest edited or signed by another key)"
    if manifest.get("contentHash") != content_hash:
        return "pixels changed since signing (content hash differs)"
    if source is not None and source != manifest.get("digitalSourceType"):
        return "XMP digitalSourceType differs from the signed manifest"
    return None


def _verifies(key: Ed25519PublicKey, signature: bytes, manifest: dict[str, Any]) -> bool:
    try:
        key.verify(signature, _message(manifest))
    except InvalidSignature:
        return False
    return True


def _message(manifest: Mapping[str, Any]) -> bytes:
    """Canonical JSON (sorted keys, no spaces) so the verifier rebuilds exactly the signed bytes."""
    return _CONTEXT + json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()


def _envelope(text: str | None) -> tuple[dict[str, Any], bytes] | None:
    if text is None:
        return None
    try:
        envelope = json.loads(text)
        manifest, signature = envelope["manifest"], base64.b64decode(envelope["signature"], validate=True)
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None
    return (manifest, signature) if isinstance(manifest, dict) else None


def _source_type(xmp: str | None) -> str | None:
    found = _SOURCE_TYPE.search(xmp or "")
    return found.group(1) if found else None


def _raw_b64(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def _read_private(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path}: not an Ed25519 private key")
    return key


def _create_dev_key(path: Path) -> None:
    """Write a new key so that concurrent first calls agree on one: temp file, then a link that fails if taken."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    try:
        os.link(temp, path)
    except FileExistsError:
        pass  # another process won the race; its key is the one everybody uses from now on
    finally:
        temp.unlink()
    public = _read_private(path).public_key()
    pub_pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    public_key_file(path.parent).write_bytes(pub_pem)
