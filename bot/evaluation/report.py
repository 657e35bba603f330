"""The evaluation report: ``report.md`` with a chart of the metrics by question kind, the
questions to look at and the answers at fault.
"""

from __future__ import annotations

from pathlib import Path

from .answers import QuestionResult
from .metrics import faults


def write_report(folder: Path, overall: dict[str, float], by_kind: dict[str, dict[str, float]],
                 results: list[QuestionResult]) -> Path:
    """Write ``report.md`` with a chart of the metrics by question kind; return its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    names = ["hit@1", "hit@5", "mrr", "fact_accuracy", "citation_precision", "abstention_recall"]
    kinds = list(by_kind)
    figure, axis = plt.subplots(figsize=(9, 4))
    width = 0.8 / max(1, len(names))
    for i, name in enumerate(names):
        values = [by_kind[k].get(name, float("nan")) for k in kinds]
        axis.bar([x + i * width for x in range(len(kinds))], values, width, label=name)
    axis.set_xticks([x + 0.4 - width / 2 for x in range(len(kinds))], kinds)
    axis.set_ylim(0, 1.05)
    axis.set_title("clusterbot evaluation by question kind")
    axis.legend(fontsize=7, ncol=3, loc="lower right")
    figure.tight_layout()
    figure.savefig(folder / "metrics.png", dpi=120)
    plt.close(figure)

    columns = sorted({key for m in [overall, *by_kind.values()] for key in m})
    lines = ["# clusterbot evaluation", "", "![metrics by kind](metrics.png)", "",
             "| set | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for label, values in [("all", overall), *by_kind.items()]:
        lines.append(f"| {label} | " + " | ".join(
            ("" if c not in values else str(values[c]) if isinstance(values[c], int)
             else f"{values[c]:.3f}") for c in columns) + " |")
    missed = [r for r in results if (r.answerable and (r.rank() is None or r.rank() > 5
                                                       or r.facts_found is False or r.abstained))
              or (not r.answerable and not r.abstained)]
    lines += ["", f"## Questions to look at ({len(missed)})", ""]
    for r in missed:
        lines.append(f"- **{r.id}** ({r.kind}) {r.question}  \n  expected {r.expected_sources}; "
                     f"retrieved {r.ranked_sources[:3]}; facts {r.facts_found}; "
                     f"answer: {r.answer[:200]!r}")
    titles = {"wrong_organisation": "Figures of another organisation than the one asked about",
              "cut_short": "Quoted pieces cut short before their citation"}
    for name, items in faults(results).items():
        lines += ["", f"## {titles[name]} ({name}: {len(items)})", ""]
        for item in items:
            lines.append(f"- **{item['id']}** ({item['kind']}) {item['question']}")
            lines += [f"  - {statement!r}" for statement in item[name]]
    path = folder / "report.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
