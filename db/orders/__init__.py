"""Orders from arrival to handover: the lifecycle and the desk's search, manifest import, the organizer's
review and corrections, and what a resident may learn about their own order."""
