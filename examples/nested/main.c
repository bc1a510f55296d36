/*
 * mosaic-nested: start-up, the event loop, launching a client.
 *
 *   mosaic-nested [--headless] [--renderer auto|pixman|vulkan|gles] [--drm-device PATH]
 *                 [--size WxH]
 *                 [--socket NAME] [--screenshot FILE.png [--screenshot-delay MS]
 *                 [--quit-after-screenshot]] [-- COMMAND ARGS...]
 *
 * The order of things: pick a renderer (mosaic), open our socket, create the
 * globals clients see, connect to the parent (unless --headless), make the
 * output buffers, start the client, then run the loop until asked to stop.
 */
#define _GNU_SOURCE /* setenv, kill */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nested.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mosaic-nested [options] [-- COMMAND [ARGS...]]\n"
		"  --headless               render offscreen, without a parent compositor\n"
		"  --renderer NAME          auto (default), pixman, vulkan or gles\n"
		"  --drm-device PATH        DRM node the renderer runs on (/dev/dri/card0);\n"
		"                           linux-dmabuf is offered only with one\n"
		"  --size WxH               output size (default 1024x768; nested: the\n"
		"                           parent may choose another)\n"
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

int main(int argc, char *argv[])
{
	struct server server = {
		.width = 1024,
		.height = 768,
		.running = true,
	};
	bool headless = false;
	enum mosaic_backend backend = MOSAIC_BACKEND_AUTO;
	const char *socket_name = NULL;
	const char *drm_path = NULL;

	static const struct option options[] = {
		{ "headless", no_argument, NULL, 'H' },
		{ "renderer", required_argument, NULL, 'r' },
		{ "drm-device", required_argument, NULL, 'D' },
		{ "size", required_argument, NULL, 's' },
		{ "socket", required_argument, NULL, 'S' },
		{ "screenshot", required_argument, NULL, 'o' },
		{ "screenshot-delay", required_argument, NULL, 'd' },
		{ "quit-after-screenshot", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case 'H':
			headless = true;
			break;
		case 'r':
			if (!mosaic_backend_from_name(optarg, &backend)) {
				fprintf(stderr, "unknown renderer %s\n", optarg);
				return 1;
			}
			break;
		case 'D':
			drm_path = optarg;
			break;
		case 's':
			if (sscanf(optarg, "%dx%d", &server.width, &server.height) != 2 ||
					server.width <= 0 || server.height <= 0 ||
					server.width > MOSAIC_MAX_IMAGE_SIZE ||
					server.height > MOSAIC_MAX_IMAGE_SIZE) {
				fprintf(stderr, "invalid size %s (WxH)\n", optarg);
				return 1;
			}
			break;
		case 'S':
			socket_name = optarg;
			break;
		case 'o':
			server.screenshot_path = optarg;
			break;
		case 'd':
			server.screenshot_delay_ms = atoi(optarg);
			break;
		case 'q':
			server.quit_after_screenshot = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	char **command = optind < argc ? &argv[optind] : NULL;

	mosaic_log_init(MOSAIC_LOG_WARN, log_handler, NULL);

	// 0. Signals are read from the event loop (a signalfd), which only works
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

	// 1. The renderer: mosaic picks a backend, or uses the one asked for,
	// on the DRM device given. Without one the renderer has no DRM fd and
	// clients get no linux-dmabuf (its feedback must name a device).
	int drm_fd = -1;
	if (drm_path != NULL) {
		struct mosaic_drm_device device;
		drm_fd = open(drm_path, O_RDWR | O_CLOEXEC);
		if (drm_fd < 0) {
			fprintf(stderr, "cannot open %s: %s\n", drm_path, strerror(errno));
			return 1;
		}
		if (mosaic_drm_device_from_fd(drm_fd, &device) != 0) {
			fprintf(stderr, "%s is no DRM node\n", drm_path);
			return 1;
		}
	}
	server.renderer = mosaic_renderer_create(&(struct mosaic_renderer_options){
		.backend = backend,
		.drm_fd = drm_fd,
	});
	// The renderer keeps its own duplicate.
	if (drm_fd >= 0) {
		close(drm_fd);
	}
	if (server.renderer == NULL) {
		fprintf(stderr, "no renderer\n");
		return 1;
	}
	fprintf(stderr, "renderer: %s on %s\n",
		mosaic_backend_name(mosaic_renderer_get_backend(server.renderer)),
		mosaic_renderer_get_device_name(server.renderer));

	// 2. Our own Wayland display and socket.
	server.display = wl_display_create();
	server.loop = wl_display_get_event_loop(server.display);
	if (socket_name != NULL) {
		if (wl_display_add_socket(server.display, socket_name) != 0) {
			// libwayland says which in errno only for some of its checks.
			fprintf(stderr, "cannot serve socket %s: %s\n", socket_name,
				getenv("XDG_RUNTIME_DIR") == NULL ? "XDG_RUNTIME_DIR is not set" :
				"another compositor serves it, or XDG_RUNTIME_DIR is not writable");
			wl_display_destroy(server.display);
			mosaic_renderer_destroy(server.renderer);
			return 1;
		}
		server.socket = socket_name;
	} else {
		server.socket = wl_display_add_socket_auto(server.display);
		if (server.socket == NULL) {
			fprintf(stderr, "cannot open a socket: %s\n",
				getenv("XDG_RUNTIME_DIR") == NULL ? "XDG_RUNTIME_DIR is not set" :
				"XDG_RUNTIME_DIR is not writable");
			wl_display_destroy(server.display);
			mosaic_renderer_destroy(server.renderer);
			return 1;
		}
	}

	// 3. The globals. wl_shm advertises the formats this renderer can
	// texture from; buffers are mapped to mosaic in surface.c.
	wl_list_init(&server.surfaces);
	wl_list_init(&server.windows);
	// linux-dmabuf only where the renderer imports dmabufs and has a DRM
	// device to name in its feedback (not pixman, not lavapipe).
	if ((mosaic_renderer_get_features(server.renderer) & MOSAIC_FEATURE_DMABUF_IMPORT) &&
			mosaic_renderer_get_drm_fd(server.renderer) >= 0 &&
			mosaic_linux_dmabuf_v1_create(server.display, server.renderer) == NULL) {
		fprintf(stderr, "cannot create the linux-dmabuf global\n");
		return 1;
	}
	// mosaic's wl_shm keeps each pool's fd, so renderers that import host
	// memory copy a client's damage without the CPU; it goes with the display.
	if (mosaic_wl_shm_create(server.display, server.renderer) == NULL ||
			!surface_init_globals(&server) || !xdg_init_globals(&server) ||
			!seat_init_globals(&server)) {
		fprintf(stderr, "cannot create the globals\n");
		return 1;
	}

	// 4. The parent compositor, unless we run offscreen.
	if (!headless) {
		server.parent = parent_connect(&server, getenv("WAYLAND_DISPLAY"));
		if (server.parent == NULL) {
			return 1;
		}
	}

	// 5. The output buffers: dmabufs where the parent takes linux-dmabuf and
	// the renderer has a DRM device to allocate them on (GBM; dumb buffers
	// for pixman on a KMS node); otherwise shared memory, which every
	// renderer draws into and every parent compositor can show. output.c
	// falls back to shared memory when the dmabufs cannot be made or shown.
	int n_modifiers = 0;
	if (server.parent != NULL) {
		parent_dmabuf_modifiers(server.parent, &n_modifiers);
	}
	if (n_modifiers > 0 && mosaic_renderer_get_drm_fd(server.renderer) >= 0) {
		server.allocator = mosaic_allocator_autocreate(server.renderer, -1);
		if (server.allocator != NULL && !(mosaic_allocator_get_buffer_caps(
				server.allocator) & MOSAIC_BUFFER_CAP_DMABUF)) {
			mosaic_allocator_destroy(server.allocator);
			server.allocator = NULL;
		}
	}
	if (server.allocator == NULL) {
		server.allocator = mosaic_shm_allocator_create();
		if (server.allocator == NULL) {
			return 1;
		}
	}
	// Then the first frame.
	if (!output_init(&server)) {
		return 1;
	}

	struct wl_event_source *signals[] = {
		wl_event_loop_add_signal(server.loop, SIGINT, handle_signal, &server),
		wl_event_loop_add_signal(server.loop, SIGTERM, handle_signal, &server),
		wl_event_loop_add_signal(server.loop, SIGCHLD, handle_signal, &server),
		wl_event_loop_add_signal(server.loop, SIGUSR1, handle_signal, &server),
	};
	fprintf(stderr, "serving WAYLAND_DISPLAY=%s (%dx%d, %s)\n", server.socket, server.width,
		server.height, headless ? "headless" : "nested");
	if (command != NULL) {
		server.child = launch(&server, command);
		if (server.child < 0) {
			return 1;
		}
	}

	// 6. The loop: flush what we owe clients and the parent, then sleep
	// until a client, the parent, a timer or a signal wakes us.
	while (server.running) {
		wl_display_flush_clients(server.display);
		if (server.parent != NULL && !parent_flush(server.parent)) {
			break;
		}
		if (wl_event_loop_dispatch(server.loop, -1) < 0 && errno != EINTR) {
			break;
		}
	}

	// Disconnect the clients before waiting for ours: it may be blocked
	// on a reply from us that will never come.
	wl_display_destroy_clients(server.display);
	if (server.child > 0) {
		kill(server.child, SIGTERM);
		// Give it two seconds to go, then insist.
		for (int i = 0; i < 200 && waitpid(server.child, NULL, WNOHANG) == 0; i++) {
			usleep(10000);
		}
		if (waitpid(server.child, NULL, WNOHANG) == 0) {
			kill(server.child, SIGKILL);
			waitpid(server.child, NULL, 0);
		}
	}
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
		if (signals[i] != NULL) {
			wl_event_source_remove(signals[i]);
		}
	}
	if (server.screenshot_timer != NULL) {
		wl_event_source_remove(server.screenshot_timer);
	}
	// Clients went first: their surfaces held textures of the renderer.
	output_finish(&server);
	seat_finish(&server);
	parent_destroy(server.parent);
	wl_display_destroy(server.display);
	mosaic_allocator_destroy(server.allocator);
	mosaic_renderer_destroy(server.renderer);
	if (server.screenshot_path != NULL && !server.screenshot_done) {
		fprintf(stderr, "no screenshot was taken: no window was ever shown\n");
		return 1;
	}
	return server.exit_code;
}
