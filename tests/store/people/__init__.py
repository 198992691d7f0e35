"""db.people: sites, accounts, devices, sign-in sessions, throttling."""
