/*
 * The server half of test-wayland-glue: a wl_display in a child process with
 * the library's wl_shm and linux-dmabuf globals and a bare wl_compositor
 * whose commits go through mosaic_surface_texture_commit(). The renderer is
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

struct surface {
	struct wl_resource *buffer;
	pixman_region32_t damage;
	struct mosaic_surface_texture *texture;
	struct wl_listener buffer_destroy;
};

static void buffer_destroyed(struct wl_listener *listener, void *data)
{
	struct surface *s = wl_container_of(listener, s, buffer_destroy);
	wl_list_remove(&listener->link);
	wl_list_init(&listener->link);
	s->buffer = NULL;
}

static void surface_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void surface_attach(struct wl_client *client, struct wl_resource *resource,
	struct wl_resource *buffer, int32_t x, int32_t y)
{
	struct surface *s = wl_resource_get_user_data(resource);
	wl_list_remove(&s->buffer_destroy.link);
	wl_list_init(&s->buffer_destroy.link);
	s->buffer = buffer;
	if (buffer != NULL) {
		wl_resource_add_destroy_listener(buffer, &s->buffer_destroy);
	}
}

static void surface_damage(struct wl_client *client, struct wl_resource *resource,
	int32_t x, int32_t y, int32_t w, int32_t h)
{
	struct surface *s = wl_resource_get_user_data(resource);
	if (w > 0 && h > 0) {
		pixman_region32_union_rect(&s->damage, &s->damage, x, y, (unsigned)w, (unsigned)h);
	}
}

static void surface_frame(struct wl_client *client, struct wl_resource *resource, uint32_t id)
{
}

static void surface_region(struct wl_client *client, struct wl_resource *resource,
	struct wl_resource *region)
{
}

static void surface_commit(struct wl_client *client, struct wl_resource *resource)
{
	struct surface *s = wl_resource_get_user_data(resource);
	if (s->buffer != NULL &&
			mosaic_surface_texture_commit(s->texture, s->buffer, &s->damage)) {
		// Report the first two texels so that clients can see what the
		// texture holds after a damage-limited update.
		uint32_t texels[2] = {0};
		struct mosaic_texture *texture = mosaic_surface_texture_get_texture(s->texture);
		if (mosaic_texture_read_pixels(texture, &(struct mosaic_read_pixels_options){
				.fourcc = DRM_FORMAT_ARGB8888,
				.stride = sizeof(texels),
				.data = texels,
				.src_box = { 0, 0, 2, 1 },
			})) {
			fprintf(log_file, "texture %08x %08x\n", texels[0], texels[1]);
			fflush(log_file);
		}
	}
	pixman_region32_clear(&s->damage);
}

static void surface_transform(struct wl_client *client, struct wl_resource *resource,
	int32_t value)
{
}

static const struct wl_surface_interface surface_impl = {
	.destroy = surface_destroy,
	.attach = surface_attach,
	.damage = surface_damage,
	.frame = surface_frame,
	.set_opaque_region = surface_region,
	.set_input_region = surface_region,
	.commit = surface_commit,
	.set_buffer_transform = surface_transform,
	.set_buffer_scale = surface_transform,
	.damage_buffer = surface_damage,
};

static void surface_free(struct wl_resource *resource)
{
	struct surface *s = wl_resource_get_user_data(resource);
	wl_list_remove(&s->buffer_destroy.link);
	pixman_region32_fini(&s->damage);
	mosaic_surface_texture_destroy(s->texture);
	free(s);
}

static void compositor_create_surface(struct wl_client *client, struct wl_resource *resource,
	uint32_t id)
{
	struct surface *s = calloc(1, sizeof(*s));
	struct wl_resource *sr = wl_resource_create(client, &wl_surface_interface, 4, id);
	s->texture = mosaic_surface_texture_create(renderer);
	pixman_region32_init(&s->damage);
	s->buffer_destroy.notify = buffer_destroyed;
	wl_list_init(&s->buffer_destroy.link);
	wl_resource_set_implementation(sr, &surface_impl, s, surface_free);
}

static void compositor_create_region(struct wl_client *client, struct wl_resource *resource,
	uint32_t id)
{
	wl_client_post_no_memory(client);
}

static const struct wl_compositor_interface compositor_impl = {
	.create_surface = compositor_create_surface,
	.create_region = compositor_create_region,
};

static void compositor_bind(struct wl_client *client, void *data, uint32_t version,
	uint32_t id)
{
	struct wl_resource *r = wl_resource_create(client, &wl_compositor_interface,
		(int)version, id);
	wl_resource_set_implementation(r, &compositor_impl, NULL, NULL);
}

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
	renderer->drm_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	// Exactly these two pairs (pixman itself lists every format, linear).
	mosaic_format_set_finish(&renderer->dmabuf_texture_formats);
	mosaic_format_set_add(&renderer->dmabuf_texture_formats, DRM_FORMAT_XRGB8888,
		DRM_FORMAT_MOD_LINEAR);
	mosaic_format_set_add(&renderer->dmabuf_texture_formats, DRM_FORMAT_ARGB8888,
		DRM_FORMAT_MOD_LINEAR);
#endif

	struct wl_display *display = wl_display_create();
	struct wl_event_loop *loop = wl_display_get_event_loop(display);
	struct wl_event_source *sigterm = wl_event_loop_add_signal(loop, SIGTERM,
		handle_sigterm, display);
	if (wl_display_add_socket(display, TEST_SOCKET) != 0 ||
			!shm_global_create(display) ||
			mosaic_linux_dmabuf_v1_create(display, renderer) == NULL ||
			wl_global_create(display, &wl_compositor_interface, 4, NULL,
				compositor_bind) == NULL) {
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
