"""Text extraction by file type, Bedrock's chunking strategies, and a registry written before data sources."""

from __future__ import annotations

import io
import sqlite3

import pytest

from outcrop.errors import ValidationError
from outcrop.index.chunking import parse_chunking
from outcrop.index.documents import extract_text
from outcrop.index.registry import Registry


def minimal_pdf(text: str) -> bytes:
    """A one-page PDF with `text` in Helvetica, written object by object with a correct xref table."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.4\n")
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def test_pdf_text_is_extracted():
    assert "Copper lantern by the harbor" in extract_text(minimal_pdf("Copper lantern by the harbor"), "file:///a.pdf")


def test_docx_paragraphs_and_tables_are_extracted():
    import docx

    document = docx.Document()
    document.add_paragraph("Violet meadow at dawn")
    document.add_table(rows=1, cols=1).cell(0, 0).text = "cedar row"
    buffer = io.BytesIO()
    document.save(buffer)
    text = extract_text(buffer.getvalue(), "s3://b/k/report.docx")
    assert "Violet meadow at dawn" in text
    assert "cedar row" in text


def test_html_loses_tags_scripts_and_styles():
    html = b"<html><style>p{}</style><body><h1>Title</h1><p>Body &amp; soul</p><script>x()</script></body></html>"
    text = extract_text(html, "file:///page.html")
    assert text.split() == ["Title", "Body", "&", "soul"]


@pytest.mark.parametrize(
    ("raw", "name"), [(b"%PDF-1.4 no", "a.pdf"), (b"PK\x03\x04oops", "a.docx"), (b"\xff\xfe", "a.txt")]
)
def test_unreadable_documents_raise_a_validation_error_naming_them(raw, name):
    with pytest.raises(ValidationError, match=name):
        extract_text(raw, f"file:///{name}")


def test_fixed_size_chunks_overlap_and_cover_the_end():
    words = [f"w{i}" for i in range(1000)]
    chunks = parse_chunking({"chunkingStrategy": "FIXED_SIZE",
                             "fixedSizeChunkingConfiguration": {"maxTokens": 100, "overlapPercentage": 20}}).split(" ".join(words))  # fmt: skip
    assert all(len(c.embed.split()) == 75 for c in chunks[:-1])  # 100 tokens at 0.75 words per token
    assert chunks[0].embed.split()[-15:] == chunks[1].embed.split()[:15]
    assert chunks[-1].embed.split()[-1] == "w999"


def test_chunks_are_fitted_to_the_embedding_models_input():
    fitted = parse_chunking(None).fit(256)  # Titan Multimodal Embeddings reads 256 tokens
    assert (fitted.max_tokens, fitted.overlap_tokens) == (254, 50)
    assert parse_chunking(None).fit(8192) == parse_chunking(None)
    assert parse_chunking({"chunkingStrategy": "NONE"}).fit(16).strategy == "NONE"


def test_default_none_and_hierarchical_chunking():
    text = " ".join(f"w{i}" for i in range(700))
    assert len(parse_chunking(None).split(text)) == 4  # Bedrock's default: 300 tokens (225 words), 20% overlap
    assert [c.text for c in parse_chunking({"chunkingStrategy": "NONE"}).split(text)] == [text]
    hierarchical = parse_chunking({"chunkingStrategy": "HIERARCHICAL", "hierarchicalChunkingConfiguration": {
        "levelConfigurations": [{"maxTokens": 400}, {"maxTokens": 100}], "overlapTokens": 10}})  # fmt: skip
    chunks = hierarchical.split(text)
    assert all(len(c.embed.split()) <= 75 and c.embed in c.text and len(c.text.split()) <= 300 for c in chunks)


@pytest.mark.parametrize(
    ("config", "says"),
    [
        ({"chunkingStrategy": "SEMANTIC"}, "FIXED_SIZE, HIERARCHICAL or NONE"),
        ({"chunkingStrategy": "FIXED_SIZE"}, "fixedSizeChunkingConfiguration is required"),
        (
            {
                "chunkingStrategy": "FIXED_SIZE",
                "fixedSizeChunkingConfiguration": {"maxTokens": 0, "overlapPercentage": 5},
            },
            "maxTokens must be a whole number",
        ),
        (
            {"chunkingStrategy": "HIERARCHICAL", "hierarchicalChunkingConfiguration": {"levelConfigurations": []}},
            "must be two objects",
        ),
    ],
)
def test_bad_chunking_says_what_to_send(config, says):
    with pytest.raises(ValidationError, match=says):
        parse_chunking(config)


V0_SCHEMA = """
CREATE TABLE knowledge_bases (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, description TEXT NOT NULL,
    model_id TEXT NOT NULL, dimension INTEGER NOT NULL, index_kind TEXT NOT NULL, space TEXT, created_at REAL NOT NULL);
CREATE TABLE documents (kb_id TEXT NOT NULL, uri TEXT NOT NULL, kind TEXT NOT NULL, content_hash TEXT NOT NULL,
    PRIMARY KEY (kb_id, uri));
CREATE TABLE items (kb_id TEXT NOT NULL, id TEXT NOT NULL, uri TEXT NOT NULL, chunk INTEGER NOT NULL, kind TEXT NOT NULL,
    text TEXT, metadata TEXT NOT NULL, PRIMARY KEY (kb_id, id));
CREATE INDEX items_uri ON items (kb_id, uri);
CREATE TABLE ingestions (id TEXT PRIMARY KEY, kb_id TEXT NOT NULL, source TEXT NOT NULL, status TEXT NOT NULL,
    report TEXT NOT NULL, error TEXT, started_at REAL NOT NULL, ended_at REAL);
INSERT INTO knowledge_bases VALUES ('KB00000001', 'old', '', 'm', 8, 'embedded', 'x@8', 1.0);
INSERT INTO documents VALUES ('KB00000001', 'file:///p/a.txt', 'TEXT', 'h1');
INSERT INTO items VALUES ('KB00000001', 'item1', 'file:///p/a.txt', 0, 'TEXT', 'hello', '{}');
INSERT INTO ingestions VALUES ('RUN1', 'KB00000001', '/p', 'COMPLETE', '{}', NULL, 1.0, 2.0);
"""


def test_a_registry_from_before_data_sources_gets_one_default_source(tmp_path):
    path = tmp_path / "registry.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(V0_SCHEMA)
    registry = Registry(path)
    (source,) = registry.sources("KB00000001")
    assert (source.name, source.source) == ("default", "/p")
    assert registry.document_hashes("KB00000001", source.id) == {"file:///p/a.txt": "h1"}
    assert [item.source_id for item in registry.list_items("KB00000001")] == [source.id]
    assert registry.ingestion("RUN1").source_id == source.id
    registry.close()
    assert Registry(path).sources("KB00000001") == [source]  # opening again changes nothing
