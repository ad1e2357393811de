// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * edu_dma: DMA through the IOMMU with QEMU's edu device, driven by the
 * guest kernel's edu_dma_test driver (/dev/edu_dma_test0, interface in
 * <linux/edu_dma_test.h>). A kselftest-harness program: it prints TAP.
 *
 * The edu device completes every transfer whatever the IOMMU does: a read
 * the IOMMU aborts leaves zeroes in the device's 4 KiB buffer (QEMU reads
 * unassigned memory as 0) and a write it aborts is dropped. So a fault is
 * seen in the data (the device did not read the old buffer, or did not
 * write it), in the virtio-iommu driver's fault counter
 * (/sys/kernel/debug/virtio-iommu/counters, when it exists) and, in a
 * domain of the test driver's own, in that domain's fault handler.
 *
 * The expectations follow the device's domain and the driver's mode, which
 * the program reads rather than assumes (the scenario checks them against
 * what it asked for):
 *  - strict (DMA domain): an unmapped IOVA faults at once;
 *  - lazy (DMA-FQ domain): as the IOMMU core documents, the IOTLB is only
 *    flushed when the flush queue is (its timer: 10 ms, or 1 s for the
 *    single queue of IOMMUs whose flushes are costly), so a DMA to a
 *    just-unmapped IOVA may still use the old translation; after the
 *    flush, or an explicit one, it faults;
 *  - nested mode: no MAP/UNMAP request, INVALIDATE on strict unmaps, and
 *    stage-1 faults reach the IOMMU core's fault handler;
 *  - map-unmap mode: a MAP per map and an UNMAP per unmap; faults are
 *    counted by the driver but, as in the standard driver, not passed to
 *    the IOMMU core.
 *
 * Environment: EDU_DMA_DEV (default /dev/edu_dma_test0), EDU_DMA_CYCLES
 * (map/unmap cycles of the cycles test, default 48), EDU_DMA_FQ_WAIT_MS
 * (how long lazy mode waits for the flush queue, default 2500),
 * EDU_DMA_FAULT_WAIT_MS (longest wait for a fault report, default 10000),
 * EDU_DMA_SWITCHES (domain switches of domain_switch_pending_flush,
 * default 96).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/edu_dma_test.h>

#include "kselftest_harness.h"

#define DEV_BUF		EDU_DMA_TEST_DEV_BUF_SIZE
#define PAGE		4096UL
#define VIOMMU_DEBUGFS	"/sys/kernel/debug/virtio-iommu"

/* IOVAs of the test's own domain (below edu's 28-bit mask, away from MSI) */
#define OWN_IOVA_RW	0x00100000UL
#define OWN_IOVA_DST	0x00200000UL
#define OWN_IOVA_RO	0x00300000UL
#define OWN_IOVA_NEVER	0x05000000UL
/* Never given by the DMA API's allocator, which allocates top-down */
#define NEVER_IOVA	0x00001000UL

#define diag(fmt, ...) ksft_print_msg(fmt "\n", ##__VA_ARGS__)

static const char *dev_path(void)
{
	const char *p = getenv("EDU_DMA_DEV");

	return p && *p ? p : "/dev/edu_dma_test0";
}

static long env_long(const char *name, long def)
{
	const char *p = getenv(name);

	return p && *p ? strtol(p, NULL, 0) : def;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ioctl wrappers: 0 or -errno */

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

static int edu_info(int fd, struct edu_dma_test_info *info)
{
	return xioctl(fd, EDU_DMA_TEST_IOC_INFO, info);
}

static int edu_map(int fd, uint32_t kind, uint32_t dir, uint64_t size,
		   uint64_t offset, uint64_t iova, struct edu_dma_test_map *m)
{
	memset(m, 0, sizeof(*m));
	m->kind = kind;
	m->dir = dir;
	m->size = size;
	m->offset = offset;
	m->iova = iova;
	return xioctl(fd, EDU_DMA_TEST_IOC_MAP, m);
}

static int edu_unmap(int fd, uint32_t id)
{
	return xioctl(fd, EDU_DMA_TEST_IOC_UNMAP, &id);
}

static int edu_free(int fd, uint32_t id)
{
	return xioctl(fd, EDU_DMA_TEST_IOC_FREE, &id);
}

static int edu_rw(int fd, bool write, uint32_t id, uint64_t off, void *data,
		  uint64_t len)
{
	struct edu_dma_test_rw rw = {
		.id = id, .offset = off, .len = len,
		.data = (uintptr_t)data,
	};

	return xioctl(fd, write ? EDU_DMA_TEST_IOC_WRITE : EDU_DMA_TEST_IOC_READ,
		      &rw);
}

static int edu_dma(int fd, uint64_t iova, uint32_t len, uint32_t dev_off,
		   uint32_t dir)
{
	struct edu_dma_test_xfer x = {
		.iova = iova, .len = len, .dev_offset = dev_off, .dir = dir,
	};

	return xioctl(fd, EDU_DMA_TEST_IOC_DMA, &x);
}

static int edu_domain(int fd, uint32_t op)
{
	return xioctl(fd, EDU_DMA_TEST_IOC_DOMAIN, &op);
}

/* Patterns: never 0, and two seeds that differ give bytes that differ */
static void pattern(uint8_t *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)((i * 131 + seed * 17) % 251 + 1);
}

static bool all_bytes(const uint8_t *p, size_t len, uint8_t v)
{
	while (len--)
		if (*p++ != v)
			return false;
	return true;
}

/* Bytes of got that equal want at the same position */
static size_t same_bytes(const uint8_t *got, const uint8_t *want, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		n += got[i] == want[i];
	return n;
}

static long first_diff(const uint8_t *a, const uint8_t *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (a[i] != b[i])
			return (long)i;
	return -1;
}

