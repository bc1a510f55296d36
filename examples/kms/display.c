/*
 * The display: one connector of a KMS device, driven with atomic commits.
 *
 * The first frame is a modeset (the connector's preferred mode on a CRTC
 * that can drive it, our buffer on its primary plane); every later frame is
 * a non-blocking page flip that asks for an event. Until that event comes
 * the core draws nothing (frame_pending), so frames follow the display's
 * refresh. The buffers are scanout buffers of mosaic's allocator on this
 * device: GBM for a GPU renderer, dumb buffers for pixman. Each one becomes a
 * DRM framebuffer once.
 *
 * The page flip's event says when the frame reached the screen: its time
 * (CLOCK_MONOTONIC, as the kernel stamps it) and the CRTC's vblank counter
 * go to our clients' presentation feedback, with the mode's refresh period.
 *
 * Screenshots: where the device has a writeback connector (vkms has one),
 * the commit that shows the frame also captures what the CRTC sends out
 * into a buffer of ours; otherwise the scanout buffer itself is read back.
 *
 * On exit (and on SIGTERM, which ends the loop) the CRTC gets back what it
 * showed before we started, or is switched off if it showed nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "kms.h"
#include "presentation-time-protocol.h"

/* The properties we set, per object. */
struct plane_props {
	uint32_t fb_id, crtc_id, src_x, src_y, src_w, src_h, crtc_x, crtc_y, crtc_w, crtc_h;
};

struct display {
	struct server *server;
	struct input *input;
	int fd;
	uint32_t crtc, connector, plane, writeback;
	/* The connector's name as the kernel logs it ("Virtual-1", "HDMI-A-1"). */
	char name[32];
	drmModeModeInfo mode;
	uint32_t mode_blob;
	struct {
		uint32_t mode_id, active;
	} crtc_props;
	uint32_t connector_crtc_id;
	struct plane_props plane_props;
	struct {
		uint32_t crtc_id, fb_id, out_fence_ptr;
	} writeback_props;
	/* What the CRTC showed before us (legacy state, enough to put it back). */
	drmModeCrtc *saved_crtc;

	bool modeset_done;
	bool writeback_attached;
	bool flip_pending;
	/* On screen, and waiting for its flip. */
	struct output_buffer *front, *pending;
	struct wl_event_source *source;

	/* The writeback capture of the last screenshot frame. */
	struct mosaic_buffer *capture;
	uint32_t capture_fb;
	int capture_fence;
};

/* The id of the property `name` of an object, 0 without it. */
static uint32_t prop_id(int fd, uint32_t obj, uint32_t type, const char *name)
{
	drmModeObjectProperties *props = drmModeObjectGetProperties(fd, obj, type);
	uint32_t id = 0;
	for (uint32_t i = 0; props != NULL && i < props->count_props && id == 0; i++) {
		drmModePropertyRes *p = drmModeGetProperty(fd, props->props[i]);
		if (p != NULL && strcmp(p->name, name) == 0) {
			id = p->prop_id;
		}
		drmModeFreeProperty(p);
	}
	drmModeFreeObjectProperties(props);
	return id;
}

/* The value of the property `name` of an object, `fallback` without it. */
static uint64_t prop_value(int fd, uint32_t obj, uint32_t type, const char *name,
	uint64_t fallback)
{
	drmModeObjectProperties *props = drmModeObjectGetProperties(fd, obj, type);
	uint64_t value = fallback;
	for (uint32_t i = 0; props != NULL && i < props->count_props; i++) {
		drmModePropertyRes *p = drmModeGetProperty(fd, props->props[i]);
		bool match = p != NULL && strcmp(p->name, name) == 0;
		drmModeFreeProperty(p);
		if (match) {
			value = props->prop_values[i];
			break;
		}
	}
	drmModeFreeObjectProperties(props);
	return value;
}

static bool has_connected_connector(int fd)
{
	drmModeRes *res = drmModeGetResources(fd);
	bool found = false;
	for (int i = 0; res != NULL && i < res->count_connectors && !found; i++) {
		drmModeConnector *c = drmModeGetConnector(fd, res->connectors[i]);
		found = c != NULL && c->connection == DRM_MODE_CONNECTED && c->count_modes > 0;
		drmModeFreeConnector(c);
	}
	drmModeFreeResources(res);
	return found;
}

