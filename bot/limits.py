"""How much of one document the loaders read: limits that keep a hostile or absurd file cheap.

A file over a limit is refused with ``DocumentTooLarge`` (never cut short); indexing reports it
as that file's failure and goes on with the others. Each limit is a setting; 0 means no limit:

* ``BOT_MAX_DOCX_XML_MB``: the XML inside a DOCX once decompressed. Checked against the sizes the
  zip declares, then again while reading in chunks, so a lying zip gains nothing. Images and other
  embedded files are never decompressed at all.
* ``BOT_MAX_PDF_PAGES``: pages of a PDF, checked before any text is extracted.
* ``BOT_MAX_DOCUMENT_CHARS``: characters of text of a document of any type, checked as early as
  the format allows (before parsing plain text and Markdown, page by page, paragraph by paragraph).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from .config import Settings
from .errors import DocumentTooLarge

#: Parts of a DOCX that python-docx parses as XML; the others are passed on empty.
XML_PARTS = (".xml", ".rels")
CHUNK = 1 << 16


@dataclass(frozen=True)
class Limits:
    """The limits of one loading run (defaults: those of ``Settings``); 0 means no limit."""

    docx_xml_bytes: int = int(Settings.max_docx_xml_mb * 2**20)
    pdf_pages: int = Settings.max_pdf_pages
    chars: int = Settings.max_document_chars

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        """The limits ``settings`` ask for."""
        return cls(int(settings.max_docx_xml_mb * 2**20), settings.max_pdf_pages,
                   settings.max_document_chars)

    def check_chars(self, count: int) -> None:
        """Refuse a document with more than ``chars`` characters of text."""
        if self.chars and count > self.chars:
            raise DocumentTooLarge(f"its text is more than {self.chars:,} characters long",
                                   "BOT_MAX_DOCUMENT_CHARS")

    def check_pdf_pages(self, count: int) -> None:
        """Refuse a PDF of more than ``pdf_pages`` pages."""
        if self.pdf_pages and count > self.pdf_pages:
            raise DocumentTooLarge(f"the PDF has {count:,} pages, more than the limit of "
                                   f"{self.pdf_pages:,}", "BOT_MAX_PDF_PAGES")

    def _docx_too_large(self, size: str) -> DocumentTooLarge:
        return DocumentTooLarge(f"the XML inside the DOCX expands to {size}, more than the limit "
                                f"of {self.docx_xml_bytes / 2**20:g} MB", "BOT_MAX_DOCX_XML_MB")

    def docx_package(self, data: bytes) -> io.BytesIO:
        """The DOCX ``data`` repacked for python-docx: its XML parts, read chunk by chunk within
        ``docx_xml_bytes`` in all, and its other parts (images, embedded files) left empty.

        Raises ``DocumentTooLarge`` over the limit, ``zipfile.BadZipFile`` (and the other errors
        of ``zipfile``) for a damaged file."""
        budget = self.docx_xml_bytes
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(data)) as source, \
                zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as target:
            parts = [info for info in source.infolist() if not info.is_dir()]
            declared = sum(info.file_size for info in parts if _is_xml(info))
            if budget and declared > budget:
                raise self._docx_too_large(f"{declared / 2**20:.1f} MB")
            read = 0
            for info in parts:
                if not _is_xml(info):
                    target.writestr(info.filename, b"")  # never decompressed
                    continue
                with source.open(info) as stream, target.open(info.filename, "w") as sink:
                    while chunk := stream.read(CHUNK):
                        # zipfile stops at the declared size today (a CRC error follows); the
                        # count does not rely on it
                        read += len(chunk)
                        if budget and read > budget:
                            raise self._docx_too_large(f"more than {budget / 2**20:g} MB")
                        sink.write(chunk)
        out.seek(0)
        return out


def _is_xml(info: zipfile.ZipInfo) -> bool:
    return info.filename.lower().endswith(XML_PARTS)
