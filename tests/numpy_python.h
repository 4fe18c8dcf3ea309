/*
 * numpy_python.h - the interpreter the numpy reference (tests/ref) runs
 * under: the first that imports numpy. pyenv shims can shadow Debian's
 * python3 (which carries python3-numpy) with one that lacks it.
 */
#ifndef OZ_TEST_NUMPY_PYTHON_H
#define OZ_TEST_NUMPY_PYTHON_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

/* NULL when no candidate imports numpy (the caller skips). */
static inline const char *find_python(void)
{
    static const char *const candidates[] = {"python3", "/usr/bin/python3"};
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
        char cmd[256];
        snprintf(cmd, sizeof cmd, "%s -c 'import numpy' >/dev/null 2>&1", candidates[i]);
        int rc = system(cmd);
        if (rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0)
            return candidates[i];
    }
    return NULL;
}

#endif
