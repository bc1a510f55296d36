/*
 * What every example compositor does around its output: the options they
 * share, the renderer, our Wayland display and its socket, the globals,
 * signals, the event loop, launching a client and tearing down.
 *
 * The order of things in a program: server_prepare() (signals, before any
 * thread exists), server_create_renderer(), server_init_display(), then its
 * output (server->output, the allocator, output_init()), server_run() and
 * server_finish().
 */
#define _GNU_SOURCE /* setenv, kill */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compositor.h"

int server_parse_option(struct server *server, struct server_config *config, int opt,
	const char *arg)
{
	switch (opt) {
	case SERVER_OPTION_BASE + 0:
		if (!mosaic_backend_from_name(arg, &config->backend)) {
			fprintf(stderr, "unknown renderer %s\n", arg);
			return -1;
		}
		return 1;
	case SERVER_OPTION_BASE + 1:
		config->drm_path = arg;
		return 1;
	case SERVER_OPTION_BASE + 2:
		config->socket_name = arg;
		return 1;
	case SERVER_OPTION_BASE + 3:
		server->screenshot_path = arg;
		return 1;
	case SERVER_OPTION_BASE + 4:
		server->screenshot_delay_ms = atoi(arg);
		return 1;
	case SERVER_OPTION_BASE + 5:
		server->quit_after_screenshot = true;
		return 1;
	}
	return 0;
}

void server_usage(FILE *f)
{
	fprintf(f,
		"  --renderer NAME          auto (default), pixman, vulkan or gles\n"
		"  --socket NAME            socket to serve (default: the first free wayland-N)\n"
		"  --screenshot FILE.png    write the first frame that shows every window\n"
		"  --screenshot-delay MS    ... or the first frame MS milliseconds after it;\n"
		"                           SIGUSR1 writes the next frame to FILE.png again\n"
		"  --quit-after-screenshot  exit once the screenshot is written\n"
		"  -- COMMAND ARGS          run a client inside (WAYLAND_DISPLAY is set)\n");
}

/* Log lines from mosaic, with the level in front. */
static void log_handler(enum mosaic_log level, const char *msg, void *data)
{
	static const char *const names[] = { "", "error", "warning", "info", "debug" };
	fprintf(stderr, "mosaic %s: %s\n", names[level], msg);
}

void server_prepare(void)
{
	mosaic_log_init(MOSAIC_LOG_WARN, log_handler, NULL);
	// Signals are read from the event loop (a signalfd), which only works
	// when no thread can take them first. GPU drivers start threads inside
	// mosaic_renderer_create(), and threads inherit the signal mask of their
	// creator: block the signals now, before any driver thread exists.
	sigset_t handled;
	sigemptyset(&handled);
	sigaddset(&handled, SIGINT);
	sigaddset(&handled, SIGTERM);
	sigaddset(&handled, SIGCHLD);
	sigaddset(&handled, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &handled, NULL);
}

bool server_create_renderer(struct server *server, enum mosaic_backend backend, int drm_fd)
{
	// mosaic picks a backend, or uses the one asked for, on the DRM device
	// given (it keeps its own duplicate of the fd). Without one the renderer
	// has no DRM fd and clients get no linux-dmabuf (its feedback must name
	// a device).
	server->renderer = mosaic_renderer_create(&(struct mosaic_renderer_options){
		.backend = backend,
		.drm_fd = drm_fd,
	});
	if (server->renderer == NULL) {
		fprintf(stderr, "no renderer\n");
		return false;
	}
	fprintf(stderr, "renderer: %s on %s\n",
		mosaic_backend_name(mosaic_renderer_get_backend(server->renderer)),
		mosaic_renderer_get_device_name(server->renderer));
	return true;
}

static bool init_display(struct server *server, const char *socket_name)
{
	server->running = true;
	server->display = wl_display_create();
	if (server->display == NULL) {
		fprintf(stderr, "cannot create the Wayland display\n");
		return false;
	}
	server->loop = wl_display_get_event_loop(server->display);
	if (socket_name != NULL) {
		if (wl_display_add_socket(server->display, socket_name) != 0) {
			// libwayland says which in errno only for some of its checks.
			fprintf(stderr, "cannot serve socket %s: %s\n", socket_name,
				getenv("XDG_RUNTIME_DIR") == NULL ? "XDG_RUNTIME_DIR is not set" :
				"another compositor serves it, or XDG_RUNTIME_DIR is not writable");
			return false;
		}
		server->socket = socket_name;
	} else {
		server->socket = wl_display_add_socket_auto(server->display);
		if (server->socket == NULL) {
			fprintf(stderr, "cannot open a socket: %s\n",
				getenv("XDG_RUNTIME_DIR") == NULL ? "XDG_RUNTIME_DIR is not set" :
				"XDG_RUNTIME_DIR is not writable");
			return false;
		}
	}

	// The globals. wl_shm advertises the formats this renderer can texture
	// from; buffers are mapped to mosaic in surface.c.
	wl_list_init(&server->surfaces);
	wl_list_init(&server->windows);
	// linux-dmabuf only where the renderer imports dmabufs and has a DRM
	// device to name in its feedback (not pixman, not lavapipe).
	if ((mosaic_renderer_get_features(server->renderer) & MOSAIC_FEATURE_DMABUF_IMPORT) &&
			mosaic_renderer_get_drm_fd(server->renderer) >= 0 &&
			mosaic_linux_dmabuf_v1_create(server->display, server->renderer) == NULL) {
		fprintf(stderr, "cannot create the linux-dmabuf global\n");
		return false;
	}
	// mosaic's wl_shm keeps each pool's fd, so renderers that import host
	// memory copy a client's damage without the CPU; it goes with the display.
	if (mosaic_wl_shm_create(server->display, server->renderer) == NULL ||
			!surface_init_globals(server) || !xdg_init_globals(server) ||
			!decoration_init_globals(server) || !seat_init_globals(server) ||
			!output_init_globals(server) || !presentation_init_globals(server) ||
			!viewporter_init_globals(server) || !fractional_scale_init_globals(server)) {
		fprintf(stderr, "cannot create the globals\n");
		return false;
	}
	return true;
}

