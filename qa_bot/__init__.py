"""qa-bot: cited answers from a corpus of news articles."""

__version__ = "0.1.0"
