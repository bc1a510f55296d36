#ifndef COMPOSITOR_H
#define COMPOSITOR_H

/*
 * The compositor core shared by the example compositors (mosaic-nested,
 * mosaic-kms): everything that does not depend on where the output goes.
 *
 * It serves a Wayland socket to clients (wl_compositor, wl_subcompositor,
 * wl_shm, xdg_wm_base, zxdg_decoration_manager_v1, wl_seat, wl_output,
 * zxdg_output_manager_v1, wp_viewporter, wp_presentation,
 * wp_fractional_scale_manager_v1, linux-dmabuf where the renderer imports
 * dmabufs) and renders their windows into one output image with mosaic,
 * redrawing only the damage. Where that image goes, and where input comes
 * from, is the program's: it fills a struct output_impl with what is
 * specific to its output (a window of a parent compositor, a KMS connector)
 * and feeds input to the seat_* functions.
 *
 * Where to start reading:
 *   server.c   common options, the display and its socket, the event loop,
 *              launching a client
 *   surface.c  wl_surface state and commits: where client buffers meet mosaic
 *   region.c   wl_region
 *   tree.c     walks over a surface and its subsurfaces
 *   xdg.c      windows: xdg_wm_base, xdg_surface, the configure handshake,
 *              mapping, stacking, keyboard focus
 *   toplevel.c xdg_toplevel: window management (activation, maximize,
 *              fullscreen, minimize, placement, interactive move and resize)
 *   popup.c    xdg_positioner and xdg_popup: placement, grabs
 *   decoration.c  zxdg_decoration_manager_v1: decorations are the client's
 *   render.c   the frame: output buffers, damage tracking, one mosaic pass,
 *              frame callbacks, screenshots
 *   seat.c     wl_seat (input from the program)
 *   output.c   wl_output and xdg-output: what clients learn about the output
 *   presentation.c  wp_presentation: telling clients when a frame showed
 *              their content
 *   viewporter.c  wp_viewporter: cropping and scaling surfaces
 *   fractional_scale.c  wp_fractional_scale_v1: the scale to draw at
 *   png.c      writing a screenshot
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <pixman.h>
#include <wayland-server-core.h>

#include <mosaic/mosaic.h>
#include <mosaic/wayland.h>

#include <stdio.h>

struct server;
struct output_buffer;

/*
 * How deep a tree of subsurfaces may be (a window's surface is level 0);
 * toolkits use two or three levels. Deeper trees are a protocol error.
 */
#define COMPOSITOR_SUBSURFACE_DEPTH 32
/*
 * Positions in the output (and popup sizes) are clamped to this magnitude:
 * far off a screen, and small enough that a position plus a surface size or
 * another clamped position fits in an int. Clients may send any int32_t
 * (positioners, window geometry, subsurface positions); sums of those are
 * computed in 64 bits and clamped, never wrapped.
 */
#define COMPOSITOR_COORD_LIMIT (1 << 28)
/* The output's scale (wl_output.scale): its pixels are logical pixels. */
#define COMPOSITOR_OUTPUT_SCALE 1
/* How many frames may wait for the output to say they were shown (presentation.c). */
#define COMPOSITOR_FRAMES_IN_FLIGHT 8

static inline int compositor_coord(int64_t v)
{
	return v > COMPOSITOR_COORD_LIMIT ? COMPOSITOR_COORD_LIMIT :
		v < -COMPOSITOR_COORD_LIMIT ? -COMPOSITOR_COORD_LIMIT : (int)v;
}

/*
 * Each union copies the region: a client sending many scattered rectangles
 * would cost time quadratic in their number, stalling every client. Damage
 * past this many rectangles becomes its extents (more damage is always
 * correct); a wl_region past it is refused (no_memory).
 */
#define MAX_REGION_RECTS 1024

/* The double-buffered state of a wl_surface (pending, then current). */
struct surface_state {
	/* Set when the client attached something (a buffer or NULL). */
	bool attached;
	struct wl_resource *buffer;
	struct wl_listener buffer_destroy;
	int32_t dx, dy;
	/* Damage in surface coordinates and in buffer coordinates. */
	pixman_region32_t surface_damage;
	pixman_region32_t buffer_damage;
	pixman_region32_t input;
	int32_t scale;
	enum mosaic_transform transform;
	/*
	 * wp_viewport: the source rectangle in surface coordinates before the
	 * viewport (width -1: unset) and the destination size (-1: unset).
	 */
	struct mosaic_fbox viewport_src;
	int32_t viewport_dst_w, viewport_dst_h;
	/* wl_callback resources of wl_surface.frame. */
	struct wl_list frame_callbacks;
	/* wp_presentation_feedback resources for this content (presentation.c). */
	struct wl_list feedbacks;
};

