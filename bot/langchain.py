"""LangChain adapter: the bot's retrieval as a ``BaseRetriever``."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever


class BotRetriever(BaseRetriever):
    """Returns the bot's ranked chunks as ``Document``s (metadata includes ``score``)."""

    bot: Any
    k: int = 5
    filters: dict[str, Any] = {}

    def _get_relevant_documents(self, query: str, *,
                                run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        hits = self.bot.retrieve(query, k=self.k, filters=self.filters)
        return [
            Document(page_content=hit.text, id=hit.id,
                     metadata={**hit.metadata, "score": round(hit.score, 4)})
            for hit in hits
        ]
