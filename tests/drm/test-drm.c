/*
 * DRM device enumeration, MOSAIC_DRM_DEVICE, flags, format negotiation and
 * allocator choice: everything that needs no DRM node. Runs anywhere; on a
 * machine with DRM devices it checks that the list is consistent instead of
 * empty.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include "drm-test.h"

static bool have_dri(void)
{
	return access("/dev/dri", F_OK) == 0;
}

static void test_list(void **state)
{
	struct mosaic_drm_device *devices = (void *)1;
	unsetenv("MOSAIC_DRM_DEVICE");
	int n = mosaic_drm_list_devices(0, &devices);
	assert_true(n >= 0);
	if (!have_dri()) {
		assert_int_equal(n, 0);
		assert_null(devices);
	}
	for (int i = 0; i < n; i++) {
		const struct mosaic_drm_device *d = &devices[i];
		assert_true(d->primary_node[0] != '\0' || d->render_node[0] != '\0');
		assert_non_null(mosaic_drm_bus_name(d->bus));
		struct stat st;
		if (d->primary_node[0] != '\0') {
			assert_int_equal(stat(d->primary_node, &st), 0);
			assert_true(st.st_rdev == d->primary_dev);
			assert_true(mosaic_drm_device_has_dev(d, st.st_rdev));
		}
		if (d->bus != MOSAIC_DRM_BUS_PCI) {
			assert_int_equal(d->pci_vendor, 0);
			assert_false(d->boot_vga);
		}
		// The boot VGA device comes first.
		assert_true(i == 0 || !d->boot_vga);
	}
	mosaic_drm_devices_free(devices);
	mosaic_drm_devices_free(NULL);
}

/* Registered only where there is no /dev/dri (see main). */
static void test_no_device(void **state)
{
	unsetenv("MOSAIC_DRM_DEVICE");
	assert_int_equal(mosaic_drm_open_default(MOSAIC_DRM_NODE_RENDER), -ENODEV);
	assert_int_equal(mosaic_drm_open_default(MOSAIC_DRM_NODE_PRIMARY), -ENODEV);

	// No device: the allocator is shared memory, whatever the renderer.
	struct mosaic_renderer *renderer = mosaic_pixman_renderer_create();
	assert_non_null(renderer);
	struct mosaic_allocator *allocator = mosaic_allocator_autocreate(renderer, -1);
	assert_non_null(allocator);
	assert_int_equal(mosaic_allocator_get_buffer_caps(allocator),
		MOSAIC_BUFFER_CAP_DATA_PTR | MOSAIC_BUFFER_CAP_SHM);
	mosaic_allocator_destroy(allocator);
	mosaic_renderer_destroy(renderer);
}

static int n_no_device_lines;

static void count_no_device(enum mosaic_log level, const char *msg, void *user_data)
{
	n_no_device_lines += strstr(msg, "no DRM device found") != NULL;
}

/* In a fresh process (the flag is per process): how often it is said. */
static int count_no_device_lines(void)
{
	unsetenv("MOSAIC_DRM_DEVICE");
	mosaic_log_init(MOSAIC_LOG_INFO, count_no_device, NULL);
	struct mosaic_drm_device *devices;
	for (int i = 0; i < 3; i++) {
		mosaic_drm_list_devices(0, &devices);
		mosaic_drm_open_default(MOSAIC_DRM_NODE_RENDER);
	}
	return n_no_device_lines;
}

/* "No DRM device" is normal: said once per process, at INFO, not on every call. */
static void test_no_device_logged_once(void **state)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl("/proc/self/exe", "test-drm", "--count-no-device-lines", (char *)NULL);
		_exit(127);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
}

static void test_flags(void **state)
{
	struct mosaic_drm_device *devices = (void *)1;
	test_log_reset();
	assert_int_equal(mosaic_drm_list_devices(1u << 31, &devices), -EINVAL);
	assert_null(devices);
	assert_logged("unknown flags 0x80000000");
	assert_int_equal(mosaic_drm_list_devices(1u << 3, &devices), -EINVAL);

	// Every known flag combination is accepted.
	for (uint32_t flags = 0; flags < 8; flags++) {
		int n = mosaic_drm_list_devices(flags, &devices);
		assert_true(n >= 0);
		for (int i = 0; i < n; i++) {
			if (flags & MOSAIC_DRM_LIST_KMS_ONLY) {
				assert_true(devices[i].kms);
			}
			if (flags & MOSAIC_DRM_LIST_RENDER_ONLY) {
				assert_true(devices[i].render_node[0] != '\0');
			}
		}
		mosaic_drm_devices_free(devices);
	}
}