/* virtio-iommu debugfs: a counter, or -1 without the file or the line */
static long counter(const char *name)
{
	char line[128], key[64];
	long val, ret = -1;
	FILE *f = fopen(VIOMMU_DEBUGFS "/counters", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %ld", key, &val) == 2 && !strcmp(key, name))
			ret = val;
	fclose(f);
	return ret;
}

/*
 * How long a fault report may take to arrive (EDU_DMA_FAULT_WAIT_MS,
 * default 10 s): the waits end as soon as it does, so the bound only
 * matters on a loaded host.
 */
static long fault_wait_ms(void)
{
	return env_long("EDU_DMA_FAULT_WAIT_MS", 10000);
}

/* Wait up to ms for the fault counter to exceed base; its last value */
static long wait_faults(long base, long ms)
{
	long v;

	for (;;) {
		v = counter("faults");
		if (v < 0 || v > base || ms <= 0)
			return v;
		sleep_ms(20);
		ms -= 20;
	}
}

/* The endpoint's mode in virtio-iommu/mode: nested, map-unmap or "" */
static void endpoint_mode(const char *name, char *mode, size_t size)
{
	char line[256], dev[64], ep[64], m[32];
	FILE *f = fopen(VIOMMU_DEBUGFS "/mode", "r");

	snprintf(mode, size, "%s", "");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %63s %31s", dev, ep, m) == 3 &&
		    !strcmp(ep, name))
			snprintf(mode, size, "%s", m);
	fclose(f);
}

static const char *domain_name(uint32_t t)
{
	static const char *const names[] = {
		[EDU_DMA_TEST_DOMAIN_NONE] = "none",
		[EDU_DMA_TEST_DOMAIN_BLOCKED] = "blocked",
		[EDU_DMA_TEST_DOMAIN_IDENTITY] = "identity",
		[EDU_DMA_TEST_DOMAIN_DMA] = "DMA",
		[EDU_DMA_TEST_DOMAIN_DMA_FQ] = "DMA-FQ",
		[EDU_DMA_TEST_DOMAIN_UNMANAGED] = "unmanaged",
		[EDU_DMA_TEST_DOMAIN_OTHER] = "other",
	};

	return t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}

FIXTURE(edu)
{
	int fd;
	struct edu_dma_test_info info;
	uint64_t mask;
	bool lazy;
	bool nested;
	bool mapunmap;
	bool counters;
	uint8_t e[DEV_BUF];	/* filler of the device buffer */
	struct edu_dma_test_map filler;
	struct edu_dma_test_map rx;	/* reads the device buffer back */
};

FIXTURE_SETUP(edu)
{
	char mode[32];

	self->fd = open(dev_path(), O_RDWR);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", dev_path(), strerror(errno));
	ASSERT_EQ(0, edu_info(self->fd, &self->info));
	self->mask = self->info.dma_bits >= 64 ? ~0ULL :
		     (1ULL << self->info.dma_bits) - 1;
	self->lazy = self->info.domain_type == EDU_DMA_TEST_DOMAIN_DMA_FQ;
	endpoint_mode(self->info.name, mode, sizeof(mode));
	self->nested = !strcmp(mode, "nested");
	self->mapunmap = !strcmp(mode, "map-unmap");
	/*
	 * EDU_DMA_NO_FAULT_REPORTS=1: the IOMMU blocks faulting DMA but does
	 * not report it (a passed-through device in a MAP/UNMAP domain: the
	 * host has no fault path for it); the data checks still run.
	 */
	self->counters = counter("faults") >= 0 &&
			 !env_long("EDU_DMA_NO_FAULT_REPORTS", 0);
	if (self->info.domain_type != EDU_DMA_TEST_DOMAIN_DMA && !self->lazy)
		SKIP(return, "%s: domain %s, DMA is not translated",
		     self->info.name, domain_name(self->info.domain_type));

	/* The filler (pattern seed 200) and the buffer that reads back */
	pattern(self->e, DEV_BUF, 200);
	ASSERT_EQ(0, edu_map(self->fd, EDU_DMA_TEST_SINGLE,
			     EDU_DMA_TEST_TO_DEVICE, DEV_BUF, 0, 0,
			     &self->filler));
	ASSERT_EQ(0, edu_rw(self->fd, true, self->filler.id, 0, self->e,
			    DEV_BUF));
	ASSERT_EQ(0, edu_map(self->fd, EDU_DMA_TEST_SINGLE,
			     EDU_DMA_TEST_BIDIRECTIONAL, DEV_BUF, 0, 0,
			     &self->rx));
}

FIXTURE_TEARDOWN(edu)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* Fill the whole device buffer with the filler pattern */
static int fill_dev(FIXTURE_DATA(edu) *self)
{
	return edu_dma(self->fd, self->filler.iova, DEV_BUF, 0,
		       EDU_DMA_TEST_RAM_TO_DEV);
}

/* Read len bytes of the device buffer at dev_off into out, through rx */
static int read_dev(FIXTURE_DATA(edu) *self, uint32_t dev_off, uint8_t *out,
		    uint32_t len)
{
	uint8_t zero[DEV_BUF] = { 0 };
	int ret;

	ret = edu_rw(self->fd, true, self->rx.id, 0, zero, DEV_BUF);
	if (!ret)
		ret = edu_dma(self->fd, self->rx.iova, len, dev_off,
			      EDU_DMA_TEST_DEV_TO_RAM);
	if (!ret)
		ret = edu_rw(self->fd, false, self->rx.id, 0, out, len);
	return ret;
}

/* A DMA API buffer of size bytes, filled with a pattern of seed */
static int map_pattern(FIXTURE_DATA(edu) *self, uint32_t kind, uint32_t dir,
		       uint64_t size, uint64_t offset, unsigned int seed,
		       struct edu_dma_test_map *m, uint8_t *copy)
{
	uint8_t *p = copy ? copy : malloc(size);
	int ret;

