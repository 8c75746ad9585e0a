"""The one error of a machine that cannot run the code sandbox (no bubblewrap, no namespaces, no
libseccomp): raised before the first attempt, its message says what to install.

>>> str(SandboxUnavailable("the code sandbox needs bubblewrap (bwrap)"))
'the code sandbox needs bubblewrap (bwrap)'
"""


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces here."""
