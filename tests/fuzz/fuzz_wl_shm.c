/*
 * Fuzz target: mosaic's wl_shm global (protocols/shm_global.c). Per input, a
 * wl_display with mosaic_wl_shm_create()'s global serves one end of a
 * socketpair; the other end is a raw Wayland client whose wire messages come
 * from the input: create_pool with fds of every kind (memfds of any size,
 * sealed ones, pipes, /dev/null, eventfds, sockets, directories) and sizes
 * at the edges, create_buffer with any offset, size, stride and format,
 * resize either way, destroys in any order, truncations of the pool files
 * behind the compositor's back, and now and then a message of random bytes.
 * Between messages the compositor side uses the client's buffers the way a
 * compositor does: locks some, makes and updates textures from them (pixman)
 * and unlocks them later, some only after the client is gone. A protocol
 * error is a normal end; a SIGBUS or a sanitizer report is not.
 *
 * The renderer is pixman; MOSAIC_FUZZ_BACKEND=vulkan (or gles) selects
 * another one, created once per process: on lavapipe the uploads import the
 * client's memory and copy from it in the driver's threads.
 */
#define _GNU_SOURCE /* memfd_create */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <drm_fourcc.h>
#include <wayland-server-core.h>
#include <wayland-server-protocol.h>

#include <mosaic/mosaic.h>
#include <mosaic/wayland.h>

#include "fuzz.h"
#include "fuzz_wire.h"

#define MAX_MESSAGES 128
#define MAX_HELD 4
#define MAX_FILES 4

struct client {
	struct wl_display *display;
	struct wl_client *client;
	struct wl_listener client_destroy;
	bool gone;
	int fd;
	uint32_t next_id;
	uint32_t registry, shm, shm_name;
	struct objects pools, buffers;
	/* The client's own fds of the memfds it made pools of: it may shrink them. */
	int files[MAX_FILES];
	int n_files;
	/* Buffers the compositor holds (locked), with the texture it made of each. */
	struct mosaic_buffer *held[MAX_HELD];
	struct mosaic_texture *textures[MAX_HELD];
	int n_held;
};

/*
 * Reads one texel back: the renderer submits and waits for what it recorded
 * (a GPU renderer copies the upload only then), as a compositor's frame would.
 */
static void read_back(struct mosaic_texture *texture)
{
	uint32_t texel;
	if (texture != NULL) {
		mosaic_texture_read_pixels(texture, &(struct mosaic_read_pixels_options){
			.fourcc = DRM_FORMAT_ARGB8888,
			.stride = sizeof(texel),
			.data = &texel,
			.src_box = { 0, 0, 1, 1 },
		});
	}
}

static void handle_client_destroy(struct wl_listener *listener, void *data)
{
	struct client *c = wl_container_of(listener, c, client_destroy);
	c->gone = true;
}

static void on_event(void *data, uint32_t object, uint32_t opcode, const uint8_t *msg,
	uint32_t size)
{
	struct client *c = data;
	if (object == c->registry && opcode == 0) {
		wire_is_global(msg, size, "wl_shm", &c->shm_name);
	}
}

/* Reads every event: finds the wl_shm global; formats and releases need nothing. */
static void read_events(struct client *c)
{
	wire_receive(c->fd, on_event, c);
}

static void dispatch(struct client *c)
{
	wl_event_loop_dispatch(wl_display_get_event_loop(c->display), 0);
	wl_display_flush_clients(c->display);
	read_events(c);
}

static void send_message(struct client *c, struct message *m, bool fix_size)
{
	wire_send(c->gone ? -1 : c->fd, m, fix_size);
	if (!c->gone) {
		dispatch(c);
	}
}

/* A pool size: the fd's own size now and then, or anything. */
static uint32_t pick_size(struct fuzz_input *in, int fd)
{
	struct stat st;
	if (fuzz_u8(in) < 0x80 && fd >= 0 && fstat(fd, &st) == 0) {
		// One argument read after the other: the decoding must not depend on the compiler.
		int32_t delta = (int8_t)fuzz_u8(in);
		if (fuzz_bool(in)) {
			delta *= 4096;
		}
		return (uint32_t)st.st_size + (uint32_t)delta;
	}
	return pick_u32(in);
}

