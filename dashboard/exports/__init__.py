"""Printable files built from query results (bytes in memory; no st.* calls, no database)."""