enum surface_role {
	ROLE_NONE,
	ROLE_XDG,
	ROLE_SUBSURFACE,
};

struct surface {
	struct server *server;
	struct wl_resource *resource;
	struct wl_list link; /* server.surfaces */

	struct surface_state pending, current;
	/* mosaic's texture for this surface, fed by commits. */
	struct mosaic_surface_texture *texture;
	/* Size in surface coordinates (buffer size / scale, transformed). */
	int width, height;
	/* True once a commit brought a buffer that became a texture. */
	bool has_content;
	/* The current buffer's rows are bottom-up (linux-dmabuf Y_INVERT). */
	bool y_invert;
	/* The part of the texture shown, in texture pixels; empty: all of it. */
	struct mosaic_fbox src_box;
	/* The surface's wp_viewport, or NULL. */
	struct wl_resource *viewport;
	/* The surface's wp_fractional_scale_v1, or NULL. */
	struct wl_resource *fractional_scale;

	enum surface_role role;
	struct xdg_surface *xdg;
	struct subsurface *subsurface;
	/* struct subsurface.link: children drawn above this surface, bottom first. */
	struct wl_list children;
};

struct subsurface {
	struct wl_resource *resource;
	struct surface *surface, *parent;
	struct wl_list link; /* parent->children */
	int32_t x, y;
	int32_t pending_x, pending_y;
	/* Synchronized: commits wait in `cached` for the parent's commit. */
	bool synchronized;
	bool has_cache;
	struct surface_state cached;
};

enum xdg_role {
	XDG_ROLE_NONE,
	XDG_ROLE_TOPLEVEL,
	XDG_ROLE_POPUP,
};

/* What a toplevel is: what its configures ask for and its placement follows. */
enum window_mode {
	WINDOW_NORMAL,
	WINDOW_MAXIMIZED,
	WINDOW_FULLSCREEN,
};

/* An xdg_toplevel.configure sent, kept until its serial (or a later one) is acked. */
struct toplevel_configure {
	uint32_t serial;
	enum window_mode mode;
	bool resizing;
};

/* How many configures a toplevel may leave unacked before the oldest are forgotten. */
#define TOPLEVEL_CONFIGURES 16

/* The window management state of an xdg_toplevel (toplevel.c). */
struct toplevel {
	/* What the client asked for (set_maximized, set_fullscreen). */
	bool want_maximized, want_fullscreen;
	/* The mode the window is placed in: applied by the commit after an ack. */
	enum window_mode mode;
	/* Hidden by set_minimized: not drawn, not under the pointer, not focused. */
	bool minimized;
	/* The size normal configures ask for (0x0: the client chooses). */
	int32_t normal_width, normal_height;
	/* Where the window was before it was maximized or made fullscreen. */
	bool has_saved;
	int saved_x, saved_y;
	/* The configures sent and not acked yet, oldest first. */
	struct toplevel_configure sent[TOPLEVEL_CONFIGURES];
	int n_sent;
	/* The configure last acked, which the next commit applies. */
	bool ack_pending;
	struct toplevel_configure acked;
	/*
	 * An interactive resize: the edges dragged and the window's box when it
	 * started, so the opposite edges stay put as the size changes.
	 */
	uint32_t resize_edges;
	struct mosaic_box resize_box;
	/* set_min_size, set_max_size (0: no bound). */
	int32_t min_width, min_height, max_width, max_height;
	/* The zxdg_toplevel_decoration_v1, or NULL. */
	struct wl_resource *decoration;
};

/* An xdg_surface and its window (a toplevel or a popup). */
struct xdg_surface {
	struct server *server;
	struct wl_resource *resource;
	struct surface *surface;
	enum xdg_role role;
	struct wl_resource *role_resource;

	/* Configure handshake: a buffer may only come after an ack. */
	bool configured;
	bool initial_commit_done;
	uint32_t configure_serial;
	/*
	 * The last serial acked: the configures not acked yet are those in
	 * (acked_serial, configure_serial]; acking any other is invalid_serial.
	 */
	uint32_t acked_serial;
	bool configure_sent;

	/* The window geometry (xdg_surface.set_window_geometry), or empty. */
	struct mosaic_box geometry, pending_geometry;

