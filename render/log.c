#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mosaic/log.h>

#include "private/export.h"
#include "private/log.h"

static enum mosaic_log verbosity = MOSAIC_LOG_WARN;
static mosaic_log_func_t handler;
static void *handler_data;
static bool env_checked;

static const char *const level_names[] = {
	[MOSAIC_LOG_ERROR] = "error",
	[MOSAIC_LOG_WARN] = "warning",
	[MOSAIC_LOG_INFO] = "info",
	[MOSAIC_LOG_DEBUG] = "debug",
};

static void check_env(void)
{
	if (env_checked) {
		return;
	}
	env_checked = true;
	const char *debug = getenv("MOSAIC_DEBUG");
	if (debug != NULL && strcmp(debug, "1") == 0) {
		verbosity = MOSAIC_LOG_DEBUG;
	}
}

MOSAIC_EXPORT void mosaic_log_init(enum mosaic_log level, mosaic_log_func_t func,
	void *user_data)
{
	verbosity = level;
	handler = func;
	handler_data = user_data;
	env_checked = false;
	check_env();
}

MOSAIC_EXPORT enum mosaic_log mosaic_log_get_verbosity(void)
{
	check_env();
	return verbosity;
}

static const char *base_name(const char *file)
{
	// Keep the path below the source root readable: "render/pass.c".
	const char *markers[] = { "render/", "vulkan/", "gl/", "protocols/" };
	for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++) {
		const char *at = strstr(file, markers[i]);
		if (at != NULL) {
			return at;
		}
	}
	const char *slash = strrchr(file, '/');
	return slash != NULL ? slash + 1 : file;
}

void mosaic_vlog_impl(enum mosaic_log level, const char *file, int line,
	const char *fmt, va_list args)
{
	check_env();
	if (level <= MOSAIC_LOG_SILENT || level > verbosity) {
		return;
	}

	char msg[1024];
	int n = snprintf(msg, sizeof(msg), "[%s:%d] ", base_name(file), line);
	if (n < 0 || (size_t)n >= sizeof(msg)) {
		n = 0;
	}
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, args);

	if (handler != NULL) {
		handler(level, msg, handler_data);
		return;
	}
	const char *name = level <= MOSAIC_LOG_DEBUG ? level_names[level] : "?";
	fprintf(stderr, "mosaic %s: %s\n", name, msg);
}

void mosaic_log_impl(enum mosaic_log level, const char *file, int line,
	const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	mosaic_vlog_impl(level, file, line, fmt, args);
	va_end(args);
}
