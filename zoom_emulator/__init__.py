"""A local Zoom for e2RPRO's demo, tests and benchmarks.

Not part of the product: no Django, no product imports, and no product code imports it.

    python -m zoom_emulator --port 8765 --webhook-url http://127.0.0.1:8000/zoom/webhook/

``Emulator`` (zoom_emulator.core) holds the logic; ``EmulatorServer`` (zoom_emulator.server) serves it over
HTTP; ``zoom_emulator.inprocess`` plugs it into ``responses`` for tests. See README.md ("Zoom emulator").
"""

from .config import Config, ConfigError, FaultRule
from .core import Emulator, EmulatorError

__all__ = ["Config", "ConfigError", "Emulator", "EmulatorError", "FaultRule"]
