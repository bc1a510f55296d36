/*
 * mosaic-kms: start-up of the KMS example compositor.
 *
 *   mosaic-kms [--drm-device PATH] [--input /dev/input/eventN ...]
 *              [--renderer auto|pixman|vulkan|gles] [--socket NAME]
 *              [--screenshot FILE.png [--screenshot-delay MS]
 *              [--quit-after-screenshot]] [-- COMMAND ARGS...]
 *
 * The order of things: the DRM device (DRM master, atomic), the renderer on
 * it, our socket and the globals (the compositor core, examples/compositor),
 * the display (connector, mode, CRTC, plane), scanout buffers from mosaic's
 * allocator on the device, input, the client, then the loop until a signal
 * ends it. Run it as root from a text console (or over ssh), not inside
 * another compositor: it takes the display.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "kms.h"

#define MAX_INPUTS 16

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mosaic-kms [options] [-- COMMAND [ARGS...]]\n"
		"  --drm-device PATH        KMS device (default: the first with a connected\n"
		"                           connector); the renderer runs on it too\n"
		"  --input PATH             an input device (/dev/input/eventN), again for\n"
		"                           more; default: every device of the udev seat\n");
	server_usage(f);
}

int main(int argc, char *argv[])
{
	struct server server = {
		.output_make = "mosaic",
		.output_model = "kms",
	};
	struct server_config config = { .backend = MOSAIC_BACKEND_AUTO };
	char *inputs[MAX_INPUTS];
	int n_inputs = 0;

	static const struct option options[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		SERVER_LONG_OPTIONS,
		{ 0 },
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		int common = server_parse_option(&server, &config, opt, optarg);
		if (common < 0) {
			return 1;
		} else if (common > 0) {
			continue;
		}
		switch (opt) {
		case 'i':
			if (n_inputs == MAX_INPUTS) {
				fprintf(stderr, "at most %d --input devices\n", MAX_INPUTS);
				return 1;
			}
			inputs[n_inputs++] = optarg;
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

	// 0. Signals blocked before any driver thread exists (server.c says why).
	server_prepare();

	// 1. The device, and the renderer on it: a GPU renderer renders where it
	// scans out; pixman draws into dumb buffers of the device.
	int fd = display_open_device(config.drm_path);
	if (fd < 0) {
		return 1;
	}
	if (!server_create_renderer(&server, config.backend, fd)) {
		close(fd);
		return 1;
	}

	// 2. Our display, its socket and the globals.
	if (!server_init_display(&server, config.socket_name)) {
		mosaic_renderer_destroy(server.renderer);
		close(fd);
		return 1;
	}

	// 3. The connector, its mode and what drives it; the output is its size.
	struct display *display = display_create(&server, fd);
	if (display == NULL) {
		return 1;
	}
	display_get_size(display, &server.width, &server.height);
	server.output = &display_output_impl;
	server.output_data = display;

	// 4. Scanout buffers: mosaic's allocator for this renderer on this device
	// (GBM for a GPU renderer, dumb buffers for pixman). Shared memory, what
	// it picks where neither works, cannot be scanned out.
	server.allocator = mosaic_allocator_autocreate(server.renderer, fd);
	if (server.allocator == NULL || !(mosaic_allocator_get_buffer_caps(server.allocator) &
			MOSAIC_BUFFER_CAP_DMABUF)) {
		fprintf(stderr, "mosaic has no scanout buffers for the %s renderer on this "
			"device (neither GBM nor dumb buffers)\n",
			mosaic_backend_name(mosaic_renderer_get_backend(server.renderer)));
		return 1;
	}

	// 5. The output buffers and the first frame, then input (its cursor is
	// drawn over every frame).
	if (!output_init(&server)) {
		return 1;
	}
	struct input *input = input_create(&server, inputs, n_inputs);
	if (input == NULL) {
		return 1;
	}
	display_set_input(display, input);

	// 6. The loop, with the client inside; SIGINT and SIGTERM end it.
	fprintf(stderr, "serving WAYLAND_DISPLAY=%s (%dx%d, kms)\n", server.socket, server.width,
		server.height);
	bool ok = server_run(&server, command);

	display_restore(display);
	server_finish_output(&server);
	input_destroy(input);
	display_destroy(display);
	int status = server_destroy(&server);
	close(fd);
	return ok ? status : 1;
}
