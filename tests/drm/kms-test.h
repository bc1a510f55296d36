#ifndef MOSAIC_TESTS_DRM_KMS_TEST_H
#define MOSAIC_TESTS_DRM_KMS_TEST_H

/*
 * KMS helpers of the DRM tests inside the test VM: vkms' CRTC, output,
 * writeback connector and primary plane, framebuffers for mosaic buffers,
 * and one atomic commit that shows a frame and captures it.
 */
#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include <xf86drm.h>
#include <xf86drmMode.h>
#include <drm_fourcc.h>

#include "drm-test.h"

struct kms {
	int fd;
	uint32_t crtc, connector, writeback, plane;
	drmModeModeInfo mode;
	/* What the primary plane can show (IN_FORMATS). */
	struct mosaic_format_set plane_formats;
};

static struct kms kms = { .fd = -1 };

/* A property's id, or its current value with `value` set. */
static uint64_t get_prop(uint32_t obj, uint32_t type, const char *name, bool value)
{
	drmModeObjectProperties *props = drmModeObjectGetProperties(kms.fd, obj, type);
	uint64_t out = 0;
	bool found = false;
	for (uint32_t i = 0; props != NULL && i < props->count_props && !found; i++) {
		drmModePropertyRes *p = drmModeGetProperty(kms.fd, props->props[i]);
		if (p != NULL && strcmp(p->name, name) == 0) {
			out = value ? props->prop_values[i] : p->prop_id;
			found = true;
		}
		drmModeFreeProperty(p);
	}
	drmModeFreeObjectProperties(props);
	if (!found) {
		fail_msg("object %u has no property %s", obj, name);
	}
	return out;
}

static void add(drmModeAtomicReq *req, uint32_t obj, uint32_t type, const char *name,
	uint64_t value)
{
	assert_true(drmModeAtomicAddProperty(req, obj, (uint32_t)get_prop(obj, type, name, false),
		value) > 0);
}

static void read_plane_formats(void)
{
	mosaic_format_set_init(&kms.plane_formats);
	uint64_t blob_id = get_prop(kms.plane, DRM_MODE_OBJECT_PLANE, "IN_FORMATS", true);
	drmModePropertyBlobRes *blob = drmModeGetPropertyBlob(kms.fd, (uint32_t)blob_id);
	assert_non_null(blob);
	drmModeFormatModifierIterator iter = {0};
	while (drmModeFormatModifierBlobIterNext(blob, &iter)) {
		assert_true(mosaic_format_set_add(&kms.plane_formats, iter.fmt, iter.mod));
	}
	drmModeFreePropertyBlob(blob);
}

static bool find_vkms(void)
{
	struct mosaic_drm_device *devices;
	int n = mosaic_drm_list_devices(MOSAIC_DRM_LIST_KMS_ONLY | MOSAIC_DRM_LIST_IGNORE_ENV,
		&devices);
	for (int i = 0; i < n && kms.fd < 0; i++) {
		if (strcmp(devices[i].driver, "vkms") == 0) {
			kms.fd = mosaic_drm_device_open(&devices[i], MOSAIC_DRM_NODE_PRIMARY);
		}
	}
	mosaic_drm_devices_free(devices);
	return kms.fd >= 0;
}

/* Finds CRTC, connector, writeback connector and primary plane; fails the test without them. */
static int kms_setup(void **state)
{
	assert_int_equal(drmSetClientCap(kms.fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1), 0);
	assert_int_equal(drmSetClientCap(kms.fd, DRM_CLIENT_CAP_ATOMIC, 1), 0);
	assert_int_equal(drmSetClientCap(kms.fd, DRM_CLIENT_CAP_WRITEBACK_CONNECTORS, 1), 0);
	drmModeRes *res = drmModeGetResources(kms.fd);
	assert_non_null(res);
	assert_true(res->count_crtcs > 0);
	kms.crtc = res->crtcs[0];
	for (int i = 0; i < res->count_connectors; i++) {
		drmModeConnector *c = drmModeGetConnector(kms.fd, res->connectors[i]);
		assert_non_null(c);
		if (c->connector_type == DRM_MODE_CONNECTOR_WRITEBACK) {
			kms.writeback = c->connector_id;
		} else if (kms.connector == 0 && c->connection == DRM_MODE_CONNECTED &&
				c->count_modes > 0) {
			kms.connector = c->connector_id;
			kms.mode = c->modes[0];
			for (int m = 0; m < c->count_modes; m++) {
				if (c->modes[m].type & DRM_MODE_TYPE_PREFERRED) {
					kms.mode = c->modes[m];
				}
			}
		}
		drmModeFreeConnector(c);
	}
	drmModeFreeResources(res);
	drmModePlaneRes *planes = drmModeGetPlaneResources(kms.fd);
	assert_non_null(planes);
	for (uint32_t i = 0; i < planes->count_planes && kms.plane == 0; i++) {
		if (get_prop(planes->planes[i], DRM_MODE_OBJECT_PLANE, "type", true) ==
				DRM_PLANE_TYPE_PRIMARY) {
			kms.plane = planes->planes[i];
		}
	}
	drmModeFreePlaneResources(planes);
	if (kms.connector == 0 || kms.writeback == 0 || kms.plane == 0) {
		fail_msg("vkms without connector (%u), writeback connector (%u) or primary "
			"plane (%u)", kms.connector, kms.writeback, kms.plane);
	}
	read_plane_formats();
	print_message("vkms: mode %s, %zu formats on the primary plane\n", kms.mode.name,
		kms.plane_formats.n_formats);
	return 0;
}

