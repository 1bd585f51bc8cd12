"""QCDC Survey domain: importable and testable without a running Streamlit."""
