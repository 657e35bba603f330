"""Question analysis: the stage between the user's text and retrieval and answering."""

from .analysis import Ask, Organisation, Question, QuestionAnalyser
from .lexicon import Lexicon, load_lexicon, stem
from .names import EntityIndex, fold, title_aliases

__all__ = ["Ask", "EntityIndex", "Lexicon", "Organisation", "Question", "QuestionAnalyser",
           "fold", "load_lexicon", "stem", "title_aliases"]
