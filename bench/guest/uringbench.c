// SPDX-License-Identifier: GPL-2.0-or-later
// guest-ldlibs: -luring
/*
 * uringbench: random direct reads on a block device through io_uring, for
 * the benchmark (bench/README.md).
 *
 *   uringbench DEV QD SECONDS [BLOCK_BYTES [WARMUP_MS [SEED]]]
 *
 * Keeps QD reads of BLOCK_BYTES (default 4096) in flight at random aligned
 * offsets of DEV (opened O_DIRECT, so every read is a device DMA through the
 * IOMMU) for SECONDS (a fraction is allowed) after a warm-up of WARMUP_MS
 * (default 300), and prints one line:
 *
 *   uringbench qd=8 bs=4096 ios=N secs=S iops=I lat_us_p50=.. lat_us_p90=..
 *     lat_us_p99=.. lat_us_avg=.. lat_us_max=.. ios_total=M
 *
 * Latency is submission (the SQE handed to the kernel) to completion (the
 * CQE seen), per read, CLOCK_MONOTONIC; ios, iops and the percentiles are
 * over the reads that complete in the measured window, ios_total counts
 * every read (warm-up and drain included). Exit status 0 on success; any read
 * error or short read is fatal.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/uio.h>
/* glibc's <bits/uio-ext.h> (with _GNU_SOURCE) and the kernel's <linux/fs.h>,
 * which liburing includes, both define these. */
#undef RWF_HIPRI
#undef RWF_DSYNC
#undef RWF_SYNC
#undef RWF_NOWAIT
#undef RWF_APPEND
#include <liburing.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

struct slot {
	void *buf;
	uint64_t t_submit;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double pct(const uint32_t *v, size_t n, double p)
{
	size_t i;

	if (!n)
		return 0;
	i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
	return v[i] / 1000.0;
}

int main(int argc, char **argv)
{
	struct io_uring ring;
	struct slot *slots;
	uint32_t *lat = NULL;
	size_t nlat = 0, cap = 0;
	uint64_t size, nblocks, t_start, t_measure, t_end, sum = 0, maxl = 0, total = 0;
	unsigned qd, bs = 4096, warm_ms = 300, i;
	double secs;
	unsigned inflight;
	int fd, ret;

	if (argc < 4) {
		fprintf(stderr, "usage: %s DEV QD SECONDS [BLOCK_BYTES [WARMUP_MS [SEED]]]\n",
			argv[0]);
		return 2;
	}
	qd = (unsigned)atoi(argv[2]);
	secs = strtod(argv[3], NULL);
	if (argc > 4)
		bs = (unsigned)atoi(argv[4]);
	if (argc > 5)
		warm_ms = (unsigned)atoi(argv[5]);
	rng_state = argc > 6 ? strtoull(argv[6], NULL, 0) : 0x9e3779b97f4a7c15ull;
	if (!rng_state)
		rng_state = 1;
	if (qd < 1 || qd > 1024 || bs < 512 || bs % 512 || !(secs > 0 && secs < 1e6)) {
		fprintf(stderr, "uringbench: bad queue depth, block size or duration\n");
		return 2;
	}

	fd = open(argv[1], O_RDONLY | O_DIRECT);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	if (ioctl(fd, BLKGETSIZE64, &size) < 0) {
		perror("BLKGETSIZE64");
		return 1;
	}
	nblocks = size / bs;
	if (!nblocks) {
		fprintf(stderr, "uringbench: device smaller than one block\n");
		return 1;
	}

	ret = io_uring_queue_init(qd, &ring, 0);
	if (ret < 0) {
		fprintf(stderr, "io_uring_queue_init: %s\n", strerror(-ret));
		return 1;
	}
	slots = calloc(qd, sizeof(*slots));
	if (!slots)
		return 1;
	for (i = 0; i < qd; i++) {
		if (posix_memalign(&slots[i].buf, 4096, bs))
			return 1;
		memset(slots[i].buf, 0, bs);
	}

	t_start = now_ns();
	t_measure = t_start + (uint64_t)warm_ms * 1000000ull;
	t_end = t_measure + (uint64_t)(secs * 1e9);

	for (i = 0; i < qd; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

		io_uring_prep_read(sqe, fd, slots[i].buf, bs, (rng() % nblocks) * bs);
		io_uring_sqe_set_data64(sqe, i);
		slots[i].t_submit = now_ns();
	}
	ret = io_uring_submit(&ring);
	if (ret != (int)qd) {
		fprintf(stderr, "io_uring_submit: %d\n", ret);
		return 1;
	}

	inflight = qd;
	while (inflight) {
		struct io_uring_cqe *cqe;
		unsigned head, seen = 0, resubmit = 0;
		uint64_t t;

		ret = io_uring_wait_cqe(&ring, &cqe);
		if (ret < 0) {
			fprintf(stderr, "io_uring_wait_cqe: %s\n", strerror(-ret));
			return 1;
		}
		t = now_ns();
		io_uring_for_each_cqe(&ring, head, cqe) {
			unsigned s = (unsigned)io_uring_cqe_get_data64(cqe);
			uint64_t l = t - slots[s].t_submit;

			seen++;
			total++;
			inflight--;
			if (cqe->res != (int)bs) {
				fprintf(stderr, "uringbench: read returned %d\n", cqe->res);
				return 1;
			}
			/* Reads that complete inside the measured window */
			if (t >= t_measure && t < t_end) {
				if (nlat == cap) {
					cap = cap ? cap * 2 : 65536;
					lat = realloc(lat, cap * sizeof(*lat));
					if (!lat)
						return 1;
				}
				lat[nlat++] = l > UINT32_MAX ? UINT32_MAX : (uint32_t)l;
				sum += l;
				if (l > maxl)
					maxl = l;
			}
			if (t < t_end) {
				struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

				io_uring_prep_read(sqe, fd, slots[s].buf, bs,
						   (rng() % nblocks) * bs);
				io_uring_sqe_set_data64(sqe, s);
				slots[s].t_submit = now_ns();
				resubmit++;
			}
		}
		io_uring_cq_advance(&ring, seen);
		if (resubmit) {
			ret = io_uring_submit(&ring);
			if (ret != (int)resubmit) {
				fprintf(stderr, "io_uring_submit: %d\n", ret);
				return 1;
			}
			inflight += resubmit;
		}
	}

	qsort(lat, nlat, sizeof(*lat), cmp_u32);
	{
		double elapsed = (double)(t_end - t_measure) / 1e9;

		printf("uringbench qd=%u bs=%u ios=%zu secs=%.3f iops=%.0f lat_us_p50=%.1f "
		       "lat_us_p90=%.1f lat_us_p99=%.1f lat_us_avg=%.1f lat_us_max=%.1f ios_total=%" PRIu64 "\n",
		       qd, bs, nlat, elapsed, nlat / elapsed, pct(lat, nlat, 50), pct(lat, nlat, 90),
		       pct(lat, nlat, 99), nlat ? (double)sum / nlat / 1000.0 : 0.0,
		       maxl / 1000.0, total);
	}
	io_uring_queue_exit(&ring);
	close(fd);
	return 0;
}
