"""Questions that name what they ask about, with the real model and a real index: who a
named person is, firms named by initials joined by "&", a year or a name the corpus never
names, and a question typed in lower case whose own words leave the conversation's topic."""

from __future__ import annotations

import pytest

from qa_bot.answer.people import who_is
from qa_bot.index.lexical import terms
from quality_corpus import corpus_engine

ARTICLES = {
    "retail.txt": "Mercer & Holt cuts prices\n\nMercer & Holt has cut prices across its "
                  "stores by an average of 20%, according to a City bank.\n\nJohn Rose, "
                  "head of M&H, said last year its prices were too high.\n\nThe retailer "
                  "also faces a bid from a South African financier.\n",
    "football.txt": "Rose joins Norwich on loan\n\nMidfielder Graham Rose has joined Norwich "
                    "City on loan until the end of the season.\n\nRose, 29, said he was "
                    "happy to be playing again.\n\nRose spent four years at "
                    "Everton, scoring 25 goals, before moving to Charlton.\n\nJohn Hill, "
                    "the Norwich manager, said he was delighted.\n",
    "adverts.txt": "Adland giant buys US rival\n\nThe advertising group Brandwell bought US "
                   "rival Grey Harbour for $1.5bn, creating the world's largest agency.\n\n"
                   "Brandwell said revenue rose 8% to $9bn last year.\n",
    "tobacco.txt": "Court throws out tobacco case\n\nA US appeals court has thrown out the "
                   "government's racketeering case against the cigarette makers.\n\nThe "
                   "government had demanded $280bn in profits the firms made over 50 years, "
                   "in a case filed in 1999.\n",
}


@pytest.fixture(scope="module")
def engine(embedder, tmp_path_factory):
    return corpus_engine(embedder, tmp_path_factory.mktemp("names"), ARTICLES)


def test_names_of_initials_joined_by_an_ampersand_are_words():
    """"AT&T" and "M&S" are one word each (split, each letter is no word at all), and a
    name of two words joined by "&" is also its initials, so either form finds the other."""
    assert terms("Who bought AT&T?") == ["who", "bought", "at&t"]
    assert "m&s" in terms("Marks & Spencer cut prices")
    assert "s&p" in terms("Standard & Poor's raised the rating")
    assert "a&t" not in terms("AT&T")  # initials already
    assert "b&b" not in terms("bread and butter")  # "and" joins no name


def test_what_a_sentence_says_a_person_is_is_read_around_their_name():
    """The description is what stands between commas after the name, the words before a
    name that itself stands between commas, or a role just before the name."""
    def said(question: str, text: str) -> str | None:
        found = who_is(question).description(text)
        return text[found[0]:found[1]] if found else None

    assert said("Who is Rod Eddy?", "Rod Eddy, Skyline's chief executive, said so.") \
        == "Skyline's chief executive"
    assert said("Who is Ros Cole?", "Ros Cole, who wrote the biography, said so.") \
        == "who wrote the biography"
    assert said("Who is Ken Ede?", "The club's managing director, Ken Ede, said so.") \
        == "The club's managing director"
    assert said("Who is Cary Lee?", "Hanse Bank economist Cary Lee said rates would rise.") \
        == "Hanse Bank economist"
    assert said("Who is Cary Lee?", '"Rates will rise," Lee told reporters.') is None
    assert said("Who is John Smith?", "After the death of leader John Smith he left.") is None


def test_who_a_named_person_is_comes_from_a_sentence_that_names_them(engine):
    """"Who is John Rose?" is answered by what a sentence naming him says he is, not by
    sentences on another Rose (whose article never names John Rose) nor by one naming
    another John; a person the corpus never names is declined."""
    assert who_is("Who is John Rose?").name == "John Rose"
    assert who_is("who's Graham Rose") is not None
    assert who_is("Who is the chancellor?") is None
    assert who_is("Who is John Rose's manager?") is None
    answer = engine.ask("Who is John Rose?")
    assert answer.answered and answer.citations[0].quote.startswith("John Rose, head of M&H")
    cited = answer.citations[0]
    assert cited.quote[cited.highlight[0] - cited.start:cited.highlight[1] - cited.start] \
        == "head of M&H"  # what the sentence says he is
    assert engine.ask("Who is Graham Rose?").citations[0].doc_id != answer.citations[0].doc_id
    assert not engine.ask("Who is Peter Lamb?").answered


def test_how_old_a_named_person_is_comes_from_a_sentence_that_names_them(engine):
    """"How old is Graham Rose?" is answered by the sentence that gives his age ("Rose,
    29,"); John Rose's age, which no sentence gives, is not another Rose's."""
    answer = engine.ask("How old is Graham Rose?")
    assert answer.answered and "Rose, 29," in answer.answer
    assert not engine.ask("How old is John Rose?").answered


