/*
 * Fuzz target: the zwp_linux_dmabuf_v1 server (protocols/linux_dmabuf.c).
 * Per input, a wl_display with the mosaic linux-dmabuf global serves one
 * end of a socketpair; the other end is a raw Wayland client whose wire
 * messages are built from the input: create_params, add with fds of every
 * wrong kind (memfd, pipe, /dev/null, eventfd, socket, directory) and
 * plane indices, offsets, strides and modifiers at the edges,
 * create/create_immed with odd sizes, formats and flags, feedback,
 * destroys in any order, and now and then a message of random bytes. The
 * server is dispatched after each message and the client reads (and
 * closes the fds of) every event. A protocol error is a normal end.
 *
 * The renderer is pixman with /dev/null as its DRM device (linux-dmabuf
 * names a device in its feedback), created once per process.
 */
#define _GNU_SOURCE /* memfd_create */
#include <drm_fourcc.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <wayland-server-core.h>

#include <mosaic/mosaic.h>
#include <mosaic/wayland.h>

#include "fuzz.h"
#include "fuzz_wire.h"

#define MAX_MESSAGES 128

struct client {
	struct wl_display *display;
	struct wl_client *client;
	struct wl_listener client_destroy;
	bool gone;
	int fd;
	uint32_t next_id;
	uint32_t registry, dmabuf, dmabuf_name;
	struct objects params, feedbacks, buffers;
};

static struct mosaic_renderer *get_renderer(void)
{
	static struct mosaic_renderer *renderer;
	if (renderer != NULL) {
		return renderer;
	}
	int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	fuzz_check(null_fd >= 0);
	renderer = mosaic_renderer_create(&(struct mosaic_renderer_options){
		.backend = MOSAIC_BACKEND_PIXMAN,
		.drm_fd = null_fd,
	});
	close(null_fd);
	fuzz_check(renderer != NULL);
	return renderer;
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
		// wl_registry.global(name, interface, version)
		wire_is_global(msg, size, "zwp_linux_dmabuf_v1", &c->dmabuf_name);
	}
	for (int i = 0; i < c->params.n; i++) {
		if (object == c->params.ids[i] && opcode == 0 && size >= 12) {
			uint32_t buffer;
			memcpy(&buffer, msg + 8, 4);
			add_object(&c->buffers, buffer); // created(new wl_buffer)
		}
	}
}

/* Reads every event the server sent: remembers new wl_buffers and the global, closes fds. */
static void read_events(struct client *c)
{
	wire_receive(c->fd, on_event, c);
}

