/*
 * mosaic-nested: start-up of the nested example compositor.
 *
 *   mosaic-nested [--headless] [--renderer auto|pixman|vulkan|gles] [--drm-device PATH]
 *                 [--size WxH]
 *                 [--socket NAME] [--screenshot FILE.png [--screenshot-delay MS]
 *                 [--quit-after-screenshot]] [-- COMMAND ARGS...]
 *
 * The order of things: pick a renderer (mosaic), open our socket, create the
 * globals clients see (the compositor core, examples/compositor), connect to
 * the parent (unless --headless), make the output buffers, start the client,
 * then run the loop until asked to stop.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parent.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mosaic-nested [options] [-- COMMAND [ARGS...]]\n"
		"  --headless               render offscreen, without a parent compositor\n"
		"  --drm-device PATH        DRM node the renderer runs on (/dev/dri/card0);\n"
		"                           linux-dmabuf is offered only with one\n"
		"  --size WxH               output size (default 1024x768; nested: the\n"
		"                           parent may choose another)\n");
	server_usage(f);
}

int main(int argc, char *argv[])
{
	struct server server = {
		.width = 1024,
		.height = 768,
		.output_make = "mosaic",
		.output_model = "nested",
	};
	struct server_config config = { .backend = MOSAIC_BACKEND_AUTO };
	bool headless = false;

	static const struct option options[] = {
		{ "headless", no_argument, NULL, 'H' },
		{ "size", required_argument, NULL, 's' },
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
		case 'H':
			headless = true;
			break;
		case 's':
			if (sscanf(optarg, "%dx%d", &server.width, &server.height) != 2 ||
					server.width <= 0 || server.height <= 0 ||
					server.width > MOSAIC_MAX_IMAGE_SIZE ||
					server.height > MOSAIC_MAX_IMAGE_SIZE) {
				fprintf(stderr, "invalid size %s (WxH)\n", optarg);
				return 1;
			}
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
	// The names wlroots gives the outputs of its Wayland and headless backends.
	server.output_name = headless ? "HEADLESS-1" : "WL-1";

	// 0. Signals blocked before any driver thread exists (server.c says why).
	server_prepare();

	// 1. The renderer, on the DRM device given, if any.
	int drm_fd = -1;
	if (config.drm_path != NULL) {
		struct mosaic_drm_device device;
		drm_fd = open(config.drm_path, O_RDWR | O_CLOEXEC);
		if (drm_fd < 0) {
			fprintf(stderr, "cannot open %s: %s\n", config.drm_path, strerror(errno));
			return 1;
		}
		if (mosaic_drm_device_from_fd(drm_fd, &device) != 0) {
			fprintf(stderr, "%s is no DRM node\n", config.drm_path);
			return 1;
		}
	}
	bool ok = server_create_renderer(&server, config.backend, drm_fd);
	if (drm_fd >= 0) {
		close(drm_fd);
	}
	if (!ok) {
		return 1;
	}

	// 2. Our own Wayland display, its socket and the globals.
	if (!server_init_display(&server, config.socket_name)) {
		mosaic_renderer_destroy(server.renderer);
		return 1;
	}

	// 3. The parent compositor, unless we run offscreen (no output hooks).
	struct parent *parent = NULL;
	if (!headless) {
		parent = parent_connect(&server, getenv("WAYLAND_DISPLAY"));
		if (parent == NULL) {
			return 1;
		}
		server.output = &parent_output_impl;
		server.output_data = parent;
	}

	// 4. The output buffers: dmabufs where the parent takes linux-dmabuf and
	// the renderer has a DRM device to allocate them on (GBM; dumb buffers
	// for pixman on a KMS node); otherwise shared memory, which every
	// renderer draws into and every parent compositor can show. The core
	// falls back to shared memory when the dmabufs cannot be made or shown.
	int n_modifiers = 0;
	if (parent != NULL) {
		parent_dmabuf_modifiers(parent, &n_modifiers);
	}
	if (n_modifiers > 0 && mosaic_renderer_get_drm_fd(server.renderer) >= 0) {
		server.allocator = mosaic_allocator_autocreate(server.renderer, -1);
		if (server.allocator != NULL && !(mosaic_allocator_get_buffer_caps(
				server.allocator) & MOSAIC_BUFFER_CAP_DMABUF)) {
			mosaic_allocator_destroy(server.allocator);
			server.allocator = NULL;
		}
	}
	if (server.allocator == NULL) {
		server.allocator = mosaic_shm_allocator_create();
		if (server.allocator == NULL) {
			return 1;
		}
	}
	// Then the first frame.
	if (!output_init(&server)) {
		return 1;
	}
	if (parent != NULL) {
		fprintf(stderr, "presenting to the parent through %s\n",
			mosaic_allocator_get_buffer_caps(server.allocator) &
			MOSAIC_BUFFER_CAP_DMABUF ? "linux-dmabuf" : "wl_shm");
	}

	// 5. The loop, with the client inside.
	fprintf(stderr, "serving WAYLAND_DISPLAY=%s (%dx%d, %s)\n", server.socket, server.width,
		server.height, headless ? "headless" : "nested");
	ok = server_run(&server, command);

	server_finish_output(&server);
	parent_destroy(parent);
	int status = server_destroy(&server);
	return ok ? status : 1;
}
