"""clusterbot: answers about cluster management, cited from your documents."""

from .answering import Answer, Source
from .api import Bot
from .config import Settings
from .errors import BotError
from .indexing import IndexReport

__all__ = ["Answer", "Bot", "BotError", "IndexReport", "Settings", "Source"]
