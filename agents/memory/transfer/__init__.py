"""Memory that transfers to new samples: learnt on training samples, shown to test samples.

- :mod:`.base`: the memory file (:class:`LearntMemory`), the method contract
  (:class:`TransferMethod`), the registry and the ``notes`` baseline;
- :mod:`.expel`: ExpeL-style insights and retrieved successful trajectories;
- :mod:`.ace`: an ACE-style itemised playbook edited by a reflector and a curator.

Importing the package registers the methods.
"""
from .base import (LearntMemory, MemoryFileError, Notes, TransferMethod, get_method, method_names,
                   register_method)

register_method(Notes())

# The methods helper's modules register themselves on import; absent ones are simply not offered yet.
for _name in ("expel", "ace"):
    try:
        __import__(f"{__name__}.{_name}")
    except ModuleNotFoundError as _error:
        if _error.name != f"{__name__}.{_name}":
            raise

__all__ = ["LearntMemory", "MemoryFileError", "Notes", "TransferMethod", "get_method",
           "method_names", "register_method"]
