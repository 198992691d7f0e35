"""db.cold_chain: storage units, temperature readings, excursions."""
