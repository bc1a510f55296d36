/*
 * A video-like Wayland client: one xdg_toplevel showing a LINEAR YUV dmabuf
 * (from /dev/udmabuf, memory the kernel exports as a dmabuf the way V4L2
 * decoders hand out buffers, or a dumb buffer of a DRM card), sent through
 * zwp_linux_dmabuf_v1.
 *
 * The picture is a grid of 32x32 blocks of the colors in yuv_pattern.h,
 * converted to Y'CbCr with BT.601 limited range (what a client that says
 * nothing else means) and each chroma sample taken from its block, so that
 * every block's inside is one known R'G'B' value whatever the compositor's
 * chroma reconstruction.
 *
 * Usage: test-yuv-client FORMAT [SOURCE]: FORMAT is NV12, NV21, YUV420,
 * YUYV or P010; SOURCE is udmabuf (the default) or a DRM card whose dumb
 * buffer holds the planes (rows of the card's pitch). Runs until
 * the compositor goes away (exit 0). Exit 3 when the compositor does not
 * offer FORMAT with DRM_FORMAT_MOD_LINEAR, 4 when it refuses the buffer,
 * 77 without /dev/udmabuf, 1 on other errors; one line on stderr says why.
 */
#define _GNU_SOURCE /* memfd_create */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <linux/udmabuf.h>
#include <wayland-client.h>
#include <xf86drm.h>

#include "linux-dmabuf-unstable-v1-client-protocol.h"
#include "xdg-shell-client-protocol.h"
#include "yuv_pattern.h"

struct client {
	struct wl_compositor *compositor;
	struct xdg_wm_base *wm_base;
	struct zwp_linux_dmabuf_v1 *dmabuf;
	uint32_t fourcc;
	bool offered;
	bool configured;
	bool failed;
};

static void dmabuf_format(void *data, struct zwp_linux_dmabuf_v1 *d, uint32_t format)
{
}

static void dmabuf_modifier(void *data, struct zwp_linux_dmabuf_v1 *d, uint32_t format,
	uint32_t hi, uint32_t lo)
{
	struct client *c = data;
	uint64_t modifier = (uint64_t)hi << 32 | lo;
	if (format == c->fourcc && modifier == DRM_FORMAT_MOD_LINEAR) {
		c->offered = true;
	}
}

static const struct zwp_linux_dmabuf_v1_listener dmabuf_listener = {
	.format = dmabuf_format,
	.modifier = dmabuf_modifier,
};

static void wm_ping(void *data, struct xdg_wm_base *wm, uint32_t serial)
{
	xdg_wm_base_pong(wm, serial);
}

static const struct xdg_wm_base_listener wm_listener = { .ping = wm_ping };

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
	const char *interface, uint32_t version)
{
	struct client *c = data;
	if (strcmp(interface, "wl_compositor") == 0) {
		c->compositor = wl_registry_bind(registry, name, &wl_compositor_interface, 1);
	} else if (strcmp(interface, "xdg_wm_base") == 0) {
		c->wm_base = wl_registry_bind(registry, name, &xdg_wm_base_interface, 1);
		xdg_wm_base_add_listener(c->wm_base, &wm_listener, c);
	} else if (strcmp(interface, "zwp_linux_dmabuf_v1") == 0 && version >= 3) {
		// Version 3: the modifier events list what may be sent.
		c->dmabuf = wl_registry_bind(registry, name, &zwp_linux_dmabuf_v1_interface, 3);
		zwp_linux_dmabuf_v1_add_listener(c->dmabuf, &dmabuf_listener, c);
	}
}

static void registry_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_remove,
};

static void surface_configure(void *data, struct xdg_surface *surface, uint32_t serial)
{
	struct client *c = data;
	xdg_surface_ack_configure(surface, serial);
	c->configured = true;
}

static const struct xdg_surface_listener surface_listener = { .configure = surface_configure };

static void params_created(void *data, struct zwp_linux_buffer_params_v1 *params,
	struct wl_buffer *buffer)
{
}

static void params_failed(void *data, struct zwp_linux_buffer_params_v1 *params)
{
	((struct client *)data)->failed = true;
}

static const struct zwp_linux_buffer_params_v1_listener params_listener = {
	.created = params_created,
	.failed = params_failed,
};