	if (!p)
		return -ENOMEM;
	pattern(p, size, seed);
	ret = edu_map(self->fd, kind, dir, size, offset, m->iova, m);
	if (!ret && (m->iova > self->mask || size - 1 > self->mask - m->iova))
		ret = -ERANGE;
	if (!ret)
		ret = edu_rw(self->fd, true, m->id, 0, p, size);
	if (!copy)
		free(p);
	return ret;
}

/*
 * Data in and out: a TO_DEVICE buffer into the device, back into a
 * FROM_DEVICE buffer, and the same with a bidirectional one.
 */
TEST_F(edu, roundtrip_single)
{
	uint8_t src[DEV_BUF], got[DEV_BUF];
	struct edu_dma_test_map a = { 0 }, b = { 0 }, c = { 0 };
	long faults = counter("faults");

	diag("%s: domain %s, mode %s, %u-bit DMA", self->info.name,
	     domain_name(self->info.domain_type),
	     self->nested ? "nested" : self->mapunmap ? "map-unmap" : "?",
	     self->info.dma_bits);

	ASSERT_EQ(0, map_pattern(self, EDU_DMA_TEST_SINGLE, EDU_DMA_TEST_TO_DEVICE,
				 DEV_BUF, 0, 1, &a, src));
	ASSERT_EQ(0, edu_map(self->fd, EDU_DMA_TEST_SINGLE,
			     EDU_DMA_TEST_FROM_DEVICE, DEV_BUF, 0, 0, &b));
	diag("TO_DEVICE buffer at IOVA %#llx, FROM_DEVICE at %#llx",
	     (unsigned long long)a.iova, (unsigned long long)b.iova);
	ASSERT_EQ(0, edu_dma(self->fd, a.iova, DEV_BUF, 0, EDU_DMA_TEST_RAM_TO_DEV));
	ASSERT_EQ(0, edu_dma(self->fd, b.iova, DEV_BUF, 0, EDU_DMA_TEST_DEV_TO_RAM));
	ASSERT_EQ(0, edu_rw(self->fd, false, b.id, 0, got, DEV_BUF));
	EXPECT_EQ(-1, first_diff(got, src, DEV_BUF));

	/* Bidirectional: the device writes it, then reads it */
	ASSERT_EQ(0, map_pattern(self, EDU_DMA_TEST_SINGLE,
				 EDU_DMA_TEST_BIDIRECTIONAL, DEV_BUF, 0, 2, &c,
				 NULL));
	ASSERT_EQ(0, edu_dma(self->fd, c.iova, DEV_BUF, 0, EDU_DMA_TEST_DEV_TO_RAM));
	ASSERT_EQ(0, edu_rw(self->fd, false, c.id, 0, got, DEV_BUF));
	EXPECT_EQ(-1, first_diff(got, src, DEV_BUF));
	ASSERT_EQ(0, fill_dev(self));
	ASSERT_EQ(0, edu_dma(self->fd, c.iova, DEV_BUF, 0, EDU_DMA_TEST_RAM_TO_DEV));
	ASSERT_EQ(0, edu_dma(self->fd, b.iova, DEV_BUF, 0, EDU_DMA_TEST_DEV_TO_RAM));
	ASSERT_EQ(0, edu_rw(self->fd, false, b.id, 0, got, DEV_BUF));
	EXPECT_EQ(-1, first_diff(got, src, DEV_BUF));

	EXPECT_EQ(0, edu_free(self->fd, a.id));
	EXPECT_EQ(0, edu_free(self->fd, b.id));
	EXPECT_EQ(0, edu_free(self->fd, c.id));
	if (self->counters) {
		sleep_ms(100);
		EXPECT_EQ(faults, counter("faults"));
	}
}

/* dma_alloc_coherent(): in through the first page, out to the second */
TEST_F(edu, roundtrip_coherent)
{
	uint8_t src[2 * DEV_BUF], got[2 * DEV_BUF];
	struct edu_dma_test_map m = { 0 };

	ASSERT_EQ(0, map_pattern(self, EDU_DMA_TEST_COHERENT,
				 EDU_DMA_TEST_BIDIRECTIONAL, 2 * DEV_BUF, 0, 3,
				 &m, src));
	ASSERT_EQ(0, edu_dma(self->fd, m.iova, DEV_BUF, 0, EDU_DMA_TEST_RAM_TO_DEV));
	ASSERT_EQ(0, edu_dma(self->fd, m.iova + DEV_BUF, DEV_BUF, 0,
			     EDU_DMA_TEST_DEV_TO_RAM));
	ASSERT_EQ(0, edu_rw(self->fd, false, m.id, 0, got, 2 * DEV_BUF));
	EXPECT_EQ(-1, first_diff(got, src, DEV_BUF));
	EXPECT_EQ(-1, first_diff(got + DEV_BUF, src, DEV_BUF));
	EXPECT_EQ(0, edu_unmap(self->fd, m.id));
	/* A coherent buffer is gone once unmapped */
	EXPECT_EQ(-ENXIO, edu_rw(self->fd, false, m.id, 0, got, 1));
	EXPECT_EQ(0, edu_free(self->fd, m.id));
}

/*
 * Buffers that start inside a page and cross pages, partial transfers:
 * exactly the bytes transferred change.
 */
