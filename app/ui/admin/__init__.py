"""Administration pages' widgets and views."""