static bool set_caps(int fd, const char *path)
{
	if (drmSetClientCap(fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1) != 0 ||
			drmSetClientCap(fd, DRM_CLIENT_CAP_ATOMIC, 1) != 0) {
		fprintf(stderr, "%s has no atomic modesetting\n", path);
		return false;
	}
	// Writeback connectors are listed only to clients that ask; optional.
	drmSetClientCap(fd, DRM_CLIENT_CAP_WRITEBACK_CONNECTORS, 1);
	return true;
}

int display_open_device(const char *path)
{
	int fd = -1;
	if (path != NULL) {
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
			return -1;
		}
		if (!has_connected_connector(fd)) {
			fprintf(stderr, "%s has no connected connector\n", path);
			close(fd);
			return -1;
		}
	} else {
		// The first device with a display plugged in.
		struct mosaic_drm_device *devices;
		int n = mosaic_drm_list_devices(MOSAIC_DRM_LIST_KMS_ONLY, &devices);
		for (int i = 0; i < n && fd < 0; i++) {
			fd = mosaic_drm_device_open(&devices[i], MOSAIC_DRM_NODE_PRIMARY);
			if (fd >= 0 && !has_connected_connector(fd)) {
				close(fd);
				fd = -1;
			} else if (fd >= 0) {
				fprintf(stderr, "DRM device: %s (%s)\n", devices[i].primary_node,
					devices[i].driver);
				path = "the DRM device";
			}
		}
		mosaic_drm_devices_free(devices);
		if (fd < 0) {
			fprintf(stderr, "no DRM device with a connected connector "
				"(--drm-device PATH to name one)\n");
			return -1;
		}
	}
	// Opened first, by root, a primary node makes us DRM master; someone
	// else holding it (another compositor on this VT) is an error here.
	if (drmIsMaster(fd) == 0 && drmSetMaster(fd) != 0) {
		fprintf(stderr, "%s: cannot become DRM master (%s): is another compositor "
			"running?\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!set_caps(fd, path)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A CRTC the encoders of connector `c` can drive, 0 without one. */
static uint32_t pick_crtc(int fd, drmModeRes *res, drmModeConnector *c, int *index)
{
	for (int e = 0; e < c->count_encoders; e++) {
		drmModeEncoder *enc = drmModeGetEncoder(fd, c->encoders[e]);
		if (enc == NULL) {
			continue;
		}
		for (int i = 0; i < res->count_crtcs; i++) {
			if (enc->possible_crtcs & (1u << i)) {
				drmModeFreeEncoder(enc);
				*index = i;
				return res->crtcs[i];
			}
		}
		drmModeFreeEncoder(enc);
	}
	return 0;
}

/* The primary plane that can show on CRTC number `index`. */
static uint32_t pick_plane(int fd, int index)
{
	drmModePlaneRes *planes = drmModeGetPlaneResources(fd);
	uint32_t found = 0;
	for (uint32_t i = 0; planes != NULL && i < planes->count_planes && found == 0; i++) {
		drmModePlane *p = drmModeGetPlane(fd, planes->planes[i]);
		if (p != NULL && (p->possible_crtcs & (1u << index)) &&
				prop_value(fd, p->plane_id, DRM_MODE_OBJECT_PLANE, "type", 0) ==
				DRM_PLANE_TYPE_PRIMARY) {
			found = p->plane_id;
		}
		drmModeFreePlane(p);
	}
	drmModeFreePlaneResources(planes);
	return found;
}

static bool pick_outputs(struct display *d)
{
	drmModeRes *res = drmModeGetResources(d->fd);
	if (res == NULL) {
		fprintf(stderr, "cannot read the KMS resources: %s\n", strerror(errno));
		return false;
	}
	int index = -1;
	for (int i = 0; i < res->count_connectors; i++) {
		drmModeConnector *c = drmModeGetConnector(d->fd, res->connectors[i]);
		if (c == NULL) {
			continue;
		}
		if (c->connector_type == DRM_MODE_CONNECTOR_WRITEBACK) {
			if (d->writeback == 0) {
				d->writeback = c->connector_id;
			}
		} else if (d->connector == 0 && c->connection == DRM_MODE_CONNECTED &&
				c->count_modes > 0) {
			d->crtc = pick_crtc(d->fd, res, c, &index);
			if (d->crtc != 0) {
				d->connector = c->connector_id;
				const char *type = drmModeGetConnectorTypeName(c->connector_type);
				snprintf(d->name, sizeof(d->name), "%s-%u",
					type != NULL ? type : "Unknown", c->connector_type_id);
				// The preferred mode, else the first (the kernel sorts them).
				d->mode = c->modes[0];
				for (int m = 0; m < c->count_modes; m++) {
					if (c->modes[m].type & DRM_MODE_TYPE_PREFERRED) {
						d->mode = c->modes[m];
						break;
					}
				}
			}
		}
		drmModeFreeConnector(c);
	}
	drmModeFreeResources(res);
	if (d->connector == 0) {
		fprintf(stderr, "no connected connector with a mode and a CRTC\n");
		return false;
	}
	d->plane = pick_plane(d->fd, index);
	if (d->plane == 0) {
		fprintf(stderr, "no primary plane for CRTC %u\n", d->crtc);
		return false;
	}
	d->saved_crtc = drmModeGetCrtc(d->fd, d->crtc);
	return true;
}

static bool read_props(struct display *d)
{
	const uint32_t CRTC = DRM_MODE_OBJECT_CRTC, CONN = DRM_MODE_OBJECT_CONNECTOR,
		PLANE = DRM_MODE_OBJECT_PLANE;
	d->crtc_props.mode_id = prop_id(d->fd, d->crtc, CRTC, "MODE_ID");
	d->crtc_props.active = prop_id(d->fd, d->crtc, CRTC, "ACTIVE");
	d->connector_crtc_id = prop_id(d->fd, d->connector, CONN, "CRTC_ID");
	struct plane_props *p = &d->plane_props;
	static const char *const names[] = { "FB_ID", "CRTC_ID", "SRC_X", "SRC_Y", "SRC_W",
		"SRC_H", "CRTC_X", "CRTC_Y", "CRTC_W", "CRTC_H" };
	uint32_t *ids[] = { &p->fb_id, &p->crtc_id, &p->src_x, &p->src_y, &p->src_w,
		&p->src_h, &p->crtc_x, &p->crtc_y, &p->crtc_w, &p->crtc_h };
	bool ok = d->crtc_props.mode_id != 0 && d->crtc_props.active != 0 &&
		d->connector_crtc_id != 0;
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		*ids[i] = prop_id(d->fd, d->plane, PLANE, names[i]);
		ok = ok && *ids[i] != 0;
	}
	if (!ok) {
		fprintf(stderr, "the KMS objects lack atomic properties\n");
		return false;
	}
	if (d->writeback != 0) {
		d->writeback_props.crtc_id = prop_id(d->fd, d->writeback, CONN, "CRTC_ID");
		d->writeback_props.fb_id = prop_id(d->fd, d->writeback, CONN, "WRITEBACK_FB_ID");
		d->writeback_props.out_fence_ptr = prop_id(d->fd, d->writeback, CONN,
			"WRITEBACK_OUT_FENCE_PTR");
		if (d->writeback_props.crtc_id == 0 || d->writeback_props.fb_id == 0 ||
				d->writeback_props.out_fence_ptr == 0) {
			d->writeback = 0;
		}
	}
	return true;
}

/* A framebuffer of a buffer of our allocator (on d->fd: its GEM handle is shared). */
static uint32_t add_framebuffer(struct display *d, struct mosaic_buffer *buffer)
{
	struct mosaic_dmabuf_attributes a;
	if (!mosaic_buffer_get_dmabuf(buffer, &a) || a.n_planes != 1) {
		fprintf(stderr, "a scanout buffer is no one-plane dmabuf\n");
		return 0;
	}
	uint32_t handles[4] = {0}, pitches[4] = {0}, offsets[4] = {0};
	uint64_t modifiers[4] = {0};
	if (drmPrimeFDToHandle(d->fd, a.fd[0], &handles[0]) != 0) {
		fprintf(stderr, "cannot import a scanout buffer: %s\n", strerror(errno));
		return 0;
	}
	pitches[0] = a.stride[0];
	offsets[0] = a.offset[0];
	modifiers[0] = a.modifier;
	uint32_t fb = 0;
	int r = a.modifier == DRM_FORMAT_MOD_INVALID ?
		drmModeAddFB2(d->fd, (uint32_t)a.width, (uint32_t)a.height, a.fourcc, handles,
			pitches, offsets, &fb, 0) :
		drmModeAddFB2WithModifiers(d->fd, (uint32_t)a.width, (uint32_t)a.height,
			a.fourcc, handles, pitches, offsets, modifiers, &fb, DRM_MODE_FB_MODIFIERS);
	if (r != 0) {
		fprintf(stderr, "drmModeAddFB2: %s\n", strerror(errno));
		return 0;
	}
	return fb;
}

static bool wrap_buffer(void *data, struct output_buffer *buffer)
{
	struct display *d = data;
	uint32_t fb = add_framebuffer(d, buffer->buffer);
	buffer->data = (void *)(uintptr_t)fb;
	return fb != 0;
}

static void unwrap_buffer(void *data, struct output_buffer *buffer)
{
	struct display *d = data;
	uint32_t fb = (uint32_t)(uintptr_t)buffer->data;
	if (fb != 0) {
		drmModeRmFB(d->fd, fb);
	}
	buffer->data = NULL;
}

static bool frame_pending(void *data)
{
	struct display *d = data;
	return d->flip_pending;
}

static void add_prop(drmModeAtomicReq *req, uint32_t obj, uint32_t prop, uint64_t value)
{
	drmModeAtomicAddProperty(req, obj, prop, value);
}

/* The capture buffer for writeback screenshots, made the first time. */
static bool ensure_capture(struct display *d)
{
	if (d->capture != NULL) {
		return true;
	}
	struct server *server = d->server;
	// XRGB8888 (XR24) is a format every writeback connector takes.
	static const uint64_t linear = DRM_FORMAT_MOD_LINEAR;
	d->capture = mosaic_allocator_create_buffer(server->allocator, d->mode.hdisplay,
		d->mode.vdisplay, DRM_FORMAT_XRGB8888, &linear, 1);
	if (d->capture == NULL) {
		return false;
	}
	d->capture_fb = add_framebuffer(d, d->capture);
	return d->capture_fb != 0;
}

static void present(void *data, struct output_buffer *buffer, const pixman_region32_t *damage)
{
	struct display *d = data;
	struct server *server = d->server;
	drmModeAtomicReq *req = drmModeAtomicAlloc();
	uint32_t flags = DRM_MODE_PAGE_FLIP_EVENT | DRM_MODE_ATOMIC_NONBLOCK;
	struct plane_props *p = &d->plane_props;
	uint32_t fb = (uint32_t)(uintptr_t)buffer->data;
	if (!d->modeset_done) {
		add_prop(req, d->crtc, d->crtc_props.mode_id, d->mode_blob);
		add_prop(req, d->crtc, d->crtc_props.active, 1);
		add_prop(req, d->connector, d->connector_crtc_id, d->crtc);
		add_prop(req, d->plane, p->crtc_id, d->crtc);
		add_prop(req, d->plane, p->src_x, 0);
		add_prop(req, d->plane, p->src_y, 0);
		add_prop(req, d->plane, p->src_w, (uint64_t)server->width << 16);
		add_prop(req, d->plane, p->src_h, (uint64_t)server->height << 16);
		add_prop(req, d->plane, p->crtc_x, 0);
		add_prop(req, d->plane, p->crtc_y, 0);
		add_prop(req, d->plane, p->crtc_w, (uint64_t)server->width);
		add_prop(req, d->plane, p->crtc_h, (uint64_t)server->height);
		flags |= DRM_MODE_ATOMIC_ALLOW_MODESET;
	}
	add_prop(req, d->plane, p->fb_id, fb);
	// A screenshot is due: the same commit captures this frame.
	int32_t fence = -1;
	bool capture = server->screenshot_due && !server->screenshot_done &&
		d->writeback != 0 && ensure_capture(d);
	if (capture) {
		if (!d->writeback_attached) {
			// Routing the writeback connector to the CRTC is a modeset.
			flags |= DRM_MODE_ATOMIC_ALLOW_MODESET;
		}
		add_prop(req, d->writeback, d->writeback_props.crtc_id, d->crtc);
		add_prop(req, d->writeback, d->writeback_props.fb_id, d->capture_fb);
		add_prop(req, d->writeback, d->writeback_props.out_fence_ptr,
			(uint64_t)(uintptr_t)&fence);
	}
	int r = drmModeAtomicCommit(d->fd, req, flags, d);
	drmModeAtomicFree(req);
	if (r != 0) {
		fprintf(stderr, "atomic commit failed: %s\n", strerror(errno));
		server->exit_code = 1;
		server->running = false;
		return;
	}
	d->modeset_done = true;
	if (capture) {
		d->writeback_attached = true;
		d->capture_fence = fence;
	}
	d->flip_pending = true;
	d->pending = buffer;
	buffer->busy = true;
}

/* The mode's refresh period in nanoseconds (clock: kHz), 0 if the mode says none. */
static uint32_t refresh_ns(const drmModeModeInfo *mode)
{
	if (mode->clock == 0) {
		return 0;
	}
	return (uint32_t)((uint64_t)mode->htotal * mode->vtotal * 1000000 / mode->clock);
}

static void page_flip(int fd, unsigned int seq, unsigned int sec, unsigned int usec,
	unsigned int crtc_id, void *data)
{
	struct display *d = data;
	// Shown at the vblank the kernel timed, by the display hardware itself.
	struct timespec when = { .tv_sec = sec, .tv_nsec = (long)usec * 1000 };
	output_frame_presented(d->server, &when, refresh_ns(&d->mode), seq,
		WP_PRESENTATION_FEEDBACK_KIND_VSYNC | WP_PRESENTATION_FEEDBACK_KIND_HW_CLOCK |
		WP_PRESENTATION_FEEDBACK_KIND_HW_COMPLETION);
	// The frame we queued is on screen: the one before it is free.
	if (d->front != NULL && d->front != d->pending) {
		d->front->busy = false;
	}
	d->front = d->pending;
	d->pending = NULL;
	d->flip_pending = false;
	if (d->server->frame_pending) {
		output_render(d->server);
	}
}

static int drm_readable(int fd, uint32_t mask, void *data)
{
	drmEventContext ctx = {
		.version = 3,
		.page_flip_handler2 = page_flip,
	};
	if (drmHandleEvent(fd, &ctx) != 0) {
		fprintf(stderr, "cannot read DRM events: %s\n", strerror(errno));
	}
	return 0;
}

/* Waits (bounded) for the writeback of the frame just committed, then writes it. */
static bool screenshot(void *data, struct output_buffer *buffer)
{
	struct display *d = data;
	if (d->capture_fence < 0) {
		// No writeback connector: the scanout buffer holds the same pixels.
		return output_write_screenshot(d->server, buffer->buffer);
	}
	struct pollfd pfd = { .fd = d->capture_fence, .events = POLLIN };
	int r = poll(&pfd, 1, 10000);
	close(d->capture_fence);
	d->capture_fence = -1;
	if (r != 1) {
		fprintf(stderr, "screenshot: the writeback never completed\n");
		return false;
	}
	fprintf(stderr, "screenshot: captured through the writeback connector\n");
	return output_write_screenshot(d->server, d->capture);
}

static void draw_overlay(void *data, struct mosaic_pass *pass, const pixman_region32_t *clip)
{
	struct display *d = data;
	if (d->input != NULL) {
		input_draw_cursor(d->input, pass, clip);
	}
}

const struct output_impl display_output_impl = {
	.wrap_buffer = wrap_buffer,
	.unwrap_buffer = unwrap_buffer,
	.frame_pending = frame_pending,
	.present = present,
	.draw_overlay = draw_overlay,
	.screenshot = screenshot,
	// One on screen, one to draw into: page flips pace us.
	.n_buffers = 2,
	// A display cannot scan out shared memory.
	.shm_fallback = false,
};

struct display *display_create(struct server *server, int fd)
{
	struct display *d = calloc(1, sizeof(*d));
	if (d == NULL) {
		return NULL;
	}
	d->server = server;
	d->fd = fd;
	d->capture_fence = -1;
	if (!pick_outputs(d) || !read_props(d)) {
		display_destroy(d);
		return NULL;
	}
	server->output_name = d->name;
	if (drmModeCreatePropertyBlob(fd, &d->mode, sizeof(d->mode), &d->mode_blob) != 0) {
		fprintf(stderr, "cannot create the mode blob: %s\n", strerror(errno));
		display_destroy(d);
		return NULL;
	}
	d->source = wl_event_loop_add_fd(server->loop, fd, WL_EVENT_READABLE, drm_readable, d);
	if (d->source == NULL) {
		display_destroy(d);
		return NULL;
	}
	fprintf(stderr, "display: connector %u, mode %s (%dx%d@%u), CRTC %u, plane %u, %s\n",
		d->connector, d->mode.name, d->mode.hdisplay, d->mode.vdisplay, d->mode.vrefresh,
		d->crtc, d->plane, d->writeback != 0 ? "writeback connector" : "no writeback");
	return d;
}

void display_set_input(struct display *display, struct input *input)
{
	display->input = input;
}

void display_get_size(struct display *display, int *width, int *height)
{
	*width = display->mode.hdisplay;
	*height = display->mode.vdisplay;
}

/* Waits for the flip in flight, if any (bounded: a display that never flips ends it). */
static void wait_flip(struct display *d)
{
	for (int i = 0; i < 100 && d->flip_pending; i++) {
		struct pollfd pfd = { .fd = d->fd, .events = POLLIN };
		if (poll(&pfd, 1, 20) == 1) {
			drmEventContext ctx = { .version = 3, .page_flip_handler2 = page_flip };
			// No new frame from the handler while we go.
			d->server->frame_pending = false;
			drmHandleEvent(d->fd, &ctx);
		}
	}
}

void display_restore(struct display *d)
{
	if (!d->modeset_done) {
		return;
	}
	wait_flip(d);
	drmModeAtomicReq *req = drmModeAtomicAlloc();
	if (d->writeback_attached) {
		add_prop(req, d->writeback, d->writeback_props.crtc_id, 0);
		add_prop(req, d->writeback, d->writeback_props.fb_id, 0);
	}
	add_prop(req, d->plane, d->plane_props.fb_id, 0);
	add_prop(req, d->plane, d->plane_props.crtc_id, 0);
	add_prop(req, d->connector, d->connector_crtc_id, 0);
	add_prop(req, d->crtc, d->crtc_props.mode_id, 0);
	add_prop(req, d->crtc, d->crtc_props.active, 0);
	if (drmModeAtomicCommit(d->fd, req, DRM_MODE_ATOMIC_ALLOW_MODESET, NULL) != 0) {
		fprintf(stderr, "cannot switch the CRTC off: %s\n", strerror(errno));
	}
	drmModeAtomicFree(req);
	drmModeCrtc *s = d->saved_crtc;
	if (s != NULL && s->mode_valid && s->buffer_id != 0) {
		// Someone (the console) showed something: show it again.
		if (drmModeSetCrtc(d->fd, s->crtc_id, s->buffer_id, s->x, s->y, &d->connector, 1,
				&s->mode) != 0) {
			fprintf(stderr, "cannot restore the CRTC: %s\n", strerror(errno));
		}
	}
	fprintf(stderr, "display restored\n");
	d->modeset_done = false;
}

void display_destroy(struct display *d)
{
	if (d == NULL) {
		return;
	}
	display_restore(d);
	if (d->capture_fence >= 0) {
		close(d->capture_fence);
	}
	if (d->capture_fb != 0) {
		drmModeRmFB(d->fd, d->capture_fb);
	}
	mosaic_buffer_drop(d->capture);
	if (d->source != NULL) {
		wl_event_source_remove(d->source);
	}
	if (d->mode_blob != 0) {
		drmModeDestroyPropertyBlob(d->fd, d->mode_blob);
	}
	drmModeFreeCrtc(d->saved_crtc);
	free(d);
}