TEST_F(edu, unaligned_partial)
{
	const uint64_t ssize = 3 * PAGE + 100, dsize = 2 * PAGE + 500;
	uint8_t *src = malloc(ssize), *dst = malloc(dsize), *got = malloc(dsize);
	struct edu_dma_test_map s = { 0 }, d = { 0 };
	static const struct { uint32_t src, len, dev, dst; } x[] = {
		{ 3000, DEV_BUF, 0, 1000 },	/* both cross a page */
		{ 0, 1, 17, 2 * PAGE + 499 },	/* a byte, the last one */
		{ PAGE - 3, 6, 4090, PAGE - 1 },	/* 6 bytes across pages */
		{ 2 * PAGE + 1, 100, 3996, 77 },
	};
	unsigned int i;

	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, dst);
	ASSERT_NE(NULL, got);
	ASSERT_EQ(0, map_pattern(self, EDU_DMA_TEST_SINGLE, EDU_DMA_TEST_TO_DEVICE,
				 ssize, 123, 4, &s, src));
	ASSERT_EQ(0, map_pattern(self, EDU_DMA_TEST_SINGLE,
				 EDU_DMA_TEST_BIDIRECTIONAL, dsize, 777, 5, &d,
				 dst));
	EXPECT_EQ(123ULL, s.iova % PAGE);
	EXPECT_EQ(777ULL, d.iova % PAGE);
	for (i = 0; i < sizeof(x) / sizeof(x[0]); i++) {
		ASSERT_EQ(0, fill_dev(self));
		ASSERT_EQ(0, edu_dma(self->fd, s.iova + x[i].src, x[i].len,
				     x[i].dev, EDU_DMA_TEST_RAM_TO_DEV));
		ASSERT_EQ(0, edu_dma(self->fd, d.iova + x[i].dst, x[i].len,
				     x[i].dev, EDU_DMA_TEST_DEV_TO_RAM));
		memcpy(dst + x[i].dst, src + x[i].src, x[i].len);
		ASSERT_EQ(0, edu_rw(self->fd, false, d.id, 0, got, dsize));
		EXPECT_EQ(-1, first_diff(got, dst, dsize))
			TH_LOG("transfer %u: %u bytes from +%u to +%u", i,
			       x[i].len, x[i].src, x[i].dst);
	}
	EXPECT_EQ(0, edu_free(self->fd, s.id));
	EXPECT_EQ(0, edu_free(self->fd, d.id));
	free(src);
	free(dst);
	free(got);
}

/*
 * The device reads an IOVA after its unmap. Strict: it faults at once.
 * Lazy: it may still read the old buffer until the flush queue is flushed
 * (its timer), then it faults.
 */
TEST_F(edu, unmapped_read_faults)
{
	uint8_t s[DEV_BUF], got[DEV_BUF];
	struct edu_dma_test_map a = { 0 };
	long base, now;
	size_t same;

	ASSERT_EQ(0, map_pattern(self, EDU_DMA_TEST_SINGLE, EDU_DMA_TEST_TO_DEVICE,
				 DEV_BUF, 0, 6, &a, s));
	/* The translation works, and the IOMMU may cache it */
	ASSERT_EQ(0, edu_dma(self->fd, a.iova, DEV_BUF, 0, EDU_DMA_TEST_RAM_TO_DEV));
	ASSERT_EQ(0, read_dev(self, 0, got, DEV_BUF));
	ASSERT_EQ(-1, first_diff(got, s, DEV_BUF));

	ASSERT_EQ(0, fill_dev(self));
	base = counter("faults");
	ASSERT_EQ(0, edu_unmap(self->fd, a.id));
	ASSERT_EQ(0, edu_dma(self->fd, a.iova, DEV_BUF, 0, EDU_DMA_TEST_RAM_TO_DEV));
	ASSERT_EQ(0, read_dev(self, 0, got, DEV_BUF));
	same = same_bytes(got, s, DEV_BUF);
	now = wait_faults(base, (self->lazy && same) || !self->counters ?
				0 : fault_wait_ms());
	diag("read of unmapped IOVA %#llx right after the unmap: %s; device buffer %s; faults %ld -> %ld",
	     (unsigned long long)a.iova,
	     same == DEV_BUF ? "old data read" : same ? "partly old data" : "no old data",
	     all_bytes(got, DEV_BUF, 0) ? "zeroed" :
	     first_diff(got, self->e, DEV_BUF) == -1 ? "unchanged" : "changed",
	     base, now);
	if (!self->lazy) {
		EXPECT_EQ(0UL, same) TH_LOG("the device read the unmapped buffer");
		if (self->counters)
			EXPECT_LT(base, now) TH_LOG("no fault counted");
		goto out;
	}
	/* Lazy: all or nothing of the old page, then a fault after the flush */
	EXPECT_TRUE(same == 0 || same == DEV_BUF);
	sleep_ms(env_long("EDU_DMA_FQ_WAIT_MS", 2500));
	ASSERT_EQ(0, fill_dev(self));
	base = counter("faults");
	ASSERT_EQ(0, edu_dma(self->fd, a.iova, DEV_BUF, 0, EDU_DMA_TEST_RAM_TO_DEV));
	ASSERT_EQ(0, read_dev(self, 0, got, DEV_BUF));
	same = same_bytes(got, s, DEV_BUF);
	now = wait_faults(base, self->counters ? fault_wait_ms() : 0);
	diag("after the flush queue's timeout: %s; faults %ld -> %ld",
	     same ? "old data read" : "no old data", base, now);
	EXPECT_EQ(0UL, same) TH_LOG("the device read the unmapped buffer after the flush");
	if (self->counters)
		EXPECT_LT(base, now) TH_LOG("no fault counted");
out:
	EXPECT_EQ(0, edu_free(self->fd, a.id));
}

/*
 * The device writes an IOVA after its unmap; the pages stay allocated so
 * that a write that went through shows. Strict: it faults at once. Lazy:
 * it may still land until the IOTLB is flushed (here explicitly, as the
 * flush queue does), then it faults.
 */
