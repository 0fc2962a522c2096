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

#endif
