"""How much a sentence is worth as an answer: a logistic model over its features.

The features (meaning, the question's words, the rank of its passage, whether it or its document
is about the organisation asked, whether it holds the kind of fact asked, whether it counts the
thing asked about) are computed by the extractive answerer; their weights, the lowest score an
answer may rest on and the window for further sentences are fitted on the development splits by
``scripts/fit_answer_weights.py`` and kept in ``weights.json`` beside this module.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

WEIGHTS_FILE = Path(__file__).with_name("weights.json")


@dataclass(frozen=True)
class SentenceScorer:
    """Fitted weights of the sentence features, their bias, and the two thresholds."""

    weights: dict[str, float]
    bias: float
    min_evidence: float
    window: float

    def score(self, features: dict[str, float]) -> float:
        """The probability that a sentence with ``features`` states the fact asked for."""
        logit = self.bias + sum(self.weights.get(name, 0.0) * value
                                for name, value in features.items())
        return 1 / (1 + math.exp(-logit))


@cache
def sentence_scorer(path: Path = WEIGHTS_FILE) -> SentenceScorer:
    """The scorer fitted into ``path`` (read once)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return SentenceScorer(data["weights"], data["bias"], data["min_evidence"], data["window"])