	/* Where the window geometry's top-left sits in the output. */
	int x, y;
	bool mapped;
	/* server.windows, bottom first. */
	struct wl_list link;
	/* What it covered when last drawn, to damage when it moves or goes. */
	struct mosaic_box drawn_box;

	/* Popups: the parent window and the position relative to its geometry. */
	struct xdg_surface *parent;
	int popup_x, popup_y;
	/* A popup with an explicit grab (xdg_popup.grab), or one the grab dismissed. */
	bool grabbing, dismissed;
	char *title;
	struct toplevel toplevel;
};

/* An interactive move or resize: the pointer drives a window until the buttons go up. */
enum pointer_grab_kind {
	GRAB_NONE,
	GRAB_MOVE,
	GRAB_RESIZE,
};

struct pointer_grab {
	enum pointer_grab_kind kind;
	struct xdg_surface *window;
	/* The pointer and the window geometry's box in the output when it started. */
	double start_x, start_y;
	struct mosaic_box start_box;
	/* Resize: the edges dragged (enum xdg_toplevel_resize_edge), the size last asked. */
	uint32_t edges;
	int32_t width, height;
};

struct server {
	struct wl_display *display;
	struct wl_event_loop *loop;
	const char *socket;
	bool running;
	int exit_code;

	struct mosaic_renderer *renderer;
	struct mosaic_allocator *allocator;
	int width, height;

	struct wl_list surfaces;  /* struct surface.link */
	struct wl_list windows;   /* struct xdg_surface.link, bottom first */
	int n_toplevels_placed;

	/* Output: a few buffers we render into, with their age. */
	struct output_buffer *buffers;
	int n_buffers;
	/* Damage of the last frames, newest first, for buffer age. */
	pixman_region32_t damage_history[4];
	pixman_region32_t damage;
	struct wl_event_source *frame_timer;
	bool frame_pending;
	uint64_t frames;
	/*
	 * Frames handed to the output and those it reported (shown or not),
	 * with the presentation feedbacks of each one in flight, by number.
	 */
	uint64_t frames_queued, frames_reported;
	struct wl_list frame_feedbacks[COMPOSITOR_FRAMES_IN_FLIGHT];

	/* Input. */
	struct wl_list pointers;  /* wl_pointer resources */
	struct wl_list keyboards; /* wl_keyboard resources */
	struct wl_list seats;     /* wl_seat resources */
	struct wl_list outputs;   /* wl_output resources */
	struct wl_list xdg_outputs; /* zxdg_output_v1 resources */
	struct surface *pointer_focus;
	struct surface *keyboard_focus;
	uint32_t seat_caps;
	int keymap_fd;
	uint32_t keymap_size;
	uint32_t keymap_format;
	uint32_t mods[4];
	/* Where the pointer is in the output, and how many buttons are down. */
	double pointer_x, pointer_y;
	int buttons_down;
	/* The last button press and the client it went to (grabs need one). */
	uint32_t press_serial;
	struct wl_client *press_client;
	struct pointer_grab grab;
	/* The topmost popup with an explicit grab; its grabbing parents form the chain. */
	struct xdg_surface *popup_grab;
	/* The toplevel whose configures say "activated": the keyboard focus's window. */
	struct xdg_surface *activated;

	/* Screenshot: written after the first frame that shows every window. */
	const char *screenshot_path;
	int screenshot_delay_ms;
	bool screenshot_armed, screenshot_due, screenshot_done;
	bool quit_after_screenshot;
	struct wl_event_source *screenshot_timer;

	pid_t child;

	/* Where the output goes: the program's hooks and their data. */
	const struct output_impl *output;
	void *output_data;
	/* wl_output's make and model ("mosaic", "nested"). */
	const char *output_make, *output_model;
	/* wl_output's and xdg_output's name ("WL-1", "HEADLESS-1"; NULL: "MOSAIC-1"). */
	const char *output_name;
};

/* One buffer the output is rendered into. */
struct output_buffer {
	struct server *server;
	struct mosaic_buffer *buffer;
	/* Frames since it was last drawn into (0: never, contents unknown). */
	int age;
	/* The output's object for it (a parent's wl_buffer, a DRM framebuffer). */
	void *data;
	/* Set by the output while it shows or reads the buffer: no drawing into it. */
	bool busy;
};

/*
 * What is specific to an output. Every hook gets server->output_data; each
 * one may be NULL (an offscreen output has none at all).
 */
