"""config.toml -> frozen dataclasses. Unknown sections or keys and wrong types are a
ConfigError naming the file and the key; relative paths resolve against the config file's
folder (or the working directory when no file is used)."""

from __future__ import annotations

import dataclasses
import math
import os
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path

from qa_bot.answer.confidence import MIN_CONFIDENCE
from qa_bot.errors import ConfigError

CONFIG_ENV = "QA_BOT_CONFIG"
DEFAULT_CONFIG_NAME = "config.toml"


@dataclass(frozen=True)
class CorpusConfig:
    paths: list[str] = field(default_factory=lambda: ["seeds"])
    max_file_mb: float = 20.0
    follow_symlinks: bool = False  # follow symlinks that lead out of the corpus paths


@dataclass(frozen=True)
class IndexConfig:
    dir: str = "embeddings"
    keep_generations: int = 2
    cluster: str = ""  # a Dask scheduler (tcp://host:8786) that embeds; "": this machine


@dataclass(frozen=True)
class ChunkingConfig:
    max_tokens: int = 200
    target_tokens: int = 128


@dataclass(frozen=True)
class RetrievalConfig:
    mode: str = "hybrid"
    top_k: int = 3
    candidates: int = 100
    fusion: str = "weighted"
    rrf_k: int = 60
    dense_weight: float = 0.7
    sentence_weight: float = 0.5
    min_confidence: float = MIN_CONFIDENCE
    history_turns: int = 2


@dataclass(frozen=True)
class AnswerConfig:
    max_sentences: int = 2
    sentence_vectors: bool = True  # store sentence vectors at index time (fast answers)


@dataclass(frozen=True)
class TelegramConfig:
    base_url: str = ""
    mode: str = "polling"
    webhook_url: str = ""
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443
    allowed_user_ids: list[int] = field(default_factory=list)
    allowed_chat_ids: list[int] = field(default_factory=list)
    admin_user_ids: list[int] = field(default_factory=list)
    rate_limit_per_minute: int = 20
    max_question_chars: int = 500
    history_turns: int = 3
    workers: int = 4
    max_retries: int = 3
    state_dir: str = "state"      # updates not yet answered, answers, conversations
    keep_days: float = 30.0       # answers (their buttons) and conversations kept this long
    inline_per_minute: int = 30   # inline answers per user per minute, apart from questions
    inline_debounce_s: float = 0.7  # an inline query is answered once typing pauses this long
    inbox_dir: str = ""           # where admins' uploaded articles go ("": uploads off)
    max_upload_mb: float = 20.0   # larger uploads and fetched pages are refused


