"""Upload rules: allowed types, size cap, safe names, no overwrite, who may change documents."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import Settings
from bot.uploads import (
    ALLOWED_EXTENSIONS,
    AccessDenied,
    UploadRejected,
    can_change_documents,
    check_access,
    corpus_path,
    is_loopback,
    restore_document,
    sanitize_filename,
    save_upload,
    trash_document,
    trashed_documents,
)


def _upload(tmp_path: Path, name: str, data: bytes) -> Path:
    folder = tmp_path / "incoming"
    folder.mkdir(exist_ok=True)
    path = folder / "upload.bin"  # the temporary name Gradio gives does not matter
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("name, expected", [
    ("report.md", "report.md"),
    ("../../x.md", "x.md"),
    ("..\\..\\windows\\evil.txt", "evil.txt"),
    ("/etc/cron.d/job.html", "job.html"),
    ("Jahresbericht Südtirol 2024.PDF", "Jahresbericht-Sudtirol-2024.pdf"),
    (".hidden.md", "hidden.md"),
    ("a  b\tc.docx", "a-b-c.docx"),
    ("notes.markdown", "notes.markdown"),
    ("page.HTM", "page.htm"),
])
def test_sanitize_filename_keeps_one_safe_name(name: str, expected: str) -> None:
    assert sanitize_filename(name) == expected


@pytest.mark.parametrize("name", [
    "script.py", "archive.zip", "noextension", "x.md.exe", "..", "../", ".md",
    "report.md.meta.yaml", "bild.png",
])
def test_sanitize_filename_refuses_other_types(name: str) -> None:
    with pytest.raises(UploadRejected) as info:
        sanitize_filename(name)
    assert ".md" in str(info.value) or "usable file name" in str(info.value)


def test_allowed_extensions_are_the_indexable_types() -> None:
    from bot.documents import PARSERS

    assert set(ALLOWED_EXTENSIONS) == set(PARSERS)


def test_save_upload_stores_in_the_corpus(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    saved = save_upload(corpus, "Cluster Report.md", _upload(tmp_path, "x", b"# A\nText"), 1)
    assert saved.source == "Cluster-Report.md" and not saved.renamed
    assert (corpus / "Cluster-Report.md").read_bytes() == b"# A\nText"
    assert [p.name for p in corpus.iterdir()] == ["Cluster-Report.md"]  # no temporary file left


def test_path_traversal_cannot_escape_the_corpus(tmp_path: Path) -> None:
    corpus = tmp_path / "deep" / "corpus"
    saved = save_upload(corpus, "../../x.md", _upload(tmp_path, "x", b"# X\nText"), 1)
    assert saved.path == (corpus / "x.md").resolve()
    assert not (tmp_path / "x.md").exists() and not (tmp_path / "deep" / "x.md").exists()


def test_same_name_gets_a_suffix_and_nothing_is_overwritten(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "report.md").write_text("# Old\nthe original", encoding="utf-8")
    (corpus / "report-2.md").write_text("# Second\nanother one", encoding="utf-8")
    saved = save_upload(corpus, "report.md", _upload(tmp_path, "x", b"# New\nnew text"), 1)
    assert saved.source == "report-3.md" and saved.renamed
    assert (corpus / "report.md").read_text(encoding="utf-8") == "# Old\nthe original"
    assert (corpus / "report-2.md").read_text(encoding="utf-8") == "# Second\nanother one"


def test_a_sidecar_name_counts_as_taken(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "study.pdf.meta.yaml").write_text("cluster: X\n", encoding="utf-8")
    saved = save_upload(corpus, "study.pdf", _upload(tmp_path, "x", b"%PDF-1.4 fake"), 1)
    assert saved.source == "study-2.pdf"


def test_identical_content_is_refused_with_the_existing_name(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    save_upload(corpus, "a.md", _upload(tmp_path, "x", b"# Same\nsame bytes"), 1)
    with pytest.raises(UploadRejected, match="already in the corpus as a.md"):
        save_upload(corpus, "b.md", _upload(tmp_path, "x", b"# Same\nsame bytes"), 1)
    assert sorted(p.name for p in corpus.iterdir()) == ["a.md"]


def test_size_cap_is_enforced_on_the_server(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    big = _upload(tmp_path, "x", b"a" * (1024 * 1024 + 1))
    with pytest.raises(UploadRejected, match=r"more than the limit of 1 MB.*BOT_MAX_UPLOAD_MB"):
        save_upload(corpus, "big.txt", big, 1)
    assert not corpus.exists() or not any(corpus.iterdir())
    exactly = _upload(tmp_path, "x", b"a" * (512 * 1024))
    assert save_upload(corpus, "half.txt", exactly, 0.5).source == "half.txt"


def test_empty_and_disallowed_uploads_are_refused(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    with pytest.raises(UploadRejected, match="empty"):
        save_upload(corpus, "empty.md", _upload(tmp_path, "x", b""), 1)
    with pytest.raises(UploadRejected, match="not a supported document"):
        save_upload(corpus, "run.sh", _upload(tmp_path, "x", b"rm -rf /"), 1)


@pytest.mark.parametrize("host, expected", [
    ("127.0.0.1", True), ("127.0.1.1", True), ("localhost", True), ("::1", True),
    ("[::1]", True), ("0.0.0.0", False), ("192.168.1.20", False), ("::", False),
    ("example.org", False),
])
def test_is_loopback(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected


def test_password_is_enforced_when_set() -> None:
    settings = Settings.from_env(env={}, admin_password="s3cret", host="0.0.0.0")
    check_access(settings, "s3cret")
    for wrong in ("", None, "S3CRET", "s3cret "):
        with pytest.raises(AccessDenied, match="BOT_ADMIN_PASSWORD"):
            check_access(settings, wrong)


def test_without_password_changes_only_on_loopback() -> None:
    assert can_change_documents(Settings.from_env(env={}, host="127.0.0.1"), "")
    public = Settings.from_env(env={}, host="0.0.0.0")
    assert not can_change_documents(public, "anything")
    with pytest.raises(AccessDenied, match="set BOT_ADMIN_PASSWORD"):
        check_access(public, "")


def test_removing_moves_file_and_sidecar_to_the_trash_and_back(tmp_path: Path) -> None:
    corpus, trash = tmp_path / "corpus", tmp_path / "data" / "trash"
    (corpus / "sub").mkdir(parents=True)
    (corpus / "sub" / "guide.pdf").write_bytes(b"%PDF")
    (corpus / "sub" / "guide.pdf.meta.yaml").write_text("cluster: X\n", encoding="utf-8")
    (corpus / "other.md").write_text("# Other\n", encoding="utf-8")
    moved = trash_document(corpus, trash, "sub/guide.pdf")
    assert (moved.source, moved.files) == ("sub/guide.pdf",
                                           ["sub/guide.pdf", "sub/guide.pdf.meta.yaml"])
    assert sorted(p.name for p in corpus.rglob("*") if p.is_file()) == ["other.md"]
    assert (trash / moved.entry / "sub" / "guide.pdf").read_bytes() == b"%PDF"
    with pytest.raises(UploadRejected, match="not in the corpus"):
        trash_document(corpus, trash, "sub/guide.pdf")
    assert [t.source for t in trashed_documents(trash)] == ["sub/guide.pdf"]
    # the name was taken again meanwhile: the restored file gets a number, with its sidecar
    (corpus / "sub" / "guide.pdf").write_bytes(b"%PDF new")
    assert restore_document(corpus, trash, moved.entry) == "sub/guide-2.pdf"
    assert (corpus / "sub" / "guide-2.pdf").read_bytes() == b"%PDF"
    assert (corpus / "sub" / "guide-2.pdf.meta.yaml").read_text(encoding="utf-8") == "cluster: X\n"
    assert trashed_documents(trash) == [] and not (trash / moved.entry).exists()
    with pytest.raises(UploadRejected, match="is not in the trash"):
        restore_document(corpus, trash, "../corpus")


def test_trash_refuses_paths_outside_the_corpus(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    outside = tmp_path / "secret.md"
    outside.write_text("keep me", encoding="utf-8")
    for source in ("../secret.md", str(outside), "sub/../../secret.md"):
        with pytest.raises(UploadRejected, match="not a document of the corpus"):
            trash_document(corpus, tmp_path / "trash", source)
    assert outside.exists()
    assert corpus_path(corpus, "sub/a.md") == (corpus / "sub" / "a.md").resolve()