struct output_impl {
	/* The modifiers the output takes for XRGB8888 dmabufs; *n = 0: any. */
	const uint64_t *(*dmabuf_modifiers)(void *data, int *n);
	/* Makes what the output needs to show a new buffer; sets buffer->data. */
	bool (*wrap_buffer)(void *data, struct output_buffer *buffer);
	void (*unwrap_buffer)(void *data, struct output_buffer *buffer);
	/*
	 * True while the output cannot take another frame yet (the parent has
	 * not called back, a page flip is pending); the output calls
	 * output_render() when it can.
	 */
	bool (*frame_pending)(void *data);
	/*
	 * Shows the buffer, drawn complete; damage: what changed since the last
	 * one. The output then tells when the frame reached the screen (or that
	 * it never will) with output_frame_presented() or
	 * output_frame_discarded(), once per frame, in order. Without this hook
	 * a frame counts as shown once drawn.
	 */
	void (*present)(void *data, struct output_buffer *buffer,
		const pixman_region32_t *damage);
	/* Draws over the windows (a cursor), within clip. */
	void (*draw_overlay)(void *data, struct mosaic_pass *pass,
		const pixman_region32_t *clip);
	/*
	 * Writes the screenshot of the buffer just presented to
	 * server->screenshot_path; without this hook the buffer is read back
	 * through mosaic (output_write_screenshot()).
	 */
	bool (*screenshot)(void *data, struct output_buffer *buffer);
	/*
	 * Runs before the loop sleeps (sending what the output queued); false
	 * ends the loop.
	 */
	bool (*flush)(void *data);
	/*
	 * When buffers from a dmabuf allocator cannot be made or shown: true
	 * to retry with shared memory (a parent compositor takes wl_shm), false
	 * to fail (a display cannot scan out shared memory).
	 */
	bool shm_fallback;
	/* How many buffers to draw into, 2 at least (0: 3). */
	int n_buffers;
};

/* server.c */
/* What the options both programs take set, before the server starts. */
struct server_config {
	enum mosaic_backend backend;
	const char *drm_path;
	const char *socket_name;
};
/* Long options both programs take: their `val`s start at SERVER_OPTION_BASE. */
#define SERVER_OPTION_BASE 0x100
#define SERVER_LONG_OPTIONS \
	{ "renderer", required_argument, NULL, SERVER_OPTION_BASE + 0 }, \
	{ "drm-device", required_argument, NULL, SERVER_OPTION_BASE + 1 }, \
	{ "socket", required_argument, NULL, SERVER_OPTION_BASE + 2 }, \
	{ "screenshot", required_argument, NULL, SERVER_OPTION_BASE + 3 }, \
	{ "screenshot-delay", required_argument, NULL, SERVER_OPTION_BASE + 4 }, \
	{ "quit-after-screenshot", no_argument, NULL, SERVER_OPTION_BASE + 5 }
/* Takes one of SERVER_LONG_OPTIONS: 1 if it was one, 0 if not, -1 if its value is wrong. */
int server_parse_option(struct server *server, struct server_config *config, int opt,
	const char *arg);
/* Prints the lines of --help for SERVER_LONG_OPTIONS and `-- COMMAND`. */
void server_usage(FILE *f);
/*
 * Blocks the signals the loop reads (call it first, before any thread
 * exists) and routes mosaic's log to stderr.
 */
void server_prepare(void);
/* The renderer, on drm_fd (borrowed; -1: none) with the backend asked for. */
bool server_create_renderer(struct server *server, enum mosaic_backend backend, int drm_fd);
/* Our display, its socket and the globals clients see; on failure, no display. */
bool server_init_display(struct server *server, const char *socket_name);
/* Runs the loop until a signal or the output ends it, with COMMAND (may be NULL) inside. */
bool server_run(struct server *server, char **command);
/*
 * Tears down after server_run(): the clients, then the output buffers and the
 * seat. The program then destroys its own output (its event sources belong
 * to the display) and calls server_destroy().
 */
void server_finish_output(struct server *server);
/* The display, the allocator, the renderer; returns the exit status. */
int server_destroy(struct server *server);

/* surface.c */
bool surface_init_globals(struct server *server);
struct surface *surface_from_resource(struct wl_resource *resource);
bool surface_set_role(struct surface *surface, enum surface_role role,
	struct wl_resource *error_resource, uint32_t error_code);

