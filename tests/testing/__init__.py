"""What the tests share, imported by name (`from testing.tools import git`); the fixtures that
use it are in tests/conftest.py."""
