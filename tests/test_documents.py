"""Loaders: each format on small files the tests create."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import LoadError
from bot.loading.corpus import iter_corpus, load_document


def load(path: Path):
    return load_document(path, path.parent)


def test_markdown_front_matter_becomes_metadata(tmp_path: Path) -> None:
    path = tmp_path / "note.md"
    path.write_text(
        "---\ntitle: Fees at Alpha\ncluster: Alpha\ncountry: Austria\nyear: '2021'\n"
        "type: guide\ntopics: Services, Income streams\nillustrative: true\n---\n"
        "# Ignored heading\n\n## Fees\n\nA small company pays 450 euros.\n\n"
        "- item one\n- item two\n",
        encoding="utf-8")
    doc = load(path)
    assert doc.source == "note.md"
    assert doc.title == "Fees at Alpha"
    assert doc.metadata == {"cluster": "Alpha", "country": "Austria", "year": 2021,
                            "type": "guide", "topics": ["services", "income streams"],
                            "illustrative": True, "language": "en"}
    assert [b.text for b in doc.blocks] == ["A small company pays 450 euros.", "- item one",
                                            "- item two"]
    assert all(b.section == ("Fees",) for b in doc.blocks)


def test_markdown_without_front_matter_takes_first_heading_as_title(tmp_path: Path) -> None:
    path = tmp_path / "plain.md"
    path.write_text("# Member survey 2024\n\nSatisfaction rose to 8.2.\n", encoding="utf-8")
    doc = load(path)
    assert doc.title == "Member survey 2024"
    assert doc.metadata == {"language": "en"}
    assert doc.blocks[0].text == "Satisfaction rose to 8.2."


def test_text_file_title_headings_and_latin1(tmp_path: Path) -> None:
    path = tmp_path / "report.txt"
    path.write_bytes("Annual report\n\nServices\nWe ran 14 events in Málaga.\n".encode("latin-1"))
    doc = load(path)
    assert doc.title == "Annual report"
    assert doc.blocks[0].text == "We ran 14 events in Málaga."
    assert doc.blocks[0].section == ("Services",)


def test_text_minutes_keep_subtitle_and_numbered_sections(tmp_path: Path) -> None:
    path = tmp_path / "acta.txt"
    path.write_text(
        "DUEROMED\nACTA DE LA JUNTA DIRECTIVA\n\nLugar : Valladolid\nFecha: 22 de mayo\n\n"
        "3. Cuentas anuales 2023\n\nLos ingresos ascendieron a 387.200 €.\n\n"
        "Orden del día:\n\n1. Apertura\n\n2. Cuentas\n", encoding="utf-8")
    doc = load(path)
    assert doc.title == "DUEROMED"
    sections = {b.text: b.section for b in doc.blocks}
    assert sections["Los ingresos ascendieron a 387.200 €."] == (
        "ACTA DE LA JUNTA DIRECTIVA", "3. Cuentas anuales 2023")
    # a French "Key : value" line is no heading; a numbered list item before another stays one
    assert sections["Lugar : Valladolid"] == ("ACTA DE LA JUNTA DIRECTIVA",)
    assert "- Apertura" in sections


def test_text_without_heading_uses_file_name(tmp_path: Path) -> None:
    path = tmp_path / "meeting_notes.txt"
    path.write_text("we discussed the fees for next year and agreed on them.\n", encoding="utf-8")
    assert load(path).title == "Meeting notes"


def test_html_keeps_main_text_only(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text("""<html><head><title>Gamma news</title>
        <meta name="cluster" content="Gamma"><meta name="year" content="2020">
        <style>.x{color:red}</style><script>var tracking = 1;</script></head>
        <body><nav><a href="/">Home</a> <a href="/about">About us</a></nav>
        <header>Site banner</header>
        <main><h1>Gamma news</h1><h2>Events</h2><p>The cluster held 14 events.</p>
        <ul><li>Matchmaking</li></ul><table><tr><td>Fee</td><td>300</td></tr></table></main>
        <footer>Copyright 2024 Gamma. Imprint.</footer></body></html>""", encoding="utf-8")
    doc = load(path)
    assert doc.title == "Gamma news"
    assert doc.metadata == {"cluster": "Gamma", "year": 2020, "language": "en"}
    assert [b.text for b in doc.blocks] == ["The cluster held 14 events.", "- Matchmaking",
                                            "Fee | 300"]
    assert doc.blocks[0].section == ("Events",)
    assert "tracking" not in doc.text and "Copyright" not in doc.text and "About us" not in doc.text


def test_pdf_text_per_page_with_page_numbers(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title("Delta strategy")
    pdf.set_font("helvetica", size=11)
    for number, sentence in enumerate(["Delta was founded in 2009.", "Delta has 64 members."], 1):
        pdf.add_page()
        pdf.multi_cell(0, 6, f"Page {number} text. {sentence}")
    path = tmp_path / "strategy.pdf"
    pdf.output(str(path))
    doc = load(path)
    assert doc.title == "Delta strategy"
    assert [(b.page, "founded in 2009" in b.text) for b in doc.blocks] == [(1, True), (2, False)]
    assert "64 members" in doc.blocks[1].text


def test_pdf_list_ends_where_the_next_list_begins(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    pdf.multi_cell(0, 6, "Income by year. The office reports its income mix for two years, "
                         "with the total of each year and the share of every income stream.")
    for line in ["2021 (total EUR 1.2 million):", "- Membership fees: 18%",
                 "- Sponsorship and events: 7%", "2024 (total EUR 1.5 million):",
                 "- Membership fees: 23%", "- Sponsorship and events: 5%"]:
        pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    path = tmp_path / "income.pdf"
    pdf.output(str(path))
    texts = [b.text for b in load(path).blocks]
    assert texts[1:] == ["2021 (total EUR 1.2 million):", "- Membership fees: 18%",
                         "- Sponsorship and events: 7%", "2024 (total EUR 1.5 million):",
                         "- Membership fees: 23%", "- Sponsorship and events: 5%"]


def test_a_pdf_table_of_figures_becomes_rows_under_its_column_names(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    pdf.multi_cell(0, 6, "The cluster at a glance. The office counts its members and staff at "
                         "the end of each year, as the table below shows for two years.")
    with pdf.table() as table:
        for cells in [("Indicator", "2023", "2024"), ("Members (total)", "118", "131"),
                      ("Staff (FTE)", "7.0", "7.5"), ("Event participants", "1,910", "2,380")]:
            row = table.row()
            for cell in cells:
                row.cell(cell)
    pdf.multi_cell(0, 6, "The 13 new members were mostly start-ups.")
    path = tmp_path / "report.pdf"
    pdf.output(str(path))
    doc = load(path)
    texts = [b.text for b in doc.blocks]
    assert "Indicator: Members (total) | 2023: 118 | 2024: 131" in texts
    assert "Indicator: Event participants | 2023: 1,910 | 2024: 2,380" in texts
    assert all("131" not in part for b in doc.blocks for part in b.section)  # no heading
    assert texts[-1] == "The 13 new members were mostly start-ups."


def test_a_pdf_running_footer_is_no_text_of_the_document(tmp_path: Path) -> None:
    from fpdf import FPDF

    class Report(FPDF):
        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("helvetica", size=8)
            self.cell(0, 8, f"Zelvora Cluster - Annual Report 2024 - page {self.page_no()}")

    pdf = Report()
    pages = [["Zelvora Cluster - Annual Report 2024", "We ended the year with 112 members."],
             ["Sponsorship rose to EUR 52,500."]]
    for page in pages:
        pdf.add_page()
        pdf.set_font("helvetica", size=11)
        for text in page:
            pdf.set_x(10)
            pdf.multi_cell(190, 6, text)
    path = tmp_path / "report.pdf"
    pdf.output(str(path))
    blocks = load(path).blocks
    text = " ".join([*(b.text for b in blocks), *(part for b in blocks for part in b.section)])
    assert "page" not in text, text
    assert "We ended the year with 112 members." in text
    assert "Sponsorship rose to EUR 52,500." in text
    # the title on the first page is kept, though the footer repeats its words
    assert text.count("Zelvora Cluster - Annual Report 2024") == 1


def test_figure_rows_are_told_from_sentences_and_their_columns_named() -> None:
    from bot.loading.pdf_tables import figure_row, figure_tables

    assert figure_row("Non-public share 45 % 51 %") == ("Non-public share", ["45 %", "51 %"])
    assert figure_row("Income rose in 2023 2024") is None  # a sentence's end, not a row
    assert figure_tables(["Income stream 2023 (EUR) 2024 (EUR)", "Fees 286,400 312,750",
                          "Sponsorship 38,000 52,500"]) == [
        "Income stream: Fees | 2023 (EUR): 286,400 | 2024 (EUR): 312,750",
        "Income stream: Sponsorship | 2023 (EUR): 38,000 | 2024 (EUR): 52,500"]
    # columns that cannot be told apart (names of several words) are not guessed
    assert figure_tables(["Indicator Alpine Bio Cluster Nordic Wood Cluster", "Members 131 112",
                          "Staff 7.5 6.0"]) == ["Indicator Alpine Bio Cluster Nordic Wood Cluster",
                                                "Members | 131 | 112", "Staff | 7.5 | 6.0"]
    assert figure_tables(["One line 12 14", "Then a sentence."]) == [
        "One line 12 14", "Then a sentence."]  # one row is no table
    # a label too long for its cell wraps onto a line of its own: joined back to its row
    assert figure_tables(["Income 2023 2024", "Member subscriptions £72,000 £81,500",
                          "Public grants (Scottish Enterprise, Tay Cities",
                          "Deal) £150,000 £140,000", "Sponsorship £35,000 £39,000"]) == [
        "Income: Member subscriptions | 2023: £72,000 | 2024: £81,500",
        "Income: Public grants (Scottish Enterprise, Tay Cities Deal) | 2023: £150,000 | "
        "2024: £140,000", "Income: Sponsorship | 2023: £35,000 | 2024: £39,000"]
    # a label over two lines, its figures on a third
    assert figure_tables(["Indicator Alpha Beta", "Members 97 63",
                          "Public and EU funding (% of", "income)", "53% 66%"]) == [
        "Indicator: Members | Alpha: 97 | Beta: 63",
        "Indicator: Public and EU funding (% of income) | Alpha: 53% | Beta: 66%"]
    # a sentence, or a header of years, after a row is no wrapped label
    assert figure_tables(["Staff 7 8", "The office grew.", "Members 12 14"]) == [
        "Staff 7 8", "The office grew.", "Members 12 14"]


def test_docx_keeps_headings_and_lists(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.core_properties.title = "Epsilon catalogue"
    document.core_properties.category = "catalogue"
    document.add_heading("Services", level=1)
    document.add_paragraph("The office offers three services.")
    document.add_paragraph("Matchmaking", style="List Bullet")
    document.add_heading("Prices", level=2)
    document.add_paragraph("Coaching costs 90 euros an hour.")
    path = tmp_path / "catalogue.docx"
    document.save(str(path))
    doc = load(path)
    assert doc.title == "Epsilon catalogue"
    assert doc.metadata == {"type": "catalogue", "language": "en"}
    assert [(b.text, b.section) for b in doc.blocks] == [
        ("The office offers three services.", ("Services",)),
        ("- Matchmaking", ("Services",)),
        ("Coaching costs 90 euros an hour.", ("Services", "Prices")),
    ]


def test_sidecar_metadata_overrides(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Some text about fees and members.\n", encoding="utf-8")
    (tmp_path / "a.txt.meta.yaml").write_text("title: Sidecar title\ncluster: Zeta\n")
    doc = load(path)
    assert (doc.title, doc.metadata) == ("Sidecar title", {"cluster": "Zeta", "language": "en"})


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.md", b"", "empty file"),
        ("random.txt", bytes(range(256)) * 40, "binary content"),
        ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "PDF"),
        ("broken.docx", b"PK\x03\x04 truncated", "damaged DOCX"),
        ("data.xyz", b"hello", "unsupported file type .xyz"),
    ],
)
def test_unreadable_files_raise_load_error_with_reason(tmp_path: Path, name: str, content: bytes,
                                                        reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(LoadError, match=reason) as info:
        load(path)
    assert "\n" not in str(info.value)


def test_iter_corpus_skips_hidden_sidecars_and_ignored(tmp_path: Path) -> None:
    for name in ["a.md", ".hidden.md", "b.pdf.meta.yaml", "SOURCES.md", "sub/c.txt"]:
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("x")
    (tmp_path / ".clusterbotignore").write_text("# comment\nSOURCES.md\n")
    assert [p.relative_to(tmp_path).as_posix() for p in iter_corpus(tmp_path)] == ["a.md",
                                                                                   "sub/c.txt"]


def test_iter_corpus_refuses_symlinks_that_leave_the_corpus(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    corpus, outside = tmp_path / "corpus", tmp_path / "private"
    (corpus / "sub").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.md").write_text("# Secret\nkeys", encoding="utf-8")
    (corpus / "a.md").write_text("# A\ntext", encoding="utf-8")
    (corpus / "sub" / "b.md").write_text("# B\ntext", encoding="utf-8")
    (corpus / "leak.md").symlink_to(outside / "secret.md")
    (corpus / "sub" / "up.md").symlink_to("../../private/secret.md")
    (corpus / "folder").symlink_to(outside, target_is_directory=True)
    (corpus / "alias.md").symlink_to("sub/b.md")  # stays inside: kept
    (outside / "meta.yaml").write_text("cluster: Leaked\n", encoding="utf-8")
    (corpus / "a.md.meta.yaml").symlink_to(outside / "meta.yaml")
    with caplog.at_level("WARNING", logger="bot.loading.corpus"):
        found = [p.relative_to(corpus).as_posix() for p in iter_corpus(corpus)]
    assert found == ["a.md", "alias.md", "sub/b.md"]
    warned = sorted(r.getMessage().split(" ")[0] for r in caplog.records)
    assert warned == ["a.md.meta.yaml", "folder", "leak.md", "sub/up.md"]
    assert all("outside the corpus folder" in r.getMessage() and str(outside) in r.getMessage()
               for r in caplog.records)
    document = load_document(corpus / "a.md", corpus)  # the sidecar leading out is not read
    assert "cluster" not in document.metadata and document.source == "a.md"


def test_broken_html_still_yields_text(tmp_path: Path) -> None:
    path = tmp_path / "broken.html"
    path.write_text("<html><body><p>Unclosed paragraph about fees<div><p>Second", encoding="utf-8")
    assert "Unclosed paragraph about fees" in load(path).text
