/*
 * Walks over a surface's tree of subsurfaces: drawing order, hit testing,
 * depth and extent. They are loops, not recursion: a client decides how deep
 * its tree is (at most COMPOSITOR_SUBSURFACE_DEPTH, surface.c enforces it).
 */
#include "compositor.h"

/* The child of `parent` at `link` in its list of children, or NULL at the list's end. */
static struct subsurface *child_at(struct surface *parent, struct wl_list *link)
{
	struct subsurface *child;
	return link == &parent->children ? NULL : wl_container_of(link, child, link);
}

/*
 * The walks over a surface's tree are loops, not recursion: a client decides
 * how deep its tree is. Positions add up in 64 bits, each clamped as it is
 * handed out.
 */
void surface_for_each(struct surface *root, int x, int y,
	void (*fn)(struct surface *surface, int x, int y, void *data), void *data)
{
	int64_t cx = x, cy = y;
	struct surface *surface = root;
	for (;;) {
		fn(surface, compositor_coord(cx), compositor_coord(cy), data);
		// Down to the first child; else on to the next sibling of this
		// surface or of its nearest ancestor below the root that has one.
		struct subsurface *next = child_at(surface, surface->children.next);
		while (next == NULL && surface != root) {
			struct subsurface *sub = surface->subsurface;
			cx -= sub->x;
			cy -= sub->y;
			next = child_at(sub->parent, sub->link.next);
			surface = sub->parent;
		}
		if (next == NULL) {
			return;
		}
		cx += next->x;
		cy += next->y;
		surface = next->surface;
	}
}

/* Moves to the topmost surface of `surface`'s tree: its last child's last child... */
static struct surface *topmost(struct surface *surface, int64_t *cx, int64_t *cy)
{
	struct subsurface *last;
	while ((last = child_at(surface, surface->children.prev)) != NULL) {
		*cx += last->x;
		*cy += last->y;
		surface = last->surface;
	}
	return surface;
}

struct surface *surface_at(struct surface *root, int x, int y, double px, double py,
	double *sx, double *sy)
{
	// Top first: the reverse of the drawing order of surface_for_each().
	int64_t cx = x, cy = y;
	struct surface *surface = topmost(root, &cx, &cy);
	for (;;) {
		int ox = compositor_coord(cx), oy = compositor_coord(cy);
		struct mosaic_box box = { ox, oy, surface->width, surface->height };
		if (surface->has_content && mosaic_box_contains_point(&box, px, py) &&
				pixman_region32_contains_point(&surface->current.input,
				(int)(px - ox), (int)(py - oy), NULL)) {
			*sx = px - ox;
			*sy = py - oy;
			return surface;
		}
		if (surface == root) {
			return NULL;
		}
		// The sibling below (and its tree, top first), else the parent.
		struct subsurface *sub = surface->subsurface;
		cx -= sub->x;
		cy -= sub->y;
		struct subsurface *below = child_at(sub->parent, sub->link.prev);
		if (below != NULL) {
			cx += below->x;
			cy += below->y;
			surface = topmost(below->surface, &cx, &cy);
		} else {
			surface = sub->parent;
		}
	}
}

int surface_tree_height(struct surface *root)
{
	int depth = 0, height = 0;
	struct surface *surface = root;
	for (;;) {
		struct subsurface *next = child_at(surface, surface->children.next);
		if (next != NULL) {
			depth++;
		} else {
			// The next sibling (same depth) of the surface or of its
			// nearest ancestor below the root that has one.
			while (surface != root) {
				struct subsurface *sub = surface->subsurface;
				next = child_at(sub->parent, sub->link.next);
				if (next != NULL) {
					break;
				}
				surface = sub->parent;
				depth--;
			}
			if (next == NULL) {
				return height;
			}
		}
		height = depth > height ? depth : height;
		surface = next->surface;
	}
}

static void add_extent(struct surface *surface, int x, int y, void *data)
{
	struct mosaic_box *extent = data;
	if (!surface->has_content || surface->width <= 0 || surface->height <= 0) {
		return;
	}
	struct mosaic_box box = { x, y, surface->width, surface->height };
	if (extent->width <= 0 || extent->height <= 0) {
		*extent = box;
		return;
	}
	int64_t x1 = extent->x < box.x ? extent->x : box.x;
	int64_t y1 = extent->y < box.y ? extent->y : box.y;
	int64_t x2 = (int64_t)extent->x + extent->width, bx2 = (int64_t)box.x + box.width;
	int64_t y2 = (int64_t)extent->y + extent->height, by2 = (int64_t)box.y + box.height;
	x2 = x2 > bx2 ? x2 : bx2;
	y2 = y2 > by2 ? y2 : by2;
	*extent = (struct mosaic_box){ (int)x1, (int)y1, compositor_coord(x2 - x1),
		compositor_coord(y2 - y1) };
}

struct mosaic_box surface_tree_extent(struct surface *surface, int x, int y)
{
	struct mosaic_box extent = { x, y, 0, 0 };
	surface_for_each(surface, x, y, add_extent, &extent);
	return extent;
}
