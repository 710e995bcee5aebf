"""A local Microsoft (Entra ID + Graph) for e2RPRO's demo, tests and benchmarks.

Not part of the product: no Django, no product imports, and no product code imports it.

    python -m microsoft_emulator --port 8766

``Emulator`` (microsoft_emulator.core) holds the logic; ``EmulatorServer`` (microsoft_emulator.server) serves
it over HTTP; ``microsoft_emulator.inprocess`` plugs it into ``responses`` for tests. See
docs/microsoft-emulator.md.
"""

from .config import Config, ConfigError, FaultRule
from .core import Emulator, EmulatorError

__all__ = ["Config", "ConfigError", "Emulator", "EmulatorError", "FaultRule"]