static int list_with_env(const char *value, uint32_t flags)
{
	struct mosaic_drm_device *devices = (void *)1;
	setenv("MOSAIC_DRM_DEVICE", value, 1);
	test_log_reset();
	int n = mosaic_drm_list_devices(flags, &devices);
	unsetenv("MOSAIC_DRM_DEVICE");
	if (n <= 0) {
		assert_null(devices);
	}
	mosaic_drm_devices_free(devices);
	return n;
}

static void test_env_override(void **state)
{
	assert_int_equal(list_with_env("dri/card0", 0), -EINVAL);
	assert_logged("give an absolute path");
	assert_int_equal(list_with_env("/nonexistent/card0", 0), -ENOENT);
	assert_logged("/nonexistent/card0");
	// A bare name is looked up in /dev/dri.
	assert_int_equal(list_with_env("card4095", 0), -ENOENT);
	assert_logged("/dev/dri/card4095");
	// A file, and a character device that is not DRM.
	assert_int_equal(list_with_env("/", 0), -ENODEV);
	assert_logged("is not a DRM node");
	assert_int_equal(list_with_env("/dev/null", 0), -ENODEV);
	assert_logged("/dev/null is not a DRM node");

	char long_path[200];
	memset(long_path, 'a', sizeof(long_path) - 1);
	long_path[0] = '/';
	long_path[sizeof(long_path) - 1] = '\0';
	assert_int_equal(list_with_env(long_path, 0), -EINVAL);
	assert_logged("too long");

	// Empty means unset; IGNORE_ENV does not even look.
	assert_true(list_with_env("", 0) >= 0);
	assert_true(list_with_env("/dev/null", MOSAIC_DRM_LIST_IGNORE_ENV) >= 0);

	setenv("MOSAIC_DRM_DEVICE", "/dev/null", 1);
	assert_int_equal(mosaic_drm_open_default(MOSAIC_DRM_NODE_RENDER), -ENODEV);
	unsetenv("MOSAIC_DRM_DEVICE");
}

static void test_device_from_fd(void **state)
{
	struct mosaic_drm_device dev;
	test_log_reset();
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(mosaic_drm_device_from_fd(fd, &dev), -ENODEV);
	assert_logged("is not a DRM node");
	close(fd);
	assert_int_equal(mosaic_drm_device_from_fd(-1, &dev), -EBADF);
	assert_false(mosaic_drm_device_has_dev(&(struct mosaic_drm_device){0}, 0));
}

static void test_bus_names(void **state)
{
	assert_string_equal(mosaic_drm_bus_name(MOSAIC_DRM_BUS_PCI), "pci");
	assert_string_equal(mosaic_drm_bus_name(MOSAIC_DRM_BUS_PLATFORM), "platform");
	assert_string_equal(mosaic_drm_bus_name(MOSAIC_DRM_BUS_UNKNOWN), "unknown");
	assert_null(mosaic_drm_bus_name((enum mosaic_drm_bus)99));
}

static void test_pixman_dmabuf_formats(void **state)
{
	struct mosaic_renderer *r = mosaic_pixman_renderer_create();
	assert_non_null(r);
	assert_true(mosaic_renderer_get_features(r) & MOSAIC_FEATURE_DMABUF_IMPORT);
	const uint32_t caps[] = { MOSAIC_BUFFER_CAP_DMABUF, MOSAIC_BUFFER_CAP_DATA_PTR };
	for (size_t c = 0; c < 2; c++) {
		const struct mosaic_format_set *sets[] = {
			mosaic_renderer_get_texture_formats(r, caps[c]),
			mosaic_renderer_get_render_formats(r, caps[c]),
		};
		for (size_t s = 0; s < 2; s++) {
			size_t n, n_listed = 0;
			const struct mosaic_format_info *infos = mosaic_format_get_all(&n);
			for (size_t i = 0; i < n; i++) {
				// YUV: converted from dmabufs only, never rendered to.
				bool listed = !infos[i].is_yuv || (c == 0 && s == 0);
				const struct mosaic_format *f =
					mosaic_format_set_get(sets[s], infos[i].fourcc);
				if (!listed) {
					assert_null(f);
					continue;
				}
				n_listed++;
				// Linear only: the CPU cannot read tiled or implicit layouts.
				assert_non_null(f);
				assert_int_equal(f->n_modifiers, 1);
				assert_true(f->modifiers[0] == DRM_FORMAT_MOD_LINEAR);
			}
			assert_int_equal(sets[s]->n_formats, n_listed);
		}
	}
	mosaic_renderer_destroy(r);
}

