"""Grouping and counts: groups found or created per fingerprint (groups), per-minute counts (counters) and the series read from them (series)."""
