"""The answer stage: question analysis, follow-up rewriting, evidence, answerability, composition,
citation checks and the optional LLM path. `Answerer` is the orchestration; `answerer_for` builds the
one answerer that the CLI, the app, `rag eval` and the benches all use."""

from rag.answer.answerer import Answerer, answerer_for, open_answerer

__all__ = ["Answerer", "answerer_for", "open_answerer"]
