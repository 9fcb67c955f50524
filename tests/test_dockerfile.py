"""No Docker engine runs here: check what the image is built from, statically."""

import re
import tomllib

from conftest import REPO


def instructions() -> list[tuple[str, str]]:
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1].strip())
            for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_image_runs_qa_bot_as_non_root_with_the_index_as_a_volume():
    ins = instructions()
    users = [arg for op, arg in ins if op == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert ("ENTRYPOINT", '["qa-bot"]') in ins and ("CMD", '["telegram"]') in ins
    assert any(op == "VOLUME" and "/app/embeddings" in arg for op, arg in ins)
    assert any(op == "ENV" and "HF_HUB_OFFLINE=1" in arg for op, arg in ins)


def test_every_copied_path_exists_and_torch_matches_the_project_pin():
    for op, arg in instructions():
        if op == "COPY":
            for src in arg.split()[:-1]:
                assert (REPO / src).exists(), src
    pins = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    torch_pin = next(p for p in pins if p.startswith("torch"))
    docker_torch = re.search(r"torch==[\d.]+", (REPO / "Dockerfile").read_text()).group(0)
    assert torch_pin == docker_torch == "torch==2.13.0"


def test_the_user_owns_every_directory_the_bot_writes_and_each_is_a_volume():
    """The index and `[telegram] state_dir` (relative to /app, where config.toml goes): the
    non-root user must write both, and both must outlive the container, else the bot
    cannot start (state_dir: Permission denied) or forgets its questions on restart."""
    cfg = tomllib.loads((REPO / "config.toml").read_text())
    written = {"/app/" + cfg["index"]["dir"].strip("./"),
               "/app/" + cfg["telegram"]["state_dir"].strip("./")}
    ins = instructions()
    volumes = " ".join(arg for op, arg in ins if op == "VOLUME")
    owned = " ".join(arg for op, arg in ins if op == "RUN" and "chown" in arg)
    for path in written:
        assert f'"{path}"' in volumes, path
        assert re.search(rf"chown\b.*\s{re.escape(path)}(\s|$)", owned), path
