"""Loading limits: a DOCX bomb, a long PDF and a long text are refused quickly, each as its own
file's failure naming the limit and the setting that raises it; indexing goes on with the rest."""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from bot import Settings
from bot.errors import ConfigError, DocumentTooLarge, LoadError
from bot.indexing import sync_index
from bot.limits import Limits
from bot.loading.corpus import load_document

from .conftest import write_corpus

MB = 2**20
PARAGRAPH = b"<w:p><w:r><w:t>cluster bomb text</w:t></w:r></w:p>"


def _docx_bytes(text: str = "Some text of a report.", picture: bool = False) -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph(text)
    if picture:
        from PIL import Image

        png = io.BytesIO()
        Image.new("RGB", (2, 2)).save(png, "PNG")
        document.add_picture(io.BytesIO(png.getvalue()))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _replace_part(docx: bytes, path: Path, member: str, head: bytes, block: bytes, times: int,
                  tail: bytes = b"") -> Path:
    """Write ``docx`` to ``path`` with ``member`` replaced by head + block * times + tail,
    compressed as it is written (a bomb never sits whole in the test's memory)."""
    source = zipfile.ZipFile(io.BytesIO(docx))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for info in source.infolist():
            if info.filename != member:
                out.writestr(info, source.read(info))
                continue
            with out.open(member, "w") as sink:
                sink.write(head)
                for _ in range(times):
                    sink.write(block)
                sink.write(tail)
    return path


