"""A tiny news corpus for the retrieval and answering tests: real files, real model.

`mayor.txt` and `mayor_wire.txt` are the same story filed twice (near-duplicates);
`valve.txt` holds a part number no other file mentions; `clinic.txt` says in other words
what `gadget.txt` says with the question's words."""

from __future__ import annotations

from pathlib import Path

from conftest import make_config
from qa_bot.engine import Engine

ARTICLES = {
    "mayor.txt": """Springfield elects Jane Okafor as mayor

Jane Okafor won the Springfield mayoral election on Sunday with 58 percent of the vote, \
defeating the incumbent after a campaign focused on public transport.

Okafor was born in 1971 in Lagos and moved to Springfield as a student. She worked as a \
civil engineer for twenty years before entering politics.

Her first decision as mayor will be a review of the city's bus contracts, she told \
reporters outside the city hall.
""",
    "mayor_wire.txt": """Springfield elects Jane Okafor as mayor

Jane Okafor won the Springfield mayoral election on Sunday with 58 percent of the vote, \
defeating the incumbent after a campaign focused on public transport.

Okafor was born in 1971 in Lagos and moved to Springfield as a student. She worked as a \
civil engineer for twenty years before entering politics.

Her first decision as mayor will be a review of the city's bus contracts, she told \
reporters outside the city hall on Monday.
""",
    "actress.txt": """Film festival honours veteran actress

The actress Maria Lindqvist received a lifetime award at the Gothenburg film festival. \
Lindqvist was born in 1948 in Uppsala and made more than sixty films.
""",
    "flood.txt": """Elbe floods old town of Dresden

The Elbe river burst its banks in Dresden after a week of heavy rain, flooding the old \
town. Firefighters evacuated around 2,000 residents overnight.

The water level peaked at 8.7 metres on Thursday, the highest since 2013.
""",
    "valve.txt": """Recall of heating systems widens

The manufacturer recalled boilers fitted with the valve ZX4471Q after reports of leaks. \
Owners were asked to switch off the affected units.
""",
    "safety.txt": """Boiler valve passes safety tests

The ZX4417Q valve fitted to older boilers passed every safety test, the inspectors said.
""",
    "pipes.txt": """Plumbing parts shortage hits repairs

Plumbers say replacement valves and spare parts for boilers are hard to find this winter, \
and leaking heating systems wait weeks for repair.
""",
    "clinic.txt": """Rural doctor keeps village clinic open

A general practitioner looked after the ill child through the night at the village \
clinic, as the road to the hospital was blocked by snow.
""",
    "screening.txt": """Fans queue for late show

Doctor Who fans were treated to an overnight screening of the sick-joke special, which \
the cinema sold out within an hour.
""",
    "cruise.txt": """Old town river cruises return

River cruise operators in the old town say bookings flood in every spring, when the \
boats return to the water and the town fills with visitors.
""",
    "wroclaw.txt": """Wroclaw remembers 1997

Rising water from the Oder submerged the historic streets of Wroclaw in July 1997, and \
residents waded through the market square for days.
""",
    "festival.txt": """Festival programme announced

Films by Lindqvist and by a dozen younger directors will be shown at the festival.
""",
    "honours.txt": """Veteran actress honoured

What award did the veteran actress receive? A lifetime award, the jury said, for a career \
on stage and screen.
""",
    "orchestra.txt": """Orchestra names new conductor

The city orchestra appointed Okonkwo-Baptiste as principal conductor from September.
""",
    "maestro.txt": """Symphony still searching

Which maestro did the symphony hire? None yet: the board has not chosen anyone.
""",
    "music.txt": """A season of symphonies

The concert hall announced a season of symphonies led by a celebrated conductor, with \
guest soloists and a new music director for the orchestra.
""",
}


def write_corpus(folder: Path, articles: dict[str, str] = ARTICLES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in articles.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def corpus_engine(embedder, base: Path, articles: dict[str, str] = ARTICLES) -> Engine:
    """A real Engine over `articles` written under base/corpus, index built."""
    write_corpus(base / "corpus", articles)
    eng = Engine(make_config(base, ["corpus"]), embedder_factory=lambda: embedder)
    eng.sync(progress=False)
    return eng
