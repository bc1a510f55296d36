#ifndef MOSAIC_TESTS_FUZZ_WIRE_H
#define MOSAIC_TESTS_FUZZ_WIRE_H

/*
 * A raw Wayland client's side of the wire, for the protocol targets
 * (fuzz_linux_dmabuf.c, fuzz_wl_shm.c): messages built word by word with
 * fds, sent as they are, and the fds and 32-bit arguments an input picks.
 */

#define _GNU_SOURCE /* memfd_create */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"

#define MAX_WORDS 64
#define MAX_OBJECTS 16

/* The client's objects of one kind, by id. */
struct objects {
	uint32_t ids[MAX_OBJECTS];
	int n;
};

static inline void add_object(struct objects *o, uint32_t id)
{
	if (o->n < MAX_OBJECTS) {
		o->ids[o->n++] = id;
	} else {
		o->ids[id % MAX_OBJECTS] = id;
	}
}

/* One of the objects (removed from the list when `take`), or 0 when there is none. */
static inline uint32_t pick_object(struct objects *o, struct fuzz_input *in, bool take)
{
	uint8_t v = fuzz_u8(in);
	if (o->n == 0) {
		return 0;
	}
	int i = v % o->n;
	uint32_t id = o->ids[i];
	if (take) {
		o->ids[i] = o->ids[--o->n];
	}
	return id;
}

/* A message being built. */
struct message {
	uint32_t words[MAX_WORDS];
	int n_words;
	int fds[4];
	int n_fds;
};

static inline void msg_begin(struct message *m, uint32_t object, uint16_t opcode)
{
	m->words[0] = object;
	m->words[1] = opcode;
	m->n_words = 2;
	m->n_fds = 0;
}

static inline void msg_u32(struct message *m, uint32_t v)
{
	if (m->n_words < MAX_WORDS) {
		m->words[m->n_words++] = v;
	}
}

static inline void msg_string(struct message *m, const char *s)
{
	uint32_t len = (uint32_t)strlen(s) + 1;
	msg_u32(m, len);
	for (uint32_t i = 0; i < len; i += 4) {
		uint32_t w = 0;
		memcpy(&w, s + i, len - i < 4 ? len - i : 4);
		msg_u32(m, w);
	}
}

static inline void msg_fd(struct message *m, int fd)
{
	if (fd >= 0 && m->n_fds < 4) {
		m->fds[m->n_fds++] = fd;
	} else if (fd >= 0) {
		close(fd);
	}
}

/*
 * Sends `m` on `fd` (nothing when fd < 0: the server hung up) and closes the
 * fds it carried. `fix_size` writes the true size into the header; without
 * it the header keeps what the input put there.
 */
static inline void wire_send(int fd, struct message *m, bool fix_size)
{
	if (fix_size) {
		m->words[1] = (uint32_t)(m->n_words * 4) << 16 | (m->words[1] & 0xffff);
	}
	struct iovec iov = { .iov_base = m->words, .iov_len = (size_t)m->n_words * 4 };
	char control[CMSG_SPACE(sizeof(int) * 4)];
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (m->n_fds > 0) {
		memset(control, 0, sizeof(control));
		msg.msg_control = control;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)m->n_fds);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)m->n_fds);
		memcpy(CMSG_DATA(cm), m->fds, sizeof(int) * (size_t)m->n_fds);
	}
	if (fd >= 0) {
		sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
	}
	for (int i = 0; i < m->n_fds; i++) {
		close(m->fds[i]);
	}
	m->n_fds = 0;
}

/*
 * Reads every event waiting on `fd`, closes the fds that came with them and
 * calls `on_event` for each whole message (`msg` starts at its header and
 * holds `size` bytes, `size` >= 8).
 */
static inline void wire_receive(int fd, void (*on_event)(void *data, uint32_t object,
	uint32_t opcode, const uint8_t *msg, uint32_t size), void *data)
{
	static uint8_t buf[65536];
	size_t have = 0;
	for (;;) {
		char control[CMSG_SPACE(sizeof(int) * 28)];
		struct iovec iov = { .iov_base = buf + have, .iov_len = sizeof(buf) - have };
		struct msghdr msg = {
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = control,
			.msg_controllen = sizeof(control),
		};
		ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n <= 0) {
			break;
		}
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm)) {
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
				size_t n_fds = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
				for (size_t i = 0; i < n_fds; i++) {
					int received;
					memcpy(&received, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
					close(received);
				}
			}
		}
		have += (size_t)n;
		size_t pos = 0;
		while (have - pos >= 8) {
			uint32_t header[2];
			memcpy(header, buf + pos, sizeof(header));
			uint32_t size = header[1] >> 16, opcode = header[1] & 0xffff;
			fuzz_check(size >= 8 && size % 4 == 0);
			if (have - pos < size) {
				break;
			}
			on_event(data, header[0], opcode, buf + pos, size);
			pos += size;
		}
		memmove(buf, buf + pos, have - pos);
		have -= pos;
	}
}

/* Whether `msg` (of `size` bytes) is wl_registry.global naming `interface`; its name in *name. */
static inline bool wire_is_global(const uint8_t *msg, uint32_t size, const char *interface,
	uint32_t *name)
{
	uint32_t len;
	if (size < 16) {
		return false;
	}
	memcpy(&len, msg + 12, 4);
	if (len != strlen(interface) + 1 || 16 + len > size || memcmp(msg + 16, interface, len) != 0) {
		return false;
	}
	memcpy(name, msg + 8, 4);
	return true;
}

/* An fd the input picks: shared memory of a size it picks, or one no pool can map. */
static inline int pick_fd(struct fuzz_input *in)
{
	uint8_t kind = fuzz_u8(in) % 7;
	int fd = -1, pipe_fds[2];
	switch (kind) {
	case 0:
	case 1: {
		// Shared memory, the likeliest mistake: sized from the input (at most 1 MiB).
		uint32_t size = fuzz_u8(in) == 0xff ? fuzz_u32(in) % (1 << 20) :
			(uint32_t)fuzz_u16(in) * 16;
		fd = memfd_create("fuzz-plane", MFD_CLOEXEC | (kind == 1 ? MFD_ALLOW_SEALING : 0));
		if (fd >= 0 && ftruncate(fd, size) != 0) {
			close(fd);
			fd = -1;
		}
		if (fd >= 0 && kind == 1) {
			fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
		}
		break;
	}
	case 2:
		if (pipe2(pipe_fds, O_CLOEXEC) == 0) {
			close(pipe_fds[1]);
			fd = pipe_fds[0];
		}
		break;
	case 3:
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		break;
	case 4:
		fd = eventfd(0, EFD_CLOEXEC);
		break;
	case 5: {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0) {
			close(sv[1]);
			fd = sv[0];
		}
		break;
	}
	default:
		fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		break;
	}
	return fd;
}

/* A 32-bit argument: small, an edge, or anything. */
static inline uint32_t pick_u32(struct fuzz_input *in)
{
	static const uint32_t edges[] = {
		0, 1, 4, 64, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffc, 16384, 16385,
	};
	uint8_t v = fuzz_u8(in);
	if (v < 0xc0) {
		return v;
	}
	if (v < 0xf0) {
		return (uint32_t)fuzz_u16(in) * 4;
	}
	if (v < 0xfa) {
		return edges[v - 0xf0];
	}
	return fuzz_u32(in);
}

#endif