TEST_F(edu, unmapped_write_faults)
{
	uint8_t z[DEV_BUF], got[DEV_BUF];
	struct edu_dma_test_map w = { 0 };
	long base, now;
	bool landed;

	memset(z, 0x5a, sizeof(z));
	ASSERT_EQ(0, edu_map(self->fd, EDU_DMA_TEST_SINGLE,
			     EDU_DMA_TEST_BIDIRECTIONAL, DEV_BUF, 0, 0, &w));
	ASSERT_EQ(0, fill_dev(self));
	ASSERT_EQ(0, edu_dma(self->fd, w.iova, DEV_BUF, 0, EDU_DMA_TEST_DEV_TO_RAM));
	ASSERT_EQ(0, edu_rw(self->fd, false, w.id, 0, got, DEV_BUF));
	ASSERT_EQ(-1, first_diff(got, self->e, DEV_BUF));

	ASSERT_EQ(0, edu_rw(self->fd, true, w.id, 0, z, DEV_BUF));
	base = counter("faults");
	ASSERT_EQ(0, edu_unmap(self->fd, w.id));
	ASSERT_EQ(0, edu_dma(self->fd, w.iova, DEV_BUF, 0, EDU_DMA_TEST_DEV_TO_RAM));
	ASSERT_EQ(0, edu_rw(self->fd, false, w.id, 0, got, DEV_BUF));
	landed = first_diff(got, z, DEV_BUF) >= 0;
	now = wait_faults(base, (self->lazy && landed) || !self->counters ?
				0 : fault_wait_ms());
	diag("write to unmapped IOVA %#llx right after the unmap: %s; faults %ld -> %ld",
	     (unsigned long long)w.iova, landed ? "landed" : "dropped", base, now);
	if (!self->lazy) {
		EXPECT_FALSE(landed) TH_LOG("the device wrote the unmapped buffer");
		if (self->counters)
			EXPECT_LT(base, now) TH_LOG("no fault counted");
		goto out;
	}
	EXPECT_TRUE(!landed || first_diff(got, self->e, DEV_BUF) == -1);
	ASSERT_EQ(0, edu_rw(self->fd, true, w.id, 0, z, DEV_BUF));
	ASSERT_EQ(0, xioctl(self->fd, EDU_DMA_TEST_IOC_FLUSH, NULL));
	base = counter("faults");
	ASSERT_EQ(0, edu_dma(self->fd, w.iova, DEV_BUF, 0, EDU_DMA_TEST_DEV_TO_RAM));
	ASSERT_EQ(0, edu_rw(self->fd, false, w.id, 0, got, DEV_BUF));
	landed = first_diff(got, z, DEV_BUF) >= 0;
	now = wait_faults(base, self->counters ? fault_wait_ms() : 0);
	diag("after an IOTLB flush: %s; faults %ld -> %ld",
	     landed ? "landed" : "dropped", base, now);
	EXPECT_FALSE(landed) TH_LOG("the device wrote the unmapped buffer after the flush");
	if (self->counters)
		EXPECT_LT(base, now) TH_LOG("no fault counted");
out:
	EXPECT_EQ(0, edu_free(self->fd, w.id));
}

/* A DMA_TO_DEVICE mapping is read-only for the device */
TEST_F(edu, readonly_write_faults)
{
	uint8_t s[DEV_BUF], got[DEV_BUF];
	struct edu_dma_test_map r = { 0 };
	long base, now;

	ASSERT_EQ(0, map_pattern(self, EDU_DMA_TEST_SINGLE, EDU_DMA_TEST_TO_DEVICE,
				 DEV_BUF, 0, 7, &r, s));
	ASSERT_EQ(0, edu_dma(self->fd, r.iova, DEV_BUF, 0, EDU_DMA_TEST_RAM_TO_DEV));
	ASSERT_EQ(0, read_dev(self, 0, got, DEV_BUF));
	ASSERT_EQ(-1, first_diff(got, s, DEV_BUF)) TH_LOG("the device can't read it");

	ASSERT_EQ(0, fill_dev(self));
	base = counter("faults");
	ASSERT_EQ(0, edu_dma(self->fd, r.iova, DEV_BUF, 0, EDU_DMA_TEST_DEV_TO_RAM));
	ASSERT_EQ(0, edu_rw(self->fd, false, r.id, 0, got, DEV_BUF));
	now = wait_faults(base, self->counters ? fault_wait_ms() : 0);
	diag("write to read-only IOVA %#llx: %s; faults %ld -> %ld",
	     (unsigned long long)r.iova,
	     first_diff(got, s, DEV_BUF) < 0 ? "dropped" : "landed", base, now);
	EXPECT_EQ(-1, first_diff(got, s, DEV_BUF)) TH_LOG("the device wrote it");
	if (self->counters)
		EXPECT_LT(base, now) TH_LOG("no fault counted");
	EXPECT_EQ(0, edu_free(self->fd, r.id));
}

/* An IOVA the DMA API never gave faults both ways */
TEST_F(edu, never_mapped_faults)
{
	uint8_t got[DEV_BUF];
	long base, now;

	ASSERT_EQ(0, fill_dev(self));
	base = counter("faults");
	ASSERT_EQ(0, edu_dma(self->fd, NEVER_IOVA, DEV_BUF, 0,
			     EDU_DMA_TEST_RAM_TO_DEV));
	now = wait_faults(base, self->counters ? fault_wait_ms() : 0);
	ASSERT_EQ(0, read_dev(self, 0, got, DEV_BUF));
	diag("read of IOVA %#lx: device buffer %s; faults %ld -> %ld", NEVER_IOVA,
	     all_bytes(got, DEV_BUF, 0) ? "zeroed" :
	     first_diff(got, self->e, DEV_BUF) == -1 ? "unchanged" : "changed",
	     base, now);
	if (self->counters)
		EXPECT_LT(base, now) TH_LOG("no fault counted for a read");

	base = counter("faults");
	ASSERT_EQ(0, edu_dma(self->fd, NEVER_IOVA, DEV_BUF, 0,
			     EDU_DMA_TEST_DEV_TO_RAM));
	now = wait_faults(base, self->counters ? fault_wait_ms() : 0);
	diag("write to IOVA %#lx: faults %ld -> %ld", NEVER_IOVA, base, now);
	if (self->counters)
		EXPECT_LT(base, now) TH_LOG("no fault counted for a write");
}

