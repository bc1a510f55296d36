/*
 * Runs inputs through a fuzz target's LLVMFuzzerTestOneInput() with an
 * ordinary main(), so that the checked-in corpus is a plain test (any
 * compiler, no libFuzzer): replay-TARGET PATH..., where a directory stands
 * for every file in it. Fails when no input was found, and when an input
 * made pixman print its "*** BUG ***" line (pixman's way of refusing bad
 * arguments, which it then ignores): stderr goes through a temporary file
 * while each input runs.
 */
#define _DEFAULT_SOURCE /* pread */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

/* stderr while an input runs, and where it really goes; see dump_capture(). */
static FILE *capture;
static int real_stderr = -1;

/*
 * Copies what the input wrote so far to the real stderr. Also called when
 * the process dies (a sanitizer report, a crash), so that nothing is lost.
 */
static void dump_capture(void)
{
	if (capture == NULL || real_stderr < 0) {
		return;
	}
	fflush(stderr);
	char buf[4096];
	ssize_t n;
	off_t pos = 0;
	while ((n = pread(fileno(capture), buf, sizeof(buf), pos)) > 0) {
		if (write(real_stderr, buf, (size_t)n) != n) {
			break;
		}
		pos += n;
	}
}

/* Sanitizer runtimes call this before they end the process (weak: absent without them). */
void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

static void handle_crash(int sig)
{
	dump_capture();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void watch_deaths(void)
{
	if (__sanitizer_set_death_callback != NULL) {
		// The sanitizers handle the signals themselves, then call back.
		__sanitizer_set_death_callback(dump_capture);
		return;
	}
	const int signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
		signal(signals[i], handle_crash);
	}
}

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "replay: cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	uint8_t *data = NULL;
	size_t size = 0, cap = 0;
	for (;;) {
		if (size == cap) {
			cap = cap * 2 + 4096;
			uint8_t *bigger = realloc(data, cap);
			if (bigger == NULL) {
				fprintf(stderr, "replay: out of memory reading %s\n", path);
				free(data);
				fclose(f);
				return -1;
			}
			data = bigger;
		}
		size_t n = fread(data + size, 1, cap - size, f);
		if (n == 0) {
			break;
		}
		size += n;
	}
	bool failed = ferror(f);
	fclose(f);
	if (failed) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		free(data);
		return -1;
	}
	// An exact-size copy, as libFuzzer hands inputs: overreads hit the redzone.
	uint8_t *exact = malloc(size > 0 ? size : 1);
	if (exact == NULL) {
		free(data);
		return -1;
	}
	memcpy(exact, data, size);
	free(data);
	fprintf(stderr, "replay: %s (%zu bytes)\n", path, size);
	bool bug = false;
	fflush(stderr);
	capture = tmpfile();
	real_stderr = capture != NULL ? dup(STDERR_FILENO) : -1;
	if (real_stderr >= 0) {
		dup2(fileno(capture), STDERR_FILENO);
	}
	LLVMFuzzerTestOneInput(exact, size);
	free(exact);
	if (real_stderr >= 0) {
		dump_capture();
		dup2(real_stderr, STDERR_FILENO);
		close(real_stderr);
		real_stderr = -1;
		rewind(capture);
		char line[1024];
		while (fgets(line, sizeof(line), capture) != NULL) {
			bug = bug || strncmp(line, "*** BUG ***", 11) == 0;
		}
	}
	if (capture != NULL) {
		fclose(capture);
		capture = NULL;
	}
	if (bug) {
		fprintf(stderr, "replay: %s: pixman reported a bad call (*** BUG ***)\n", path);
		return -1;
	}
	return 1;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs the files of `dir` in name order; returns how many, or -1. */
static int run_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		fprintf(stderr, "replay: cannot open %s: %s\n", dir, strerror(errno));
		return -1;
	}
	char **names = NULL;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.') {
			continue;
		}
		char **more = realloc(names, (n + 1) * sizeof(*names));
		if (more == NULL || (more[n] = strdup(e->d_name)) == NULL) {
			free(more != NULL ? more : names);
			closedir(d);
			return -1;
		}
		names = more;
		n++;
	}
	closedir(d);
	if (n > 0) {
		qsort(names, n, sizeof(*names), compare_names);
	}
	int count = 0;
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		int r = run_file(path);
		if (r < 0) {
			count = -1;
		} else if (count >= 0) {
			count += r;
		}
		free(names[i]);
	}
	free(names);
	return count;
}

int main(int argc, char **argv)
{
	watch_deaths();
	int total = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		int r = S_ISDIR(st.st_mode) ? run_dir(argv[i]) : run_file(argv[i]);
		if (r < 0) {
			return 1;
		}
		total += r;
	}
	if (total == 0) {
		fprintf(stderr, "replay: no inputs (usage: %s FILE|DIR...)\n", argv[0]);
		return 1;
	}
	printf("replay: %d inputs ran\n", total);
	return 0;
}