/* presentation.c */
bool presentation_init_globals(struct server *server);
/* Sends discarded to the feedbacks of the list and destroys them. */
void presentation_discard(struct wl_list *feedbacks);
/* True when a shown surface's content has feedback waiting: a frame must be drawn. */
bool presentation_feedback_waiting(struct server *server);
/* The output took a frame: the feedbacks of the surfaces it shows go with it. */
void presentation_frame_queued(struct server *server);
/*
 * The oldest frame the output took reached the screen at `when`
 * (CLOCK_MONOTONIC). refresh_ns: the output's refresh period, 0 if unknown;
 * seq: its vertical retrace counter, 0 without one; flags: the
 * wp_presentation_feedback kinds (WP_PRESENTATION_FEEDBACK_KIND_*).
 */
void output_frame_presented(struct server *server, const struct timespec *when,
	uint32_t refresh_ns, uint64_t seq, uint32_t flags);
/* The oldest frame the output took was never shown (the parent discarded it). */
void output_frame_discarded(struct server *server);

/* region.c */
/* A wl_region for the client (wl_compositor.create_region); no_memory on failure. */
void region_create(struct wl_client *client, uint32_t id);

/* viewporter.c */
bool viewporter_init_globals(struct server *server);
/* The viewport's part of a commit: false after a protocol error on it. */
bool viewport_apply(struct surface *surface, int buffer_w, int buffer_h);
/* The surface goes: its wp_viewport stays, inert (no_surface). */
void viewport_surface_destroyed(struct surface *surface);

/* fractional_scale.c */
bool fractional_scale_init_globals(struct server *server);
/* The surface goes: its wp_fractional_scale_v1 stays, inert. */
void fractional_scale_surface_destroyed(struct surface *surface);

/* tree.c */
/* Calls `fn` for the surface and its subsurfaces, bottom first, at output x, y. */
void surface_for_each(struct surface *surface, int x, int y,
	void (*fn)(struct surface *surface, int x, int y, void *data), void *data);
/* How many levels of subsurfaces the surface has below it (0: none). */
int surface_tree_height(struct surface *surface);
/* The box around what the surface and its subsurfaces show, at output x, y. */
struct mosaic_box surface_tree_extent(struct surface *surface, int x, int y);
/* The surface (of this tree) under output point px, py; *sx, *sy: surface coordinates. */
struct surface *surface_at(struct surface *surface, int x, int y, double px, double py,
	double *sx, double *sy);

/* xdg.c */
bool xdg_init_globals(struct server *server);
/* A commit reached an xdg_surface: configure handshake and mapping. */
void xdg_surface_commit(struct xdg_surface *xdg);
/* The output position of the top-left of the xdg_surface's own surface. */
void xdg_surface_origin(struct xdg_surface *xdg, int *x, int *y);
/* Raises the window and gives it the keyboard (a toplevel, a grabbing popup). */
void xdg_focus(struct server *server, struct xdg_surface *xdg);
/* The wl_surface went away before its xdg_surface: the window goes. */
void xdg_surface_lost_surface(struct xdg_surface *xdg);
/* The xdg window a surface belongs to (through its subsurface parents), or NULL. */
struct xdg_surface *xdg_window_of(struct surface *surface);
/* The toplevel at the root of a window's popup chain (itself for a toplevel), or NULL. */
struct xdg_surface *xdg_root_toplevel(struct xdg_surface *xdg);
/* True when the window is mapped and shown: its toplevel is not minimized. */
bool xdg_window_shown(struct xdg_surface *xdg);
/* Keyboard focus moved (seat.c): the activated toplevel may change. */
void xdg_keyboard_focus_changed(struct server *server);
/* Sends the role's configure and xdg_surface.configure, once the handshake began. */
void xdg_configure(struct xdg_surface *xdg);
/* Damages what the window covered when last drawn and what it covers now. */
void xdg_damage_window(struct xdg_surface *xdg);
/* Moves the window to the top of the stack, its popups above it. */
void xdg_raise(struct server *server, struct xdg_surface *xdg);
/* Unmaps a window (a NULL buffer, a dismissed popup, a role that goes). */
void xdg_unmap(struct xdg_surface *xdg);
/* Gives the keyboard to the topmost grabbing popup or shown toplevel (or none). */
void xdg_focus_next(struct server *server);
/* Gives the xdg_surface its role, or posts the error that says why it cannot. */
bool xdg_start_role(struct xdg_surface *xdg, enum xdg_role role);
/* The role object went away: the window goes, the xdg_surface stays. */
void xdg_role_destroyed(struct xdg_surface *xdg);
/*
 * Posts an xdg_wm_base error on the client's xdg_wm_base, where the protocol
 * defines it; on xdg_resource if the client already destroyed its xdg_wm_base.
 */
