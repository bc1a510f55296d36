#ifndef MOSAIC_PRIVATE_LIST_H
#define MOSAIC_PRIVATE_LIST_H

#include <stdbool.h>
#include <stddef.h>

#include <mosaic/buffer.h>

#define mosaic_container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

static inline void mosaic_list_init(struct mosaic_list *list)
{
	list->prev = list;
	list->next = list;
}

static inline void mosaic_list_insert(struct mosaic_list *list, struct mosaic_list *elm)
{
	elm->prev = list;
	elm->next = list->next;
	list->next = elm;
	elm->next->prev = elm;
}

static inline void mosaic_list_remove(struct mosaic_list *elm)
{
	elm->prev->next = elm->next;
	elm->next->prev = elm->prev;
	elm->next = NULL;
	elm->prev = NULL;
}

static inline bool mosaic_list_empty(const struct mosaic_list *list)
{
	return list->next == list;
}

/** Iterates over the links; the current one may be removed in the body. */
#define mosaic_list_for_each_safe(link, tmp, head) \
	for ((link) = (head)->next, (tmp) = (link)->next; (link) != (head); \
		(link) = (tmp), (tmp) = (link)->next)

#endif
