"""Hard-wrapped text is re-flowed into whole paragraphs; structure survives (real files)."""

from __future__ import annotations

from pathlib import Path

from bot.loading.corpus import load_document
from bot.reflow import join_lines, reflow

SENTENCE = ("In 2024 the cluster office applied to the regional innovation fund, which offers "
            "grants of up to EUR 40,000 per project, provided that at least three members take "
            "part and the project starts before the end of the year.")


def load(path: Path):
    return load_document(path, path.parent)


def texts(path: Path) -> list[tuple[str, tuple[str, ...]]]:
    return [(b.text, b.section) for b in load(path).blocks]


def test_text_report_sentences_lists_headings_and_key_values(tmp_path: Path) -> None:
    path = tmp_path / "report.txt"
    path.write_text(
        "Baltic Amber Biotech Cluster: annual report 2024\n"
        "\n"
        "Funding\n"
        "\n"
        "In 2024 the cluster office applied to the regional innovation fund, which\n"
        "offers grants of up to EUR 40,000 per project, provided that at least three\n"
        "members take part and the project starts before the end of the year.\n"
        "\n"
        "The office will report on the outcome at the general assembly; the mem-\n"
        "bers decide there whether the cluster applies again in 2025.\n"
        "\n"
        "The board agreed on three priorities for 2025:\n"
        "- a matchmaking programme that brings start-ups together with established\n"
        "  pharmaceutical companies from the region\n"
        "- regulatory training on MDR and IVDR for small companies, offered\n"
        "together with the university hospital\n"
        "- a study visit to Lisbon\n"
        "\n"
        "Key facts\n"
        "\n"
        "Founded: 2013\n"
        "Members: 46 companies and research organisations\n"
        "Seat: Kaunas, Lithuania\n",
        encoding="utf-8")
    doc = load(path)
    assert doc.title == "Baltic Amber Biotech Cluster: annual report 2024"
    assert [(b.text, b.section) for b in doc.blocks] == [
        (SENTENCE, ("Funding",)),
        ("The office will report on the outcome at the general assembly; the members decide "
         "there whether the cluster applies again in 2025.", ("Funding",)),
        ("The board agreed on three priorities for 2025:", ("Funding",)),
        ("- a matchmaking programme that brings start-ups together with established "
         "pharmaceutical companies from the region", ("Funding",)),
        ("- regulatory training on MDR and IVDR for small companies, offered together with the "
         "university hospital", ("Funding",)),
        ("- a study visit to Lisbon", ("Funding",)),
        ("Founded: 2013", ("Key facts",)),
        ("Members: 46 companies and research organisations", ("Key facts",)),
        ("Seat: Kaunas, Lithuania", ("Key facts",)),
    ]


def test_text_mail_keeps_header_and_contact_lines_apart(tmp_path: Path) -> None:
    path = tmp_path / "mail.txt"
    path.write_text(
        "Subject: Sponsorship income 2025\n"
        "Date: 14 March 2025\n"
        "\n"
        "Dear members of the board,\n"
        "\n"
        "the sponsorship packages for the Amber BioForum sold better\n"
        "than expected: we signed one Platinum and three Gold\n"
        "partners, which brings in EUR 22,900 before the event.\n"
        "\n"
        "Kind regards,\n"
        "Jane Doe\n"
        "Events manager, Baltic Amber Biotech Cluster\n"
        "Phone: +370 600 00000\n",
        encoding="utf-8")
    assert [text for text, _ in texts(path)][-6:] == [
        "Dear members of the board,",
        "the sponsorship packages for the Amber BioForum sold better than expected: we signed "
        "one Platinum and three Gold partners, which brings in EUR 22,900 before the event.",
        "Kind regards,",
        "Jane Doe",
        "Events manager, Baltic Amber Biotech Cluster",
        "Phone: +370 600 00000",
    ]


