"""Command lines that speak to people: they may use both the store (db/) and the words (ui/)."""