static void dispatch(struct client *c)
{
	struct wl_event_loop *loop = wl_display_get_event_loop(c->display);
	wl_event_loop_dispatch(loop, 0);
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

static uint32_t pick_format(struct fuzz_input *in)
{
	uint8_t v = fuzz_u8(in);
	if (v >= 0xf0) {
		return fuzz_u32(in);
	}
	size_t count;
	const struct mosaic_format_info *all = mosaic_format_get_all(&count);
	return all[v % count].fourcc;
}

static uint64_t pick_modifier(struct fuzz_input *in)
{
	switch (fuzz_u8(in) % 5) {
	case 0:
	case 1:
		return DRM_FORMAT_MOD_LINEAR;
	case 2:
		return DRM_FORMAT_MOD_INVALID;
	case 3:
		return I915_FORMAT_MOD_X_TILED;
	default: {
		uint64_t hi = fuzz_u32(in);
		return hi << 32 | fuzz_u32(in);
	}
	}
}

static void op_create_params(struct client *c, struct fuzz_input *in)
{
	struct message m;
	msg_begin(&m, c->dmabuf, 1);
	msg_u32(&m, c->next_id);
	add_object(&c->params, c->next_id++);
	send_message(c, &m, true);
}

static void op_add(struct client *c, struct fuzz_input *in)
{
	struct message m;
	msg_begin(&m, pick_object(&c->params, in, false), 1);
	uint8_t plane = fuzz_u8(in);
	uint64_t modifier = pick_modifier(in);
	msg_fd(&m, pick_fd(in));
	msg_u32(&m, plane < 0xf0 ? plane % 4 : pick_u32(in));
	msg_u32(&m, pick_u32(in)); // offset
	msg_u32(&m, pick_u32(in)); // stride
	msg_u32(&m, (uint32_t)(modifier >> 32));
	msg_u32(&m, (uint32_t)modifier);
	send_message(c, &m, true);
}

static void op_create(struct client *c, struct fuzz_input *in, bool immed)
{
	struct message m;
	msg_begin(&m, pick_object(&c->params, in, false), immed ? 3 : 2);
	if (immed) {
		msg_u32(&m, c->next_id);
		add_object(&c->buffers, c->next_id++);
	}
	msg_u32(&m, pick_u32(in)); // width
	msg_u32(&m, pick_u32(in)); // height
	msg_u32(&m, pick_format(in));
	uint8_t flags = fuzz_u8(in);
	msg_u32(&m, flags < 0xf0 ? flags % 2 : pick_u32(in));
	send_message(c, &m, true);
}

static void op_feedback(struct client *c, struct fuzz_input *in)
{
	struct message m;
	uint8_t v = fuzz_u8(in);
	// get_default_feedback, or get_surface_feedback with an object that is no surface.
	msg_begin(&m, c->dmabuf, (v & 1) ? 3 : 2);
	msg_u32(&m, c->next_id);
	add_object(&c->feedbacks, c->next_id++);
	if (v & 1) {
		msg_u32(&m, v >> 1);
	}
	send_message(c, &m, true);
}

static void op_destroy(struct client *c, struct fuzz_input *in)
{
	struct message m;
	uint32_t id;
	switch (fuzz_u8(in) % 4) {
	case 0:
		id = pick_object(&c->params, in, true);
		break;
	case 1:
		id = pick_object(&c->feedbacks, in, true);
		break;
	case 2:
		id = pick_object(&c->buffers, in, true);
		break;
	default:
		id = c->dmabuf;
		break;
	}
	msg_begin(&m, id, 0);
	send_message(c, &m, true);
}

/* A message of random words to one of the client's objects (libwayland's wire checks). */
static void op_raw(struct client *c, struct fuzz_input *in)
{
	struct message m;
	uint32_t ids[6] = { 1, c->registry, c->dmabuf };
	ids[3] = pick_object(&c->params, in, false);
	ids[4] = pick_object(&c->buffers, in, false);
	ids[5] = fuzz_u32(in);
	uint32_t id = ids[fuzz_u8(in) % 6];
	msg_begin(&m, id, fuzz_u8(in) % 6);
	int n = fuzz_u8(in) % 8;
	for (int i = 0; i < n; i++) {
		msg_u32(&m, pick_u32(in));
	}
	if (fuzz_bool(in)) {
		msg_fd(&m, pick_fd(in));
	}
	send_message(c, &m, fuzz_u8(in) != 0xff);
}

static void op_sync(struct client *c, struct fuzz_input *in)
{
	struct message m;
	msg_begin(&m, 1, 0); // wl_display.sync
	msg_u32(&m, c->next_id++);
	send_message(c, &m, true);
}

static void wl_log_discard(const char *fmt, va_list args)
{
	(void)fmt;
	(void)args;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_log_init();
	// libwayland's lines about clients it disconnects ("error in client communication").
	const char *env = getenv("MOSAIC_FUZZ_LOG");
	if (env == NULL || env[0] != '1') {
		wl_log_set_handler_server(wl_log_discard);
	}
	struct fuzz_input in = { .data = data, .size = size };
	struct client c = { .next_id = 2 };
	c.display = wl_display_create();
	fuzz_check(c.display != NULL);
	struct mosaic_linux_dmabuf_v1 *linux_dmabuf =
		mosaic_linux_dmabuf_v1_create(c.display, get_renderer());
	fuzz_check(linux_dmabuf != NULL);
	int sv[2];
	fuzz_check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	c.client = wl_client_create(c.display, sv[0]);
	fuzz_check(c.client != NULL);
	c.fd = sv[1];
	c.client_destroy.notify = handle_client_destroy;
	wl_client_add_destroy_listener(c.client, &c.client_destroy);

	// wl_display.get_registry, then bind the global at the version the input asks.
	struct message m;
	c.registry = c.next_id++;
	msg_begin(&m, 1, 1);
	msg_u32(&m, c.registry);
	send_message(&c, &m, true);
	fuzz_check(c.dmabuf_name != 0);
	uint8_t version = fuzz_u8(&in);
	c.dmabuf = c.next_id++;
	msg_begin(&m, c.registry, 0);
	msg_u32(&m, c.dmabuf_name);
	msg_string(&m, "zwp_linux_dmabuf_v1");
	msg_u32(&m, version < 0xf0 ? 3 + version % 2 : version & 0xf);
	msg_u32(&m, c.dmabuf);
	send_message(&c, &m, true);

	for (int i = 0; i < MAX_MESSAGES && !fuzz_done(&in) && !c.gone; i++) {
		switch (fuzz_u8(&in) % 12) {
		case 0:
		case 1:
			op_create_params(&c, &in);
			break;
		case 2:
		case 3:
		case 4:
			op_add(&c, &in);
			break;
		case 5:
			op_create(&c, &in, false);
			break;
		case 6:
			op_create(&c, &in, true);
			break;
		case 7:
			op_feedback(&c, &in);
			break;
		case 8:
		case 9:
			op_destroy(&c, &in);
			break;
		case 10:
			op_raw(&c, &in);
			break;
		default:
			op_sync(&c, &in);
			break;
		}
	}

	// The client goes first (the global's contract); the global goes by
	// itself or with the display.
	if (!c.gone) {
		wl_client_destroy(c.client);
	}
	close(c.fd);
	if (fuzz_bool(&in)) {
		mosaic_linux_dmabuf_v1_destroy(linux_dmabuf);
	}
	// Otherwise the display's destruction takes the global with it.
	wl_display_destroy(c.display);
	return 0;
}