static int kms_teardown(void **state)
{
	mosaic_format_set_finish(&kms.plane_formats);
	return 0;
}

/*
 * A framebuffer for one-plane dmabuf `a`, with its modifier where it has one.
 * A dmabuf of another device becomes a GEM handle of kms.fd that the
 * framebuffer keeps: `close_handle` drops ours. A buffer of an allocator
 * created on kms.fd shares kms.fd's open file and its own handle: not ours
 * to close.
 */
static uint32_t add_fb_dmabuf(const struct mosaic_dmabuf_attributes *a, bool close_handle)
{
	uint32_t handles[4] = {0}, pitches[4] = {0}, offsets[4] = {0};
	uint64_t modifiers[4] = {0};
	assert_int_equal(a->n_planes, 1);
	assert_int_equal(drmPrimeFDToHandle(kms.fd, a->fd[0], &handles[0]), 0);
	pitches[0] = a->stride[0];
	offsets[0] = a->offset[0];
	modifiers[0] = a->modifier;
	uint32_t fb = 0;
	int r = a->modifier == DRM_FORMAT_MOD_INVALID ?
		drmModeAddFB2(kms.fd, (uint32_t)a->width, (uint32_t)a->height, a->fourcc, handles,
			pitches, offsets, &fb, 0) :
		drmModeAddFB2WithModifiers(kms.fd, (uint32_t)a->width, (uint32_t)a->height,
			a->fourcc, handles, pitches, offsets, modifiers, &fb,
			DRM_MODE_FB_MODIFIERS);
	if (r != 0) {
		fail_msg("drmModeAddFB2: %s", strerror(-r));
	}
	if (close_handle) {
		drmCloseBufferHandle(kms.fd, handles[0]);
	}
	return fb;
}

/* A framebuffer for a buffer of an allocator created on kms.fd. */
static uint32_t add_fb(struct mosaic_buffer *buffer)
{
	struct mosaic_dmabuf_attributes a;
	assert_true(mosaic_buffer_get_dmabuf(buffer, &a));
	return add_fb_dmabuf(&a, false);
}

/* Shows `frame` and captures the CRTC into `capture` in one atomic commit. */
static void show_and_capture(uint32_t frame_fb, uint32_t capture_fb)
{
	int w = kms.mode.hdisplay, h = kms.mode.vdisplay;
	uint32_t mode_blob;
	assert_int_equal(drmModeCreatePropertyBlob(kms.fd, &kms.mode, sizeof(kms.mode),
		&mode_blob), 0);
	int32_t fence = -1;
	drmModeAtomicReq *req = drmModeAtomicAlloc();
	assert_non_null(req);
	const uint32_t CRTC = DRM_MODE_OBJECT_CRTC, CONN = DRM_MODE_OBJECT_CONNECTOR,
		PLANE = DRM_MODE_OBJECT_PLANE;
	add(req, kms.crtc, CRTC, "MODE_ID", mode_blob);
	add(req, kms.crtc, CRTC, "ACTIVE", 1);
	add(req, kms.connector, CONN, "CRTC_ID", kms.crtc);
	add(req, kms.plane, PLANE, "FB_ID", frame_fb);
	add(req, kms.plane, PLANE, "CRTC_ID", kms.crtc);
	add(req, kms.plane, PLANE, "SRC_X", 0);
	add(req, kms.plane, PLANE, "SRC_Y", 0);
	add(req, kms.plane, PLANE, "SRC_W", (uint64_t)w << 16);
	add(req, kms.plane, PLANE, "SRC_H", (uint64_t)h << 16);
	add(req, kms.plane, PLANE, "CRTC_X", 0);
	add(req, kms.plane, PLANE, "CRTC_Y", 0);
	add(req, kms.plane, PLANE, "CRTC_W", (uint64_t)w);
	add(req, kms.plane, PLANE, "CRTC_H", (uint64_t)h);
	add(req, kms.writeback, CONN, "CRTC_ID", kms.crtc);
	add(req, kms.writeback, CONN, "WRITEBACK_FB_ID", capture_fb);
	add(req, kms.writeback, CONN, "WRITEBACK_OUT_FENCE_PTR", (uint64_t)(uintptr_t)&fence);
	if (drmModeAtomicCommit(kms.fd, req, DRM_MODE_ATOMIC_ALLOW_MODESET, NULL) != 0) {
		// Stock 6.1 vkms: the output and writeback encoders are no clones.
		fail_msg("atomic commit (output + writeback) failed: %s (is vkms built with "
			"tests/vm/vkms-possible-clones.patch?)", strerror(errno));
	}
	drmModeAtomicFree(req);
	drmModeDestroyPropertyBlob(kms.fd, mode_blob);
	assert_true(fence >= 0);
	struct pollfd pfd = { .fd = fence, .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, 10000), 1);
	close(fence);
}

#endif