void xdg_post_wm_base_error(struct wl_resource *xdg_resource, uint32_t code,
	const char *msg);

/* toplevel.c */
/* xdg_surface.get_toplevel: the role object. */
void toplevel_create(struct xdg_surface *xdg, struct wl_client *client, uint32_t version,
	uint32_t id);
/* The xdg_toplevel.configure of a configure with this serial. */
void toplevel_send_configure(struct xdg_surface *xdg, uint32_t serial);
/* xdg_surface.ack_configure of serial: the next commit applies that configure. */
void toplevel_ack(struct xdg_surface *xdg, uint32_t serial);
/* A commit, before mapping: an acked configure's placement, a resize's anchoring. */
void toplevel_commit(struct xdg_surface *xdg);
/* Where a toplevel goes when it maps normal: cascaded, inside the output. */
void toplevel_place(struct xdg_surface *xdg);
/* The window goes: its interactive grab ends. */
void toplevel_unmapped(struct xdg_surface *xdg);
/* Pointer motion during an interactive grab (seat.c). */
void toplevel_grab_motion(struct server *server);
/* The buttons went up: the interactive grab ends. */
void toplevel_grab_end(struct server *server);
/* The output has a new size: maximized and fullscreen windows get configures. */
void toplevel_output_resized(struct server *server);

/* popup.c */
/* xdg_wm_base.create_positioner. */
void positioner_create(struct wl_client *client, uint32_t version, uint32_t id);
/* xdg_surface.get_popup: the role object. */
void popup_create(struct xdg_surface *xdg, struct wl_client *client, uint32_t version,
	uint32_t id, struct wl_resource *parent, struct wl_resource *positioner);
/* The popup leaves the grab chain (unmapped or gone). */
void popup_ungrab(struct xdg_surface *xdg);
/* A button press: outside the grab chain (window NULL: on no window), it is dismissed. */
void popup_grab_press(struct server *server, struct xdg_surface *window);

/* decoration.c */
bool decoration_init_globals(struct server *server);
/* The configure of the toplevel's decoration, before its xdg_surface.configure. */
void decoration_send_configure(struct xdg_surface *xdg);
/* xdg_toplevel.destroy: false, after the orphaned error, while a decoration remains. */
bool decoration_check_orphaned(struct xdg_surface *xdg);
/* The toplevel goes (the client destroyed it, or disconnects): its decoration is inert. */
void decoration_toplevel_destroyed(struct xdg_surface *xdg);

/* render.c */
bool output_init(struct server *server);
void output_finish(struct server *server);
void output_damage_box(struct server *server, const struct mosaic_box *box);
void output_damage_whole(struct server *server);
void output_schedule_frame(struct server *server);
/* A frame that had to wait (no free buffer) may go now. */
void output_retry_frame(struct server *server);
/* Draws one frame if anything changed (or a screenshot is due); sends frame callbacks. */
void output_render(struct server *server);
bool output_resize(struct server *server, int width, int height);
/* Reads the buffer back through mosaic and writes server->screenshot_path. */
bool output_write_screenshot(struct server *server, struct mosaic_buffer *buffer);

/* seat.c */
bool seat_init_globals(struct server *server);
void seat_set_capabilities(struct server *server, uint32_t caps);
void seat_pointer_motion(struct server *server, uint32_t time, double x, double y);
void seat_pointer_button(struct server *server, uint32_t time, uint32_t button,
	uint32_t state);
void seat_pointer_axis(struct server *server, uint32_t time, uint32_t axis, double value);
void seat_pointer_leave(struct server *server);
void seat_keyboard_keymap(struct server *server, uint32_t format, int fd, uint32_t size);
void seat_keyboard_key(struct server *server, uint32_t time, uint32_t key, uint32_t state);
void seat_keyboard_modifiers(struct server *server, uint32_t depressed, uint32_t latched,
	uint32_t locked, uint32_t group);
void seat_set_keyboard_focus(struct server *server, struct surface *surface);
void seat_surface_destroyed(struct server *server, struct surface *surface);
void seat_finish(struct server *server);

/* output.c */
bool output_init_globals(struct server *server);
/* Tells clients the output's new size (wl_output.mode, xdg_output.logical_size). */
void output_send_mode(struct server *server);

/* png.c */
bool png_write_rgba(const char *path, int width, int height, const uint8_t *rgba,
	uint32_t stride);

#endif
