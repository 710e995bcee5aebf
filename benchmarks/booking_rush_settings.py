"""Settings for benchmarks/booking_rush.py's gunicorn: the product's, plus a minimal page to compare."""

from e2rpro.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.booking_rush_urls"
