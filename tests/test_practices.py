"""Practice questions ("How did X ...?", "X's scheme: cost and result?") are answered with what
was done, what it cost and what came of it, from the organisation asked about."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import Bot, Settings

ZETA = """\
# Zeta Food Cluster – engagement practices 2024

## Practice: check-in calls
Problem. In 2022 and 2023 the cluster lost about one member in eleven every year. Most
leavers had simply not heard from the cluster.
What was done. From January 2024 every member receives two phone calls a year from a named
staff member, one in February and one in September.
Cost. About 0.3 FTE of staff time, roughly EUR 16,000 a year.
Result. Member churn fell from 9% in 2023 to 4% in 2024.

## Membership
The cluster had 97 members at the end of 2024.
"""

ETA = """\
# Eta Wood Cluster – annual report 2024

## Breakfast meetings
Sawmill owners did not come to evening seminars. In 2024 the cluster moved its meetings to
members' sites at 7:30 in the morning: the Sawmill Breakfasts.
Cost: EUR 6,500 for twelve breakfasts. Result: average attendance of 28 people.
"""

THETA = """\
# Theta Energy Cluster – scorecard 2024

## What we did and what it delivered
Supplier Days. Two events with offshore developers in April and October. Members booked 90
meetings of twenty minutes. Cost GBP 12,000. Result: 9 contracts won by member SMEs.

Biogas Circle (did not work). Monthly evening talks with slides.
Attendance fell from 31 in January to 7 by October 2024. Catering cost GBP 2,800 for the
year. From 2025 the circle meets quarterly, always on a plant visit.

Member survey. Only 12 responses came back.

## Interview with the director
Q: Anything else that did not go well?
A: The founder mentoring. We paired ten founders with senior members in 2023. After four
months only two pairs still met. We dropped it.
"""


@pytest.fixture(scope="module")
def practices(tmp_path_factory: pytest.TempPathFactory, embeddings) -> Bot:
    root = tmp_path_factory.mktemp("practices")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "zeta-practices.md").write_text(ZETA, encoding="utf-8")
    (corpus / "eta-report.md").write_text(ETA, encoding="utf-8")
    (corpus / "theta-scorecard.md").write_text(THETA, encoding="utf-8")
    bot = Bot(Settings.from_env(env={}, corpus_dir=corpus, index_dir=root / "index"), embeddings)
    bot.index()
    return bot


def test_a_practice_is_told_with_what_was_done_its_cost_and_result(practices: Bot) -> None:
    answer = practices.ask("how did zeta food cluster reduce member churn?")
    assert not answer.abstained
    assert "phone calls" in answer.text
    assert "16,000" in answer.text and "4%" in answer.text
    assert "6,500" not in answer.text  # another cluster's practice is not mixed in


def test_a_named_practice_asked_for_cost_and_result(practices: Bot) -> None:
    answer = practices.ask("eta sawmill breakfasts - cost and result?")
    assert "6,500" in answer.text and "28" in answer.text
    assert "16,000" not in answer.text


def test_what_did_not_work_is_a_practice_question(practices: Bot, tmp_path: Path) -> None:
    answer = practices.ask("what did eta try that didn't work with sawmill owners?")
    assert not answer.abstained and "evening seminars" in answer.text


def test_a_practice_told_in_one_paragraph_is_quoted_from_its_name_to_its_result(
        practices: Bot) -> None:
    answer = practices.ask("how did theta energy cluster help smes win contracts")
    assert "Supplier Days" in answer.text  # the paragraph's first sentence names it
    assert "12,000" in answer.text and "9 contracts" in answer.text
    assert "Biogas" not in answer.text  # the next paragraph is another practice


def test_what_happened_or_went_wrong_asks_for_the_account_of_a_practice(practices: Bot) -> None:
    biogas = practices.ask("what happened with the theta biogas circle")
    assert "31 in January" in biogas.text and "2,800" in biogas.text  # the lines after it
    assert "Supplier Days" not in biogas.text
    mentoring = practices.ask("theta founder mentoring, what went wrong")
    assert "ten founders" in mentoring.text and "two pairs" in mentoring.text


def test_practices_compared_are_each_told_with_their_cost_and_result(practices: Bot) -> None:
    answer = practices.ask("zeta check-in calls vs eta sawmill breakfasts - results?")
    zeta, eta = (next(line for line in answer.text.splitlines() if line.startswith(f"- {n}"))
                 for n in ("Zeta", "Eta"))
    assert "16,000" in zeta and "4%" in zeta
    assert "6,500" in eta and "28" in eta


IOTA = """\
# Iota Marine Cluster – lessons learned 2022-2024

## 1. The sponsorship package
What we did: in 2023 we created a premium sponsorship package at GBP 8,000 a year.
What happened: we sold 2 packages instead of 8.
Lesson: sponsorship works when tied to a specific event.

## 2. The online member portal
What we did: we paid a developer GBP 38,500 to build a members-only portal with a forum
and a job board, launched in March 2022.
What happened: only 23% of members ever logged in, and the forum had fewer than ten posts a
month. We switched the portal off in June 2024.
Lesson: our members want to meet people, not log in.
"""


def test_a_short_section_that_tells_one_practice_is_quoted_whole(tmp_path: Path,
                                                                  embeddings) -> None:
    """What was done, what happened and the lesson are the account, in the section of the
    practice asked about and not the next."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "iota-lessons.md").write_text(IOTA, encoding="utf-8")
    bot = Bot(Settings.from_env(env={}, corpus_dir=corpus, index_dir=tmp_path / "index"),
              embeddings)
    bot.index()
    answer = bot.ask("what happened with the iota member portal?")
    assert "38,500" in answer.text and "23%" in answer.text and "meet people" in answer.text
    assert "8,000" not in answer.text
