"""The parts of the roster screens."""
