"""Retrieval over a tiny real corpus with the real model: hybrid fusion finds what either arm
alone misses, a document scores as its best chunk, and follow-up questions retrieve with the
turn before."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from qa_bot.answer import NOT_ANSWERED, Answer
from qa_bot.answer.conversation import Conversation
from qa_bot.answer.coreference import with_person
from qa_bot.engine import Engine
from qa_bot.answer.followups import is_follow_up, may_stand_alone, resolve
from qa_bot.answer.names import names
from qa_bot.answer.typed import as_read, small_talk
from qa_bot.retrieval import rank_documents, rrf, top_rows, weighted
from quality_corpus import ARTICLES, corpus_engine


@pytest.fixture(scope="module")
def engine(embedder, tmp_path_factory) -> Engine:
    return corpus_engine(embedder, tmp_path_factory.mktemp("retrieval"))


def ranked_files(engine: Engine, query: str, **retrieval) -> list[str]:
    """File names best first under the engine's retrieval settings changed by `retrieval`."""
    saved = engine.cfg
    engine.cfg = dataclasses.replace(saved, retrieval=dataclasses.replace(saved.retrieval,
                                                                         **retrieval))
    try:
        gen = engine.generation()
        _, hits = engine.retrieve(query, 50)
        return [Path(gen.documents[d]["path"]).name for d, _ in rank_documents(gen, hits)]
    finally:
        engine.cfg = saved


# (question, the file that answers it). Dense misses the first (safety.txt names the
# look-alike part ZX4417Q); BM25 misses the second (honours.txt repeats "award").
LEXICAL_CASE = ("ZX4471Q", "valve.txt")
SEMANTIC_CASE = ("What award did Lindqvist receive at the festival?", "actress.txt")


@pytest.mark.parametrize("fusion", ["rrf", "weighted"])
def test_each_arm_fails_one_case_and_hybrid_gets_both(engine, fusion):
    q, want = LEXICAL_CASE
    assert ranked_files(engine, q, mode="dense")[0] != want
    assert ranked_files(engine, q, mode="bm25")[0] == want
    q2, want2 = SEMANTIC_CASE
    assert ranked_files(engine, q2, mode="bm25")[0] != want2
    assert ranked_files(engine, q2, mode="dense")[0] == want2
    for case_q, case_want in (LEXICAL_CASE, SEMANTIC_CASE):
        assert ranked_files(engine, case_q, mode="hybrid", fusion=fusion)[0] == case_want


def test_document_scores_as_its_best_chunk(engine):
    gen = engine.generation()
    _, hits = engine.retrieve("Jane Okafor civil engineer bus contracts", 50)
    docs = rank_documents(gen, hits)
    assert len({d for d, _ in docs}) == len(docs)
    for doc, score in docs:
        assert score == max(h.score for h in hits if gen.chunks[h.row].doc_id == doc)
    assert [s for _, s in docs] == sorted((s for _, s in docs), reverse=True)


def test_fusion_functions():
    assert rrf([[1, 2], [2, 3]], 60)[2] == pytest.approx(1 / 62 + 1 / 61)
    fused = weighted({1: 0.9, 2: 0.5}, {1: 0.0, 2: 10.0}, 0.5)
    assert fused == {1: pytest.approx(0.45), 2: pytest.approx(0.75)}


