"""The parts of the privacy screens: a resident's data."""
