"""The channels' senders: each posts one message to its provider and says, as data, what became of it.

A sender never touches the store: the runner (cli/jobs.py) claims a message, hands it to a sender and writes the
`Delivery` back into the outbox. Every call has a timeout; nothing here retries on its own, so a message is posted
at most once per claim."""

from __future__ import annotations

from dataclasses import dataclass

# What became of one post.
SENT = "sent"  # the provider took it
RATE_LIMITED = "rate_limited"  # the provider refused it for now (too many lately): put it back, send it later
FAILED = "failed"  # it did not go; `retry` says whether trying again later may help
UNKNOWN = "unknown"  # it may have arrived (a timeout after the request went out): never sent again by the runner
OUTCOMES = (SENT, RATE_LIMITED, FAILED, UNKNOWN)

# A provider's answer is kept for the outbox page; a page of HTML from a proxy is cut to this.
ANSWER_CHARS = 500


@dataclass(frozen=True)
class Delivery:
    """One post's outcome: what the provider answered (its code and words, never a secret), its own id for the
    message when it gave one (the SMS BizId), and whether a failure is worth another try."""

    outcome: str
    answer: str
    provider_id: str | None = None
    retry: bool = True


def short_answer(text: str) -> str:
    """An answer cut to what the outbox keeps, on one line."""
    line = " ".join(text.split())
    return line if len(line) <= ANSWER_CHARS else line[: ANSWER_CHARS - 1] + "…"
