/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest memory access for the host backend library.
 *
 * The library never touches guest memory directly: every read of a context
 * descriptor or translation table goes through a callback, so that QEMU can
 * pass its address space and unit tests a plain buffer.
 */
#ifndef PVB_MEM_H
#define PVB_MEM_H

#include <stddef.h>
#include <stdint.h>

/**
 * typedef pvb_read_fn - read guest physical memory
 * @opaque: the caller's cookie, &struct pvb_mem.opaque
 * @gpa: guest physical address of the first byte
 * @buf: destination, @len bytes
 * @len: number of bytes (the library reads 8-byte descriptors and
 *	 64-byte context descriptors, each naturally aligned)
 *
 * Return: 0, or a negative errno when any byte of [@gpa, @gpa + @len) is not
 * readable guest RAM (beyond RAM, MMIO, ...). The library turns a failure
 * into a CD_FETCH or WALK_EABT fault; it never retries.
 */
typedef int (*pvb_read_fn)(void *opaque, uint64_t gpa, void *buf, size_t len);

/**
 * struct pvb_mem - how to read guest memory
 * @read: the read callback
 * @opaque: passed to @read unchanged
 */
struct pvb_mem {
	pvb_read_fn read;
	void *opaque;
};

#endif /* PVB_MEM_H */