/*
 * The device in a paging domain of the driver's own, with a fault handler:
 * data through iommu_map() at chosen IOVAs; faults of a read-only page,
 * an unmapped page and a never-mapped one. In nested mode the handler gets
 * each with its address and direction; in map-unmap mode faults are only
 * counted by the driver. Then back to the DMA API's domain, which works.
 */
/* Slow where the edu device is itself emulated under TCG one level down */
TEST_F_TIMEOUT(edu, own_domain_fault_handler, 300)
{
	uint8_t s[2 * PAGE], ro[PAGE], got[2 * PAGE];
	struct edu_dma_test_map m = { 0 }, d = { 0 }, r = { 0 };
	struct edu_dma_test_info info;
	long base;
	uint64_t hbase;
	int ret;

	/* No DMA API buffer may exist while the domain is switched */
	ASSERT_EQ(0, edu_free(self->fd, self->filler.id));
	ASSERT_EQ(0, edu_free(self->fd, self->rx.id));
	ret = edu_domain(self->fd, EDU_DMA_TEST_DOMAIN_ATTACH);
	if (ret == -ENODEV)
		SKIP(return, "no paging domain for the device");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, edu_info(self->fd, &info));
	EXPECT_EQ((uint32_t)EDU_DMA_TEST_DOMAIN_UNMANAGED, info.domain_type);
	/* The DMA API can't be used meanwhile */
	EXPECT_EQ(-EBUSY, edu_map(self->fd, EDU_DMA_TEST_SINGLE,
				  EDU_DMA_TEST_TO_DEVICE, PAGE, 0, 0, &r));

	m.iova = OWN_IOVA_RW;
	ASSERT_EQ(0, map_pattern(self, EDU_DMA_TEST_IOMMU,
				 EDU_DMA_TEST_BIDIRECTIONAL, 2 * PAGE, 0, 8, &m,
				 s));
	d.iova = OWN_IOVA_DST + 100;
	ASSERT_EQ(0, edu_map(self->fd, EDU_DMA_TEST_IOMMU,
			     EDU_DMA_TEST_FROM_DEVICE, 2 * PAGE, 100, d.iova,
			     &d));
	r.iova = OWN_IOVA_RO;
	ASSERT_EQ(0, map_pattern(self, EDU_DMA_TEST_IOMMU, EDU_DMA_TEST_TO_DEVICE,
				 PAGE, 0, 9, &r, ro));
	EXPECT_EQ((uint64_t)OWN_IOVA_RW, m.iova);

	/* Data: across the page boundary in, across another out */
	ASSERT_EQ(0, edu_dma(self->fd, m.iova + 2048, DEV_BUF, 0,
			     EDU_DMA_TEST_RAM_TO_DEV));
	ASSERT_EQ(0, edu_dma(self->fd, d.iova + 3000, DEV_BUF, 0,
			     EDU_DMA_TEST_DEV_TO_RAM));
	ASSERT_EQ(0, edu_rw(self->fd, false, d.id, 3000, got, DEV_BUF));
	EXPECT_EQ(-1, first_diff(got, s + 2048, DEV_BUF));
	ASSERT_EQ(0, edu_dma(self->fd, r.iova, PAGE, 0, EDU_DMA_TEST_RAM_TO_DEV));
	ASSERT_EQ(0, edu_dma(self->fd, d.iova, PAGE, 0, EDU_DMA_TEST_DEV_TO_RAM));
	ASSERT_EQ(0, edu_rw(self->fd, false, d.id, 0, got, PAGE));
	EXPECT_EQ(-1, first_diff(got, ro, PAGE));
	ASSERT_EQ(0, edu_info(self->fd, &info));
	EXPECT_EQ(0ULL, info.faults);

	struct {
		const char *what;
		uint64_t iova;
		uint32_t dir;
		uint32_t fault_flags;
	} f[] = {
		{ "write to the read-only page", OWN_IOVA_RO + 64,
		  EDU_DMA_TEST_DEV_TO_RAM, 1 },
		{ "read of an unmapped page", OWN_IOVA_RW + PAGE + 8,
		  EDU_DMA_TEST_RAM_TO_DEV, 0 },
		{ "write to an unmapped page", OWN_IOVA_RW + 16,
		  EDU_DMA_TEST_DEV_TO_RAM, 1 },
		{ "read of a never-mapped page", OWN_IOVA_NEVER,
		  EDU_DMA_TEST_RAM_TO_DEV, 0 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (i == 1) {
			ASSERT_EQ(0, edu_unmap(self->fd, m.id));
		}
		ASSERT_EQ(0, edu_info(self->fd, &info));
		hbase = info.faults;
		base = counter("faults");
		ASSERT_EQ(0, edu_dma(self->fd, f[i].iova, 256, 0, f[i].dir));
		wait_faults(base, self->counters ? fault_wait_ms() : 0);
		for (ret = 0; ret < fault_wait_ms() / 20; ret++) {
			ASSERT_EQ(0, edu_info(self->fd, &info));
			if (info.faults > hbase || !self->nested)
				break;
			sleep_ms(20);
		}
		diag("%s at %#llx: driver faults %ld -> %ld, handler faults %llu -> %llu, last at %#llx flags %u",
		     f[i].what, (unsigned long long)f[i].iova, base,
		     counter("faults"), (unsigned long long)hbase,
		     (unsigned long long)info.faults,
		     (unsigned long long)info.fault_iova, info.fault_flags);
		if (self->counters)
			EXPECT_LT(base, counter("faults"));
		if (self->nested) {
			EXPECT_LT(hbase, info.faults) TH_LOG("%s: no fault reported to the handler",
							    f[i].what);
			if (info.faults - hbase == 1) {
				EXPECT_EQ(f[i].iova, info.fault_iova);
			} else {
				/*
				 * The IOMMU reported pieces of the access
				 * (QEMU's emulated SMMUv3 under a passed-
				 * through device: one event per 4 bytes):
				 * the last piece lies inside the access.
				 */
				EXPECT_LE(f[i].iova, info.fault_iova);
				EXPECT_GT(f[i].iova + 256, info.fault_iova);
			}
			EXPECT_EQ(f[i].fault_flags, info.fault_flags);
		}
	}
	/* The write to the read-only page and the unmapped one were dropped */
	ASSERT_EQ(0, edu_rw(self->fd, false, r.id, 0, got, PAGE));
	EXPECT_EQ(-1, first_diff(got, ro, PAGE));
	ASSERT_EQ(0, edu_rw(self->fd, false, m.id, 0, got, 2 * PAGE));
	EXPECT_EQ(-1, first_diff(got, s, 2 * PAGE));

	EXPECT_EQ(-EBUSY, edu_domain(self->fd, EDU_DMA_TEST_DOMAIN_DETACH));
	EXPECT_EQ(0, edu_free(self->fd, m.id));
	EXPECT_EQ(0, edu_free(self->fd, d.id));
	EXPECT_EQ(0, edu_free(self->fd, r.id));
	ASSERT_EQ(0, edu_domain(self->fd, EDU_DMA_TEST_DOMAIN_DETACH));

	/* The DMA API's domain again */
	ASSERT_EQ(0, edu_info(self->fd, &info));
	EXPECT_EQ(self->info.domain_type, info.domain_type);
	base = counter("faults");
	ASSERT_EQ(0, map_pattern(self, EDU_DMA_TEST_SINGLE, EDU_DMA_TEST_TO_DEVICE,
				 PAGE, 0, 10, &m, s));
	ASSERT_EQ(0, edu_map(self->fd, EDU_DMA_TEST_SINGLE,
			     EDU_DMA_TEST_FROM_DEVICE, PAGE, 0, 0, &d));
	ASSERT_EQ(0, edu_dma(self->fd, m.iova, PAGE, 0, EDU_DMA_TEST_RAM_TO_DEV));
	ASSERT_EQ(0, edu_dma(self->fd, d.iova, PAGE, 0, EDU_DMA_TEST_DEV_TO_RAM));
	ASSERT_EQ(0, edu_rw(self->fd, false, d.id, 0, got, PAGE));
	EXPECT_EQ(-1, first_diff(got, s, PAGE))
		TH_LOG("DMA API mapping broken after the domain switch");
	if (self->counters) {
		sleep_ms(100);
		EXPECT_EQ(base, counter("faults"));
	}
	EXPECT_EQ(0, edu_free(self->fd, m.id));
	EXPECT_EQ(0, edu_free(self->fd, d.id));
}

