"""Commune operations: helper rosters and duty schedules, inspectors, daily reports with photos,
report completeness, and the operations workbooks (Excel import/export)."""
