#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "headless.h"

bool headless_nested_start(struct headless_nested *nested, const char *nested_path,
	const char *prefix, const char *socket)
{
	snprintf(nested->dir, sizeof(nested->dir), "/tmp/%s-XXXXXX", prefix);
	snprintf(nested->socket, sizeof(nested->socket), "%s", socket);
	if (mkdtemp(nested->dir) == NULL) {
		perror("mkdtemp");
		return false;
	}
	setenv("XDG_RUNTIME_DIR", nested->dir, 1);
	nested->pid = fork();
	if (nested->pid == 0) {
		execl(nested_path, nested_path, "--headless", "--renderer", "pixman", "--size",
			"320x240", "--socket", socket, (char *)NULL);
		_exit(127);
	}
	char socket_path[160];
	snprintf(socket_path, sizeof(socket_path), "%s/%s", nested->dir, socket);
	for (int i = 0; i < 1000 && access(socket_path, F_OK) != 0; i++) {
		usleep(10000);
	}
	return true;
}

int headless_nested_stop(struct headless_nested *nested)
{
	int failed = 0;
	kill(nested->pid, SIGTERM);
	int status;
	waitpid(nested->pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "mosaic-nested did not exit cleanly (status 0x%x)\n", status);
		failed = 1;
	}
	char lock_path[160];
	snprintf(lock_path, sizeof(lock_path), "%s/%s.lock", nested->dir, nested->socket);
	unlink(lock_path);
	rmdir(nested->dir);
	return failed;
}
