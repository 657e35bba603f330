"""Fit the weights of the instruction-like sentence scorer (bot/injection).

Reads ``eval/injection/sentences.jsonl`` (``text``, ``label`` hostile/benign, ``split`` dev/test),
describes each sentence by the cue groups of ``bot/injection/cues.yaml`` and fits a logistic
regression on the dev split only: the regularisation strength by 5-fold cross-validation, the
threshold on the cross-validated dev probabilities (the highest recall whose precision reaches
``--precision``). Writes ``bot/injection/weights.json`` with the weights, the threshold and the
precision and recall on dev and test, and prints them with the dev sentences it gets wrong.

Run from the repository root: ``.venv/bin/python scripts/fit_injection.py``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from bot.injection import WEIGHTS_FILE, load_cues

ROOT = Path(__file__).resolve().parent.parent
SENTENCES = ROOT / "eval" / "injection" / "sentences.jsonl"
STRENGTHS = (0.1, 0.3, 1.0, 3.0, 10.0)
FORMAT_VERSION = 1


def measure(flagged: np.ndarray, hostile: np.ndarray) -> dict:
    """Precision and recall of ``flagged`` for the hostile class, with the counts."""
    tp = int(np.sum(flagged & hostile))
    fp, fn = int(np.sum(flagged & ~hostile)), int(np.sum(~flagged & hostile))
    return {"precision": round(tp / max(1, tp + fp), 4), "recall": round(tp / max(1, tp + fn), 4),
            "hostile": int(hostile.sum()), "benign": int((~hostile).sum()),
            "false_positives": fp, "false_negatives": fn}


def pick_threshold(probabilities: np.ndarray, hostile: np.ndarray, precision: float) -> float:
    """The threshold of highest recall whose precision reaches ``precision`` (halfway between
    neighbouring scores); the best-F1 one when none does."""
    candidates = np.unique(probabilities)
    mids = np.concatenate([[0.0], (candidates[:-1] + candidates[1:]) / 2, [1.0]])
    best, best_f1 = 0.5, (-1.0, -1.0)
    for t in mids:
        m = measure(probabilities >= t, hostile)
        f1 = 2 * m["precision"] * m["recall"] / max(1e-9, m["precision"] + m["recall"])
        key = (m["recall"] if m["precision"] >= precision else -1.0, f1)
        if key > best_f1:
            best, best_f1 = float(t), key
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--precision", type=float, default=0.97,
                        help="precision the threshold must reach on dev (cross-validated)")
    args = parser.parse_args()
    cues = load_cues()
    rows = [json.loads(line) for line in SENTENCES.read_text(encoding="utf-8").splitlines()]
    X = np.array([cues.features(r["text"]) for r in rows], dtype=float)
    y = np.array([r["label"] == "hostile" for r in rows])
    dev = np.array([r["split"] == "dev" for r in rows])

    folds = StratifiedKFold(5, shuffle=True, random_state=15)

    def model(c: float) -> LogisticRegression:
        return LogisticRegression(C=c, class_weight="balanced", max_iter=5000)

    def cv_loss(c: float) -> float:
        p = cross_val_predict(model(c), X[dev], y[dev], cv=folds, method="predict_proba")[:, 1]
        return float(-np.mean(np.log(np.where(y[dev], p, 1 - p) + 1e-12)))

    strength = min(STRENGTHS, key=cv_loss)
    oof = cross_val_predict(model(strength), X[dev], y[dev], cv=folds,
                            method="predict_proba")[:, 1]
    threshold = pick_threshold(oof, y[dev], args.precision)
    fitted = model(strength).fit(X[dev], y[dev])
    p = fitted.predict_proba(X)[:, 1]
    metrics = {"dev": measure(p[dev] >= threshold, y[dev]),
               "dev_cross_validated": measure(oof >= threshold, y[dev]),
               "test": measure(p[~dev] >= threshold, y[~dev])}
    out = {"version": FORMAT_VERSION, "cues_version": cues.version,
           "fitted_on": "eval/injection/sentences.jsonl, split dev",
           "model": f"logistic regression, balanced classes, C={strength}",
           "bias": round(float(fitted.intercept_[0]), 4),
           "weights": {n: round(float(w), 4) for n, w in zip(cues.names, fitted.coef_[0],
                                                              strict=True)},
           "threshold": round(threshold, 4), "metrics": metrics}
    WEIGHTS_FILE.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: out[k] for k in ("model", "threshold", "metrics")}, indent=1))
    for i in np.flatnonzero(dev & ((p >= threshold) != y)):
        print(f"dev {'missed' if y[i] else 'false alarm'} {p[i]:.2f}: {rows[i]['text']}")


if __name__ == "__main__":
    main()
