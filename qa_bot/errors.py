"""One small exception hierarchy. Every user-facing failure is a QaBotError whose
message is a single line naming the problem (file, key, value)."""


class QaBotError(Exception):
    """Base of every error the front ends report as one line (never a traceback)."""

    exit_code = 1

    def lines(self) -> list[str]:
        """What the front ends print, one line each (one, but for IndexDamagedError)."""
        return [str(self)]


class ConfigError(QaBotError):
    """The configuration file or an option is wrong."""

    exit_code = 2


class InputError(QaBotError):
    """A question or a path given by the user is unusable."""

    exit_code = 2


class DocumentError(QaBotError):
    """One file could not be read as a document (the sync skips it with a warning)."""


class IndexDirError(QaBotError):
    """The index directory is unusable: a file, `/`, or a non-empty folder qa-bot did not
    make (it would mix its files with someone else's)."""

    exit_code = 2


class IndexMissingError(QaBotError):
    """No index has been built in the index directory yet."""


class IndexCorruptError(QaBotError):
    """The index directory exists but cannot be read; `qa-bot index --full` recovers."""


class IndexDamagedError(IndexCorruptError):
    """`qa-bot index --verify` found problems: one line each, naming the file and the fix."""

    def __init__(self, problems: list[str]):
        super().__init__(problems[0] if len(problems) == 1
                         else f"{problems[0]} (and {len(problems) - 1} more)")
        self.problems = problems

    def lines(self) -> list[str]:
        return list(self.problems)


class IndexIncompatibleError(QaBotError):
    """The index was built with another model or dimension; `qa-bot index --full` rebuilds."""


class IndexBusyError(QaBotError):
    """Another build holds the index lock."""


class IndexWriteError(QaBotError):
    """A build could not write its new generation (disk full...); the old one is intact."""