bool server_init_display(struct server *server, const char *socket_name)
{
	if (init_display(server, socket_name)) {
		return true;
	}
	// Nothing runs on it yet: it goes at once.
	if (server->display != NULL) {
		wl_display_destroy(server->display);
		server->display = NULL;
		server->loop = NULL;
	}
	return false;
}

static int handle_signal(int signal, void *data)
{
	struct server *server = data;
	if (signal == SIGCHLD) {
		int status;
		pid_t pid;
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			if (pid == server->child) {
				fprintf(stderr, "the client exited (status %d)\n",
					WIFEXITED(status) ? WEXITSTATUS(status) : -1);
				server->child = 0;
				// Nothing will ever show: waiting for the screenshot would
				// only end at the caller's timeout.
				if (server->quit_after_screenshot && !server->screenshot_armed) {
					server->running = false;
				}
			}
		}
		return 0;
	}
	if (signal == SIGUSR1) {
		// Another screenshot: the next frame, drawn whole.
		if (server->screenshot_path != NULL) {
			server->screenshot_due = true;
			server->screenshot_done = false;
			output_damage_whole(server);
			output_schedule_frame(server);
		}
		return 0;
	}
	server->running = false;
	return 0;
}

/* Starts COMMAND with our socket as its WAYLAND_DISPLAY. */
static pid_t launch(struct server *server, char **argv)
{
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return -1;
	}
	if (pid == 0) {
		setenv("WAYLAND_DISPLAY", server->socket, 1);
		// A parent's WAYLAND_SOCKET would point the client past us.
		unsetenv("WAYLAND_SOCKET");
		// The loop blocks signals to read them from a signalfd: unblock.
		sigset_t set;
		sigemptyset(&set);
		sigprocmask(SIG_SETMASK, &set, NULL);
		execvp(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

bool server_run(struct server *server, char **command)
{
	static const int signals[] = { SIGINT, SIGTERM, SIGCHLD, SIGUSR1 };
	struct wl_event_source *sources[sizeof(signals) / sizeof(signals[0])];
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
		sources[i] = wl_event_loop_add_signal(server->loop, signals[i], handle_signal,
			server);
	}
	bool ok = true;
	if (command != NULL) {
		server->child = launch(server, command);
		if (server->child < 0) {
			server->child = 0;
			ok = false;
			server->running = false;
		}
	}

	// Flush what we owe clients and the output, then sleep until a client,
	// the output, a timer or a signal wakes us.
	const struct output_impl *output = server->output;
	while (server->running) {
		wl_display_flush_clients(server->display);
		if (output != NULL && output->flush != NULL && !output->flush(server->output_data)) {
			break;
		}
		if (wl_event_loop_dispatch(server->loop, -1) < 0 && errno != EINTR) {
			break;
		}
	}

	// Disconnect the clients before waiting for ours: it may be blocked
	// on a reply from us that will never come.
	wl_display_destroy_clients(server->display);
	if (server->child > 0) {
		kill(server->child, SIGTERM);
		// Give it two seconds to go, then insist.
		for (int i = 0; i < 200 && waitpid(server->child, NULL, WNOHANG) == 0; i++) {
			usleep(10000);
		}
		if (waitpid(server->child, NULL, WNOHANG) == 0) {
			kill(server->child, SIGKILL);
			waitpid(server->child, NULL, 0);
		}
		server->child = 0;
	}
	for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
		if (sources[i] != NULL) {
			wl_event_source_remove(sources[i]);
		}
	}
	return ok;
}

void server_finish_output(struct server *server)
{
	wl_display_destroy_clients(server->display);
	if (server->screenshot_timer != NULL) {
		wl_event_source_remove(server->screenshot_timer);
		server->screenshot_timer = NULL;
	}
	// Clients went first: their surfaces held textures of the renderer.
	output_finish(server);
	seat_finish(server);
}

int server_destroy(struct server *server)
{
	if (server->display != NULL) {
		wl_display_destroy(server->display);
	}
	mosaic_allocator_destroy(server->allocator);
	mosaic_renderer_destroy(server->renderer);
	if (server->screenshot_path != NULL && !server->screenshot_done) {
		fprintf(stderr, "no screenshot was taken: no window was ever shown\n");
		return 1;
	}
	return server->exit_code;
}
