/*
 * Runs inputs through a fuzz target's LLVMFuzzerTestOneInput() with an
 * ordinary main(), so that the checked-in corpus is a plain test (any
 * compiler, no libFuzzer): replay-TARGET PATH..., where a directory stands
 * for every file in it. Fails when no input was found.
 */
#define _DEFAULT_SOURCE /* DT_DIR */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

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
	LLVMFuzzerTestOneInput(exact, size);
	free(exact);
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
