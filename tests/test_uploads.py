"""Upload rules: allowed types, size cap, safe names, no overwrite, who may change documents."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bot import Settings, uploads
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
    from bot.loading.corpus import PARSERS

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


# ---------------------------------------------------------------- concurrent uploads

def _hidden(corpus: Path) -> list[str]:
    return sorted(p.name for p in corpus.iterdir() if p.name.startswith("."))


def upload_at_once(corpus: Path, name: str, sources: list[Path]) -> list[object]:
    """``save_upload`` of every file of ``sources`` as ``name``, each in its own thread, all
    released at once; the results in order (a ``SavedUpload`` or the exception raised)."""
    barrier = threading.Barrier(len(sources))
    results: list[object] = [None] * len(sources)

    def upload(i: int) -> None:
        barrier.wait()
        try:
            results[i] = save_upload(corpus, name, sources[i], 1)
        except Exception as exc:  # recorded: the caller asserts there is none
            results[i] = exc

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(len(sources))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_uploads_of_one_name_each_land_whole(tmp_path: Path) -> None:
    for round_ in range(5):
        corpus = tmp_path / f"corpus{round_}"
        contents = [f"# Report {i}\n".encode() + bytes([65 + i]) * (200_000 + i)
                    for i in range(8)]
        sources = [tmp_path / f"upload{round_}-{i}.md" for i in range(8)]
        for source, data in zip(sources, contents):
            source.write_bytes(data)
        results = upload_at_once(corpus, "report.md", sources)
        assert not [r for r in results if isinstance(r, Exception)], results
        names = [r.source for r in results]
        assert sorted(names) == ["report-2.md", "report-3.md", "report-4.md", "report-5.md",
                                 "report-6.md", "report-7.md", "report-8.md", "report.md"]
        for name, data in zip(names, contents):
            assert (corpus / name).read_bytes() == data, (round_, name)
        assert _hidden(corpus) == []


def test_concurrent_identical_uploads_land_once(tmp_path: Path) -> None:
    for round_ in range(10):
        corpus = tmp_path / f"corpus{round_}"
        sources = [tmp_path / f"same{round_}-{i}.md" for i in range(8)]
        for source in sources:
            source.write_bytes(b"# Same report\n" + b"x" * 1_000_000)
        results = upload_at_once(corpus, "same.md", sources)
        saved = [r for r in results if not isinstance(r, Exception)]
        assert len(saved) == 1, results
        assert all(isinstance(r, UploadRejected) and "already in the corpus as same.md" in str(r)
                   for r in results if r is not saved[0])
        assert sorted(p.name for p in corpus.iterdir()) == ["same.md"]


CHILD = """
import json, sys, time
from pathlib import Path
from bot.uploads import UploadRejected, save_upload
corpus, name, src, go = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
Path(str(src) + ".ready").touch()
while not go.exists():
    time.sleep(0.001)
try:
    print(json.dumps({"saved": save_upload(corpus, name, src, 1).source}))
except UploadRejected as exc:
    print(json.dumps({"refused": str(exc)}))
