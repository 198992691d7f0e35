"""What the organizers read: report figures and the daily report, and the event log (audit)."""
