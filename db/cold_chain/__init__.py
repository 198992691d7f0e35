"""Where bags are kept and how cold: storage units and slots (and who takes a free slot), temperature
readings, and excursions with the bags they touched."""
