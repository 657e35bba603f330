"""Shared fixtures: isolated settings, the real embedding model once per session, a small corpus."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

os.environ.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False",
                  ANONYMIZED_TELEMETRY="False", TOKENIZERS_PARALLELISM="false")

from bot import Bot, Settings  # noqa: E402
from bot.embeddings import load_embeddings  # noqa: E402

ALPHA = """\
---
title: Alpha Bio Cluster profile
cluster: Alpha Bio Cluster
country: Austria
year: 2022
type: profile
topics: [services, income streams]
---
# Alpha Bio Cluster profile

## Members
The Alpha Bio Cluster was founded in 2005 in Graz. It has 120 member organisations, most of them
small biotech companies and two universities.

## Income
Membership fees bring 40% of the office budget. Regional funding covers 35% and EU projects 25%.
A small company pays 450 euros a year to join.
"""

BETA = """\
---
title: Beta Health Network profile
cluster: Beta Health Network
country: Portugal
year: 2023
type: profile
topics: [member engagement]
---
# Beta Health Network profile

## Members
The Beta Health Network was founded in 2011 in Porto and today counts 85 member companies.

## Engagement
Members meet in six working groups. A yearly survey measured a satisfaction score of 8.1 out of 10.
A small company pays 300 euros a year to join.
"""

GAMMA_TXT = """\
Gamma Medtech Cluster annual report

Services
The Gamma Medtech Cluster offers matchmaking events, a regulatory help desk and export missions
to trade fairs. In 2023 the office organised 14 matchmaking events with 310 participants.

Funding
Sponsorship by three hospitals brought 60,000 euros.
"""


def write_corpus(folder: Path) -> Path:
    """A small corpus of three fictional clusters with similar facts."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "alpha-profile.md").write_text(ALPHA, encoding="utf-8")
    (folder / "beta-profile.md").write_text(BETA, encoding="utf-8")
    (folder / "gamma-report.txt").write_text(GAMMA_TXT, encoding="utf-8")
    (folder / "gamma-report.txt.meta.yaml").write_text(
        "cluster: Gamma Medtech Cluster\ncountry: Italy\nyear: 2023\ntype: report\n"
        "topics: [services, income streams]\n", encoding="utf-8")
    return folder


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every BOT_* path points into the test's own folder."""
    for name in list(os.environ):
        if name.startswith("BOT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("BOT_CORPUS_DIR", str(tmp_path / "corpus"))
    monkeypatch.setenv("BOT_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


@pytest.fixture(scope="session")
def embeddings():
    """The real default embedding model, loaded once."""
    return load_embeddings(Settings.from_env(env={}))


@pytest.fixture(scope="session")
def built_index(tmp_path_factory: pytest.TempPathFactory, embeddings) -> Settings:
    """Settings of an index built once from the small corpus (read-only for tests)."""
    root = tmp_path_factory.mktemp("shared")
    settings = Settings.from_env(env={}, corpus_dir=write_corpus(root / "corpus"),
                                 index_dir=root / "index")
    Bot(settings, embeddings).index()
    return settings


@pytest.fixture()
def bot(built_index: Settings, embeddings) -> Bot:
    """A bot over the shared small index."""
    return Bot(built_index, embeddings)


def dedent(text: str) -> str:
    """Dedent a test document."""
    return textwrap.dedent(text).lstrip()
