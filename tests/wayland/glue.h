#ifndef TEST_WAYLAND_GLUE_H
#define TEST_WAYLAND_GLUE_H

#include <stdbool.h>

/*
 * Starts the test compositor in a child process, or the mosaic-nested at
 * `nested_path` (--headless) when not NULL. Returns the socket name, NULL on
 * failure.
 */
const char *test_server_start(const char *nested_path);
/* Stops it; returns its exit status (0: clean, no leak under ASan). */
int test_server_stop(void);
/* What the library logged (it logs at DEBUG in this test). */
bool test_server_log_contains(const char *needle);
void test_server_log_clear(void);

#endif
