"""The library API a training script uses: `from tagguard.provenance import git_info`.

The code lives with the rest of the ML side, in `tagguard.ml.provenance`; this path stays.
"""

from tagguard.ml.provenance import git_info, safetensors_metadata

__all__ = ["git_info", "safetensors_metadata"]
