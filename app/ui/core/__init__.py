"""Shared page glue: the entry guard, menu, session and sign-in, layout, text escaping, Streamlit fixes."""
