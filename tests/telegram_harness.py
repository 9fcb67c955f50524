"""What the Telegram tests share: a tiny corpus, one real Engine over it (real model, FAISS,
BM25), the bot started against the fake Bot API server (tests/fake_bot_api.py) on
127.0.0.1, and helpers to wait for its replies or run `qa-bot telegram` as a process."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import shutil
import socket
import tempfile
from pathlib import Path

import pytest

from qa_bot.config import Config
from qa_bot.engine import Engine
from qa_bot.telegram.app import build_application, serve
from qa_bot.telegram.updates import RetryingRateLimiter
from conftest import make_config
from fake_bot_api import FakeBotApi

REPO = Path(__file__).resolve().parent.parent
ADMIN = 4242
MARKUP_TITLE = "Acme <b>Bold</b> & <script>alert(1)</script> results"
MARKUP_SENTENCE = ("The R&D budget of <Acme> rose to 5 <b>million</b> euros & the board "
                   "approved <script>alert('x')</script> without debate.")

CORPUS = {
    "north_korea.txt": """war

North Korea blames the United States for the war in Ukraine

At an emergency session of the United Nations, North Korea's ambassador to the United Nations, Kim Song, blamed the United States and its allies for their hegemonic policy.

Kim Song was appointed ambassador to the United Nations in 2014, after serving as a deputy foreign minister in Pyongyang.
""",
    "markup.txt": f"""business

{MARKUP_TITLE}

{MARKUP_SENTENCE}

Analysts at the bank said the spending on research & development would double by 2030.
""",
    "volcano.txt": """science

Iceland volcano erupts near Grindavik

The volcano on the Reykjanes peninsula erupted on Monday night, sending lava fountains fifty metres into the air near the fishing town of Grindavik.

About four thousand residents of Grindavik were evacuated before the eruption, and the Blue Lagoon spa was closed.
""",
    "football.txt": """sport

Local club wins the regional football cup

The Riverside Rovers won the regional football cup on Saturday, beating the Hill Town Harriers three goals to one in front of twelve thousand fans.

The Rovers' captain, Maria Lopez, scored twice and was named player of the match.
""",
    "bakery.txt": """economy

Bread prices rise as wheat costs climb

The price of a loaf of bread in city bakeries rose by twelve percent this year because wheat and energy costs climbed sharply.