def test_follow_up_detection_and_query():
    assert is_follow_up("and when did he die?")
    assert is_follow_up("When was she born?")
    assert is_follow_up("What did the company say?")
    assert is_follow_up("Why?")
    assert not is_follow_up("When was Jane Okafor born?")
    assert is_follow_up("And what was the jobless rate in October?")
    assert is_follow_up("What about Britain and France in 2005?")
    assert not is_follow_up("Andrew Smith won what in 2004?")
    assert not is_follow_up("What was the jobless rate in Japan in October?")
    assert not is_follow_up("Who wrote Hamlet?")  # short, but names what it asks about
    assert is_follow_up("Starting when?")  # a capitalised opening word is no name
    assert is_follow_up("Who was the referee?")  # short, and names nothing
    assert is_follow_up("What happened on Thursday?")  # a day names when, not what about
    assert not is_follow_up("What did May say?")  # a name as often as a month
    assert not is_follow_up("When did Vestey buy its farms in Venezuela?")  # Vestey's
    assert is_follow_up("What did he tell Tony Blair?")  # "he" comes before any name
    # "them" leans on the question's own first half; "there" is existential
    assert not is_follow_up("What causes hiccups, and how can I stop them?")
    assert not is_follow_up("How many teaspoons are there in a tablespoon?")
    assert not is_follow_up("Which strategist said there was no end in sight for the dollar?")
    assert is_follow_up("How many people were hurt there in the attack on the embassy?")
    assert is_follow_up("Who is she, and what did she do?")
    first = "Who won the Springfield mayoral election?"
    assert resolve("When was she born?", [first], 2).query == "Springfield When was she born?"
    unnamed = "who won the election?"
    assert resolve("When was she born?", [unnamed], 2).query == \
        f"{unnamed} When was she born?"
    assert names("When did Pope Leo X excommunicate Martin Luther?") == \
        ["Pope Leo X", "Martin Luther"]
    assert names("However, North Korea's ambassador met Kim Song.") == \
        ["North Korea", "Kim Song"]
    assert resolve("When was Jane Okafor born?", [first], 2).query == \
        "When was Jane Okafor born?"
    assert resolve("When was she born?", None, 2).query == "When was she born?"
    # a fragment asks about what the question before asked: it carries that question too
    assert resolve("Why?", [first], 2).query == f"Springfield {first} Why?"
    assert resolve("And in Dresden?", [first], 2).query == f"Springfield {first} And in Dresden?"
    assert resolve("When was she born?", [first], 2).query == "Springfield When was she born?"
    # the topic starts at the last question that stood alone: older turns are another one
    lindqvist = "What did Maria Lindqvist receive in Gothenburg?"
    assert resolve("When was she born?", [first, lindqvist], 3).query == \
        "Maria Lindqvist Gothenburg When was she born?"
    assert resolve("Where did she study?", [first, "When was she born?"], 3).query == \
        "Springfield Where did she study?"
    # a turn that was declined lends a short, nameless question nothing: it stands alone;
    # one that says it follows ("she") still takes the names its question gave
    declined = Answer("What is the boiling point of water?", False, NOT_ANSWERED)
    assert resolve("Who is the chancellor?", [declined], 2).query == "Who is the chancellor?"
    assert resolve("Who is the chancellor?", [declined.question], 2).query == \
        "What is the boiling point of water? Who is the chancellor?"
    assert resolve("When was she born?", [Answer(first, False, NOT_ANSWERED)], 2).query == \
        "Springfield When was she born?"


def test_follow_up_carries_the_names_and_article_of_the_previous_answer(engine):
    first = engine.ask("Who received a lifetime award at the Gothenburg film festival?")
    assert first.answered
    follow = resolve("And when was she born?", [first], 2)
    cited = [c for c in first.citations if c.cited]
    assert follow.articles == tuple(dict.fromkeys(c.doc_id for c in cited))
    assert follow.quoted == tuple((c.doc_id, c.start) for c in cited)
    quoted_names = [n for c in cited for n in names(c.quote)]
    assert quoted_names and all(n in follow.query for n in quoted_names[:3])


def test_follow_up_retrieves_with_the_turn_before(engine):
    history = ["Who received a lifetime award at the Gothenburg film festival?"]
    alone = engine.ask("And when was she born?")
    followed = engine.ask("And when was she born?", history=history)
    assert Path(alone.citations[0].source).name != "actress.txt"
    assert Path(followed.citations[0].source).name == "actress.txt"
    assert followed.answered and "1948" in followed.answer