def test_a_firm_named_by_its_initials_finds_the_article_that_spells_it_out(engine):
    """"M&H" in a question finds, by its words, the passages that say "Mercer & Holt" or
    "M&H", and only those."""
    gen = engine.generation()
    scores = gen.lexical.scores("M&H")
    found = {gen.chunks[r].doc_id for r in range(len(scores)) if scores[r] > 0}
    assert [gen.documents[d]["path"].rsplit("/", 1)[1] for d in found] == ["retail.txt"]
    answer = engine.ask("By how much did M&H cut prices?")
    assert answer.answered and "20%" in answer.answer


def test_a_lower_case_question_whose_own_words_change_the_topic_is_asked_alone(engine):
    """Typed in lower case a question names nothing, so after a question on the ad group
    "how much did the tobacco case demand" may be a follow-up; its own
    rarest word ("tobacco") is not in the ad group's article but in another, so it is
    answered from that one."""
    first = engine.ask("who bought grey harbour")
    assert first.answered and "Brandwell" in first.answer
    answer = engine.ask("how much did the tobacco case demand", [first])
    assert answer.answered and "$280bn" in answer.answer


def test_a_year_no_document_names_is_declined(engine):
    """The corpus cannot tell what happened in a year it never names."""
    assert engine.ask("How much did the government demand from the cigarette makers in "
                      "1999?").answered
    answer = engine.ask("How much did the government demand from the cigarette makers in 2031?")
    assert not answer.answered and answer.confidence == 0.0


def test_a_name_no_document_holds_is_declined_by_name(engine):
    """Whatever the corpus says, it says nothing of a name it never holds: the question is
    declined, saying which name, where it was answered from someone else's sentence.
    Acronyms and adjectives of place, which the articles may write otherwise ("BMJ",
    "Zambian"), and names the corpus holds do not count."""
    from qa_bot.answer.unknown import unknown_name

    answer = engine.ask("How much did Hollister say the government demanded from the "
                        "cigarette makers?")
    assert not answer.answered and answer.confidence == 0.0
    assert answer.answer.endswith("none of them mentions “Hollister”.")
    assert engine.ask("How much did the government demand from the cigarette makers?").answered
    frequency = engine.generation().lexical.document_frequency
    texts = [ARTICLES["football.txt"]]
    assert unknown_name("Is the Zambian financier bidding, the BMJ asked?", frequency,
                        texts) is None
    assert unknown_name("Has Rose joined Norwich from Everton?", frequency, texts) is None
    assert unknown_name("Has Rose joined Norwich from Fulham?", frequency, texts) == "Fulham"
    assert unknown_name("Hollister: what did he say?", frequency, texts) is None  # opens it
    # a name like one the retrieved passages write, accented or a slip or two away
    assert unknown_name("Did Everten sign Rose?", frequency, ["Rose joined Évertôn."]) is None
    assert unknown_name("Did Everten sign Rose?", frequency, ["Rose joined Norwich."]) \
        == "Everten"
    assert unknown_name("Who sang at the Superbowl?", frequency,
                        ["She sang at the Super Bowl in Santa Clara."]) is None
    # or by the initials of the name it is part of
    assert unknown_name("Who is the United Nations envoy?", frequency,
                        ["The U.N. envoy said so."]) is None
    assert unknown_name("Who is the United Nations envoy?", frequency,
                        ["The envoy said so."]) == "United"


def test_a_firm_named_in_full_finds_the_article_that_uses_its_initials(embedder, tmp_path):
    """News names a firm in full once and by its initials after: "British Airways" in a
    question also searches "BA" (not a person's initials: "Gordon Brown" is no "GB")."""
    from qa_bot.answer.people import initials

    assert initials("How many jobs has British Airways cut?") == ["BA"]
    assert initials("What did Gordon Brown say?") == []
    engine = corpus_engine(embedder, tmp_path, {
        "ba.txt": "Airline profits rise\n\nSince 2001 BA has cut 13,000 jobs as part of a "
                  "cost-cutting drive.\n\nBA flies to 150 destinations.\n",
        "usair.txt": "US carrier in trouble\n\nThe airline US Airways may cut 1,000 more "
                     "jobs, its union warned, after pilots agreed to pay cuts.\n",
        "rail.txt": "Rail jobs cut\n\nBritish rail operators have cut 2,000 jobs in a year, "
                    "said the airways and railways union.\n"})
    answer = engine.ask("How many jobs has British Airways cut?")
    assert answer.answered and "13,000" in answer.answer