def write_docx_bomb(path: Path, megabytes: int) -> Path:
    """A valid DOCX whose word/document.xml expands to ``megabytes`` MB of tiny paragraphs."""
    docx = _docx_bytes()
    xml = zipfile.ZipFile(io.BytesIO(docx)).read("word/document.xml")
    head = xml.split(b"<w:body>")[0] + b"<w:body>"
    block = PARAGRAPH * 10_000
    return _replace_part(docx, path, "word/document.xml", head, block,
                         megabytes * MB // len(block) + 1, b"</w:body></w:document>")


def _lie_about_size(path: Path, member: str, size: int) -> None:
    """Patch the zip's central directory: ``member`` declares ``size`` uncompressed bytes."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    at = data.find(b"PK\x01\x02")
    while at != -1:
        length = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46 : at + 46 + length]) == name:
            struct.pack_into("<I", data, at + 24, size)
            path.write_bytes(bytes(data))
            return
        at = data.find(b"PK\x01\x02", at + 4)
    raise AssertionError(f"{member} not in {path}")


MEASURE = """
import json, resource, sys, time
from pathlib import Path
from bot.loading.corpus import load_document
from bot.errors import LoadError
path = Path(sys.argv[1])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
try:
    outcome = "loaded %d characters" % len(load_document(path, path.parent).text)
except LoadError as exc:
    outcome = "%s: %s" % (type(exc).__name__, exc)
seconds = time.perf_counter() - started
growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
print(json.dumps({"outcome": outcome, "seconds": seconds, "growth_mb": growth}))
"""


def measure_load(path: Path) -> dict:
    """Load ``path`` with the default limits in a fresh process: outcome, seconds and how much
    its peak memory grew (MB) while loading."""
    run = subprocess.run([sys.executable, "-c", MEASURE, str(path)], capture_output=True,
                         text=True, timeout=300, cwd=Path(__file__).parents[1],
                         env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    print(f"{path.name}: {result['outcome'][:90]} in {result['seconds']:.2f} s, peak memory "
          f"+{result['growth_mb']:.0f} MB")
    return result


def test_a_docx_bomb_is_refused_quickly_in_bounded_memory(tmp_path: Path) -> None:
    bomb = write_docx_bomb(tmp_path / "bomb.docx", 30)
    assert bomb.stat().st_size < 200_000  # 30 MB of XML in a small file
    result = measure_load(bomb)
    xml = sum(i.file_size for i in zipfile.ZipFile(bomb).infolist()
              if i.filename.endswith((".xml", ".rels"))) / MB
    assert result["outcome"] == (
        f"DocumentTooLarge: the XML inside the DOCX expands to {xml:.1f} MB, more than the "
        "limit of 20 MB: split bomb.docx, or raise BOT_MAX_DOCX_XML_MB")
    assert result["seconds"] < 2 and result["growth_mb"] < 30


def test_a_docx_that_lies_about_its_sizes_gains_nothing(tmp_path: Path) -> None:
    bomb = write_docx_bomb(tmp_path / "liar.docx", 30)
    _lie_about_size(bomb, "word/document.xml", 1000)
    assert zipfile.ZipFile(bomb).getinfo("word/document.xml").file_size == 1000
    started = time.perf_counter()
    with pytest.raises(LoadError) as info:
        load_document(bomb, tmp_path)
    assert time.perf_counter() - started < 2
    # zipfile reads no further than the declared size, and the part's checksum then fails
    assert str(info.value).startswith("damaged DOCX (BadZipFile: Bad CRC-32")


def test_images_in_a_docx_are_never_decompressed(tmp_path: Path) -> None:
    docx = _docx_bytes("The cluster report has a picture.", picture=True)
    media = next(n for n in zipfile.ZipFile(io.BytesIO(docx)).namelist() if "media/" in n)
    path = _replace_part(docx, tmp_path / "picture.docx", media, b"", bytes(MB), 300)
    assert path.stat().st_size < 1_000_000  # 300 MB of "image" inside
    result = measure_load(path)
    assert result["outcome"] == "loaded 33 characters"
    assert result["seconds"] < 2 and result["growth_mb"] < 30


def test_docx_xml_limit_applies_to_declared_and_read_sizes(tmp_path: Path) -> None:
    path = tmp_path / "report.docx"
    path.write_bytes(_docx_bytes("Fees of the cluster. " * 50))
    xml = sum(i.file_size for i in zipfile.ZipFile(path).infolist()
              if i.filename.endswith((".xml", ".rels")))
    assert load_document(path, tmp_path, limits=Limits(docx_xml_bytes=xml)).blocks
    with pytest.raises(DocumentTooLarge, match=r"split report.docx, or raise BOT_MAX_DOCX_XML_MB"):
        load_document(path, tmp_path, limits=Limits(docx_xml_bytes=xml - 1))


def _pdf(path: Path, pages: int) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    for number in range(1, pages + 1):
        pdf.add_page()
        pdf.multi_cell(0, 6, f"Page {number}. The cluster office reports its members.")
    pdf.output(str(path))
    return path


def test_a_pdf_over_the_page_limit_is_refused(tmp_path: Path) -> None:
    path = _pdf(tmp_path / "long.pdf", 6)
    with pytest.raises(DocumentTooLarge) as info:
        load_document(path, tmp_path, limits=Limits(pdf_pages=5))
    assert str(info.value) == ("the PDF has 6 pages, more than the limit of 5: split long.pdf, "
                               "or raise BOT_MAX_PDF_PAGES")
    assert [b.page for b in load_document(path, tmp_path, limits=Limits(pdf_pages=6)).blocks] \
        == [1, 2, 3, 4, 5, 6]
    assert load_document(path, tmp_path, limits=Limits(pdf_pages=0)).blocks  # 0: no limit


@pytest.mark.parametrize("name", ["notes.txt", "notes.md", "page.html", "report.docx",
                                  "slides.pdf"])
def test_every_format_has_the_character_limit(tmp_path: Path, name: str) -> None:
    sentence = "The cluster office organised twelve matchmaking events for its members. "
    text = sentence * 40  # 2,880 characters
    path = tmp_path / "sub" / name
    path.parent.mkdir()
    if name.endswith(".docx"):
        path.write_bytes(_docx_bytes(text))
    elif name.endswith(".pdf"):
        from fpdf import FPDF

        pdf = FPDF()
        pdf.add_page()
        pdf.set_font("helvetica", size=11)
        pdf.multi_cell(0, 6, text)
        pdf.output(str(path))
    elif name.endswith(".html"):
        path.write_text(f"<html><body><main><p>{text}</p></main></body></html>", "utf-8")
    else:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(DocumentTooLarge) as info:
        load_document(path, tmp_path, limits=Limits(chars=2000))
    assert str(info.value) == ("its text is more than 2,000 characters long: split "
                               f"sub/{name}, or raise BOT_MAX_DOCUMENT_CHARS")
    assert len(load_document(path, tmp_path, limits=Limits(chars=3000)).text) > 2000


def test_limits_come_from_the_settings() -> None:
    settings = Settings.from_env(env={"BOT_MAX_DOCX_XML_MB": "2.5", "BOT_MAX_PDF_PAGES": "7",
                                      "BOT_MAX_DOCUMENT_CHARS": "0"})
    assert Limits.from_settings(settings) == Limits(int(2.5 * MB), 7, 0)
    assert Limits.from_settings(Settings.from_env(env={})) == Limits()
    assert Limits() == Limits(20 * MB, 2000, 50_000_000)
    with pytest.raises(ConfigError, match="BOT_MAX_PDF_PAGES must be 0"):
        Settings.from_env(env={"BOT_MAX_PDF_PAGES": "-1"})


def test_indexing_reports_each_oversized_file_and_goes_on(tmp_path: Path, embeddings) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    write_docx_bomb(corpus / "bomb.docx", 30)
    _pdf(corpus / "long.pdf", 4)
    (corpus / "long.txt").write_text("Members met in six working groups. " * 200, "utf-8")
    settings = Settings.from_env(env={}, corpus_dir=corpus, index_dir=tmp_path / "index",
                                 max_pdf_pages=3, max_document_chars=5000)
    report = sync_index(settings, embeddings)
    assert sorted(report.added) == ["alpha-profile.md", "beta-profile.md", "gamma-report.txt"]
    failed = dict(report.failed)
    assert sorted(failed) == ["bomb.docx", "long.pdf", "long.txt"]
    assert failed["bomb.docx"].endswith("split bomb.docx, or raise BOT_MAX_DOCX_XML_MB")
    assert failed["long.pdf"] == ("the PDF has 4 pages, more than the limit of 3: split "
                                  "long.pdf, or raise BOT_MAX_PDF_PAGES")
    assert failed["long.txt"] == ("its text is more than 5,000 characters long: split "
                                  "long.txt, or raise BOT_MAX_DOCUMENT_CHARS")