static void test_negotiation(void **state)
{
	struct mosaic_renderer *r = mosaic_pixman_renderer_create();
	struct mosaic_allocator *shm = mosaic_shm_allocator_create();
	assert_non_null(r);
	assert_non_null(shm);

	// No constraints: what the renderer renders into, for the allocator's buffers.
	struct mosaic_format_set out;
	mosaic_format_set_init(&out);
	assert_true(mosaic_allocator_negotiate_formats(shm, r, NULL, &out));
	const struct mosaic_format_set *render =
		mosaic_renderer_get_render_formats(r, MOSAIC_BUFFER_CAP_DATA_PTR);
	assert_int_equal(out.n_formats, render->n_formats);

	// A KMS plane offering XRGB8888 linear and tiled, and NV12.
	struct mosaic_format_set plane;
	mosaic_format_set_init(&plane);
	assert_true(mosaic_format_set_add(&plane, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR));
	assert_true(mosaic_format_set_add(&plane, DRM_FORMAT_XRGB8888,
		I915_FORMAT_MOD_X_TILED));
	assert_true(mosaic_format_set_add(&plane, DRM_FORMAT_NV12, DRM_FORMAT_MOD_LINEAR));
	assert_true(mosaic_allocator_negotiate_formats(shm, r, &plane, &out));
	assert_int_equal(out.n_formats, 1);
	assert_true(mosaic_format_set_has(&out, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR));
	const struct mosaic_format *f = mosaic_format_set_get(&out, DRM_FORMAT_XRGB8888);
	assert_int_equal(f->n_modifiers, 1);

	// The buffer made from the result has the negotiated format.
	struct mosaic_buffer *b = mosaic_allocator_create_buffer(shm, 32, 16, f->fourcc,
		f->modifiers, f->n_modifiers);
	assert_non_null(b);
	mosaic_buffer_drop(b);

	// Nothing in common is an empty set, not a failure.
	mosaic_format_set_finish(&plane);
	assert_true(mosaic_format_set_add(&plane, DRM_FORMAT_XRGB8888,
		I915_FORMAT_MOD_Y_TILED));
	assert_true(mosaic_allocator_negotiate_formats(shm, r, &plane, &out));
	assert_int_equal(out.n_formats, 0);

	mosaic_format_set_finish(&plane);
	mosaic_format_set_finish(&out);
	mosaic_allocator_destroy(shm);
	mosaic_renderer_destroy(r);
}

static void test_autocreate_bad_input(void **state)
{
	test_log_reset();
	assert_null(mosaic_allocator_autocreate(NULL, -1));
	assert_logged("no renderer");

	// An fd that is no DRM device cannot back a dumb or GBM allocator.
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	test_log_reset();
	assert_null(mosaic_drm_dumb_allocator_create(fd));
	assert_logged("no DRM device with dumb buffers");
	close(fd);
	test_log_reset();
	assert_null(mosaic_gbm_allocator_create(-1));
	assert_logged("invalid DRM fd");
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--count-no-device-lines") == 0) {
		return count_no_device_lines();
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_env_override),
		cmocka_unit_test(test_device_from_fd),
		cmocka_unit_test(test_bus_names),
		cmocka_unit_test(test_pixman_dmabuf_formats),
		cmocka_unit_test(test_negotiation),
		cmocka_unit_test(test_autocreate_bad_input),
	};
	const struct CMUnitTest no_device_tests[] = {
		cmocka_unit_test(test_no_device),
		cmocka_unit_test(test_no_device_logged_once),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	// Where there are devices (a desktop, the test VM) test-drm-nodes checks them.
	if (have_dri()) {
		printf("/dev/dri exists: the checks for a machine without DRM devices do not "
			"apply\n");
	} else {
		failed += cmocka_run_group_tests(no_device_tests, NULL, NULL);
	}
	return failed;
}
