#ifndef MOSAIC_LOG_H
#define MOSAIC_LOG_H

/**
 * Logging.
 *
 * Every message the library produces goes to one handler that the embedding
 * compositor installs, together with a user_data pointer. Without a handler,
 * messages at or above the verbosity go to stderr. The handler may be called
 * from any thread that calls into mosaic; it must not call back into mosaic.
 */

#include <stdarg.h>

/** Log levels, most severe first (MOSAIC_LOG_SILENT: nothing). */
enum mosaic_log {
	MOSAIC_LOG_SILENT = 0,
	MOSAIC_LOG_ERROR = 1,
	MOSAIC_LOG_WARN = 2,
	MOSAIC_LOG_INFO = 3,
	MOSAIC_LOG_DEBUG = 4,
};

/**
 * A log handler. `msg` is one line without a trailing newline, already
 * prefixed with "[file:line] "; it is only valid during the call.
 */
typedef void (*mosaic_log_func_t)(enum mosaic_log level, const char *msg,
	void *user_data);

/**
 * Installs the handler that receives every message whose level is at most
 * `verbosity` (MOSAIC_LOG_SILENT drops everything). A NULL `func` restores the
 * default handler, which writes to stderr. `user_data` is passed back
 * unchanged; mosaic never dereferences it. The environment variable
 * MOSAIC_DEBUG=1 raises the verbosity to MOSAIC_LOG_DEBUG.
 */
void mosaic_log_init(enum mosaic_log verbosity, mosaic_log_func_t func,
	void *user_data);

/** The verbosity set by mosaic_log_init(), MOSAIC_LOG_WARN before any call. */
enum mosaic_log mosaic_log_get_verbosity(void);

#endif
