"""The store: models, sessions and every operation that reads or changes Cloud Basket's data."""
