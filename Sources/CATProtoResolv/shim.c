#include "CATProtoResolv.h"
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

res_state cresolv_state_new(void) {
    res_state state = calloc(1, sizeof(struct __res_state));
    if (state == NULL) return NULL;
    if (res_ninit(state) != 0) {
        free(state);
        return NULL;
    }
    return state;
}

void cresolv_state_free(res_state state) {
    if (state == NULL) return;
    res_nclose(state);
    free(state);
}

int cresolv_set_nameserver(res_state state, const char *ipv4, unsigned short port) {
    struct in_addr addr;
    if (inet_pton(AF_INET, ipv4, &addr) != 1) return -1;
    memset(&state->nsaddr_list[0], 0, sizeof(state->nsaddr_list[0]));
    state->nsaddr_list[0].sin_family = AF_INET;
    state->nsaddr_list[0].sin_port = htons(port);
    state->nsaddr_list[0].sin_addr = addr;
    state->nscount = 1;
    return 0;
}

void cresolv_set_timeout(res_state state, int seconds, int attempts) {
    state->retrans = seconds;
    state->retry = attempts;
}

int cresolv_query(res_state state, const char *name, int rr_class, int rr_type,
                  unsigned char *answer, int answer_length) {
    return res_nquery(state, name, rr_class, rr_type, answer, answer_length);
}

int cresolv_h_errno(res_state state) {
    return state->res_h_errno;
}