def test_a_follow_up_resolves_the_person_the_previous_answer_named(engine):
    """The first question names nobody; "she" is the actress its answer quoted."""
    conv = Conversation(engine, turns=2)
    first = conv.ask("Which actress was honoured for her life's work in Gothenburg?")
    assert first.answered and "Lindqvist" in first.answer
    second = conv.ask("Where was she born?")
    assert Path(second.citations[0].source).name == "actress.txt"
    assert second.answered and "Uppsala" in second.answer
    conv.reset()
    assert not conv.history


def test_the_reader_reads_a_follow_up_with_what_it_leans_on(engine):
    """"he" / "she" become the person the turn before is about: the one a who-question's
    answer named, else the first person its question named; titles are dropped, and a
    name that is an organisation, an event or a place is no person. A bare "Why?" is read
    as why the sentence the answer quoted holds."""
    lindqvist = "What did Maria Lindqvist receive in Gothenburg?"
    assert with_person("When was she born?", [lindqvist]) == "When was Maria Lindqvist born?"
    assert with_person("What did her film win?", [lindqvist]) == \
        "What did Maria Lindqvist's film win?"
    assert with_person("Who gave her the award?", [lindqvist]) == \
        "Who gave Maria Lindqvist the award?"
    assert with_person("Who praised her acting?", [lindqvist]) == \
        "Who praised Maria Lindqvist's acting?"
    assert with_person("Why did Tory MP Jonathan Sayeed quit?", None) is None
    sayeed = "Why did Tory MP Jonathan Sayeed quit?"
    assert with_person("Who replaced him?", [sayeed]) == "Who replaced Jonathan Sayeed?"
    assert with_person("Which seat was his?", [sayeed]) == "Which seat was Jonathan Sayeed's?"
    assert with_person("Who does he run?", ["Who runs British Airways?"]) is None
    assert with_person("When was she elected?", ["Who won the Springfield election?"]) is None
    assert with_person("What did the company say?", [lindqvist]) is None
    assert with_person("Which club in his homeland wants Thomas Hitzlsperger?", [lindqvist]) \
        is None
    # a turn that said "she" itself hands the question to the turn before it
    assert with_person("When was she born?", [lindqvist, "Where did she study?"]) == \
        "When was Maria Lindqvist born?"
    conv = Conversation(engine, turns=2)
    first = conv.ask("Which actress was honoured for her life's work in Gothenburg?")
    assert first.answered and "Lindqvist" in first.answer
    follow = resolve("Where was she born?", list(conv.history), 2)
    assert "Lindqvist" in follow.reader_query and "she" not in follow.reader_query
    assert follow.reader_query != follow.query  # retrieval still searches with the names
    assert resolve("Where was Maria Lindqvist born?", list(conv.history), 2).reader_query == ""
    # "Why?" has the reader ask why the sentence the answer quoted holds
    quoted = next(c.quote for c in first.citations if c.cited)
    why = resolve("Why?", list(conv.history), 2)
    assert why.reader_query == f"Why {quoted.rstrip('.')}?"
    assert why.query != why.reader_query  # retrieval still searches with the names


def test_a_question_is_read_as_a_chat_types_it(engine):
    """Without its question mark, typed all in capitals, or with a greeting, a polite
    opening or thanks around it, a question gets the answer it gets as written: it is read
    with the mark, in lower case (its names then found as in a question typed in lower
    case), and without what was said around it (in question order again when an opening
    left it verb last). Words that only look like those stay."""
    for typed, read in (("Hi! Can you tell me who won? Thanks", "who won?"),
                        ("Can you tell me who the chancellor is?", "who is the chancellor?"),
                        ("Tell me which team it is", "which team is it?"),
                        ("Can you tell me how old she is", "how old is she?"),
                        ("Do you know what the reason for it was", "what the reason for it was?"),
                        ("Good morning, do you know why Blair resigned", "why Blair resigned?"),
                        ("What did he say, please?", "What did he say?"),
                        ("Hello Kitty sales?", "Hello Kitty sales?"),
                        ("Who said thank you?", "Who said thank you?"),
                        ("hi-fi sales: how much", "hi-fi sales: how much?"),
                        ("Can you tell me a joke?", "Can you tell me a joke?"),
                        ("Who won?! :)", "Who won?"), ("Who won.", "Who won?"),
                        ("Thanks!", "Thanks?")):
        assert as_read(typed) == read, typed
    written = engine.ask("Which actress was honoured for her life's work in Gothenburg?")
    assert written.answered
    for typed in ("Which actress was honoured for her life's work in Gothenburg",
                  "WHICH ACTRESS WAS HONOURED FOR HER LIFE'S WORK IN GOTHENBURG?  ",
                  "Hello! Could you tell me which actress was honoured for her life's work "
                  "in Gothenburg? Thank you"):
        answer = engine.ask(typed)
        assert answer.question.endswith("?") and not answer.question.isupper()
        assert answer.answer == written.answer
        assert answer.confidence == pytest.approx(written.confidence, abs=0.02)


