"""Config: the profile keys, validated by the plugin itself (config_set,
profile_load), so Python knows no key, range or default of its own."""
import ctypes as C
import os

from . import _abi

# Room for configs that later ABI minors grow: the plugin reads only the
# size it knows, and config_default fills exactly that much.
_CONFIG_BYTES = 1024


class _Config10(C.Structure):
    """The 1.0 layout, to read values back."""
    _fields_ = [("struct_size", C.c_uint32), ("reserved0", C.c_uint32),
                ("rho_audio", C.c_double), ("rho_video", C.c_double),
                ("contextual_ratio", C.c_double), ("rho_min", C.c_double),
                ("rho_max", C.c_double), ("g", C.c_int32), ("dpc_k", C.c_int32),
                ("normalize", C.c_int32), ("similarity_scope", C.c_int32),
                ("scope_radius", C.c_int32), ("mode", C.c_int32), ("backend", C.c_int32),
                ("threads", C.c_int32), ("telemetry", C.c_int32), ("reserved1", C.c_uint32)]


def _text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)  # shortest text that reads back to the same double
    return str(value)


def profile_search_path():
    """Where task names are looked up: $OMNIZIP_PROFILE_PATH, the installed
    profiles (PREFIX/share/omnizip/profiles), the checkout's profiles/."""
    here = os.path.dirname(os.path.abspath(__file__))
    dirs = [d for d in os.environ.get("OMNIZIP_PROFILE_PATH", "").split(":") if d]
    dirs.append(os.path.normpath(os.path.join(here, *[os.pardir] * 4, "share", "omnizip",
                                              "profiles")))
    dirs.append(os.path.normpath(os.path.join(here, os.pardir, os.pardir, "profiles")))
    return dirs


def resolve_profile(path_or_task):
    """A profile file path: an existing file as given, else TASK.yaml on the
    search path. Raises FileNotFoundError naming every place looked at."""
    p = os.fspath(path_or_task)
    if os.path.isfile(p) or os.sep in p or p.endswith((".yaml", ".yml")):
        return p
    dirs = profile_search_path()
    for d in dirs:
        cand = os.path.join(d, p + ".yaml")
        if os.path.isfile(cand):
            return cand
    raise FileNotFoundError(f"no profile for task '{p}' in " + ":".join(dirs))


class Config:
    """Every tuning knob of the plugin: Config(rho_audio=0.4, rho_video=0.7,
    similarity_scope="window"), or Config.from_profile("paper-45"). Keys and
    values are those of the YAML profiles and `omnizip-run --set`."""

    def __init__(self, **keys):
        self._lib = _abi.lib()
        self._buf = (C.c_char * _CONFIG_BYTES)()
        C.cast(self._buf, C.POINTER(C.c_uint32))[0] = _CONFIG_BYTES
        self._lib.table.config_default(self._buf)
        self.source = None
        for k, v in keys.items():
            self.set(k, v)

    def set(self, key, value):
        """Sets one key; raises ValueError with the plugin's explanation."""
        err = _abi.ERRBUF()
        st = self._lib.table.config_set(self._buf, key.encode(), _text(value).encode(), err,
                                        C.sizeof(err))
        if st != _abi.OK:
            raise ValueError(err.value.decode() or self._lib.status_text(st))
        return self

    @classmethod
    def from_profile(cls, path_or_task, **overrides):
        """Defaults < the profile (a file, or a task name on the search path,
        following `extends:`) < overrides."""
        cfg = cls()
        path = resolve_profile(path_or_task)
        err = _abi.ERRBUF()
        search = ":".join(profile_search_path()).encode()
        st = cfg._lib.table.profile_load(os.fsencode(path), search, cfg._buf,
                                         _abi.KEY_FN(0), None, err, C.sizeof(err))
        if st != _abi.OK:
            raise ValueError(err.value.decode() or cfg._lib.status_text(st))
        cfg.source = path
        for k, v in overrides.items():
            cfg.set(k, v)
        return cfg

    def check(self):
        err = _abi.ERRBUF()
        st = self._lib.table.config_check(self._buf, err, C.sizeof(err))
        if st != _abi.OK:
            raise ValueError(err.value.decode() or self._lib.status_text(st))
        return self

    def as_pointer(self):
        return C.cast(self._buf, C.c_void_p)

    def keys(self):
        """Every key the plugin knows, in its table order."""
        t = self._lib.table11
        if t is None:  # a 1.0 plugin: the 1.0 fields
            return [k for k, _ in _Config10._fields_ if not k.startswith(("struct", "reserved"))]
        out, i = [], 0
        while (k := t.config_key(i)) is not None:
            out.append(k.decode())
            i += 1
        return out

    def get(self, key):
        """The key's value as the plugin writes it back (text), e.g. "0.333"."""
        t = self._lib.table11
        if t is None:
            return str(getattr(_Config10.from_buffer(self._buf), key))
        buf = C.create_string_buffer(64)
        st = t.config_get(self._buf, key.encode(), buf, C.sizeof(buf))
        if st != _abi.OK:
            raise KeyError(key)
        return buf.value.decode()

    def __getattr__(self, name):
        if name.startswith("_") or name not in dict(_Config10._fields_):
            raise AttributeError(name)
        return getattr(_Config10.from_buffer(self._buf), name)

    def to_dict(self):
        """Every key and its value as text, as a profile would hold it."""
        return {k: self.get(k) for k in self.keys()}

    def __repr__(self):
        keys = ("rho_audio", "rho_video", "g", "contextual_ratio", "rho_min", "rho_max", "dpc_k")
        return "Config(" + ", ".join(f"{k}={getattr(self, k)!r}" for k in keys) + ")"
