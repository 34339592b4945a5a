"""Streamlit-only code: pages, session state keys, cache wrappers, translation helper."""
