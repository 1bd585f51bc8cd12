"""Watching the campaign: live statistics from the running tallies, the friendly-government
index (scoring), warnings, charts, map outlines and the results exports (Excel, PDF)."""