/*
 * Domain switches while the flush queue holds invalidations (lazy mode):
 * the device frees a domain when its last endpoint leaves it, so a flush of
 * the DMA domain that runs after the switch must not reach the device. The
 * sleep before each switch sweeps the flush queue's timer (10 ms, in
 * jiffies) across the ATTACH_TABLE, where the race was. In strict mode the
 * loop is plain domain switching. Every request must succeed: the driver's
 * invalidate_errors counter stays where it was (and the suite checks that
 * the device rejected no INVALIDATE).
 */
TEST_F_TIMEOUT(edu, domain_switch_pending_flush, 300)
{
	const long switches = env_long("EDU_DMA_SWITCHES", 96);
	long errors = counter("invalidate_errors");
	long att = counter("attach_table"), i;
	struct edu_dma_test_map m;
	uint8_t s[PAGE], got[PAGE];
	int ret;

	ASSERT_EQ(0, edu_free(self->fd, self->filler.id));
	ASSERT_EQ(0, edu_free(self->fd, self->rx.id));
	for (i = 0; i < switches; i++) {
		memset(&m, 0, sizeof(m));
		ASSERT_EQ(0, map_pattern(self, EDU_DMA_TEST_SINGLE,
					 EDU_DMA_TEST_TO_DEVICE, PAGE, 0,
					 (unsigned int)i, &m, NULL));
		ASSERT_EQ(0, edu_dma(self->fd, m.iova, PAGE, 0,
				     EDU_DMA_TEST_RAM_TO_DEV));
		ASSERT_EQ(0, edu_free(self->fd, m.id));
		usleep((unsigned int)(i * 331 % 13000));
		ret = edu_domain(self->fd, EDU_DMA_TEST_DOMAIN_ATTACH);
		if (ret == -ENODEV)
			SKIP(return, "no paging domain for the device");
		ASSERT_EQ(0, ret) TH_LOG("switch %ld: attach", i);
		ASSERT_EQ(0, edu_domain(self->fd, EDU_DMA_TEST_DOMAIN_DETACH))
			TH_LOG("switch %ld: detach", i);
	}

	/* The DMA domain still works */
	memset(&m, 0, sizeof(m));
	ASSERT_EQ(0, map_pattern(self, EDU_DMA_TEST_SINGLE,
				 EDU_DMA_TEST_BIDIRECTIONAL, PAGE, 0, 77, &m, s));
	ASSERT_EQ(0, edu_dma(self->fd, m.iova, PAGE, 0, EDU_DMA_TEST_RAM_TO_DEV));
	memset(got, 0, sizeof(got));
	ASSERT_EQ(0, edu_rw(self->fd, true, m.id, 0, got, PAGE));
	ASSERT_EQ(0, edu_dma(self->fd, m.iova, PAGE, 0, EDU_DMA_TEST_DEV_TO_RAM));
	ASSERT_EQ(0, edu_rw(self->fd, false, m.id, 0, got, PAGE));
	EXPECT_EQ(-1, first_diff(got, s, PAGE));
	ASSERT_EQ(0, edu_free(self->fd, m.id));

	sleep_ms(100);
	diag("%ld switches (%s): attach_table %ld -> %ld, invalidate_errors %ld -> %ld",
	     switches, self->lazy ? "lazy" : "strict", att,
	     counter("attach_table"), errors, counter("invalidate_errors"));
	/* The driver's counters exist: invalidate_errors must be among them */
	if (counter("faults") >= 0) {
		EXPECT_LE(0, errors);
		EXPECT_EQ(errors, counter("invalidate_errors"));
	}
	if (self->nested)
		EXPECT_LE(att + 2 * switches, counter("attach_table"));
}

