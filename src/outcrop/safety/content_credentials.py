"""C2PA Content Credentials on generated PNGs, through the optional `c2pa-python` package (Adobe's c2pa-rs).

C2PA signs with an X.509 certificate chain, not a bare key: we issue one locally. A development CA (its own
Ed25519 key) certifies the provenance signing key from `provenance.signing_key`, so the C2PA claim and the Outcrop
manifest are signed by the same key. Readers report the manifest as cryptographically valid but the signer as
untrusted ("signingCredential.untrusted") until a deployment configures a chain from a CA on the C2PA trust list
(`chain_path`). No network is used: no timestamp authority, no remote manifests.

Add credentials *after* `provenance.sign_png`: the C2PA hard binding hashes every byte outside its own chunk, so
any chunk written afterwards would break it; the Outcrop manifest covers pixels only and survives the insertion.
"""

from __future__ import annotations

import datetime
import importlib
import io
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from outcrop import __version__
from outcrop.safety import provenance

CHAIN_FILE = "provenance-c2pa-chain.pem"
CA_KEY_FILE = "provenance-c2pa-ca.pem"
PARAMETERS_LABEL = "org.outcrop.generation"
CA_NAME = "Outcrop development CA"
_VALIDITY = datetime.timedelta(days=3650)


@dataclass(frozen=True)
class CredentialsReport:
    present: bool
    state: str | None  # c2pa-rs's validation_state: "Invalid", "Valid" (untrusted signer) or "Trusted"
    problems: list[str]
    manifest: dict[str, Any] | None


def available() -> bool:
    try:
        _c2pa()
    except RuntimeError:
        return False
    return True


def add_content_credentials(png: bytes, manifest: Mapping[str, Any], keys_dir: Path,
                            key_path: Path | None = None, chain_path: Path | None = None) -> bytes:  # fmt: skip
    """`png` with a signed C2PA manifest: a c2pa.created action (IPTC trainedAlgorithmicMedia) + generation data."""
    c2pa = _c2pa()
    key = provenance.signing_key(keys_dir, key_path)
    chain = chain_path.read_bytes() if chain_path is not None else _dev_chain(keys_dir, key)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(b"ed25519", chain, pem, None))
    source, target = io.BytesIO(png), io.BytesIO()
    with c2pa.Builder(_claim(manifest)) as builder:
        builder.sign(signer, "image/png", source, target)
    return target.getvalue()


def read_content_credentials(data: bytes) -> CredentialsReport:
    """What a C2PA reader sees in `data`; `present` is False when the file carries no C2PA manifest."""
    c2pa = _c2pa()
    try:
        with c2pa.Reader("image/png", io.BytesIO(data)) as reader:
            store = json.loads(reader.json())
    except c2pa.C2paError as exc:
        return CredentialsReport(present=False, state=None, problems=[str(exc)], manifest=None)
    active = store.get("manifests", {}).get(store.get("active_manifest"))
    problems = [str(status.get("code")) for status in store.get("validation_status") or []]
    return CredentialsReport(present=True, state=store.get("validation_state"), problems=problems, manifest=active)


def _claim(manifest: Mapping[str, Any]) -> dict[str, Any]:
    source = manifest.get("digitalSourceType", provenance.TRAINED_ALGORITHMIC_MEDIA)
    generation = {k: manifest.get(k) for k in ("modelId", "parameters", "created", "outcropVersion")}
    return {
        "claim_generator_info": [{"name": "outcrop", "version": __version__}],
        "format": "image/png",
        "title": f"{manifest.get('modelId', 'outcrop')} output",
        "assertions": [
            {"label": "c2pa.actions", "data": {"actions": [{"action": "c2pa.created", "digitalSourceType": source}]}},
            {"label": PARAMETERS_LABEL, "data": generation},
        ],
    }


def _c2pa() -> Any:
    # Imported by name: the package is optional (a 16 MB native library) and ships without type hints.
    try:
        return importlib.import_module("c2pa")
    except ImportError as exc:
        raise RuntimeError("C2PA Content Credentials need the optional package: pip install c2pa-python") from exc


def _dev_chain(keys_dir: Path, key: Ed25519PrivateKey) -> bytes:
    """Leaf certificate for `key` plus the local CA, issued once and reused (rewritten if the key changed)."""
    path = keys_dir / CHAIN_FILE
    if path.exists():
        chain = path.read_bytes()
        if x509.load_pem_x509_certificates(chain)[0].public_key() == key.public_key():
            return chain
    ca_key = _ca_key(keys_dir)
    ca = _certificate(CA_NAME, ca_key, ca_key, is_ca=True)
    leaf = _certificate("Outcrop provenance signer", key, ca_key, is_ca=False)
    chain = leaf.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(serialization.Encoding.PEM)
    path.write_bytes(chain)
    return chain


def _ca_key(keys_dir: Path) -> Ed25519PrivateKey:
    path = keys_dir / CA_KEY_FILE
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if isinstance(key, Ed25519PrivateKey):
            return key
        raise ValueError(f"{path}: not an Ed25519 private key")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return key


def _certificate(name: str, key: Ed25519PrivateKey, issuer_key: Ed25519PrivateKey, is_ca: bool) -> x509.Certificate:
    """A certificate shaped as the C2PA profile asks: CA with keyCertSign, leaf with digitalSignature + an EKU."""
    subject = _name(name)
    issuer = subject if is_ca else _name(CA_NAME)
    now = datetime.datetime.now(datetime.UTC)
    usage = (True, False, False, False, False, is_ca, is_ca, False, False)  # digitalSignature / keyCertSign+cRLSign
    builder = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(*usage), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
    )  # fmt: skip
    if not is_ca:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
    return builder.sign(issuer_key, None)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Outcrop (local development)")])  # fmt: skip
