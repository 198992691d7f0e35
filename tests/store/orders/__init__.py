"""db.orders: the order lifecycle, check-in and slots, manifest import, review lists, the residents' lookup."""
