"""omnizip: OmniZip audio/video token compression for omnimodal LLMs, over
the C plugin libomnizip.so (ctypes; the package implements no stage of the
algorithm itself).

    import omnizip
    out = omnizip.compress(inputs_embeds, input_ids, audio_scores, video_grid_thw,
                           position_ids=position_ids, attention_mask=attention_mask,
                           model="qwen2.5-omni-7b", config=omnizip.Config.from_profile("paper-45"))
    out.inputs_embeds, out.position_ids, out.attention_mask, out.rope_deltas
"""
from ._abi import Error
from .compress import PlanResult, Result, compress, plan
from .config import Config
from .dump import load_dump, save_dump
from .importance import audio_importance
from .presets import Preset, preset, presets
from .stream import Stream, Window

__all__ = ["Config", "Error", "PlanResult", "Result", "audio_importance", "compress",
           "load_dump", "plan", "preset", "presets", "Preset", "save_dump", "plugin_path", "plugin_version", "Stream",
           "Window"]


def plugin_path():
    """The path of the loaded libomnizip.so."""
    from . import _abi
    return _abi.lib().path


def plugin_version():
    from . import _abi
    return _abi.lib().version
