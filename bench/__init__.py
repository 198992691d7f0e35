"""Measurements that are not tests: each script prints its figures."""
