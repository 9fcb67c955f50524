"""Answering: passages -> the sentence that answers, its answer phrase, citations.

    types         Answer, Citation (what front ends render)
    features      first-stage sentence features, duplicate collapse
    reader        the cross-encoder that reads (question, sentence) pairs
    compose       rank sentences, confidence, build the Answer
    followups     what an earlier turn lends to the next question
    conversation  one chat's earlier turns"""

from qa_bot.answer.types import NOT_ANSWERED, Answer, Citation

__all__ = ["NOT_ANSWERED", "Answer", "Citation"]
