"""Demo and benchmark data: a lived-in demo pickup point, and district-scale data built in bulk."""
