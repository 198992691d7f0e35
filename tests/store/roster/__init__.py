"""db.roster: shifts, sign-ups, check-in, hours, coverage."""