def test_a_question_with_typing_slips_is_read_with_the_corpus_words(engine):
    """"actres" and "Lindqvst" are one slip from words of the passages: the question is
    read, and answered, as if typed right; the Answer says how it was read."""
    right = engine.ask("When was the actress Maria Lindqvist born?")
    slipped = engine.ask("When was the actres Maria Lindqvst born?")
    assert slipped.question == "When was the actress Maria Lindqvist born?"
    assert slipped.answered and slipped.answer == right.answer and "1948" in right.answer


def test_a_message_that_asks_nothing_gets_a_reply_and_the_chat_goes_on_past_it(engine):
    """Greetings, thanks and goodbyes alone are not searched: a short reply, nothing cited;
    a conversation does not keep them, so a follow-up after them leans on the question
    before them. Questions that only start with such words are questions."""
    for said, reply in (("Hi!", "Hello!"), ("thank you very much :)", "You're welcome"),
                        ("OK, thanks, bye!", "Goodbye!"), ("Great", "Ask another"),
                        ("\U0001F44D", "Ask another"), ("?!", "Ask another"),
                        ("Thnaks!", "You're welcome"), ("thank yuo", "You're welcome")):
        answer, ranking = engine.ask_detailed(said)
        assert ranking is None and answer.answer.startswith(reply), said
        assert not answer.answered and not answer.citations and answer.question == said
    for asked in ("Hello Kitty sales?", "Who said thanks?", "nice one", "Who?", "Why?",
                  "Thanks to the rain, what happened?", "Hi! Who won?"):
        assert small_talk(asked) is None, asked
    conv = Conversation(engine, turns=2)
    assert "Lindqvist" in conv.ask(
        "Which actress was honoured for her life's work in Gothenburg?").answer
    for said in ("Thanks!", "cool"):
        assert not conv.ask(said).answered
    assert "Lindqvist" in resolve("Where was she born?", list(conv.history), 2).query
    second = conv.ask("Thanks! Where was she born?")
    assert second.question == "Where was she born?"
    assert Path(second.citations[0].source).name == "actress.txt"
    assert second.answered and "Uppsala" in second.answer


def test_a_question_that_names_what_it_asks_about_stands_alone_in_a_chat(engine):
    """A short question that names something the answer before did not read, or one whose
    "its" follows its own name, in lower case too, starts a new topic: not searched with
    the names and article of the answer before. One that names only what the answer
    before read is asked alone too (followups._names_what_it_read)."""
    conv = Conversation(engine, turns=2)
    assert conv.ask("Which actress was honoured for her life's work in Gothenburg?").answered
    assert resolve("Peak in Dresden?", list(conv.history), 2).query == \
        "Peak in Dresden?"
    second = conv.ask("Peak in Dresden?")
    assert second.answered and "8.7 metres" in second.answer
    assert Path(second.citations[0].source).name == "flood.txt"
    third = "How high did the Elbe rise at its peak in Dresden?"  # "its": the Elbe's
    follow = resolve(third, list(conv.history), 2)  # it names only what the answer before
    assert follow.query == third or follow.also_alone  # read: asked alone too
    assert "8.7 metres" in conv.ask(third).answer
    # typed in lower case, its names show in its passages only
    lower = "how high did the elbe rise at its peak in dresden?"
    answer = engine.ask(lower, history=list(conv.history))
    assert "8.7 metres" in answer.answer
    assert Path(answer.citations[0].source).name == "flood.txt"


