#ifndef MOSAIC_TESTS_COMMON_ALLOC_FAIL_H
#define MOSAIC_TESTS_COMMON_ALLOC_FAIL_H

/*
 * Allocations made by code of libmosaic, made to fail one at a time
 * (alloc_fail.c, compiled into the test with export_dynamic). Not under
 * AddressSanitizer, which owns malloc.
 */

#include <stdbool.h>

#include <mosaic/log.h>

struct fault_alloc {
	bool armed, injected;
	/* Allocations counted while armed; the one (0-based) to fail, -1: none. */
	int calls, fail_at;
};
extern struct fault_alloc fault_alloc;

/*
 * While fault_tracking is true, fault_live counts the live allocations made
 * by libmosaic (freed by anyone): equal before and after a run that
 * destroyed everything it made, or something leaked.
 */
extern bool fault_tracking;
extern int fault_live;

/*
 * The library's log, as the fault tests count it: ERROR lines and the last
 * one; with `verbose`, WARN and ERROR lines are printed too.
 * fault_log_handler() is the handler to give mosaic_log_init().
 */
struct fault_log {
	int errors;
	bool verbose;
	char last[256];
};
extern struct fault_log fault_log;
void fault_log_handler(enum mosaic_log level, const char *msg, void *data);

/* The process's open fds: equal before and after a run that closed all it opened. */
int fault_count_fds(void);

/* Finds libmosaic in the process; false when it is not a shared object. */
bool fault_alloc_init(void);

#endif
