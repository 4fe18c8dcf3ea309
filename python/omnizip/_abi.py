"""ctypes mirror of include/omnizip/omnizip.h and the loader of libomnizip.so.

Only the structs the package passes are mirrored; each starts with struct_size
set to the size this file knows, so a newer plugin reads the missing tail as
defaults (the ABI's growth rule). The plugin is found, in order, at
$OMNIZIP_PLUGIN, next to this package, in the source tree's build/ (a package
used in place), and in the install prefix the package was installed into.
"""
import ctypes as C
import os
import threading

ABI_VERSION = 1

OK, E_INVALID, E_UNSUPPORTED, E_NOMEM, E_STATE, E_BACKEND, E_PROFILE, E_IO = range(8)
DTYPE_F32, DTYPE_F16, DTYPE_BF16 = 0, 1, 2
MEMORY_HOST, MEMORY_CUDA = 0, 1
AUDIO_PRUNED, AUDIO_KEPT, AUDIO_ANCHOR, AUDIO_MERGED = 0, 1, 2, 3
EXT_CLIPS = b"omnizip.clips/1"
EXT_COST = b"omnizip.cost/1"

i32, u32, i64, f64 = C.c_int32, C.c_uint32, C.c_int64, C.c_double
P64 = C.POINTER(C.c_int64)