@dataclass(frozen=True)
class Config:
    corpus: CorpusConfig = field(default_factory=CorpusConfig)
    index: IndexConfig = field(default_factory=IndexConfig)
    chunking: ChunkingConfig = field(default_factory=ChunkingConfig)
    retrieval: RetrievalConfig = field(default_factory=RetrievalConfig)
    answer: AnswerConfig = field(default_factory=AnswerConfig)
    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    base_dir: Path = field(default_factory=Path.cwd)
    source: str = "(defaults)"

    def resolve(self, path: str | Path) -> Path:
        """A configured path, absolute, relative ones taken from the config's folder."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.base_dir / p

    @property
    def index_dir(self) -> Path:
        return self.resolve(self.index.dir)

    @property
    def corpus_paths(self) -> list[Path]:
        return [self.resolve(p) for p in self.corpus.paths]


_CHOICES = {
    ("retrieval", "mode"): ("hybrid", "dense", "bm25"),
    ("retrieval", "fusion"): ("rrf", "weighted"),
    ("telegram", "mode"): ("polling", "webhook"),
}
_UNIT = {("retrieval", "dense_weight"), ("retrieval", "sentence_weight"),
         ("retrieval", "min_confidence")}
_POSITIVE = {
    ("corpus", "max_file_mb"), ("chunking", "max_tokens"), ("chunking", "target_tokens"),
    ("retrieval", "top_k"), ("retrieval", "candidates"), ("retrieval", "rrf_k"),
    ("answer", "max_sentences"), ("index", "keep_generations"),
    ("telegram", "max_question_chars"), ("telegram", "workers"), ("telegram", "keep_days"),
    ("telegram", "max_upload_mb"),
}
_NOT_NEGATIVE = {("telegram", "inline_debounce_s")}


def _type_name(tp: object) -> str:
    if typing.get_origin(tp) is list:
        return f"a list of {typing.get_args(tp)[0].__name__}"
    return {int: "an integer", float: "a number", str: "a string", bool: "true or false"}[tp]


def _check_value(where: str, tp: object, value: object) -> object:
    def bad() -> ConfigError:
        return ConfigError(f"{where}: expected {_type_name(tp)}, got {value!r}")

    for v in value if isinstance(value, list) else [value]:
        if isinstance(v, float) and not math.isfinite(v):
            raise ConfigError(f"{where}: expected a finite number, got {v!r}")

    if typing.get_origin(tp) is list:
        (item,) = typing.get_args(tp)
        if not isinstance(value, list):
            raise bad()
        for v in value:
            if item is float and isinstance(v, int) and not isinstance(v, bool):
                continue
            if not isinstance(v, item) or isinstance(v, bool):
                raise bad()
        return [float(v) for v in value] if item is float else list(value)
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp is bool:
        if not isinstance(value, bool):
            raise bad()
        return value
    if not isinstance(value, tp) or isinstance(value, bool):  # type: ignore[arg-type]
        raise bad()
    return value


def _build_section(fname: str, section: str, cls: type, raw: object) -> object:
    if not isinstance(raw, dict):
        raise ConfigError(f"{fname}: [{section}] must be a table, got {raw!r}")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    values: dict[str, object] = {}
    for key, value in raw.items():
        where = f"{fname}: [{section}] {key}"
        if key not in known:
            raise ConfigError(f"{where}: unknown key (known: {', '.join(sorted(known))})")
        value = _check_value(where, hints[key], value)
        choices = _CHOICES.get((section, key))
        if choices and value not in choices:
            raise ConfigError(f"{where}: expected one of {', '.join(choices)}, got {value!r}")
        if (section, key) in _UNIT and not 0 <= value <= 1:  # type: ignore[operator]
            raise ConfigError(f"{where}: must be between 0 and 1, got {value!r}")
        if (section, key) in _POSITIVE and value <= 0:  # type: ignore[operator]
            raise ConfigError(f"{where}: must be positive, got {value!r}")
        if (section, key) in _NOT_NEGATIVE and value < 0:  # type: ignore[operator]
            raise ConfigError(f"{where}: must not be negative, got {value!r}")
        if (section, key) == ("telegram", "state_dir") and not str(value).strip():
            raise ConfigError(f"{where}: must name a folder")
        values[key] = value
    return cls(**values)


_SECTIONS = {f.name: f for f in dataclasses.fields(Config) if f.name not in ("base_dir", "source")}


def parse_config(data: dict, fname: str, base_dir: Path) -> Config:
    """Validate a parsed TOML table into a Config (errors name fname and the key)."""
    sections: dict[str, object] = {}
    for name, raw in data.items():
        if name not in _SECTIONS:
            raise ConfigError(
                f"{fname}: unknown section [{name}] (known: {', '.join(sorted(_SECTIONS))})"
            )
        cls = typing.get_type_hints(Config)[name]
        sections[name] = _build_section(fname, name, cls, raw)
    cfg = Config(**sections, base_dir=base_dir, source=fname)  # type: ignore[arg-type]
    if cfg.chunking.target_tokens > cfg.chunking.max_tokens:
        raise ConfigError(
            f"{fname}: [chunking] target_tokens ({cfg.chunking.target_tokens}) "
            f"exceeds max_tokens ({cfg.chunking.max_tokens})"
        )
    if cfg.chunking.max_tokens > 254:
        raise ConfigError(
            f"{fname}: [chunking] max_tokens: the model reads 256 word pieces with 2 special "
            f"ones, so at most 254, got {cfg.chunking.max_tokens}"
        )
    return cfg


def load_config(path: str | Path | None = None) -> Config:
    """Load `path`, else $QA_BOT_CONFIG, else ./config.toml if present, else defaults."""
    explicit = path if path is not None else os.environ.get(CONFIG_ENV) or None
    if explicit is None:
        candidate = Path.cwd() / DEFAULT_CONFIG_NAME
        if not candidate.is_file():
            return Config()
        explicit = candidate
    p = Path(explicit)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{p}: config file not found") from None
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read config file ({exc.strerror})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{p}: config file is not UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: invalid TOML ({exc})") from None
    return parse_config(data, str(p), p.resolve().parent)


def with_index_dir(cfg: Config, index_dir: str | Path) -> Config:
    """The same config with the index directory overridden (absolute, from the cwd)."""
    absolute = str(Path(index_dir).expanduser().resolve())
    return dataclasses.replace(cfg, index=dataclasses.replace(cfg.index, dir=absolute))

