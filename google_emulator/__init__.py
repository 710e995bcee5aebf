"""A local Google (OAuth 2.0, Calendar API v3 with Meet conferences, push notifications) for e2RPRO's demo,
tests and benchmarks.

Not part of the product: no Django, no product imports, and no product code imports it.

    python -m google_emulator --port 8767

``Emulator`` (google_emulator.core) holds the logic; ``EmulatorServer`` (google_emulator.server) serves it
over HTTP; ``google_emulator.inprocess`` plugs it into ``responses`` for tests. See docs/google-emulator.md.
"""

from .config import Config, ConfigError, FaultRule
from .core import Emulator, EmulatorError

__all__ = ["Config", "ConfigError", "Emulator", "EmulatorError", "FaultRule"]