def test_text_slide_bullets_stay_lines_and_capitalised_wraps_join(tmp_path: Path) -> None:
    path = tmp_path / "slides.txt"
    path.write_text(
        "Our services\n\nMatchmaking events for members\nTraining for SMEs\n"
        "Internationalisation support\nExport desk\n\nHistory\n\n"
        "The cluster was founded in 2013 by the\nUniversity of Kaunas and the Lithuanian\n"
        "Biotechnology Association.\n",
        encoding="utf-8")
    assert texts(path) == [
        ("Matchmaking events for members", ()),
        ("Training for SMEs", ()),
        ("Internationalisation support", ()),
        ("Export desk", ()),
        ("The cluster was founded in 2013 by the University of Kaunas and the Lithuanian "
         "Biotechnology Association.", ("History",)),
    ]


def test_pdf_sentence_across_lines_is_one_block_with_its_page(tmp_path: Path) -> None:
    from fpdf import FPDF
    from pypdf import PdfReader

    pdf = FPDF(format="A4")
    pdf.set_title("Funding note")
    pdf.set_auto_page_break(auto=True, margin=20)

    def heading(text: str) -> None:
        pdf.set_font("helvetica", "B", 14)
        pdf.multi_cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")

    def paragraph(text: str) -> None:
        pdf.set_font("helvetica", "", 11)
        pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")

    def item(text: str) -> None:
        pdf.set_font("helvetica", "", 11)
        pdf.set_x(pdf.l_margin + 5)
        pdf.multi_cell(0, 6, f"- {text}", new_x="LMARGIN", new_y="NEXT")

    pdf.add_page()
    heading("Regional innovation fund")
    paragraph(SENTENCE + " The fund was set up by the Lithuanian Ministry of the Economy and "
              "Innovation in 2021 and is managed by the Innovation Agency in Vilnius.")
    paragraph("Eligible costs are:")
    item("staff costs of the cluster office and of the participating members, including the "
         "time members spend in project meetings and workshops")
    item("travel")
    pdf.add_page()
    heading("Results")
    paragraph("Two projects were funded in 2024.")
    path = tmp_path / "note.pdf"
    pdf.output(str(path))
    raw_lines = PdfReader(str(path)).pages[0].extract_text().splitlines()
    assert len(raw_lines) >= 9  # the paragraphs really are wrapped over several lines
    doc = load(path)
    assert [(b.text, b.section, b.page) for b in doc.blocks] == [
        (SENTENCE + " The fund was set up by the Lithuanian Ministry of the Economy and "
         "Innovation in 2021 and is managed by the Innovation Agency in Vilnius.",
         ("Regional innovation fund",), 1),
        ("Eligible costs are:", ("Regional innovation fund",), 1),
        ("- staff costs of the cluster office and of the participating members, including the "
         "time members spend in project meetings and workshops", ("Regional innovation fund",), 1),
        ("- travel", ("Regional innovation fund",), 1),
        ("Two projects were funded in 2024.", ("Results",), 2),
    ]


