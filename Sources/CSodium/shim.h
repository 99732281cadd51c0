// The libsodium C API, imported by the Sodium module only (STYLE.md rule 2: thin shims).
#ifndef NIGHTDESK_CSODIUM_SHIM_H
#define NIGHTDESK_CSODIUM_SHIM_H

#include <sodium.h>

#endif
