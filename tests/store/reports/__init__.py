"""db.reports: figures and the daily report."""
