"""What the tests share: helpers and data builders, imported as `tests.support.<module>` (never a test module).

Fixtures are not here: they live in the conftest.py of the layer that uses them (tests/conftest.py when shared).
"""
