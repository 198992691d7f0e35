"""Residents' personal data under PIPL (docs/privacy.md): the retention rule's purge and the anonymisation it shares
with a resident's request (`retention`), the records of who looked at personal data beyond the masked default
(`access`), and a resident's request: everything the site holds about one phone number (`requests`)."""
