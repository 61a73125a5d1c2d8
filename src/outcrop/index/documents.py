"""Text out of a document's bytes, by file type: plain text and markup as UTF-8, HTML without its tags, PDF through
pypdf, Word (.docx) through python-docx. A file that cannot be read raises ValidationError naming it."""

from __future__ import annotations

import io
from html.parser import HTMLParser
from pathlib import PurePosixPath

from outcrop.errors import ValidationError

_SKIPPED_HTML = frozenset({"script", "style", "noscript", "template"})
_BLOCK_HTML = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article"})


def extract_text(raw: bytes, uri: str) -> str:
    suffix = PurePosixPath(uri).suffix.lower()
    if suffix == ".pdf":
        return _pdf(raw, uri)
    if suffix == ".docx":
        return _docx(raw, uri)
    text = _utf8(raw, uri)
    return _html(text) if suffix in (".html", ".htm") else text


def _utf8(raw: bytes, uri: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(f"{uri} is not UTF-8 text (byte {exc.start}); save it as UTF-8.") from exc


class _TextOfHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skipping += tag in _SKIPPED_HTML
        if tag in _BLOCK_HTML:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        self._skipping -= tag in _SKIPPED_HTML and self._skipping > 0

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def _html(text: str) -> str:
    parser = _TextOfHtml()
    parser.feed(text)
    parser.close()
    return "".join(parser.parts)


def _pdf(raw: bytes, uri: str) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted:
            raise ValidationError(f"{uri} is an encrypted PDF; send it without a password.")
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise ValidationError(f"{uri} is not a readable PDF ({type(exc).__name__}: {exc}).") from exc


def _docx(raw: bytes, uri: str) -> str:
    from zipfile import BadZipFile

    import docx
    from docx.opc.exceptions import OpcError

    try:
        document = docx.Document(io.BytesIO(raw))
    except (BadZipFile, OpcError, KeyError, ValueError) as exc:
        raise ValidationError(f"{uri} is not a readable .docx file ({type(exc).__name__}: {exc}).") from exc
    cells = (cell.text for table in document.tables for row in table.rows for cell in row.cells)
    return "\n".join([*(paragraph.text for paragraph in document.paragraphs), *cells])