Bakers said they would keep prices stable through the winter if flour deliveries recover.
""",
}
LIGHTHOUSE_FACTS = [
    "the keepers of the Ar-Men lighthouse climbed its spiral stair every evening at dusk",
    "the lighthouse keepers of Brittany logged every passing ship by hand in heavy ledgers",
    "storms off the Breton coast often cut the lighthouse keepers off for weeks at a time",
    "the last lighthouse keepers of Brittany left their towers when automation arrived",
    "lighthouse keepers in Brittany polished the great Fresnel lens every single morning",
    "the lighthouse keepers of the Iroise sea received supplies by boat when the sea allowed",
    "a lighthouse keeper on the island of Ouessant kept a diary of forty years of storms",
    "the lighthouse keepers of Brittany were paid by the state and wore a naval uniform",
    "families of lighthouse keepers in Brittany often lived in small houses beside the tower",
    "lighthouse keepers of Brittany trained for months before taking a post in the open sea",
    "the lighthouse keepers of Brittany burned paraffin oil in the lamps before electricity",
    "during fog the lighthouse keepers of Brittany sounded a horn every thirty seconds",
    "the Kereon lighthouse keepers lived in rooms panelled with oak and ebony marquetry",
    "lighthouse keepers of Brittany ate salted fish and dry biscuits through the winter gales",
]


def lighthouse_doc() -> str:
    """Many paragraphs of long sentences on one topic: a top-k 12 answer needs two messages."""
    paragraphs = [
        f"In the old days {fact}, and the historians of the Breton coast who studied the "
        f"service of the lighthouse keepers have described in long and careful detail how "
        f"this part of the work shaped the daily life of the keepers and their families."
        for fact in LIGHTHOUSE_FACTS]
    return "history\n\nThe lighthouse keepers of Brittany\n\n" + "\n\n".join(paragraphs) + "\n"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("telegram")
    (base / "corpus").mkdir()
    for name, text in CORPUS.items():
        (base / "corpus" / name).write_text(text, encoding="utf-8")
    (base / "corpus" / "lighthouse.txt").write_text(lighthouse_doc(), encoding="utf-8")
    return base


@pytest.fixture(scope="module")
def engine(corpus, embedder) -> Engine:
    """One real engine (shared model, real index) for every test of this module."""
    eng = Engine(make_config(corpus, ["corpus"]), embedder_factory=lambda: embedder)
    eng.sync(progress=False)
    return eng


def bot_config(engine: Engine, **telegram) -> Config:
    return dataclasses.replace(engine.cfg,
                               telegram=dataclasses.replace(engine.cfg.telegram, **telegram))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.asynccontextmanager
async def running_bot(engine: Engine, *, secret: str | None = None, max_retries: int = 3,
                      timeout: float = 10.0, api: FakeBotApi | None = None, **telegram):
    """The bot, started against a fresh fake Bot API (or `api`), with a fresh state
    directory unless `state_dir` is given; stopped (and checked to stop) after."""
    own_api = api is None
    api = api or FakeBotApi()
    if own_api:
        await api.start()
    own_state = "state_dir" not in telegram
    if own_state:
        telegram["state_dir"] = tempfile.mkdtemp(prefix="qa-bot-state-")
    cfg = bot_config(engine, **telegram)
    app = build_application(cfg, api.token, engine, base_url=api.base_url,
                            rate_limiter=RetryingRateLimiter(max_retries=max_retries,
                                                             backoff=0.2),
                            timeout=timeout)
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(serve(app, cfg, stop, webhook_secret=secret, ready=ready,
                                     poll_timeout=2))
    try:
        await asyncio.wait([task, asyncio.ensure_future(ready.wait())], timeout=30,
                           return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()
        assert ready.is_set()
        yield api
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)
        if own_api:
            await api.stop()
        if own_state:
            shutil.rmtree(telegram["state_dir"], ignore_errors=True)
    assert api.errors == [], api.errors  # nothing the bot sent was refused by the server


def run(coro):
    return asyncio.run(coro)


async def answer_to(api: FakeBotApi, question: dict, timeout: float = 30) -> list[dict]:
    """Every message sent in the chat of `question` after it, once one replies to it."""
    chat_id = question["message"]["chat"]["id"]
    qid = question["message"]["message_id"]

    def replied() -> list[dict] | None:
        msgs = api.sent_to(chat_id)
        for i, m in enumerate(msgs):
            if m["params"].get("reply_parameters", {}).get("message_id") == qid:
                return msgs[i:]
        return None

    return await api.wait_for(replied, timeout)


def replied_to(m: dict) -> int | None:
    return m["params"].get("reply_parameters", {}).get("message_id")


def press_and_collect(api: FakeBotApi, chat_id: int, under: dict, data: str,
                      buttons: bool = True):
    """Press button `data` on message `under`; the messages sent after it, once the first
    replies to it (and, with `buttons`, one carrying buttons has come)."""
    api.press({k: under[k] for k in ("message_id", "date", "chat", "from", "text")}, data,
              user_id=chat_id)

    def replies() -> list[dict] | None:
        msgs = api.sent_to(chat_id)
        first = next((i for i, m in enumerate(msgs)
                      if replied_to(m) == under["message_id"]), None)
        if first is None or (buttons and not any("reply_markup" in m for m in msgs[first:])):
            return None
        return msgs[first:]

    return api.wait_for(replies)


def qa_bot_cmd(*args: str) -> list[str]:
    return [str(REPO / ".venv" / "bin" / "python"), "-m", "qa_bot", *args]


def cli_env(corpus: Path, telegram: str = "", **extra: str) -> dict[str, str]:
    """The environment of a `qa-bot` process on `corpus` (its config written there, with
    `telegram` as the [telegram] section's lines)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    config = corpus / ("config.toml" if not telegram else "config-telegram.toml")
    config.write_text('[corpus]\npaths = ["corpus"]\n[index]\ndir = "index"\n'
                      + (f"[telegram]\n{telegram}\n" if telegram else ""), encoding="utf-8")
    return dict(env, QA_BOT_CONFIG=str(config), HF_HUB_OFFLINE="1", **extra)


async def exit_of(cmd: list[str], env: dict[str, str]) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(*cmd, env=env, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode, err.decode()