/* A tiny PRNG, so that a failing cycle can be replayed */
static uint32_t rnd(uint32_t *state)
{
	*state = *state * 1103515245 + 12345;
	return *state >> 8;
}

/*
 * Many map/unmap cycles: random sizes, offsets, kinds and directions, data
 * in and out checked over the whole destination buffer, extra mappings
 * mapped and unmapped around them, no fault, and the requests of the mode.
 */
TEST_F_TIMEOUT(edu, map_unmap_cycles, 300)
{
	const long cycles = env_long("EDU_DMA_CYCLES", 48);
	const uint64_t maxs = 3 * PAGE;
	uint8_t *src = malloc(maxs), *want = malloc(maxs), *got = malloc(maxs);
	long faults = counter("faults"), maps = counter("map");
	long unmaps = counter("unmap"), inv = counter("invalidate");
	long n_map = 0, n_unmap = 0, c;
	uint32_t seed = 1;

	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, want);
	ASSERT_NE(NULL, got);
	for (c = 0; c < cycles; c++) {
		struct edu_dma_test_map s = { 0 }, d = { 0 }, extra[4];
		uint32_t skind = rnd(&seed) % 4 ? EDU_DMA_TEST_SINGLE : EDU_DMA_TEST_COHERENT;
		uint32_t sdir = skind == EDU_DMA_TEST_COHERENT || rnd(&seed) % 2 ?
				EDU_DMA_TEST_BIDIRECTIONAL : EDU_DMA_TEST_TO_DEVICE;
		uint32_t ddir = rnd(&seed) % 2 ? EDU_DMA_TEST_BIDIRECTIONAL :
				EDU_DMA_TEST_FROM_DEVICE;
		uint64_t ssize = 1 + rnd(&seed) % maxs;
		uint64_t soff = skind == EDU_DMA_TEST_COHERENT ? 0 : rnd(&seed) % PAGE;
		uint32_t len = 1 + rnd(&seed) % (ssize < DEV_BUF ? ssize : DEV_BUF);
		uint64_t dsize = len + rnd(&seed) % (maxs - len + 1);
		uint64_t doff = rnd(&seed) % PAGE;
		uint64_t x = rnd(&seed) % (ssize - len + 1);
		uint64_t y = rnd(&seed) % (dsize - len + 1);
		uint32_t dev = rnd(&seed) % (DEV_BUF - len + 1);
		unsigned int i;

		ASSERT_EQ(0, map_pattern(self, skind, sdir, ssize, soff,
					 (unsigned int)c, &s, src))
			TH_LOG("cycle %ld: map source", c);
		ASSERT_EQ(0, edu_map(self->fd, EDU_DMA_TEST_SINGLE, ddir, dsize,
				     doff, 0, &d))
			TH_LOG("cycle %ld: map destination", c);
		n_map += 2;
		for (i = 0; i < 4; i++) {
			ASSERT_EQ(0, edu_map(self->fd, EDU_DMA_TEST_SINGLE,
					     rnd(&seed) % 3, 1 + rnd(&seed) % (4 * PAGE),
					     rnd(&seed) % PAGE, 0, &extra[i]));
			n_map++;
		}
		ASSERT_EQ(0, edu_dma(self->fd, s.iova + x, len, dev,
				     EDU_DMA_TEST_RAM_TO_DEV));
		ASSERT_EQ(0, edu_dma(self->fd, d.iova + y, len, dev,
				     EDU_DMA_TEST_DEV_TO_RAM));
		memset(want, 0, dsize);
		memcpy(want + y, src + x, len);
		ASSERT_EQ(0, edu_rw(self->fd, false, d.id, 0, got, dsize));
		ASSERT_EQ(-1, first_diff(got, want, dsize))
			TH_LOG("cycle %ld: %u bytes from %s %s buffer +%llu (size %llu, offset %llu, IOVA %#llx) to +%llu (size %llu, offset %llu, IOVA %#llx) through +%u",
			       c, len, skind ? "coherent" : "single",
			       sdir ? "to-device" : "bidirectional",
			       (unsigned long long)x, (unsigned long long)ssize,
			       (unsigned long long)soff, (unsigned long long)s.iova,
			       (unsigned long long)y, (unsigned long long)dsize,
			       (unsigned long long)doff, (unsigned long long)d.iova,
			       dev);
		for (i = 0; i < 4; i++)
			ASSERT_EQ(0, edu_free(self->fd, extra[i].id));
		ASSERT_EQ(0, edu_free(self->fd, s.id));
		ASSERT_EQ(0, edu_free(self->fd, d.id));
		n_unmap += 6;
	}
	sleep_ms(200);
	diag("%ld cycles, %ld maps, %ld unmaps: requests map %ld, unmap %ld, invalidate %ld; faults %ld",
	     cycles, n_map, n_unmap, counter("map") - maps,
	     counter("unmap") - unmaps, counter("invalidate") - inv,
	     counter("faults") - faults);
	if (self->counters) {
		EXPECT_EQ(faults, counter("faults"));
		if (self->nested) {
			EXPECT_EQ(maps, counter("map"));
			EXPECT_EQ(unmaps, counter("unmap"));
			if (!self->lazy)
				EXPECT_LE(inv + n_unmap, counter("invalidate"));
		}
		if (self->mapunmap) {
			EXPECT_LE(maps + n_map, counter("map"));
			EXPECT_LE(unmaps + n_unmap, counter("unmap"));
			EXPECT_EQ(inv, counter("invalidate"));
		}
	}
	free(src);
	free(want);
	free(got);
}

TEST_HARNESS_MAIN
