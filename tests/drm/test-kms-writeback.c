/*
 * KMS smoke test, inside the test VM: the pixman renderer draws a frame into
 * a buffer from the allocator mosaic picks for it (dumb buffers), then into a
 * GBM buffer; each frame is shown on vkms with an atomic commit that also
 * captures the CRTC through the writeback connector, and the capture must
 * equal the frame. Skips (77) where there is no vkms.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

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

static int setup(void **state)
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

static int teardown(void **state)
{
	mosaic_format_set_finish(&kms.plane_formats);
	return 0;
}

/* A framebuffer for a buffer of an allocator created on kms.fd. */
static uint32_t add_fb(struct mosaic_buffer *buffer)
{
	struct mosaic_dmabuf_attributes a;
	assert_true(mosaic_buffer_get_dmabuf(buffer, &a));
	// The allocator's fd shares kms.fd's open file, so this is its own GEM
	// handle: not ours to close.
	uint32_t handles[4] = {0}, pitches[4] = {0}, offsets[4] = {0};
	assert_int_equal(drmPrimeFDToHandle(kms.fd, a.fd[0], &handles[0]), 0);
	pitches[0] = a.stride[0];
	offsets[0] = a.offset[0];
	uint32_t fb = 0;
	int r = drmModeAddFB2(kms.fd, (uint32_t)a.width, (uint32_t)a.height, a.fourcc, handles,
		pitches, offsets, &fb, 0);
	if (r != 0) {
		fail_msg("drmModeAddFB2: %s", strerror(-r));
	}
	return fb;
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

static void draw_frame(struct mosaic_renderer *r, struct mosaic_buffer *target, int seed)
{
	int w = target->width, h = target->height;
	static uint32_t pattern[64 * 64];
	for (int y = 0; y < 64; y++) {
		for (int x = 0; x < 64; x++) {
			// Premultiplied ARGB with alpha falling along y.
			uint32_t a = 255 - (uint32_t)y * 2;
			pattern[y * 64 + x] = a << 24 | ((uint32_t)x * 4 * a / 255) << 16 |
				((uint32_t)(x ^ y ^ seed) & 0x3f) * a / 255 << 8 | (a / 2);
		}
	}
	struct mosaic_texture *tex = mosaic_texture_from_pixels(r, 64, 64, DRM_FORMAT_ARGB8888,
		64 * 4, pattern);
	assert_non_null(tex);
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, target, NULL);
	assert_non_null(pass);
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 0, 0, w, h },
		.color = { 0.1f, 0.2f, 0.3f + 0.1f * (float)seed, 1.0f },
		.blend = MOSAIC_BLEND_NONE,
	}));
	assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
		.texture = tex,
		.dst_box = { w / 8, h / 8, w / 2, h / 2 },
		.transform = MOSAIC_TRANSFORM_90,
	}));
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { w / 2, h / 2, w / 3, h / 3 },
		.color = { 0.4f, 0.0f, 0.2f, 0.5f },
	}));
	assert_true(mosaic_pass_submit(pass, NULL));
	mosaic_texture_destroy(tex);
}