static void op_create_pool(struct client *c, struct fuzz_input *in)
{
	struct message m;
	msg_begin(&m, c->shm, 0);
	int fd = pick_fd(in);
	if (fd >= 0 && c->n_files < MAX_FILES) {
		int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		if (own >= 0) {
			c->files[c->n_files++] = own;
		}
	}
	uint32_t size = pick_size(in, fd);
	msg_u32(&m, c->next_id);
	add_object(&c->pools, c->next_id++);
	msg_fd(&m, fd);
	msg_u32(&m, size);
	send_message(c, &m, true);
}

static uint32_t pick_shm_format(struct fuzz_input *in)
{
	uint8_t v = fuzz_u8(in);
	if (v < 0x60) {
		return v & 1; // WL_SHM_FORMAT_ARGB8888, XRGB8888
	}
	if (v >= 0xf0) {
		return fuzz_u32(in);
	}
	size_t count;
	const struct mosaic_format_info *all = mosaic_format_get_all(&count);
	return mosaic_wl_shm_format_from_fourcc(all[v % count].fourcc);
}

static void op_create_buffer(struct client *c, struct fuzz_input *in)
{
	struct message m;
	msg_begin(&m, pick_object(&c->pools, in, false), 0);
	msg_u32(&m, c->next_id);
	add_object(&c->buffers, c->next_id++);
	uint32_t w = pick_u32(in), h = pick_u32(in);
	uint8_t s = fuzz_u8(in);
	msg_u32(&m, fuzz_u8(in) < 0xc0 ? (uint32_t)fuzz_u8(in) * 64 : pick_u32(in)); // offset
	msg_u32(&m, w);
	msg_u32(&m, h);
	// Mostly the stride that fits, then anything.
	msg_u32(&m, s < 0xa0 ? w * 4 + (s & 0xf) * 4 : pick_u32(in));
	msg_u32(&m, pick_shm_format(in));
	send_message(c, &m, true);
}

static void op_resize(struct client *c, struct fuzz_input *in)
{
	struct message m;
	msg_begin(&m, pick_object(&c->pools, in, false), 2);
	msg_u32(&m, pick_size(in, c->n_files > 0 ? c->files[fuzz_u8(in) % c->n_files] : -1));
	send_message(c, &m, true);
}

static void op_destroy(struct client *c, struct fuzz_input *in)
{
	struct message m;
	uint8_t kind = fuzz_u8(in) % 3;
	uint32_t id = kind == 0 ? pick_object(&c->pools, in, true) :
		kind == 1 ? pick_object(&c->buffers, in, true) : c->shm;
	// wl_shm_pool.destroy is opcode 1, wl_buffer.destroy 0; wl_shm v1 has none.
	msg_begin(&m, id, kind == 0 ? 1 : 0);
	send_message(c, &m, true);
}

/* The client shrinks (or grows) one of its files under the compositor's mappings. */
static void op_truncate(struct client *c, struct fuzz_input *in)
{
	if (c->n_files == 0) {
		return;
	}
	int fd = c->files[fuzz_u8(in) % c->n_files];
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		return;
	}
	off_t size = fuzz_bool(in) ? 0 : st.st_size / 2 + (off_t)fuzz_u8(in) * 256;
	if (ftruncate(fd, size) != 0 && errno != EPERM) {
		fuzz_check(errno == EINVAL);
	}
}

/* The compositor locks a client buffer and makes (or updates) a texture of it. */
static void op_use(struct client *c, struct fuzz_input *in)
{
	uint32_t id = pick_object(&c->buffers, in, false);
	bool update = fuzz_bool(in);
	if (c->gone || id == 0) {
		return;
	}
	struct wl_resource *resource = wl_client_get_object(c->client, id);
	if (resource == NULL || !mosaic_wl_buffer_is_supported(resource)) {
		return;
	}
	struct mosaic_buffer *buffer = mosaic_wl_buffer_from_resource(resource);
	fuzz_check(buffer != NULL);
	for (int i = 0; i < c->n_held; i++) {
		if (c->held[i] == buffer && c->textures[i] != NULL && update) {
			int x = fuzz_u8(in), y = fuzz_u8(in);
			unsigned w = fuzz_u8(in), h = fuzz_u8(in);
			pixman_region32_t damage;
			pixman_region32_init_rect(&damage, x, y, w, h);
			mosaic_texture_update_from_buffer(c->textures[i], buffer, &damage);
			pixman_region32_fini(&damage);
			read_back(c->textures[i]);
			dispatch(c);
			return;
		}
	}
	if (c->n_held == MAX_HELD) {
		return;
	}
	c->held[c->n_held] = mosaic_buffer_lock(buffer);
	c->textures[c->n_held] = mosaic_texture_from_buffer(fuzz_renderer("fuzz-wl-shm"), buffer);
	read_back(c->textures[c->n_held]);
	c->n_held++;
	// An error the access raised goes out now.
	dispatch(c);
}