/* BT.601 limited-range Y'CbCr of an 8-bit R'G'B' color, in units of 1/255 of full scale. */
static void to_ycbcr(const uint8_t rgb[3], double *y, double *cb, double *cr)
{
	double r = rgb[0] / 255.0, g = rgb[1] / 255.0, b = rgb[2] / 255.0;
	double luma = 0.299 * r + 0.587 * g + 0.114 * b;
	*y = 16.0 + 219.0 * luma;
	*cb = 128.0 + 224.0 * (b - luma) / 1.772;
	*cr = 128.0 + 224.0 * (r - luma) / 1.402;
}

/* A sample of `depth` bits (8 or 10) from a value in 8-bit units, as stored. */
static uint16_t sample(double v, int depth)
{
	double scaled = v * (double)(1 << (depth - 8));
	long q = (long)(scaled + 0.5);
	q = q < 0 ? 0 : (q > (1L << depth) - 1 ? (1L << depth) - 1 : q);
	// P010 keeps its 10 bits in the high bits of each 16-bit word.
	return depth == 10 ? (uint16_t)(q << 6) : (uint16_t)q;
}

static void put(uint8_t *p, uint16_t v, int depth)
{
	if (depth == 8) {
		*p = (uint8_t)v;
	} else {
		p[0] = (uint8_t)(v & 0xff);
		p[1] = (uint8_t)(v >> 8);
	}
}

struct layout {
	int n_planes;
	uint32_t offset[3], stride[3];
	size_t size;
};

/*
 * The planes in one allocation whose rows are `pitch` bytes (0: packed);
 * chroma rows of 4:2:0 planar formats are half as long.
 */
static bool layout_for(uint32_t fourcc, uint32_t pitch, struct layout *l)
{
	const uint32_t w = YUV_PATTERN_SIZE, h = YUV_PATTERN_SIZE;
	memset(l, 0, sizeof(*l));
	if (pitch != 0) {
		if (!layout_for(fourcc, 0, l)) {
			return false;
		}
		uint32_t packed = l->stride[0];
		for (int i = 0; i < l->n_planes; i++) {
			l->stride[i] = l->stride[i] * pitch / packed;
			l->offset[i] = l->offset[i] * pitch / packed;
		}
		l->size = l->size * pitch / packed;
		return true;
	}
	switch (fourcc) {
	case DRM_FORMAT_NV12:
	case DRM_FORMAT_NV21:
	case DRM_FORMAT_P010: {
		uint32_t bytes = fourcc == DRM_FORMAT_P010 ? 2 : 1;
		l->n_planes = 2;
		l->stride[0] = l->stride[1] = w * bytes;
		l->offset[1] = w * bytes * h;
		l->size = (size_t)l->offset[1] + (size_t)w * bytes * (h / 2);
		return true;
	}
	case DRM_FORMAT_YUV420:
		l->n_planes = 3;
		l->stride[0] = w;
		l->stride[1] = l->stride[2] = w / 2;
		l->offset[1] = w * h;
		l->offset[2] = l->offset[1] + (w / 2) * (h / 2);
		l->size = (size_t)l->offset[2] + (size_t)(w / 2) * (h / 2);
		return true;
	case DRM_FORMAT_YUYV:
		l->n_planes = 1;
		l->stride[0] = w * 2;
		l->size = (size_t)w * 2 * h;
		return true;
	}
	return false;
}

