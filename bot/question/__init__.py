"""Reading a question once: ``QuestionAnalyser.analyse(question, history)`` gives the
``Question`` that retrieval and the answerers take (``analysis``). Its parts: the organisations
a question names (``names``), what each of its parts asks (``parts``), follow-ups made
standalone (``followups``) and the per-language words all of them read (``vocabulary``)."""

from .analysis import Part, Question, QuestionAnalyser, analyse_part

__all__ = ["Part", "Question", "QuestionAnalyser", "analyse_part"]