/* The compositor is done with one buffer: texture gone, lock released (wl_buffer.release). */
static void op_unlock(struct client *c, struct fuzz_input *in)
{
	if (c->n_held == 0) {
		return;
	}
	int i = fuzz_u8(in) % c->n_held;
	mosaic_texture_destroy(c->textures[i]);
	mosaic_buffer_unlock(c->held[i]);
	c->n_held--;
	c->held[i] = c->held[c->n_held];
	c->textures[i] = c->textures[c->n_held];
	if (!c->gone) {
		dispatch(c);
	}
}

static void op_raw(struct client *c, struct fuzz_input *in)
{
	struct message m;
	uint32_t ids[5] = { 1, c->registry, c->shm };
	ids[3] = pick_object(&c->pools, in, false);
	ids[4] = pick_object(&c->buffers, in, false);
	msg_begin(&m, ids[fuzz_u8(in) % 5], fuzz_u8(in) % 4);
	int n = fuzz_u8(in) % 8;
	for (int i = 0; i < n; i++) {
		msg_u32(&m, pick_u32(in));
	}
	if (fuzz_bool(in)) {
		msg_fd(&m, pick_fd(in));
	}
	send_message(c, &m, fuzz_u8(in) != 0xff);
}

static void wl_log_discard(const char *fmt, va_list args)
{
	(void)fmt;
	(void)args;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_log_init();
	const char *env = getenv("MOSAIC_FUZZ_LOG");
	if (env == NULL || env[0] != '1') {
		wl_log_set_handler_server(wl_log_discard);
	}
	struct fuzz_input in = { .data = data, .size = size };
	struct client c = { .next_id = 2 };
	c.display = wl_display_create();
	fuzz_check(c.display != NULL);
	struct mosaic_wl_shm *shm = mosaic_wl_shm_create(c.display, fuzz_renderer("fuzz-wl-shm"));
	fuzz_check(shm != NULL);
	int sv[2];
	fuzz_check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	c.client = wl_client_create(c.display, sv[0]);
	fuzz_check(c.client != NULL);
	c.fd = sv[1];
	c.client_destroy.notify = handle_client_destroy;
	wl_client_add_destroy_listener(c.client, &c.client_destroy);

	struct message m;
	c.registry = c.next_id++;
	msg_begin(&m, 1, 1); // wl_display.get_registry
	msg_u32(&m, c.registry);
	send_message(&c, &m, true);
	fuzz_check(c.shm_name != 0);
	uint8_t version = fuzz_u8(&in);
	c.shm = c.next_id++;
	msg_begin(&m, c.registry, 0); // wl_registry.bind
	msg_u32(&m, c.shm_name);
	msg_string(&m, "wl_shm");
	msg_u32(&m, version < 0xf0 ? 1 : version & 0xf);
	msg_u32(&m, c.shm);
	send_message(&c, &m, true);

	for (int i = 0; i < MAX_MESSAGES && !fuzz_done(&in); i++) {
		switch (fuzz_u8(&in) % 12) {
		case 0:
		case 1:
			op_create_pool(&c, &in);
			break;
		case 2:
		case 3:
		case 4:
			op_create_buffer(&c, &in);
			break;
		case 5:
			op_resize(&c, &in);
			break;
		case 6:
			op_destroy(&c, &in);
			break;
		case 7:
			op_truncate(&c, &in);
			break;
		case 8:
		case 9:
			op_use(&c, &in);
			break;
		case 10:
			op_unlock(&c, &in);
			break;
		default:
			op_raw(&c, &in);
			break;
		}
	}

	// Some buffers outlive their client: release half of them after it went.
	if (!c.gone) {
		wl_client_destroy(c.client);
	}
	close(c.fd);
	while (c.n_held > 0) {
		op_unlock(&c, &in);
	}
	for (int i = 0; i < c.n_files; i++) {
		close(c.files[i]);
	}
	if (fuzz_bool(&in)) {
		mosaic_wl_shm_destroy(shm);
	}
	wl_display_destroy(c.display);
	return 0;
}