def test_a_follow_up_that_leaves_for_a_topic_the_corpus_lacks_is_declined(engine):
    """A short question that names nothing is searched as a follow-up, with the previous
    answer's names and article; when none of its own words is in those passages and none
    of their sentences is near it, it is off the topic, not about the actress."""
    conv = Conversation(engine, turns=2)
    assert conv.ask("Which actress was honoured for her life's work in Gothenburg?").answered
    stray = conv.ask("Why do cats purr?")
    assert not stray.answered and stray.confidence == 0.0
    assert not any(c.cited for c in stray.citations)
    conv.reset()
    conv.ask("Which actress was honoured for her life's work in Gothenburg?")
    assert conv.ask("Where was she born?").answered  # on the topic: answered as before


def test_a_whole_short_question_off_the_corpus_is_declined_after_an_answer(embedder, tmp_path):
    """"How do bees make honey?" after a question on what a factory makes is short and names
    nothing, so it is searched as a follow-up too, and the factory's sentence ("It makes
    ...") reads well to it; asked alone it is off the topic of the corpus and "honey" is in
    none of the follow-up's passages, so it is declined. A short question on the topic
    ("Who is the chief executive?") is still answered from the factory's article."""
    engine = corpus_engine(embedder, tmp_path, {**ARTICLES, "appliances.txt": APPLIANCES})
    conv = Conversation(engine, turns=2)
    factory = "What does Nordvik make at its Spennymoor factory?"
    assert "cookers and ovens" in conv.ask(factory).answer
    bees = conv.ask("How do bees make honey?")
    assert not bees.answered and not any(c.cited for c in bees.citations)
    conv.reset()
    conv.ask(factory)
    boss = conv.ask("Who is the chief executive?")
    assert boss.answered and "Hans Lind" in boss.answer


def test_a_longer_question_that_names_nothing_but_the_new_plant_stays_in_the_article(
        embedder, tmp_path):
    """"How many jobs will the new factory create?" names nothing but something definite:
    after a question on Brightwater it is Brightwater's plant (300 jobs), after one on
    Copperline Copperline's factory (450), whichever article shares more of its words;
    asked alone it is the article that does. A question of as many words that leaves for
    a topic the corpus lacks is declined, and one with nothing definite in it stands
    alone."""
    engine = corpus_engine(embedder, tmp_path, {**ARTICLES, **PLANTS})
    question = "How many jobs will the new factory create?"
    assert "450 jobs" in engine.ask(question).answer
    conv = Conversation(engine, turns=2)
    assert "12%" in conv.ask("By how much did Brightwater's annual profit rise?").answer
    assert "300 jobs" in conv.ask(question).answer
    dog = conv.ask("How can I stop my dog pulling on the lead during walks?")
    assert not dog.answered and not any(c.cited for c in dog.citations)
    conv.reset()
    assert "5%" in conv.ask("By how much did Copperline's annual profit fall?").answer
    assert "450 jobs" in conv.ask("How many jobs will the new plant create?").answer
    assert resolve("How many jobs do snack makers create?", list(conv.history), 2).query == \
        "How many jobs do snack makers create?"
    assert resolve("How many jobs did the January hiring add?", list(conv.history), 2).query \
        != "How many jobs did the January hiring add?"  # "January" names no topic


PLANTS = {
    "brightwater.txt": """Snack maker lifts profit

Brightwater Foods reported a 12% rise in annual profit, helped by strong crisp sales. The \
snack maker will open a new plant near Leeds next year, creating 300 jobs.
""",
    "copperline.txt": """Cable firm profit slips

Copperline Cables reported a 5% fall in annual profit as copper prices rose. The new \
factory it is building in Bristol will create 450 jobs when it opens in 2026.
""",
}


