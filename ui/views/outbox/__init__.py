"""The outbox's screen parts: what the app sent and is due to send, and the channels it sends through."""
