"""A SQLite connection through ctypes, for what Python's sqlite3 module lacks here: a commit
hook (to veto commits) and sqlite3_db_config (defensive mode)."""

import ctypes

import helpers


class RawConnection:
    """A connection through ctypes, for what Python's sqlite3 module lacks: a commit hook."""

    HOOK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)

    def __init__(self, path):
        self.lib = lib = ctypes.CDLL("libsqlite3.so.0")
        lib.sqlite3_open.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
        lib.sqlite3_close.argtypes = [ctypes.c_void_p]
        lib.sqlite3_exec.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p,
                                     ctypes.c_void_p, ctypes.c_void_p]
        lib.sqlite3_errmsg.argtypes = [ctypes.c_void_p]
        lib.sqlite3_errmsg.restype = ctypes.c_char_p
        lib.sqlite3_enable_load_extension.argtypes = [ctypes.c_void_p, ctypes.c_int]
        lib.sqlite3_load_extension.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p,
                                               ctypes.c_void_p]
        lib.sqlite3_commit_hook.argtypes = [ctypes.c_void_p, self.HOOK, ctypes.c_void_p]
        lib.sqlite3_commit_hook.restype = ctypes.c_void_p
        self.db = ctypes.c_void_p()
        assert lib.sqlite3_open(str(path).encode(), ctypes.byref(self.db)) == 0
        lib.sqlite3_enable_load_extension(self.db, 1)
        assert lib.sqlite3_load_extension(self.db, helpers.so_path("lsm").encode(), None,
                                          None) == 0
        self.hook = None

    def execute(self, sql):
        """SQLite's result code."""
        return self.lib.sqlite3_exec(self.db, sql.encode(), None, None, None)

    def veto(self, on):
        self.hook = self.HOOK(lambda arg: 1) if on else self.HOOK(0)
        self.lib.sqlite3_commit_hook(self.db, self.hook, None)

    def defensive(self):
        """Turns SQLITE_DBCONFIG_DEFENSIVE on."""
        SQLITE_DBCONFIG_DEFENSIVE = 1010
        self.lib.sqlite3_db_config.restype = ctypes.c_int
        assert self.lib.sqlite3_db_config(self.db, SQLITE_DBCONFIG_DEFENSIVE, ctypes.c_int(1),
                                          ctypes.c_void_p(0)) == 0

    def errmsg(self):
        return self.lib.sqlite3_errmsg(self.db).decode()

    def close(self):
        self.lib.sqlite3_close(self.db)
