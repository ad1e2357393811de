// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * blkcheck: deterministic disk images and their verification.
 *
 * Every 512-byte sector of an image holds a pattern derived from (seed,
 * sector number), so a reader can check any sector without a copy of the
 * image. The host uses "gen" to write an image; the guest uses "seq" or
 * "random" to read it back through the IOMMU (O_DIRECT, so every read is a
 * device DMA) and counts mismatches.
 *
 *   blkcheck gen FILE SIZE_MIB SEED
 *   blkcheck seq DEV SEED [BLOCK_KIB]
 *   blkcheck random DEV SEED COUNT [BLOCK_KIB]
 *
 * Output is TAP-friendly: one "# " summary line; exit status 0 only when
 * every sector read matched.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fs.h>

#define SECTOR 512u

static uint64_t mix(uint64_t x)
{
	/* splitmix64 finaliser */
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static void fill_sector(uint8_t *buf, uint64_t seed, uint64_t sector)
{
	uint64_t *w = (uint64_t *)buf;
	unsigned int i;

	w[0] = sector;
	w[1] = seed;
	for (i = 2; i < SECTOR / 8; i++)
		w[i] = mix(seed ^ (sector << 8) ^ i);
}

static int check_sector(const uint8_t *buf, uint64_t seed, uint64_t sector)
{
	uint8_t want[SECTOR];

	fill_sector(want, seed, sector);
	return memcmp(buf, want, SECTOR) == 0;
}

static int gen(const char *file, uint64_t mib, uint64_t seed)
{
	uint8_t *buf = malloc(1 << 20);
	uint64_t s, nsec = mib << 11;
	FILE *f = fopen(file, "wb");

	if (!f || !buf) {
		perror(file);
		return 1;
	}
	for (s = 0; s < nsec; s++) {
		fill_sector(buf + (s % 2048) * SECTOR, seed, s);
		if (s % 2048 == 2047 && fwrite(buf, 1, 1 << 20, f) != 1 << 20) {
			perror("write");
			return 1;
		}
	}
	free(buf);
	return fclose(f) ? 1 : 0;
}

static uint64_t dev_size(int fd)
{
	uint64_t sz = 0;
	struct stat st;

	if (ioctl(fd, BLKGETSIZE64, &sz) == 0)
		return sz;
	if (fstat(fd, &st) == 0)
		return st.st_size;
	return 0;
}

static int read_check(int fd, uint8_t *buf, uint64_t off, size_t len,
		      uint64_t seed, uint64_t *bad)
{
	ssize_t n = pread(fd, buf, len, off);
	size_t i;

	if (n != (ssize_t)len) {
		fprintf(stderr, "pread at %" PRIu64 ": %s\n", off,
			n < 0 ? strerror(errno) : "short read");
		return -1;
	}
	for (i = 0; i < len; i += SECTOR) {
		if (!check_sector(buf + i, seed, (off + i) / SECTOR)) {
			if (*bad < 5)
				fprintf(stderr, "mismatch at sector %" PRIu64 "\n",
					(off + i) / SECTOR);
			(*bad)++;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t seed, size, bad = 0, done = 0, i, count = 0;
	size_t blk = 64 * 1024;
	uint8_t *buf;
	int fd, random_mode;

	if (argc == 5 && !strcmp(argv[1], "gen"))
		return gen(argv[2], strtoull(argv[3], NULL, 0),
			   strtoull(argv[4], NULL, 0));
	if (argc < 4 || (strcmp(argv[1], "seq") && strcmp(argv[1], "random"))) {
		fprintf(stderr, "usage: see the comment in blkcheck.c\n");
		return 2;
	}
	random_mode = !strcmp(argv[1], "random");
	seed = strtoull(argv[3], NULL, 0);
	if (random_mode) {
		if (argc < 5)
			return 2;
		count = strtoull(argv[4], NULL, 0);
		if (argc > 5)
			blk = strtoull(argv[5], NULL, 0) * 1024;
	} else if (argc > 4) {
		blk = strtoull(argv[4], NULL, 0) * 1024;
	}
	if (!blk || blk % 4096) {
		fprintf(stderr, "block size must be a multiple of 4 KiB\n");
		return 2;
	}
	fd = open(argv[2], O_RDONLY | O_DIRECT);
	if (fd < 0) {
		perror(argv[2]);
		return 1;
	}
	size = dev_size(fd);
	if (size < blk || posix_memalign((void **)&buf, 4096, blk)) {
		fprintf(stderr, "device too small or no memory\n");
		return 1;
	}
	if (random_mode) {
		uint64_t nblk = size / 4096 - blk / 4096 + 1;

		for (i = 0; i < count; i++) {
			uint64_t off = (mix(seed + 0x1234 + i) % nblk) * 4096;

			if (read_check(fd, buf, off, blk, seed, &bad))
				return 1;
			done += blk;
		}
	} else {
		for (i = 0; i + blk <= size; i += blk) {
			if (read_check(fd, buf, i, blk, seed, &bad))
				return 1;
			done += blk;
		}
	}
	printf("# blkcheck %s: %" PRIu64 " bytes read, %" PRIu64
	       " bad sectors\n", argv[1], done, bad);
	return bad ? 1 : 0;
}
