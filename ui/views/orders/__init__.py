"""The parts of the orders screens."""