APPLIANCES = """Appliance maker to move plants abroad

Nordvik, the Swedish maker of home appliances, said it will move about ten of its 27 plants \
in western Europe to Asia and Mexico. The company has two factories in Durham. It makes lawn \
mowers and garden tools in Aycliffe, and cookers and ovens in Spennymoor. Its shares rose 14% \
on Tuesday. "About half the plants in high-cost countries are at risk," said chief executive \
Hans Lind.
"""


def test_top_rows_is_exact_with_ties_by_row():
    """The sampled bar never drops a row of the k best; ties at the k-th score go to the
    lower rows, as a full sort would give."""
    rng = np.random.default_rng(3)
    for trial in range(200):
        n = int(rng.integers(1, 50_000))
        scores = np.zeros(n, dtype=np.float32)
        hit = rng.choice(n, int(rng.integers(0, n + 1)), replace=False)
        scores[hit] = rng.choice([0.5, 1.0, 2.0], len(hit)) if trial % 2 else rng.random(len(hit))
        k = int(rng.integers(0, 150))
        rows = np.flatnonzero(scores > 0)
        want = rows[np.lexsort((rows, -scores[rows]))][:k].tolist()
        assert top_rows(scores, k) == want


def test_a_short_nameless_question_that_stands_alone_is_answered_alone(embedder, tmp_path):
    """"When is the general election?" after a question on seats won is short and names
    nothing, so it may lean on the turn before; being a whole question, it is asked alone
    too (a fragment such as "Starting when?" is not; a question whose pronoun comes
    before a name of its own is), and the surer answer is kept: the polling day, and no
    sentence of the seats article. A short question that does lean back ("Who was the
    referee?" after a match) keeps its match."""
    engine = corpus_engine(embedder, tmp_path, {
        "seats.txt": "Labour holds its seats in by-elections\n\nLabour held 14 of its 15 "
                     "seats in Thursday's by-elections, a boost for the party's leader after "
                     "a hard winter. The Liberal Democrats took the remaining seat from "
                     "Labour.\n",
        "polling.txt": "Prime minister names polling day\n\nThe prime minister has named 5 "
                       "May as the date of the general election, ending months of "
                       "speculation at Westminster.\n",
        "match.txt": "Rovers edge past City\n\nRovers beat City 2-1 at Ashgate Park, with Tom "
                     "Ferris scoring the winner in the 88th minute. The referee, Alan Pike, "
                     "sent off two City players in the second half.\n"})
    assert may_stand_alone("When is the general election?")
    assert may_stand_alone("Who chairs the committee?")
    assert may_stand_alone("how much oil prices rose?")  # as "Can you tell me" leaves it
    assert not any(map(may_stand_alone, ["Starting when?", "Up by how much?", "Why?",
                                         "What about Brent?", "By how much?"]))
    # the wh-word after a preposition: a whole question, that may lean on the turn before
    assert may_stand_alone("Over what distance will the athlete race?")
    sent_off = resolve("Against which side was the striker sent off?",
                       ["Who scored the winner for Rovers against City?"], 2)
    assert sent_off.also_alone and "Rovers" in sent_off.query
    before = ["How many seats did Labour hold in the by-elections?"]
    for question, alone in (("Who is the chancellor?", True), ("Starting when?", False),
                            ("In his speech, what did Tom Ferris promise?", True),
                            ("What did he promise?", False), ("And why?", False)):
        assert resolve(question, before, 2).also_alone is alone, question
    conv = Conversation(engine, turns=2)
    assert "14 of its 15" in conv.ask("How many seats did Labour hold in the by-elections?").answer
    election = conv.ask("When is the general election?")
    assert election.answered and "5 May" in election.answer
    assert "seats" not in election.answer  # searched as a follow-up, the seats article joined
    conv.reset()
    assert "Tom Ferris" in conv.ask("Who scored the winner for Rovers against City?").answer
    referee = conv.ask("Who was the referee?")
    assert referee.answered and "Alan Pike" in referee.answer