class Error(RuntimeError):
    """A plugin call failed: .status holds the omnizip status code."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


class Matrix(C.Structure):
    _fields_ = [("data", C.c_void_p), ("rows", i64), ("cols", i64), ("row_stride", i64),
                ("dtype", i32), ("memory", i32)]


class Layout(C.Structure):
    _fields_ = [("struct_size", u32), ("n_video_runs", u32), ("n_audio_runs", u32),
                ("reserved0", u32), ("video_run_len", P64), ("audio_run_len", P64),
                ("tokens_per_frame", i64), ("grid_t", i64), ("video_run_start", P64),
                ("audio_run_start", P64)]


class Plan(C.Structure):
    _fields_ = [("struct_size", u32), ("n_windows", u32), ("n_guided", u32), ("reserved0", u32),
                ("audio_in", i64), ("audio_kept", i64), ("audio_anchors", i64),
                ("video_in", i64), ("video_kept", i64)]


class WindowInfo(C.Structure):
    _fields_ = [("struct_size", u32), ("index", u32), ("audio_in", i64), ("audio_kept", i64),
                ("audio_anchors", i64), ("audio_merged", i64), ("video_in", i64),
                ("video_kept", i64), ("s_a", f64), ("base_rate", f64), ("rate", f64),
                ("guided", i32), ("reserved0", u32), ("micros", f64), ("flops", f64)]


class WindowIn(C.Structure):
    _fields_ = [("struct_size", u32), ("reserved0", u32), ("audio", Matrix), ("video", Matrix),
                ("stream", C.c_void_p)]


class WindowOut(C.Structure):
    _fields_ = [("struct_size", u32), ("reserved0", u32), ("audio_state", C.c_void_p),
                ("audio_capacity", i64), ("video_keep", C.c_void_p), ("video_capacity", i64),
                ("anchors", Matrix), ("info", C.POINTER(WindowInfo))]


class Summary(C.Structure):
    _fields_ = [("struct_size", u32), ("n_windows", u32), ("audio_in", i64),
                ("audio_kept", i64), ("video_in", i64), ("video_kept", i64),
                ("micros_plan", f64), ("micros_bind", f64), ("micros_windows", f64)]


class ImportanceIn(C.Structure):
    _fields_ = [("struct_size", u32), ("n_heads", u32), ("pool", u32), ("reserved0", u32),
                ("q", Matrix), ("k", Matrix), ("stream", C.c_void_p),
                ("cu_seqlens", P64), ("n_cu_seqlens", u32), ("reserved1", u32)]


class Clip(C.Structure):
    _fields_ = [("video", i32), ("first_run", u32), ("n_video_runs", u32),
                ("n_audio_runs", u32), ("tokens_per_frame", i64), ("grid_t", i64),
                ("n_video", i64), ("n_audio", i64)]


class ClipsIn(C.Structure):
    _fields_ = [("struct_size", u32), ("n_videos", u32), ("input_ids", P64), ("length", i64),
                ("audio_token_id", i64), ("video_token_id", i64), ("merge_size", i64),
                ("grid_thw", P64)]


class ClipsOut(C.Structure):
    _fields_ = [("struct_size", u32), ("n_clips", u32), ("n_runs", u32),
                ("clip_capacity", u32), ("clips", C.POINTER(Clip)), ("run_start", P64),
                ("run_len", P64), ("run_capacity", u32), ("reserved0", u32)]


ERRBUF = C.c_char * 1024
KEY_FN = C.CFUNCTYPE(None, C.c_void_p, C.c_char_p, C.c_char_p, C.c_char_p, i32)
TASK_FN = C.CFUNCTYPE(None, C.c_void_p, u32)

_CTX = C.c_void_p


class Plugin(C.Structure):
    """struct omnizip_plugin: the 1.0 table (members are only appended)."""
    _fields_ = [
        ("struct_size", u32), ("abi_version", u32), ("name", C.c_char_p), ("version", C.c_char_p),
        ("status_str", C.CFUNCTYPE(C.c_char_p, i32)),
        ("config_default", C.CFUNCTYPE(None, C.c_void_p)),
        ("config_set", C.CFUNCTYPE(i32, C.c_void_p, C.c_char_p, C.c_char_p, C.c_char_p,
                                   C.c_size_t)),
        ("config_check", C.CFUNCTYPE(i32, C.c_void_p, C.c_char_p, C.c_size_t)),
        ("profile_load", C.CFUNCTYPE(i32, C.c_char_p, C.c_char_p, C.c_void_p, KEY_FN,
                                     C.c_void_p, C.c_char_p, C.c_size_t)),
        ("create", C.CFUNCTYPE(i32, C.c_void_p, C.c_void_p, C.POINTER(_CTX), C.c_char_p,
                               C.c_size_t)),
        ("destroy", C.CFUNCTYPE(None, _CTX)),
        ("last_error", C.CFUNCTYPE(C.c_char_p, _CTX)),
        ("plan", C.CFUNCTYPE(i32, _CTX, C.POINTER(Layout), C.c_void_p, i64, C.POINTER(Plan))),
        ("window_plan", C.CFUNCTYPE(i32, _CTX, u32, C.POINTER(WindowInfo))),
        ("bind", C.CFUNCTYPE(i32, _CTX, C.POINTER(Matrix), C.POINTER(Matrix), C.c_void_p)),
        ("window", C.CFUNCTYPE(i32, _CTX, u32, C.POINTER(WindowIn), C.POINTER(WindowOut))),
        ("finish", C.CFUNCTYPE(i32, _CTX, C.POINTER(Summary))),
        ("audio_importance", C.CFUNCTYPE(i32, _CTX, C.POINTER(ImportanceIn), C.c_void_p, i64)),
        ("prefill_flops", C.CFUNCTYPE(i32, C.c_char_p, i64, i64, C.POINTER(f64))),
        ("get_extension", C.CFUNCTYPE(C.c_void_p, C.c_char_p)),
    ]


class Plugin11(C.Structure):
    """The members ABI 1.1 appended to the table."""
    _fields_ = Plugin._fields_ + [
        ("config_key", C.CFUNCTYPE(C.c_char_p, u32)),
        ("config_get", C.CFUNCTYPE(i32, C.c_void_p, C.c_char_p, C.c_char_p, C.c_size_t)),
    ]


class ClipsExt(C.Structure):
    _fields_ = [("struct_size", u32), ("reserved0", u32),
                ("split", C.CFUNCTYPE(i32, C.POINTER(ClipsIn), C.POINTER(ClipsOut), C.c_char_p,
                                      C.c_size_t))]


def new(struct, **fields):
    """A zeroed struct with struct_size set, then fields."""
    s = struct()
    s.struct_size = C.sizeof(struct)
    for k, v in fields.items():
        setattr(s, k, v)
    return s


def _candidates():
    here = os.path.dirname(os.path.abspath(__file__))
    env = os.environ.get("OMNIZIP_PLUGIN")
    if env:
        return [env]  # an explicit choice is never second-guessed
    names = ("libomnizip.so.1", "libomnizip.so")
    out = [os.path.join(here, n) for n in names]
    # In place in a checkout: python/omnizip -> build/.
    out.append(os.path.join(here, os.pardir, os.pardir, "build", "libomnizip.so"))
    # Installed: PREFIX/lib/pythonX.Y/dist-packages/omnizip -> PREFIX/lib.
    out += [os.path.join(here, os.pardir, os.pardir, os.pardir, n) for n in names]
    return out


class Library:
    """The negotiated plugin: the dlopened .so and its table."""

    def __init__(self, path=None):
        tried = []
        for cand in ([path] if path else _candidates()):
            cand = os.path.normpath(cand)
            if not os.path.exists(cand):
                tried.append(f"{cand} (absent)")
                continue
            self.dll = C.CDLL(cand, mode=os.RTLD_NOW | os.RTLD_LOCAL)
            self.path = cand
            break
        else:
            raise OSError("libomnizip.so not found; set OMNIZIP_PLUGIN. Tried: " +
                          ", ".join(tried))
        entry = self.dll.omnizip_plugin_entry
        entry.restype = C.POINTER(Plugin)
        entry.argtypes = [u32]
        table = entry(ABI_VERSION)
        if not table:
            raise OSError(f"{self.path}: the plugin refuses ABI major {ABI_VERSION}")
        self.table = table.contents
        if self.table.abi_version != ABI_VERSION or self.table.struct_size < C.sizeof(Plugin):
            raise OSError(f"{self.path}: table of ABI {self.table.abi_version} and "
                          f"{self.table.struct_size} bytes; this package needs ABI "
                          f"{ABI_VERSION} and {C.sizeof(Plugin)} bytes")
        self.version = self.table.version.decode()
        # The 1.1 members, when this plugin's table has them.
        self.table11 = (C.cast(table, C.POINTER(Plugin11)).contents
                        if self.table.struct_size >= C.sizeof(Plugin11) else None)
        self.clips = self.extension(EXT_CLIPS, ClipsExt)

    def extension(self, ext_id, struct):
        """The extension's table, or None when the plugin does not serve it."""
        p = self.table.get_extension(ext_id)
        if not p:
            return None
        return C.cast(p, C.POINTER(struct)).contents

    def status_text(self, status):
        return self.table.status_str(status).decode()

    def check(self, status, what):
        if status != OK:
            raise Error(status, f"{what}: {self.status_text(status)}")


_lock = threading.Lock()
_lib = None


def lib():
    """The process-wide plugin, loaded on first use."""
    global _lib
    with _lock:
        if _lib is None:
            _lib = Library()
        return _lib
