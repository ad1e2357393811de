// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Writes the seed corpus of the fuzz targets: small, valid or nearly valid
 * inputs that reach deep into each decoder. Usage: gen-corpus <dir>
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "fuzz.h"

static const char *root;

static void put(const char *target, const char *name, const void *buf,
		size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, target);
	if (mkdir(path, 0755) && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s/%s", root, target, name);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* A selector byte, then the request bytes */
static void put_req(const char *target, const char *name, uint8_t sel,
		    const void *req, size_t len)
{
	uint8_t buf[1 + 16 + 32 * 8];

	buf[0] = sel;
	memcpy(buf + 1, req, len);
	put(target, name, buf, 1 + len);
}

static void attach_seed(const char *name, uint8_t sel, uint8_t fmt,
			uint8_t cdmax, uint64_t ptr, uint8_t dss)
{
	struct {
		struct virtio_iommu_req_attach_table req;
	} s = { 0 };

	s.req.head.type = VIRTIO_IOMMU_T_ATTACH_TABLE;
	s.req.domain = htole32(1);
	s.req.endpoint = htole32(8);
	s.req.format = htole16(VIRTIO_IOMMU_TABLE_FMT_ARM_SMMUV3);
	s.req.arm_smmuv3.s1contextptr = htole64(ptr);
	s.req.arm_smmuv3.s1fmt = fmt;
	s.req.arm_smmuv3.s1cdmax = cdmax;
	s.req.arm_smmuv3.s1dss = dss;
	s.req.arm_smmuv3.s1cir = 1;
	s.req.arm_smmuv3.s1cor = 1;
	s.req.arm_smmuv3.s1csh = 3;
	/* Device-readable part only: up to the tail */
	put_req("fuzz_attach_table", name, sel, &s.req, 68);
}

static void attach_seeds(void)
{
	attach_seed("linear-single", 0, 0, 0, 0x40001000, 0);
	attach_seed("linear-8", 0, 0, 3, 0x40001000, 2);
	attach_seed("2l-4k", 0, 1, 12, 0x40000200, 1);
	attach_seed("2l-64k", 0, 2, 20, 0x40000000, 2);
	attach_seed("qemu-caps", 3, 0, 0, 0x40000040, 0);
	attach_seed("misaligned", 0, 0, 4, 0x40000200, 0);
}

struct inv_seed {
	struct virtio_iommu_req_invalidate hdr;
	struct virtio_iommu_inv_entry e[8];
};

static void inv_entry(struct virtio_iommu_inv_entry *e, uint8_t scope,
		      uint8_t flags, uint8_t tg, uint8_t ttl, uint16_t asid,
		      uint32_t ssid, uint64_t addr, uint64_t size)
{
	*e = (struct virtio_iommu_inv_entry){
		.scope = scope,
		.flags = flags,
		.tg = tg,
		.ttl = ttl,
		.asid = htole16(asid),
		.ssid = htole32(ssid),
		.addr = htole64(addr),
		.size = htole64(size),
	};
}

static void inv_seed(const char *name, uint8_t sel, unsigned int nr,
		     struct inv_seed *s)
{
	s->hdr.head.type = VIRTIO_IOMMU_T_INVALIDATE;
	s->hdr.domain = htole32(1);
	s->hdr.nr_entries = htole16(nr);
	put_req("fuzz_invalidate", name, sel, s, 16 + 32 * nr);
}

static void invalidate_seeds(void)
{
	struct inv_seed s = { 0 };

	inv_entry(&s.e[0], VIRTIO_IOMMU_INV_S_DOMAIN, 0, 0, 0, 0, 0, 0, 0);
	inv_entry(&s.e[1], VIRTIO_IOMMU_INV_S_ASID, 0, 0, 0, 7, 0, 0, 0);
	inv_entry(&s.e[2], VIRTIO_IOMMU_INV_S_VA, 1, 12, 3, 7, 0, 0x10000,
		  0x3000);
	inv_entry(&s.e[3], VIRTIO_IOMMU_INV_S_CD, 0, 0, 0, 0, 5, 0, 0);
	inv_entry(&s.e[4], VIRTIO_IOMMU_INV_S_CD_ALL, 0, 0, 0, 0, 0, 0, 0);
	inv_entry(&s.e[5], VIRTIO_IOMMU_INV_S_ATC, 2, 0, 0, 0, 5, 0x7000,
		  0x2000);
	inv_seed("all-scopes-ril", 0 | 2 << 2, 6, &s);
	inv_seed("all-scopes-noril", 2 | 1 << 2, 6, &s);
	inv_entry(&s.e[0], VIRTIO_IOMMU_INV_S_VA, 1, 16, 2, 3, 0, 0x20000000,
		  0x20000000);
	inv_entry(&s.e[1], VIRTIO_IOMMU_INV_S_VA, 0, 12, 0, 3, 0, 0x100000,
		  33 * 0x1000);
	inv_entry(&s.e[2], VIRTIO_IOMMU_INV_S_VA, 1, 14, 1, 3, 0, 0x4000,
		  0x4000);
	inv_entry(&s.e[3], VIRTIO_IOMMU_INV_S_VA, 0, 0, 0, 3, 0, 0x5000,
		  0x2000);
	inv_seed("va-ranges", 1 | 1 << 2, 4, &s);
	inv_entry(&s.e[0], VIRTIO_IOMMU_INV_S_VA, 1, 12, 2, 3, 0, 0x200000,
		  0x400000);
	inv_entry(&s.e[1], VIRTIO_IOMMU_INV_S_VA, 0, 12, 0, 3, 0, 0,
		  1ULL << 45);
	inv_seed("va-blocks-noril", 2 | 3 << 2, 2, &s);
}

/* A CD as the Linux driver builds it (IHI 0070 5.4, by hand) */
static void make_cd(uint64_t cd[8], unsigned int tg0, unsigned int t0sz,
		    unsigned int ips, uint64_t ttb0, uint16_t asid)
{
	memset(cd, 0, 8 * sizeof(*cd));
	cd[0] = t0sz | (uint64_t)tg0 << 6 | 1ULL << 30 | 1ULL << 31 |
		(uint64_t)ips << 32 | 1ULL << 41 | 1ULL << 45 | 1ULL << 46 |
		1ULL << 47 | (uint64_t)asid << 48;
	cd[1] = ttb0;
}

static uint8_t image[0x4000];

static void w64(uint64_t addr, uint64_t val)
{
	val = htole64(val);
	memcpy(image + addr, &val, 8);
}

static void write_cd(uint64_t addr, const uint64_t cd[8])
{
	for (int i = 0; i < 8; i++)
		w64(addr + 8 * i, cd[i]);
}

static void cd_seed(const char *name, struct fuzz_cd_hdr hdr, size_t len)
{
	uint8_t buf[sizeof(hdr) + sizeof(image)];

	memcpy(buf, &hdr, sizeof(hdr));
	memcpy(buf + sizeof(hdr), image, len);
	put("fuzz_cd", name, buf, sizeof(hdr) + len);
}

static void cd_seeds(void)
{
	uint64_t cd[8];

	memset(image, 0, sizeof(image));
	make_cd(cd, 0, 16, 5, 0x4000, 5);
	write_cd(0x1000 + 5 * 64, cd);
	make_cd(cd, 0, 16, 5, 0x4000, 100);
	write_cd(0x1000, cd);
	cd_seed("linear",
		(struct fuzz_cd_hdr){ .ssid = 5,
				      .s1contextptr = 0x1000,
				      .s1cdmax = 3,
				      .ssv = 1 | 1 << 1 },
		0x1200);
	cd_seed("bypass",
		(struct fuzz_cd_hdr){
			.s1contextptr = 0x1000, .s1cdmax = 3, .s1dss = 1 },
		0x1200);
	cd_seed("ssid0",
		(struct fuzz_cd_hdr){
			.s1contextptr = 0x1000, .s1cdmax = 3, .s1dss = 2 },
		0x1200);

	memset(image, 0, sizeof(image));
	w64(0x100 + 8, 0x1000 | 1);
	make_cd(cd, 2, 28, 2, 0x8000, 70);
	write_cd(0x1000 + 6 * 64, cd);
	cd_seed("2l-4k",
		(struct fuzz_cd_hdr){ .ssid = 70,
				      .s1contextptr = 0x100,
				      .s1fmt = 1,
				      .s1cdmax = 8,
				      .ssv = 1 },
		0x1200);

	/* The L2 table at 0 overlaps the L1 table, CD 6 does not */
	memset(image, 0, sizeof(image));
	w64(0x40 + 8, 0x0 | 1);
	make_cd(cd, 1, 20, 6, 0x20000, 1030);
	write_cd(6 * 64, cd);
	cd_seed("2l-64k",
		(struct fuzz_cd_hdr){ .ssid = 1030,
				      .s1contextptr = 0x40,
				      .s1fmt = 2,
				      .s1cdmax = 12,
				      .ssv = 1,
				      .caps_sel = 1 },
		0x200);
}

static void walk_seed(const char *name, const uint64_t cd[8], uint64_t iova,
		      uint8_t caps_sel, size_t len)
{
	uint8_t buf[sizeof(struct fuzz_walk_hdr) + sizeof(image)];
	struct fuzz_walk_hdr hdr = { .iova = iova,
				     .access = 3,
				     .caps_sel = caps_sel };

	memcpy(hdr.cd, cd, sizeof(hdr.cd));
	memcpy(buf, &hdr, sizeof(hdr));
	memcpy(buf + sizeof(hdr), image, len);
	put("fuzz_walk", name, buf, sizeof(hdr) + len);
}

/* Leaf attributes: AF, nG, inner shareable, AP[1] */
#define LEAF (1ULL << 10 | 1ULL << 11 | 3ULL << 8 | 1ULL << 6)

static void walk_seeds(void)
{
	uint64_t cd[8], iova;

	/* 4KB, 48-bit: levels 0-3 at 0x0, 0x1000, 0x2000, 0x3000 */
	memset(image, 0, sizeof(image));
	iova = 1ULL << 39 | 2ULL << 30 | 3ULL << 21 | 4ULL << 12;
	w64(0x0000 + 1 * 8, 0x1000 | 3);
	w64(0x1000 + 2 * 8, 0x2000 | 3);
	w64(0x2000 + 3 * 8, 0x3000 | 3);
	w64(0x3000 + 4 * 8, 0x12345000 | LEAF | 3);
	/* and a 2MB block next to it */
	w64(0x2000 + 4 * 8, 0x40000000 | LEAF | 1);
	make_cd(cd, 0, 16, 5, 0, 1);
	walk_seed("4k-48bit-page", cd, iova | 0x123, 0, 0x4000);
	walk_seed("4k-48bit-block", cd, iova + (1 << 21), 0, 0x4000);
	cd[0] |= 1ULL << 36; /* WXN */
	walk_seed("4k-48bit-wxn", cd, iova, 2, 0x4000);

	/* 16KB, 36-bit: levels 2 and 3 share the table at 0 */
	memset(image, 0, sizeof(image));
	w64(0x0000 + 1 * 8, 0x0000 | 3);
	w64(0x0000 + 5 * 8, 0x9990000 | LEAF | 3);
	make_cd(cd, 2, 28, 2, 0, 2);
	walk_seed("16k-36bit", cd, 1ULL << 25 | 5ULL << 14, 0, 0x40);

	/* 64KB, 30-bit: levels 2 and 3 share the table at 0 */
	memset(image, 0, sizeof(image));
	w64(0x0000 + 1 * 8, 0x0000 | 3);
	w64(0x0000 + 6 * 8, 0x770000 | LEAF | 3);
	make_cd(cd, 1, 34, 4, 0, 3);
	walk_seed("64k-30bit", cd, 1ULL << 29 | 6ULL << 16, 3, 0x40);

	/* 64KB, 52-bit VA and PA (OA[51:48] in [15:12]), one shared table */
	memset(image, 0, sizeof(image));
	w64(0x0000 + 1023 * 8, 0x0000 | 3);
	w64(0x0000 + 1 * 8, 0x0000 | 3);
	w64(0x0000 + 2 * 8, 0x30000 | 0xa << 12 | LEAF | 3);
	make_cd(cd, 1, 12, 6, 0, 4);
	walk_seed("64k-52bit", cd, 1023ULL << 42 | 1ULL << 29 | 2ULL << 16, 1,
		  0x2000);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
		return 2;
	}
	root = argv[1];
	attach_seeds();
	invalidate_seeds();
	cd_seeds();
	walk_seeds();
	return 0;
}