/* Every pixel of the capture equals the frame (the X byte aside). */
static void compare(struct mosaic_buffer *frame, struct mosaic_buffer *capture)
{
	struct mosaic_renderer *r = mosaic_pixman_renderer_create();
	struct mosaic_texture *a = mosaic_texture_from_buffer(r, frame);
	struct mosaic_texture *b = mosaic_texture_from_buffer(r, capture);
	assert_non_null(a);
	assert_non_null(b);
	int w = frame->width, h = frame->height;
	uint32_t *pa = calloc((size_t)w * (size_t)h, 4), *pb = calloc((size_t)w * (size_t)h, 4);
	assert_non_null(pa);
	assert_non_null(pb);
	struct mosaic_read_pixels_options opts = {
		.fourcc = DRM_FORMAT_XRGB8888,
		.stride = (uint32_t)w * 4,
	};
	opts.data = pa;
	assert_true(mosaic_texture_read_pixels(a, &opts));
	opts.data = pb;
	assert_true(mosaic_texture_read_pixels(b, &opts));
	int bad = 0, first = -1;
	uint32_t distinct = 0, last = 0;
	for (int i = 0; i < w * h; i++) {
		if ((pa[i] & 0xffffff) != (pb[i] & 0xffffff)) {
			if (first < 0) {
				first = i;
			}
			bad++;
		}
		distinct += (pa[i] & 0xffffff) != last;
		last = pa[i] & 0xffffff;
	}
	if (bad > 0) {
		fail_msg("%d of %d pixels differ; first at %d,%d: frame 0x%06x, capture 0x%06x",
			bad, w * h, first % w, first / w, pa[first] & 0xffffff, pb[first] & 0xffffff);
	}
	// The frame is not a flat color that a broken capture could match by chance.
	assert_true(distinct > 100);
	print_message("capture of %dx%d equals the frame\n", w, h);
	free(pa);
	free(pb);
	mosaic_texture_destroy(a);
	mosaic_texture_destroy(b);
	mosaic_renderer_destroy(r);
}

static void test_writeback(void **state)
{
	int w = kms.mode.hdisplay, h = kms.mode.vdisplay;
	struct mosaic_renderer *r = mosaic_pixman_renderer_create();
	assert_non_null(r);

	// What mosaic picks for pixman on a KMS device: dumb buffers.
	struct mosaic_allocator *dumb = mosaic_allocator_autocreate(r, kms.fd);
	assert_non_null(dumb);
	assert_int_equal(mosaic_allocator_get_buffer_caps(dumb),
		MOSAIC_BUFFER_CAP_DATA_PTR | MOSAIC_BUFFER_CAP_DMABUF);
	struct mosaic_allocator *gbm = mosaic_gbm_allocator_create(kms.fd);
	assert_non_null(gbm);

	// The formats pixman renders into that the plane can show.
	struct mosaic_format_set formats;
	mosaic_format_set_init(&formats);
	assert_true(mosaic_allocator_negotiate_formats(dumb, r, &kms.plane_formats, &formats));
	const struct mosaic_format *xrgb = mosaic_format_set_get(&formats, DRM_FORMAT_XRGB8888);
	assert_non_null(xrgb);
	assert_true(mosaic_format_set_has(&formats, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR));

	struct mosaic_allocator *frame_allocators[] = { dumb, gbm };
	const char *names[] = { "dumb", "GBM" };
	uint32_t shown_fb = 0;
	for (int i = 0; i < 2; i++) {
		struct mosaic_buffer *frame = mosaic_allocator_create_buffer(frame_allocators[i],
			w, h, xrgb->fourcc, xrgb->modifiers, xrgb->n_modifiers);
		struct mosaic_buffer *capture = mosaic_allocator_create_buffer(dumb, w, h,
			DRM_FORMAT_XRGB8888, NULL, 0);
		assert_non_null(frame);
		assert_non_null(capture);
		draw_frame(r, frame, i);
		uint32_t frame_fb = add_fb(frame), capture_fb = add_fb(capture);
		show_and_capture(frame_fb, capture_fb);
		print_message("%s frame: ", names[i]);
		compare(frame, capture);
		drmModeRmFB(kms.fd, capture_fb);
		mosaic_buffer_drop(capture);
		// The framebuffer keeps the frame's memory until it is replaced.
		mosaic_buffer_drop(frame);
		if (shown_fb != 0) {
			drmModeRmFB(kms.fd, shown_fb);
		}
		shown_fb = frame_fb;
	}
	drmModeRmFB(kms.fd, shown_fb);

	mosaic_format_set_finish(&formats);
	mosaic_allocator_destroy(gbm);
	mosaic_allocator_destroy(dumb);
	mosaic_renderer_destroy(r);
}

int main(void)
{
	if (!find_vkms()) {
		printf("no vkms DRM device (run inside the test VM: tests/vm/run.sh)\n");
		return TEST_SKIP;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writeback),
	};
	int failed = cmocka_run_group_tests(tests, setup, teardown);
	close(kms.fd);
	return failed;
}
