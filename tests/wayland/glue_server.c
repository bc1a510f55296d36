/*
 * The server half of test-wayland-glue: a wl_display in a child process with
 * the library's wl_shm and linux-dmabuf globals and a bare wl_compositor
 * (glue_compositor.c) whose commits go through mosaic_surface_texture_commit(). The renderer is
 * the pixman one; for linux-dmabuf it is given a DRM device (/dev/null stands
 * in: only its dev_t is used) and a dmabuf format set, so that params reach
 * every check. pixman cannot import dmabufs, which is the "import fails" path.
 *
 * A process rather than a thread: cmocka installs its own SIGBUS handler
 * around each test, which would take the place of libwayland's, and ASan
 * checks the server's leaks when it exits.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <wayland-server-core.h>
#include <wayland-server-protocol.h>

#include <mosaic/interface.h>
#include <mosaic/mosaic.h>
#include <mosaic/wayland.h>

#include "glue.h"
#include "glue_compositor.h"

#define TEST_SOCKET "mosaic-glue-test"

static struct mosaic_renderer *renderer;
static pid_t server_pid;
static char log_path[256];
static FILE *log_file;

static void log_handler(enum mosaic_log level, const char *msg, void *data)
{
	fprintf(log_file, "%s\n", msg);
	fflush(log_file);
}

bool test_server_log_contains(const char *needle)
{
	FILE *f = fopen(log_path, "r");
	if (f == NULL) {
		return false;
	}
	char line[1024];
	bool found = false;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		found = strstr(line, needle) != NULL;
	}
	fclose(f);
	return found;
}

void test_server_log_clear(void)
{
	FILE *f = fopen(log_path, "w");
	if (f != NULL) {
		fclose(f);
	}
}

static struct mosaic_surface_texture *create_texture(void *data)
{
	return mosaic_surface_texture_create(renderer);
}

static void commit(struct mosaic_surface_texture *texture, struct wl_resource *buffer,
	pixman_region32_t *damage, void *data)
{
	if (buffer != NULL && mosaic_surface_texture_commit(texture, buffer, damage)) {
		// Report the first two texels so that clients can see what the
		// texture holds after a damage-limited update.
		uint32_t texels[2] = {0};
		struct mosaic_texture *t = mosaic_surface_texture_get_texture(texture);
		if (mosaic_texture_read_pixels(t, &(struct mosaic_read_pixels_options){
				.fourcc = DRM_FORMAT_ARGB8888,
				.stride = sizeof(texels),
				.data = texels,
				.src_box = { 0, 0, 2, 1 },
			})) {
			fprintf(log_file, "texture %08x %08x\n", texels[0], texels[1]);
			fflush(log_file);
		}
	}
}

static const struct glue_compositor compositor = {
	.create_texture = create_texture,
	.commit = commit,
};

/* mosaic's wl_shm, or libwayland's with GLUE_LIBWAYLAND_SHM=1 (the older path). */
static bool shm_global_create(struct wl_display *display)
{
	const char *env = getenv("GLUE_LIBWAYLAND_SHM");
	if (env != NULL && strcmp(env, "1") == 0) {
		return mosaic_wl_shm_init(display, renderer);
	}
	return mosaic_wl_shm_create(display, renderer) != NULL;
}

static int handle_sigterm(int signal, void *data)
{
	wl_display_terminate(data);
	return 0;
}

/* The child: serve until SIGTERM, then tear everything down (ASan checks). */
static int serve(void)
{
	log_file = fopen(log_path, "a");
	if (log_file == NULL) {
		return 1;
	}
	mosaic_log_init(MOSAIC_LOG_DEBUG, log_handler, NULL);
#ifdef GLUE_GBM_CARD
	// test-wayland-glue-gbm: the real importer, GLES on the card whose GBM
	// buffers the client sends.
	int card = open(GLUE_GBM_CARD, O_RDWR | O_CLOEXEC);
	renderer = card < 0 ? NULL : mosaic_renderer_create(&(struct mosaic_renderer_options){
		.backend = MOSAIC_BACKEND_GLES,
		.drm_fd = card,
	});
	if (card >= 0) {
		close(card);
	}
	if (renderer == NULL ||
			!(mosaic_renderer_get_features(renderer) & MOSAIC_FEATURE_DMABUF_IMPORT)) {
		mosaic_renderer_destroy(renderer);
		return 77;
	}
#else
	renderer = mosaic_renderer_create(&(struct mosaic_renderer_options){
		.backend = MOSAIC_BACKEND_PIXMAN,
	});
	if (renderer == NULL) {
		return 1;
	}
	// What a GPU renderer would announce (see the top of this file).
	glue_renderer_announce_dmabuf(renderer);
#endif

	struct wl_display *display = wl_display_create();
	struct wl_event_loop *loop = wl_display_get_event_loop(display);
	struct wl_event_source *sigterm = wl_event_loop_add_signal(loop, SIGTERM,
		handle_sigterm, display);
	if (wl_display_add_socket(display, TEST_SOCKET) != 0 ||
			!shm_global_create(display) ||
			mosaic_linux_dmabuf_v1_create(display, renderer) == NULL ||
			glue_compositor_create(display, &compositor) == NULL) {
		return 1;
	}
	wl_display_run(display);
	wl_event_source_remove(sigterm);
	wl_display_destroy_clients(display);
	wl_display_destroy(display);
	mosaic_renderer_destroy(renderer);
	fclose(log_file);
	return 0;
}

const char *test_server_start(const char *nested_path)
{
	const char *dir = getenv("XDG_RUNTIME_DIR");
	snprintf(log_path, sizeof(log_path), "%s/server.log", dir);
	char socket_path[256];
	snprintf(socket_path, sizeof(socket_path), "%s/%s", dir, TEST_SOCKET);
	// SIGTERM is read from a signalfd in the child: block it before fork.
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	server_pid = fork();
	if (server_pid == 0 && nested_path != NULL) {
		// The example compositor instead of the test one.
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		execl(nested_path, nested_path, "--headless", "--renderer", "pixman",
			"--socket", TEST_SOCKET, (char *)NULL);
		_exit(127);
	}
	if (server_pid == 0) {
		// exit, not _exit: LeakSanitizer checks the server at exit.
		exit(serve());
	}
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	for (int i = 0; i < 500 && access(socket_path, F_OK) != 0; i++) {
		usleep(10000);
	}
	return access(socket_path, F_OK) == 0 ? TEST_SOCKET : NULL;
}

int test_server_stop(void)
{
	kill(server_pid, SIGTERM);
	int status;
	if (waitpid(server_pid, &status, 0) != server_pid) {
		return -1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
