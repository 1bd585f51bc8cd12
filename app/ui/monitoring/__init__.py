"""Dashboards: overview, map, warnings, results views."""