"""


def test_concurrent_identical_uploads_from_processes_land_once(tmp_path: Path) -> None:
    corpus, go = tmp_path / "corpus", tmp_path / "go"
    corpus.mkdir()
    children = []
    for i in range(8):
        src = tmp_path / f"upload-{i}.md"
        src.write_bytes(b"# Same report\n" + b"x" * 300_000)
        children.append(subprocess.Popen(
            [sys.executable, "-c", CHILD, str(corpus), f"copy-{i}.md", str(src), str(go)],
            stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[1],
            env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}))
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("*.ready"))) < 8 and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()
    results = [json.loads(child.communicate(timeout=60)[0]) for child in children]
    saved = [r["saved"] for r in results if "saved" in r]
    refused = [r["refused"] for r in results if "refused" in r]
    assert len(saved) == 1 and len(refused) == 7
    assert all(f"already in the corpus as {saved[0]}" in reason for reason in refused)
    assert sorted(p.name for p in corpus.iterdir()) == saved


def test_a_name_taken_by_another_program_is_not_overwritten(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    real_free_name = uploads.free_name

    def racing_free_name(folder: Path, name: str) -> str:
        candidate = real_free_name(folder, name)
        if candidate == "report.md":  # another program writes it right after the look-up
            (folder / candidate).write_text("# Theirs\nwritten meanwhile", encoding="utf-8")
        return candidate

    monkeypatch.setattr(uploads, "free_name", racing_free_name)
    saved = save_upload(corpus, "report.md", _upload(tmp_path, "x", b"# Mine\nmy text"), 1)
    assert saved.source == "report-2.md" and saved.renamed
    assert (corpus / "report.md").read_text(encoding="utf-8") == "# Theirs\nwritten meanwhile"
    assert (corpus / "report-2.md").read_bytes() == b"# Mine\nmy text"
    assert _hidden(corpus) == []


def test_a_refused_upload_leaves_no_temporary_file(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    save_upload(corpus, "a.md", _upload(tmp_path, "x", b"# A\ntext"), 1)
    with pytest.raises(UploadRejected, match="already in the corpus"):
        save_upload(corpus, "b.md", _upload(tmp_path, "x", b"# A\ntext"), 1)
    assert sorted(p.name for p in corpus.iterdir()) == ["a.md"]


# ---------------------------------------------------------------- the upload's source copy

def test_discard_source_deletes_the_upload_after_saving_or_refusing(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    kept = _upload(tmp_path, "x", b"# Kept\ntext")
    save_upload(corpus, "kept.md", kept, 1)
    assert kept.exists()  # by default the caller's file is left alone

    cases = [("new.md", b"# New\nfresh text", None),
             ("again.md", b"# Kept\ntext", "already in the corpus"),
             ("big.md", b"a" * (1024 * 1024 + 1), "more than the limit"),
             ("run.sh", b"echo", "not a supported document")]
    for name, data, refusal in cases:
        src = tmp_path / "gradio" / name
        src.parent.mkdir(exist_ok=True)
        src.write_bytes(data)
        if refusal:
            with pytest.raises(UploadRejected, match=refusal):
                save_upload(corpus, name, src, 1, discard_source=True)
        else:
            assert save_upload(corpus, name, src, 1, discard_source=True).source == name
        assert not src.exists(), name
    assert (corpus / "new.md").read_bytes() == b"# New\nfresh text"


def test_an_upload_gone_before_it_is_saved_is_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(UploadRejected, match="upload it again"):
        save_upload(tmp_path / "corpus", "gone.md", tmp_path / "missing.md", 1)


# ---------------------------------------------------------------- what may be removed

def test_trash_document_refuses_the_ignore_file_and_other_non_documents(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    files = {".clusterbotignore": "SOURCES.md\n", "SOURCES.md": "# Sources\n",
             ".notes.md": "# hidden\n", "sub/.draft.md": "# hidden\n",
             "guide.pdf": "%PDF", "guide.pdf.meta.yaml": "cluster: X\n",
             "sub/report.md": "# Report\n"}
    for name, text in files.items():
        (corpus / name).write_text(text, encoding="utf-8")
    for source in (".clusterbotignore", "SOURCES.md", ".notes.md", "sub/.draft.md",
                   "guide.pdf.meta.yaml", "sub/../.clusterbotignore"):
        with pytest.raises(UploadRejected, match="not a document but a file clusterbot keeps "
                                                 r"out of the index .*\.clusterbotignore"):
            trash_document(corpus, tmp_path / "trash", source)
    assert all((corpus / name).exists() for name in files)
    assert trash_document(corpus, tmp_path / "trash", "sub/report.md").files == ["sub/report.md"]
    assert trash_document(corpus, tmp_path / "trash", "guide.pdf").files == [
        "guide.pdf", "guide.pdf.meta.yaml"]
