"""The Telegram front end (python-telegram-bot v22): `app` wires the Application and serves
it, `run` is `qa-bot telegram`; `handlers` and `inline` answer updates, `updates` carries
them (durable queue, per-chat order, retries, quotas), `state` and `memory` keep what must
survive a restart, `html` and `keyboards` render Answers, `inbox` adds admins' articles,
`webhook` serves webhook mode, `redact` keeps secrets out of logs. See docs/telegram.md."""
