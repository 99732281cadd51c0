// The libzmq surface the Mesh module uses: <zmq.h> itself, plus wrappers for what Swift cannot import.
//
// libzmq defines its own error numbers as macro expressions, e.g. `#define ETERM (ZMQ_HAUSNUMERO + 53)`,
// and only when the platform's <errno.h> lacks them. Swift does not import such macros reliably, so they
// are returned from functions here; everything else Mesh calls directly.
#ifndef NIGHTDESK_CZEROMQ_SHIM_H
#define NIGHTDESK_CZEROMQ_SHIM_H

#include <errno.h>
#include <zmq.h>

/// The error number libzmq reports once its context is shut down or terminated.
static inline int czeromq_eterm(void) { return ETERM; }

/// The error number of a non-blocking call that would have to wait.
static inline int czeromq_eagain(void) { return EAGAIN; }

/// The error number of a call interrupted by a signal before it did anything.
static inline int czeromq_eintr(void) { return EINTR; }

#endif
