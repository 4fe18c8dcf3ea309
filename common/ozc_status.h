/*
 * ozc_status.h - header-only: the one text of each omnizip_status, behind the
 * plugin's status_str member and the shim's omnizip_status_str (which needs
 * no plugin loaded).
 */
#ifndef OZC_STATUS_H
#define OZC_STATUS_H

#include <omnizip/omnizip.h>

static inline const char *ozc_status_text(omnizip_status s)
{
    switch (s) {
    case OMNIZIP_OK: return "ok";
    case OMNIZIP_E_INVALID: return "invalid argument";
    case OMNIZIP_E_UNSUPPORTED: return "unsupported";
    case OMNIZIP_E_NOMEM: return "out of memory";
    case OMNIZIP_E_STATE: return "call out of order";
    case OMNIZIP_E_BACKEND: return "backend failure";
    case OMNIZIP_E_PROFILE: return "bad profile or config value";
    case OMNIZIP_E_IO: return "file i/o error";
    default: return "unknown status";
    }
}

#endif
