"""Who is on duty: shifts and assignments, coverage against staffing rules, and volunteers' hours."""
