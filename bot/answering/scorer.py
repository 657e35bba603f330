"""The sentence scorer of the extractive answerer: features of a candidate sentence and a
model over them, fitted on the development split (``scripts/fit_scorer.py``).

The coefficients and the abstention threshold live in ``scorer.json`` beside this module,
with the data they were fitted on; nothing here is set by hand.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SCORER_FILE = Path(__file__).with_name("scorer.json")

#: What the scorer knows of a candidate sentence, in the order of the coefficients.
FEATURES = (
    "similarity",  # cosine similarity of sentence and question focus
    "coverage",  # share of the question's (idf-weighted) terms the sentence or its context has
    "rank_prior",  # 1/sqrt(1 + rank of its chunk)
    "in_document",  # its document is about the organisation asked
    "names_subject",  # the sentence names the organisation asked
    "typed",  # it holds the kind of fact asked (a figure, a year, a name ...)
    "untyped",  # a kind is asked and it holds none
    "counts",  # a count is asked and a number stands by the thing counted
    "lacks_attribute",  # the question names an attribute the sentence does not have
    "lacks_qualifier",  # "the fee for a large company" and no "large"
    "target_mismatch",  # it states a target or plan while the question asks what is
    "is_question",  # it is itself a question (an interview's question, a heading)
    "terse",  # under six words with no figure: a heading or a label
    "table_cell",  # a cell of a table, quoted with its row
    "practice_fit",  # a practice is asked and the sentence is a full statement
    "practice_action",  # a practice is asked and the sentence tells what was done
)


@dataclass(frozen=True)
class Scorer:
    """A logistic model: the probability that a sentence states what is asked."""

    weights: tuple[float, ...]
    bias: float
    threshold: float  #: the answer abstains when no sentence reaches this probability

    def probability(self, features: dict[str, float]) -> float:
        """The probability that a sentence with ``features`` answers the question."""
        z = self.bias + sum(w * features.get(name, 0.0)
                            for w, name in zip(self.weights, FEATURES, strict=True))
        return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))

    def to_dict(self, **about) -> dict:
        """The model as stored in ``scorer.json``."""
        return {"features": list(FEATURES), "weights": [round(w, 4) for w in self.weights],
                "bias": round(self.bias, 4), "threshold": round(self.threshold, 4), **about}


@cache
def load_scorer(path: Path = SCORER_FILE) -> Scorer:
    """The fitted scorer stored at ``path``."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if tuple(data["features"]) != FEATURES:
        raise ValueError(f"{path} was fitted on other features: run scripts/fit_scorer.py")
    return Scorer(tuple(data["weights"]), data["bias"], data["threshold"])


def fit_logistic(rows: list[list[float]], labels: list[int], l2: float = 1.0,
                 steps: int = 50) -> tuple[list[float], float]:
    """Weights and bias of an L2-regularised logistic regression (Newton's method)."""
    import numpy as np

    x = np.hstack([np.asarray(rows, dtype=float), np.ones((len(rows), 1))])
    y = np.asarray(labels, dtype=float)
    w = np.zeros(x.shape[1])
    penalty = np.eye(x.shape[1]) * l2
    penalty[-1, -1] = 0.0  # the bias is not shrunk
    for _ in range(steps):
        p = 1 / (1 + np.exp(-np.clip(x @ w, -30, 30)))
        gradient = x.T @ (p - y) + penalty @ w
        hessian = (x * (p * (1 - p))[:, None]).T @ x + penalty
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return [float(v) for v in w[:-1]], float(w[-1])
