"""What every front end renders: an Answer and its Citations.

Invariants: every quote is `document text[start:end]` verbatim, and so is a highlight
(`start <= highlight[0] < highlight[1] <= end`); the answer text is made only of the cited
quotes, each followed by its [n] marker, so nothing is invented; `confidence` is in [0, 1]
and the answer is declined (answered=False, nothing cited) exactly when it is below the
threshold. A message that asks nothing ("Thanks!") gets a reply instead (typed.small_talk:
answered=False, no citations, confidence 0)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

NOT_ANSWERED = "The indexed documents do not answer this question."


@dataclass(frozen=True)
class Citation:
    n: int
    doc_id: str
    title: str
    source: str
    section: str
    paragraph: int
    quote: str
    start: int
    end: int
    passage: str
    score: float
    page: int | None = None
    cited: bool = False  # the answer quotes this citation (others are nearest passages)
    highlight: tuple[int, int] | None = None  # the answer phrase, source offsets in start..end

    def to_dict(self) -> dict:
        d = asdict(self)
        d["highlight"] = ({"start": self.highlight[0], "end": self.highlight[1]}
                          if self.highlight else None)
        return d


@dataclass(frozen=True)
class Answer:
    question: str
    answered: bool
    answer: str
    citations: list[Citation] = field(default_factory=list)
    confidence: float = 0.0

    def to_dict(self) -> dict:
        return {"question": self.question, "answered": self.answered, "answer": self.answer,
                "confidence": round(self.confidence, 4),
                "citations": [c.to_dict() for c in self.citations]}

    @classmethod
    def from_dict(cls, d: dict) -> "Answer":
        """The inverse of to_dict (what a front end stored)."""
        cits = []
        for c in d.get("citations", []):
            h = c.get("highlight")
            cits.append(Citation(**{**c, "highlight": (h["start"], h["end"]) if h else None}))
        return cls(d["question"], d["answered"], d["answer"], cits, d.get("confidence", 0.0))