def test_pdf_sentence_across_a_page_break_keeps_its_first_page(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    pdf.set_font("helvetica", "", 11)
    pdf.multi_cell(0, 6, "The office reports its income once a year.", new_x="LMARGIN",
                   new_y="NEXT")
    pdf.set_y(265)  # the next paragraph starts on the last lines of the page
    pdf.multi_cell(0, 6, SENTENCE + " The general assembly decides on the application in "
                   "March, and the office informs every member of the result in writing.",
                   new_x="LMARGIN", new_y="NEXT")
    path = tmp_path / "pages.pdf"
    pdf.output(str(path))
    blocks = load(path).blocks
    assert [(b.text, b.page) for b in blocks] == [
        ("The office reports its income once a year.", 1),
        (SENTENCE + " The general assembly decides on the application in March, and the "
         "office informs every member of the result in writing.", 1),
    ]


def test_docx_manual_line_breaks_are_reflowed_and_tables_kept(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.core_properties.title = "Board minutes"
    document.add_heading("Funding", level=1)
    wrapped = document.add_paragraph()
    lines = ["In 2024 the cluster office applied to the regional innovation fund, which",
             "offers grants of up to EUR 40,000 per project, provided that at least three",
             "members take part and the project starts before the end of the year."]
    for n, line in enumerate(lines):
        run = wrapped.add_run(line)
        if n < len(lines) - 1:
            run.add_break()
    contact = document.add_paragraph()
    for n, line in enumerate(["Jane Doe", "Events manager", "Phone: +370 600 00000"]):
        run = contact.add_run(line)
        if n < 2:
            run.add_break()
    item = document.add_paragraph(style="List Bullet")
    item.add_run("regulatory training on MDR and IVDR for small companies, offered").add_break()
    item.add_run("together with the university hospital")
    table = document.add_table(rows=3, cols=2)
    for row, cells in zip(table.rows, [("Package", "Price"), ("Gold partner", "EUR 4,800"),
                                       ("Silver partner", "EUR 2,500")]):
        for cell, value in zip(row.cells, cells):
            cell.text = value
    path = tmp_path / "minutes.docx"
    document.save(str(path))
    assert texts(path) == [
        (SENTENCE, ("Funding",)),
        ("Jane Doe", ("Funding",)),
        ("Events manager", ("Funding",)),
        ("Phone: +370 600 00000", ("Funding",)),
        ("- regulatory training on MDR and IVDR for small companies, offered together with the "
         "university hospital", ("Funding",)),
        ("Package: Gold partner | Price: EUR 4,800", ("Funding",)),
        ("Package: Silver partner | Price: EUR 2,500", ("Funding",)),
    ]


def test_markdown_paragraph_over_lines_next_to_list_and_table(tmp_path: Path) -> None:
    path = tmp_path / "services.md"
    path.write_text(
        "# Tejo services\n"
        "\n"
        "## Matchmaking\n"
        "\n"
        "The cluster organises matchmaking events for its members and for companies\n"
        "from partner clusters abroad; members take part for free, while\n"
        "**non-members** pay a fee.\n"
        "- Partnering days four times a year, with a\n"
        "  partnering tool for one-to-one meetings\n"
        "- Delegation trips\n"
        "\n"
        "| Service | Members | Non-members |\n"
        "|---|---|---|\n"
        "| Partnering day | free | EUR 150 |\n"
        "| Delegation trip | EUR 300 | EUR 600 |\n",
        encoding="utf-8")
    doc = load(path)
    assert doc.title == "Tejo services"
    assert texts(path) == [
        ("The cluster organises matchmaking events for its members and for companies from "
         "partner clusters abroad; members take part for free, while non-members pay a fee.",
         ("Matchmaking",)),
        ("- Partnering days four times a year, with a partnering tool for one-to-one meetings",
         ("Matchmaking",)),
        ("- Delegation trips", ("Matchmaking",)),
        ("Service: Partnering day | Members: free | Non-members: EUR 150", ("Matchmaking",)),
        ("Service: Delegation trip | Members: EUR 300 | Non-members: EUR 600", ("Matchmaking",)),
    ]


def test_hyphen_rules() -> None:
    assert join_lines(["three mem-", "bers take part"]) == "three members take part"
    assert join_lines(["EU-", "funded projects"]) == "EU-funded projects"
    assert join_lines(["pre-", "and post-event surveys"]) == "pre- and post-event surveys"
    assert join_lines(["supports start-", "ups"], keep_hyphen={"start-ups"}) == "supports start-ups"


def test_one_paragraph_per_line_is_not_joined() -> None:
    long = "A paragraph written on one line, as word processors save text. " * 3
    assert reflow([long.strip(), "Short paragraph after it."]) == [long.strip(),
                                                                 "Short paragraph after it."]


def test_index_built_before_the_reflow_is_refused() -> None:
    import dataclasses

    from bot.chunking import CHUNKER_VERSION
    from bot.config import Settings
    from bot.manifest import Manifest

    settings = Settings.from_env()
    current = Manifest.for_settings(settings, 384)
    assert current.mismatch(settings) is None
    before = dataclasses.replace(current, chunker_version=3)
    assert CHUNKER_VERSION > 3
    assert "chunker v3); the settings ask" in (before.mismatch(settings) or "")
