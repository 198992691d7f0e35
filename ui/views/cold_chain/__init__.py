"""The parts of the cold_chain screens."""
