#ifndef CRESOLV_H
#define CRESOLV_H

#include <netinet/in.h>
#include <arpa/nameser.h>
#include <resolv.h>

/// Allocates a resolver state (Swift cannot size `struct __res_state` portably).
res_state cresolv_state_new(void);
/// Frees a state from `cresolv_state_new`, closing its sockets.
void cresolv_state_free(res_state state);
/// Replaces the nameserver list with one IPv4 address and port (network order handled here).
int cresolv_set_nameserver(res_state state, const char *ipv4, unsigned short port);
/// Sets the per-try timeout (seconds) and number of tries.
void cresolv_set_timeout(res_state state, int seconds, int attempts);

/// `res_nquery` (a macro alias in glibc's header, so Swift cannot call it by name).
/// Returns the answer length, or -1 with `cresolv_h_errno(state)` set.
int cresolv_query(res_state state, const char *name, int rr_class, int rr_type,
                  unsigned char *answer, int answer_length);
/// The resolver error (`HOST_NOT_FOUND`, `NO_DATA`, `TRY_AGAIN`, `NO_RECOVERY`) of the last call.
int cresolv_h_errno(res_state state);

#endif
