"""Streamlit glue, grouped like app/: core (entry, menu, session, layout), survey, operations,
monitoring, admin. The only part of app/ that imports streamlit."""
