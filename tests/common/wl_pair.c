#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wl_pair.h"

static void shm_format(void *data, struct wl_shm *shm, uint32_t format)
{
	struct wl_pair *pair = data;
	if (pair->n_formats < (int)(sizeof(pair->formats) / sizeof(pair->formats[0]))) {
		pair->formats[pair->n_formats++] = format;
	}
}

static const struct wl_shm_listener shm_listener = { .format = shm_format };

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
	const char *interface, uint32_t version)
{
	struct wl_pair *pair = data;
	if (strcmp(interface, wl_shm_interface.name) == 0 && pair->shm == NULL) {
		pair->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
		wl_shm_add_listener(pair->shm, &shm_listener, pair);
	}
}

static void registry_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_remove,
};

static void handle_client_destroy(struct wl_listener *listener, void *data)
{
	struct wl_pair *pair = wl_container_of(listener, pair, client_destroy);
	wl_list_remove(&pair->client_destroy.link);
	pair->server_client = NULL;
}

bool wl_pair_init(struct wl_pair *pair, struct mosaic_renderer *renderer)
{
	*pair = (struct wl_pair){0};
	int fds[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
		return false;
	}
	pair->server = wl_display_create();
	pair->loop = wl_display_get_event_loop(pair->server);
	pair->global = mosaic_wl_shm_create(pair->server, renderer);
	pair->server_client = wl_client_create(pair->server, fds[0]);
	pair->client = wl_display_connect_to_fd(fds[1]);
	if (pair->global == NULL || pair->server_client == NULL || pair->client == NULL) {
		wl_pair_finish(pair);
		return false;
	}
	pair->client_destroy.notify = handle_client_destroy;
	wl_client_add_destroy_listener(pair->server_client, &pair->client_destroy);
	struct wl_registry *registry = wl_display_get_registry(pair->client);
	wl_registry_add_listener(registry, &registry_listener, pair);
	bool ok = wl_pair_roundtrip(pair) && wl_pair_roundtrip(pair) && pair->shm != NULL;
	wl_registry_destroy(registry);
	if (!ok) {
		wl_pair_finish(pair);
	}
	return ok;
}

static void sync_done(void *data, struct wl_callback *callback, uint32_t serial)
{
	*(bool *)data = true;
}

static const struct wl_callback_listener sync_listener = { .done = sync_done };

bool wl_pair_roundtrip(struct wl_pair *pair)
{
	if (pair->client == NULL || wl_display_get_error(pair->client) != 0) {
		return false;
	}
	bool done = false;
	struct wl_callback *callback = wl_display_sync(pair->client);
	wl_callback_add_listener(callback, &sync_listener, &done);
	// Bounded: a server that stopped answering fails the roundtrip in ~10 s.
	for (int i = 0; i < 1000 && !done; i++) {
		if (wl_display_flush(pair->client) < 0 && errno != EAGAIN) {
			break;
		}
		wl_event_loop_dispatch(pair->loop, 0);
		wl_display_flush_clients(pair->server);
		while (wl_display_prepare_read(pair->client) != 0) {
			wl_display_dispatch_pending(pair->client);
		}
		struct pollfd pfd = { .fd = wl_display_get_fd(pair->client), .events = POLLIN };
		if (poll(&pfd, 1, 10) > 0) {
			if (wl_display_read_events(pair->client) < 0) {
				break;
			}
		} else {
			wl_display_cancel_read(pair->client);
		}
		if (wl_display_dispatch_pending(pair->client) < 0) {
			break;
		}
	}
	wl_callback_destroy(callback);
	return done && wl_display_get_error(pair->client) == 0;
}

int wl_pair_client_error(struct wl_pair *pair, const char **interface)
{
	*interface = NULL;
	if (pair->client == NULL || wl_display_get_error(pair->client) != EPROTO) {
		return -1;
	}
	const struct wl_interface *iface = NULL;
	uint32_t id;
	uint32_t code = wl_display_get_protocol_error(pair->client, &iface, &id);
	*interface = iface != NULL ? iface->name : NULL;
	return (int)code;
}

struct wl_resource *wl_pair_resource(struct wl_pair *pair, void *proxy)
{
	if (pair->server_client == NULL || proxy == NULL) {
		return NULL;
	}
	return wl_client_get_object(pair->server_client, wl_proxy_get_id(proxy));
}

void wl_pair_disconnect(struct wl_pair *pair)
{
	if (pair->client != NULL) {
		wl_display_disconnect(pair->client);
		pair->client = NULL;
		pair->shm = NULL;
	}
	// The server sees the hangup on its next dispatch.
	for (int i = 0; i < 100 && pair->server_client != NULL; i++) {
		wl_event_loop_dispatch(pair->loop, 10);
	}
	if (pair->server_client != NULL) {
		wl_client_destroy(pair->server_client);
	}
}

void wl_pair_finish(struct wl_pair *pair)
{
	if (pair->client != NULL) {
		wl_display_disconnect(pair->client);
	}
	if (pair->server_client != NULL) {
		wl_list_remove(&pair->client_destroy.link);
	}
	if (pair->server != NULL) {
		wl_display_destroy_clients(pair->server);
		wl_display_destroy(pair->server);
	}
	*pair = (struct wl_pair){0};
}
