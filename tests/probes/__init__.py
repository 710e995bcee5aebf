"""Helpers of the security probes (tests/test_xss_probe.py, tests/test_no_secrets.py)."""