static void fill(uint32_t fourcc, const struct layout *l, uint8_t *map)
{
	const int size = YUV_PATTERN_SIZE;
	int depth = fourcc == DRM_FORMAT_P010 ? 10 : 8;
	int bytes = depth == 10 ? 2 : 1;
	for (int y = 0; y < size; y++) {
		for (int x = 0; x < size; x++) {
			double luma, cb, cr;
			to_ycbcr(yuv_pattern_color(x, y), &luma, &cb, &cr);
			uint16_t Y = sample(luma, depth), U = sample(cb, depth), V = sample(cr, depth);
			if (fourcc == DRM_FORMAT_YUYV) {
				// Y0 Cb Y1 Cr: a pair's chroma from its left pixel (same block).
				uint8_t *p = map + (size_t)y * l->stride[0] + (size_t)x * 2;
				p[0] = (uint8_t)Y;
				if (x % 2 == 0) {
					p[1] = (uint8_t)U;
					p[3] = (uint8_t)V;
				}
				continue;
			}
			put(map + (size_t)y * l->stride[0] + (size_t)x * (size_t)bytes, Y, depth);
			if (x % 2 != 0 || y % 2 != 0) {
				continue;
			}
			size_t cx = (size_t)x / 2, cy = (size_t)y / 2;
			if (fourcc == DRM_FORMAT_YUV420) {
				map[l->offset[1] + cy * l->stride[1] + cx] = (uint8_t)U;
				map[l->offset[2] + cy * l->stride[2] + cx] = (uint8_t)V;
			} else {
				uint8_t *p = map + l->offset[1] + cy * l->stride[1] + cx * 2 * (size_t)bytes;
				bool swap = fourcc == DRM_FORMAT_NV21;
				put(p, swap ? V : U, depth);
				put(p + bytes, swap ? U : V, depth);
			}
		}
	}
}

/* A dmabuf of `size` bytes from /dev/udmabuf, with its memory mapped at *map. */
static int udmabuf(size_t size, uint8_t **map)
{
	long page = sysconf(_SC_PAGESIZE);
	size = (size + (size_t)page - 1) / (size_t)page * (size_t)page;
	int dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		fprintf(stderr, "no /dev/udmabuf here\n");
		exit(77);
	}
	int memfd = memfd_create("test-yuv-client", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (memfd < 0 || ftruncate(memfd, (off_t)size) != 0 ||
			fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK) != 0) {
		perror("memfd");
		exit(1);
	}
	*map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	struct udmabuf_create create = {
		.memfd = (uint32_t)memfd, .flags = UDMABUF_FLAGS_CLOEXEC, .offset = 0,
		.size = size,
	};
	int fd = ioctl(dev, UDMABUF_CREATE, &create);
	if (*map == MAP_FAILED || fd < 0) {
		perror("udmabuf");
		exit(1);
	}
	close(dev);
	close(memfd);
	return fd;
}

/*
 * A dumb buffer of the DRM card `path` tall enough for every plane, as a
 * read-write dmabuf, mapped at *map; *pitch receives its row length.
 */
