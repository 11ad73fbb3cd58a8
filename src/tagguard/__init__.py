"""tagguard: git tag policy for PyTorch training snapshots.

Importing this package is cheap on purpose: hooks start it on every push.
"""

__version__ = "0.1.0"
