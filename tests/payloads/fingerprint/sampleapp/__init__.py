"""A tiny shop whose bugs the fingerprint tests group. Run by ../capture.py, never imported by tests."""
