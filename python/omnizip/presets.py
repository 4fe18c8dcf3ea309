"""Model presets, read from the plugin's one table (extension omnizip.cost/1)."""
from . import _abi


def preset(name):
    """The preset called name (e.g. "qwen3-omni-30b-a3b"): token ids, spatial
    merge size, score definition and the Eq. 9 figures."""
    lib = _abi.lib()
    raise ValueError(f"{lib.path}: model presets need the plugin's omnizip.cost/1 extension; "
                     f"pass audio_token_id and video_token_id for {name!r}")