static int dumb_buffer(const char *path, uint32_t fourcc, uint8_t **map, uint32_t *pitch)
{
	int card = open(path, O_RDWR | O_CLOEXEC);
	if (card < 0) {
		fprintf(stderr, "cannot open %s\n", path);
		exit(77);
	}
	// One row of samples per pixel row: 16 bits for YUYV and P010, else 8;
	// 4:2:0 chroma adds half the rows.
	bool is_420 = fourcc != DRM_FORMAT_YUYV;
	struct drm_mode_create_dumb create = {
		.width = YUV_PATTERN_SIZE,
		.height = is_420 ? YUV_PATTERN_SIZE * 3 / 2 : YUV_PATTERN_SIZE,
		.bpp = fourcc == DRM_FORMAT_YUYV || fourcc == DRM_FORMAT_P010 ? 16 : 8,
	};
	if (drmIoctl(card, DRM_IOCTL_MODE_CREATE_DUMB, &create) != 0) {
		perror("DRM_IOCTL_MODE_CREATE_DUMB");
		exit(1);
	}
	struct drm_mode_map_dumb map_req = { .handle = create.handle };
	int fd = -1;
	if (drmIoctl(card, DRM_IOCTL_MODE_MAP_DUMB, &map_req) != 0 ||
			drmPrimeHandleToFD(card, create.handle, DRM_CLOEXEC | DRM_RDWR, &fd) != 0) {
		perror("dumb buffer export");
		exit(1);
	}
	*map = mmap(NULL, create.size, PROT_READ | PROT_WRITE, MAP_SHARED, card,
		(off_t)map_req.offset);
	if (*map == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	*pitch = create.pitch;
	// The dmabuf keeps the buffer; the card's fd may go.
	close(card);
	return fd;
}

int main(int argc, char *argv[])
{
	struct client c = { 0 };
	const char *name = argc > 1 ? argv[1] : "";
	static const struct { const char *name; uint32_t fourcc; } formats[] = {
		{ "NV12", DRM_FORMAT_NV12 }, { "NV21", DRM_FORMAT_NV21 },
		{ "YUV420", DRM_FORMAT_YUV420 }, { "YUYV", DRM_FORMAT_YUYV },
		{ "P010", DRM_FORMAT_P010 },
	};
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (strcmp(name, formats[i].name) == 0) {
			c.fourcc = formats[i].fourcc;
		}
	}
	struct layout l;
	if (c.fourcc == 0 || !layout_for(c.fourcc, 0, &l)) {
		fprintf(stderr, "usage: test-yuv-client NV12|NV21|YUV420|YUYV|P010 "
			"[udmabuf|/dev/dri/cardN]\n");
		return 1;
	}
	const char *source = argc > 2 ? argv[2] : "udmabuf";
	uint8_t *map;
	int fd;
	if (strcmp(source, "udmabuf") == 0) {
		fd = udmabuf(l.size, &map);
	} else {
		uint32_t pitch;
		fd = dumb_buffer(source, c.fourcc, &map, &pitch);
		layout_for(c.fourcc, pitch, &l);
	}
	fill(c.fourcc, &l, map);

	struct wl_display *display = wl_display_connect(NULL);
	if (display == NULL) {
		fprintf(stderr, "cannot connect to the compositor\n");
		return 1;
	}
	struct wl_registry *registry = wl_display_get_registry(display);
	wl_registry_add_listener(registry, &registry_listener, &c);
	wl_display_roundtrip(display);
	wl_display_roundtrip(display);
	if (c.compositor == NULL || c.wm_base == NULL || c.dmabuf == NULL) {
		fprintf(stderr, "the compositor lacks wl_compositor, xdg_wm_base or "
			"zwp_linux_dmabuf_v1 v3\n");
		return 1;
	}
	if (!c.offered) {
		fprintf(stderr, "%s with the LINEAR modifier is not offered\n", name);
		return 3;
	}
	struct zwp_linux_buffer_params_v1 *params = zwp_linux_dmabuf_v1_create_params(c.dmabuf);
	zwp_linux_buffer_params_v1_add_listener(params, &params_listener, &c);
	for (int i = 0; i < l.n_planes; i++) {
		zwp_linux_buffer_params_v1_add(params, fd, (uint32_t)i, l.offset[i], l.stride[i],
			(uint32_t)(DRM_FORMAT_MOD_LINEAR >> 32),
			(uint32_t)(DRM_FORMAT_MOD_LINEAR & 0xffffffff));
	}
	struct wl_buffer *buffer = zwp_linux_buffer_params_v1_create_immed(params,
		YUV_PATTERN_SIZE, YUV_PATTERN_SIZE, c.fourcc, 0);

	struct wl_surface *surface = wl_compositor_create_surface(c.compositor);
	struct xdg_surface *xdg_surface = xdg_wm_base_get_xdg_surface(c.wm_base, surface);
	xdg_surface_add_listener(xdg_surface, &surface_listener, &c);
	struct xdg_toplevel *toplevel = xdg_surface_get_toplevel(xdg_surface);
	xdg_toplevel_set_title(toplevel, name);
	wl_surface_commit(surface);
	while (!c.configured && !c.failed && wl_display_dispatch(display) != -1) {
	}
	if (c.failed || wl_display_get_error(display) != 0) {
		fprintf(stderr, "the compositor refused the %s buffer\n", name);
		return 4;
	}
	wl_surface_attach(surface, buffer, 0, 0);
	wl_surface_damage(surface, 0, 0, YUV_PATTERN_SIZE, YUV_PATTERN_SIZE);
	wl_surface_commit(surface);
	fprintf(stderr, "showing a %dx%d %s buffer from %s\n", YUV_PATTERN_SIZE, YUV_PATTERN_SIZE,
		name, source);
	while (wl_display_dispatch(display) != -1) {
	}
	int error = wl_display_get_error(display);
	if (error != 0 && error != EPIPE && error != ECONNRESET) {
		fprintf(stderr, "the compositor refused the %s buffer (error %d)\n", name, error);
		return 4;
	}
	return 0;
}
