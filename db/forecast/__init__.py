"""Tomorrow and the week after, per site: bags arriving, collected and held per storage class and hour, and the
volunteers needed, from the rollups, the expected bags, the rules, the slots and the roster (issue 24)."""
