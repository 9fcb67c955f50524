from pathlib import Path

import pytest

from qa_bot.config import load_config
from qa_bot.errors import ConfigError

REPO = Path(__file__).resolve().parent.parent


def test_repo_config_matches_the_defaults_it_documents():
    cfg = load_config(REPO / "config.toml")
    assert cfg.corpus.paths == ["seeds"] and cfg.index_dir == REPO / "embeddings"
    assert cfg.retrieval.mode in ("hybrid", "dense", "bm25")


def test_every_key_in_config_toml_is_commented():
    lines = (REPO / "config.toml").read_text().splitlines()
    for i, line in enumerate(lines):
        if "=" in line and not line.lstrip().startswith("#"):
            assert lines[i - 1].lstrip().startswith("#"), f"key without a comment: {line}"


@pytest.mark.parametrize("body, needle", [
    ("[retrieval]\ntop_kk = 3\n", "[retrieval] top_kk: unknown key"),
    ("[retrieval]\ntop_k = \"three\"\n", "[retrieval] top_k: expected an integer, got 'three'"),
    ("[retrieval]\nmode = \"magic\"\n", "[retrieval] mode: expected one of hybrid, dense, bm25"),
    ("[corpus]\npaths = \"seeds\"\n", "[corpus] paths: expected a list of str"),
    ("[telegram]\nadmin_user_ids = [\"x\"]\n", "[telegram] admin_user_ids: expected a list of int"),
    ("[retrieval]\ntop_k = 0\n", "[retrieval] top_k: must be positive"),
    ("[chunking]\nmax_tokens = 300\ntarget_tokens = 100\n", "[chunking] max_tokens"),
    ("[nonsense]\na = 1\n", "unknown section [nonsense]"),
    ("[retrieval\n", "invalid TOML"),
])
def test_bad_config_names_file_and_key(tmp_path: Path, body, needle):
    f = tmp_path / "bad.toml"
    f.write_text(body)
    with pytest.raises(ConfigError) as exc:
        load_config(f)
    assert needle in str(exc.value) and str(f) in str(exc.value)


def test_env_variable_and_relative_paths(tmp_path: Path, monkeypatch):
    f = tmp_path / "c.toml"
    f.write_text("[index]\ndir = \"idx\"\n[retrieval]\nmin_confidence = 1\n")
    monkeypatch.setenv("QA_BOT_CONFIG", str(f))
    monkeypatch.chdir(REPO)
    cfg = load_config()
    assert cfg.index_dir == tmp_path / "idx"
    assert cfg.retrieval.min_confidence == 1.0
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.toml")
