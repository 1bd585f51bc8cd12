"""The read API for the province's other tools (issue 17; docs/API.md for its users).

``tokens`` (form, check, use counting, rate limit), ``queries`` (what it answers, scoped like the
pages), ``serializers`` (JSON and CSV), ``http`` (one request to one answer: token, limits,
parameters, ETag, gzip), ``openapi`` (the OpenAPI 3.1 document), ``errors`` (codes and their
English and Vietnamese messages) and ``routes`` (the Starlette glue that streamlit_app.py hands
to ``st.App``). Issuing and revoking tokens: app/admin/api_tokens.py.
"""
