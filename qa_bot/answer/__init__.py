"""Answering: passages -> the sentence that answers, its answer phrase, citations.

    types         Answer, Citation (what front ends render)
    typed         how a question was typed and how it is read (as_read, truecase), and
                  the reply to a message that asks nothing (small_talk)
    spelling      typing slips mended from the corpus's words (mended)
    kinds         what a question asks for, as patterns (a date, an age, a count, a sum
                  of money, a score...) and what a sentence that gives it holds
    question      whether a sentence gives it (and a name, a reason); the question's figures
    roles         the holder of the role a "Who is the <role>?" question asks about
    relations     the looked-up fact a question asks for (birthplace, founder, population,
                  who runs a firm...) and whether a sentence says anything of it
    features      first-stage sentence features, crossheads, duplicate collapse
    reader        the cross-encoder that reads (question, sentence) pairs
    phrase        the reader's span grown to the phrase a reader would mark
    ranking       candidates read and ranked, the evidence for the confidence
    confidence    the confidence and its threshold, the off-topic gate
    compose       a Ranking -> the Answer (quotes, highlight, citations)
    followups     what an earlier turn lends to the next question
    conversation  one chat's earlier turns (small talk not kept)"""

from qa_bot.answer.types import NOT_ANSWERED, Answer, Citation

__all__ = ["NOT_ANSWERED", "Answer", "Citation"]
