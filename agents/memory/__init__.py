"""Memory: what an attempt is shown of earlier ones (the contract: :class:`agents.types.Memory`).

- :mod:`.text`: how a memory is written into a prompt (headers, the trimmed last attempt, notes);
- :mod:`.episodic`: a sample's own past, keyed by sample id (the base of the paper's memories);
- :mod:`.paper`: the paper's four memories, which the programming arms reuse;
- :mod:`.registry`: the arms (strategies): names, folder, label, order, plot style, memory factory.
"""
from .episodic import Episodic
from .paper import LastAttempt, LastAttemptAndReflections, NoMemory, Reflections
from .registry import Arm, MemoryContext, arms, default_arm, register, resolve, unregister

__all__ = ["Arm", "Episodic", "LastAttempt", "LastAttemptAndReflections", "MemoryContext", "NoMemory",
           "Reflections", "arms", "default_arm", "register", "resolve", "unregister"]
