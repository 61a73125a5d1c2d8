"""Crafted image files an attacker (or a broken phone app) sends: ancillary PNG chunks past Pillow's limits,
truncated streams, bombs declared in the header, odd modes and broken EXIF blocks. Built in code, byte by byte."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_TEXT_BOMB = 2 * 1024 * 1024  # past PngImagePlugin.MAX_TEXT_CHUNK (1 MiB) once decompressed


def chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk with a correct CRC."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(mode: str = "RGB", size: tuple[int, int] = (8, 8), color: int | tuple[int, ...] = 0, **save: object) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, format="PNG", **save)
    return buffer.getvalue()


def jpeg(mode: str = "RGB", size: tuple[int, int] = (8, 8), **save: object) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size).save(buffer, format="JPEG", **save)
    return buffer.getvalue()


def with_chunk(raw: bytes, extra: bytes, *, after_pixels: bool = False) -> bytes:
    """`raw` (a PNG) with `extra` inserted after IHDR, or just before IEND (read only when the pixels are)."""
    at = raw.index(b"IEND") - 4 if after_pixels else len(PNG_SIGNATURE) + 25
    return raw[:at] + extra + raw[at:]


def png_header_only(width: int, height: int, bit_depth: int = 8, idat: bytes | None = None) -> bytes:
    ihdr = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, 2, 0, 0, 0))
    pixels = chunk(b"IDAT", idat) if idat is not None else b""
    return PNG_SIGNATURE + ihdr + pixels + chunk(b"IEND", b"")


def _jpeg_declaring(width: int, height: int) -> bytes:
    raw = bytearray(jpeg(size=(16, 16)))
    sof = raw.index(b"\xff\xc0")
    raw[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(raw)


def _exif(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif.tobytes()


# Big-endian TIFF: one IFD entry, Orientation as the ASCII string "x".
_EXIF_ORIENTATION_TEXT = b"Exif\0\0MM\0*\0\0\0\x08\0\x01\x01\x12\0\x02\0\0\0\x02x\0\0\0\0\0\0\0"


def refused() -> dict[str, bytes]:
    """Files that must be refused with a ValidationError (never a 500)."""
    base = png()
    ztxt_bomb = chunk(b"zTXt", b"k\0\0" + zlib.compress(b"a" * _TEXT_BOMB))
    return {
        "ztxt_bomb": with_chunk(base, ztxt_bomb),
        "ztxt_bomb_after_pixels": with_chunk(base, ztxt_bomb, after_pixels=True),
        "ztxt_unknown_method_after_pixels": with_chunk(base, chunk(b"zTXt", b"k\0\x05x"), after_pixels=True),
        "iccp_bomb": with_chunk(base, chunk(b"iCCP", b"p\0\0" + zlib.compress(bytes(_TEXT_BOMB * 32)))),
        "iccp_unknown_method": with_chunk(base, chunk(b"iCCP", b"p\0\x07abc")),
        "iccp_unknown_method_after_pixels": with_chunk(base, chunk(b"iCCP", b"p\0\x07abc"), after_pixels=True),
        "png_exif_not_tiff": with_chunk(base, chunk(b"eXIf", b"\xff" * 30)),
        "truncated_half": base[: len(base) // 2],
        "truncated_signature": base[:20],
        "bad_ihdr_crc": base[:29] + bytes(4) + base[33:],
        "idat_garbage": png_header_only(8, 8, idat=b"garbage"),
        "zero_by_zero": png_header_only(0, 0),
        "bad_bit_depth": png_header_only(8, 8, bit_depth=7),
        "declares_1024_sends_nothing": png_header_only(1024, 1024, idat=zlib.compress(b"")),
        "bomb_header_100k": png_header_only(100_000, 100_000),
        "bomb_header_max": png_header_only(2**31 - 1, 2**31 - 1),
        "jpeg_truncated_header": jpeg()[:100],
        "jpeg_truncated_scan": jpeg(size=(64, 64))[:-40],
        "jpeg_bomb_header": _jpeg_declaring(65000, 65000),
        "random_bytes": bytes(range(256)) * 4,
    }


def accepted() -> dict[str, bytes]:
    """Odd but valid files: decoded, and usable by every consumer."""
    base = png()
    return {
        "ztxt_garbage": with_chunk(base, chunk(b"zTXt", b"k\0\0garbage")),
        "iccp_bad_profile": with_chunk(base, chunk(b"iCCP", b"p\0\0" + zlib.compress(b"not a profile" * 8))),
        "iccp_not_zlib": with_chunk(base, chunk(b"iCCP", b"p\0\0not zlib")),
        "text_2mb": with_chunk(base, chunk(b"tEXt", b"k\0" + b"a" * _TEXT_BOMB)),
        "p_with_transparency": png("P", color=3, transparency=3),
        "p_with_alpha_table": png("P", color=3, transparency=bytes(range(256))),
        "la": png("LA", color=(5, 6)),
        "i16": png("I;16", color=300),
        "one_bit": png("1", color=1),
        "cmyk_jpeg": jpeg("CMYK"),
        "exif_rotated": jpeg(size=(8, 4), exif=_exif(6)),
        "exif_orientation_99": jpeg(exif=_exif(99)),
        "exif_orientation_text": jpeg(exif=_EXIF_ORIENTATION_TEXT),
        "exif_garbage": jpeg(exif=b"Exif\0\0" + b"\xff" * 40),
    }
