#ifndef MOSAIC_PRIVATE_LOG_H
#define MOSAIC_PRIVATE_LOG_H

#include <errno.h>
#include <string.h>

#include <mosaic/log.h>

void mosaic_log_impl(enum mosaic_log level, const char *file, int line,
	const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void mosaic_vlog_impl(enum mosaic_log level, const char *file, int line,
	const char *fmt, va_list args) __attribute__((format(printf, 4, 0)));

/** Logs one line with "[file:line] " in front. */
#define mosaic_log(level, fmt, ...) \
	mosaic_log_impl(level, __FILE__, __LINE__, fmt, ##__VA_ARGS__)

/** Logs one line ending with ": strerror(errno)". */
#define mosaic_log_errno(level, fmt, ...) \
	mosaic_log_impl(level, __FILE__, __LINE__, fmt ": %s", ##__VA_ARGS__, strerror(errno))

#endif
