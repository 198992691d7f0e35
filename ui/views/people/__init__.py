"""The parts of the people screens."""
