"""The interface text in English and German (``static/i18n.yaml``), for ``gr.I18n``: the
browser's language picks the text of labels, buttons and tabs. Answers and messages from the
handlers are in English."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

TEXTS = Path(__file__).parent / "static" / "i18n.yaml"


@lru_cache(maxsize=1)
def translations() -> dict[str, dict[str, str]]:
    """``{language: {key: text}}``; every language has every key English has."""
    data = yaml.safe_load(TEXTS.read_text(encoding="utf-8"))
    english = data["en"]
    return {lang: {**english, **texts} for lang, texts in data.items()}
