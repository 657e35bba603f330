"""Evaluation: answer quality on the project's question sets, retrieval quality on BEIR data.

``questions`` reads question sets and their dev/test splits; ``answers`` asks them of a ``Bot``
and scores each answer's facts; ``checks`` finds faults in an answer's text (another
organisation's figure, a quote cut short); ``metrics`` sums the results and tells which targets
they miss; ``report`` writes them as Markdown with a chart; ``beir`` benchmarks retrieval on a
BEIR folder such as SciFact.
"""
