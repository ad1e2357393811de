// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ATTACH_TABLE and INVALIDATE decoding: valid requests and every rejection
 * with its status.
 */
#include <endian.h>
#include <stddef.h>
#include <string.h>

#include "pvb/req.h"

#include "suites.h"
#include "tap.h"

#define ATTACH_LEN 68 /* up to the tail, offsetof(..., tail) */

static struct pvb_arm_caps caps;

static void attach_init(struct virtio_iommu_req_attach_table *req)
{
	memset(req, 0, sizeof(*req));
	req->head.type = VIRTIO_IOMMU_T_ATTACH_TABLE;
	req->domain = htole32(5);
	req->endpoint = htole32(9);
	req->format = htole16(VIRTIO_IOMMU_TABLE_FMT_ARM_SMMUV3);
	/* 2-level 64KB, S1CDMax 16: L1 table of 64 L1CDs, 512 bytes */
	req->arm_smmuv3.s1contextptr = htole64(0x40000200ULL);
	req->arm_smmuv3.s1fmt = VIRTIO_IOMMU_ARM_S1FMT_2L_64K;
	req->arm_smmuv3.s1cdmax = 16;
	req->arm_smmuv3.s1dss = VIRTIO_IOMMU_ARM_S1DSS_SSID0;
	req->arm_smmuv3.s1cir = 1;
	req->arm_smmuv3.s1cor = 1;
	req->arm_smmuv3.s1csh = 3;
}

static struct pvb_req_diag diag;

static uint8_t attach(const struct virtio_iommu_req_attach_table *req,
		      size_t len, struct pvb_attach_table *out)
{
	return pvb_req_decode_attach_table(req, len, &caps, out, &diag);
}

#define ATTACH_EXPECT(status, what, mutate)                   \
	do {                                                  \
		struct virtio_iommu_req_attach_table r;       \
		struct pvb_attach_table o;                    \
		attach_init(&r);                              \
		mutate;                                       \
		if (!EQ(attach(&r, ATTACH_LEN, &o), status,   \
			"ATTACH_TABLE: %s", what))            \
			tap_diag("  decoder said: %s",        \
				 diag.msg ? diag.msg : "ok"); \
	} while (0)

static void test_attach(void)
{
	struct virtio_iommu_req_attach_table req;
	struct pvb_attach_table out;

	OK(offsetof(struct virtio_iommu_req_attach_table, tail) == ATTACH_LEN,
	   "ATTACH_TABLE tail at offset 68");
	attach_init(&req);
	EQ(attach(&req, ATTACH_LEN, &out), VIRTIO_IOMMU_S_OK,
	   "ATTACH_TABLE: valid request");
	OK(out.domain == 5 && out.endpoint == 9, "  domain and endpoint");
	OK(out.table.s1contextptr == 0x40000200ULL &&
		   out.table.s1fmt == VIRTIO_IOMMU_ARM_S1FMT_2L_64K &&
		   out.table.s1cdmax == 16 && out.table.s1dss == 2 &&
		   out.table.s1cir == 1 && out.table.s1cor == 1 &&
		   out.table.s1csh == 3,
	   "  table fields");
	OK(pvb_req_decode_attach_table(&req, ATTACH_LEN, &caps, &out, &diag) ==
			   VIRTIO_IOMMU_S_OK &&
		   !diag.msg && diag.entry == -1,
	   "  no diagnostic");

	EQ(attach(&req, ATTACH_LEN - 1, &out), VIRTIO_IOMMU_S_INVAL,
	   "ATTACH_TABLE: 67 bytes");
	EQ(attach(&req, ATTACH_LEN + 4, &out), VIRTIO_IOMMU_S_INVAL,
	   "ATTACH_TABLE: 72 bytes (tail included)");
	ATTACH_EXPECT(VIRTIO_IOMMU_S_INVAL, "wrong type",
		      r.head.type = VIRTIO_IOMMU_T_ATTACH);
	ATTACH_EXPECT(VIRTIO_IOMMU_S_OK, "head.reserved is ignored",
		      r.head.reserved[1] = 1);
	ATTACH_EXPECT(VIRTIO_IOMMU_S_INVAL, "unknown flag",
		      r.flags = htole32(1));
	ATTACH_EXPECT(VIRTIO_IOMMU_S_INVAL, "reserved[5]", r.reserved[5] = 1);
	ATTACH_EXPECT(VIRTIO_IOMMU_S_INVAL, "reserved1[0]", r.reserved1[0] = 1);
	ATTACH_EXPECT(VIRTIO_IOMMU_S_INVAL, "table reserved[25]",
		      r.arm_smmuv3.reserved[25] = 0x80);
	ATTACH_EXPECT(VIRTIO_IOMMU_S_INVAL, "format 0", r.format = 0);
	ATTACH_EXPECT(VIRTIO_IOMMU_S_UNSUPP, "format 2", r.format = htole16(2));
	ATTACH_EXPECT(VIRTIO_IOMMU_S_INVAL, "s1fmt 3", r.arm_smmuv3.s1fmt = 3);
	ATTACH_EXPECT(VIRTIO_IOMMU_S_INVAL, "s1dss 3", r.arm_smmuv3.s1dss = 3);
	ATTACH_EXPECT(VIRTIO_IOMMU_S_INVAL, "s1cir 4", r.arm_smmuv3.s1cir = 4);
	ATTACH_EXPECT(VIRTIO_IOMMU_S_INVAL, "s1cor 4", r.arm_smmuv3.s1cor = 4);
	ATTACH_EXPECT(VIRTIO_IOMMU_S_INVAL, "s1csh 1 (reserved)",
		      r.arm_smmuv3.s1csh = 1);
	ATTACH_EXPECT(VIRTIO_IOMMU_S_INVAL, "s1csh 4", r.arm_smmuv3.s1csh = 4);
	ATTACH_EXPECT(VIRTIO_IOMMU_S_OK, "s1csh 0 (non-shareable)",
		      r.arm_smmuv3.s1csh = 0);
	ATTACH_EXPECT(VIRTIO_IOMMU_S_RANGE, "s1cdmax 21 > ssid_bits",
		      r.arm_smmuv3.s1cdmax = 21);
	ATTACH_EXPECT(VIRTIO_IOMMU_S_RANGE, "s1contextptr at 2^48",
		      r.arm_smmuv3.s1contextptr = htole64(1ULL << 48));
	ATTACH_EXPECT(VIRTIO_IOMMU_S_INVAL,
		      "2-level 64KB, 64 L1CDs: s1contextptr 256-byte aligned",
		      r.arm_smmuv3.s1contextptr = htole64(0x40000100));
	ATTACH_EXPECT(VIRTIO_IOMMU_S_OK,
		      "2-level 4KB, S1CDMax 9: 64-byte aligned L1 table",
		      r.arm_smmuv3.s1fmt = VIRTIO_IOMMU_ARM_S1FMT_2L_4K;
		      r.arm_smmuv3.s1cdmax = 9;
		      r.arm_smmuv3.s1contextptr = htole64(0x40000040));
	ATTACH_EXPECT(VIRTIO_IOMMU_S_INVAL,
		      "2-level 4KB, S1CDMax 12: L1 table 512-byte aligned",
		      r.arm_smmuv3.s1fmt = VIRTIO_IOMMU_ARM_S1FMT_2L_4K;
		      r.arm_smmuv3.s1cdmax = 12;
		      r.arm_smmuv3.s1contextptr = htole64(0x40000100));
	ATTACH_EXPECT(VIRTIO_IOMMU_S_OK,
		      "2-level 4KB, S1CDMax 12: 512-byte aligned L1 table",
		      r.arm_smmuv3.s1fmt = VIRTIO_IOMMU_ARM_S1FMT_2L_4K;
		      r.arm_smmuv3.s1cdmax = 12);
	ATTACH_EXPECT(VIRTIO_IOMMU_S_INVAL,
		      "linear, S1CDMax 4: table 1KB aligned",
		      r.arm_smmuv3.s1fmt = VIRTIO_IOMMU_ARM_S1FMT_LINEAR;
		      r.arm_smmuv3.s1cdmax = 4);
	ATTACH_EXPECT(VIRTIO_IOMMU_S_OK, "linear, S1CDMax 3: 512 bytes",
		      r.arm_smmuv3.s1fmt = VIRTIO_IOMMU_ARM_S1FMT_LINEAR;
		      r.arm_smmuv3.s1cdmax = 3);
	ATTACH_EXPECT(VIRTIO_IOMMU_S_INVAL, "single CD, 32-byte aligned",
		      r.arm_smmuv3.s1cdmax = 0;
		      r.arm_smmuv3.s1contextptr = htole64(0x40000020));

	caps.cd_formats = VIRTIO_IOMMU_ARM_CDTAB_LINEAR;
	caps.ssid_bits = 0;
	ATTACH_EXPECT(VIRTIO_IOMMU_S_RANGE, "S1CDMax 16 without substreams",
		      (void)0);
	ATTACH_EXPECT(VIRTIO_IOMMU_S_OK, "s1fmt 2-level ignored with S1CDMax 0",
		      r.arm_smmuv3.s1cdmax = 0);
	caps.ssid_bits = 20;
	ATTACH_EXPECT(VIRTIO_IOMMU_S_UNSUPP, "2-level table without CD2L",
		      (void)0);
	pvb_arm_caps_sw(48, &caps);
}

/* An INVALIDATE request with room for the maximum of entries */
struct inv_req {
	struct virtio_iommu_req_invalidate hdr;
	struct virtio_iommu_inv_entry e[VIRTIO_IOMMU_INV_MAX_ENTRIES + 1];
};

static void inv_init(struct inv_req *r, unsigned int nr)
{
	memset(r, 0, sizeof(*r));
	r->hdr.head.type = VIRTIO_IOMMU_T_INVALIDATE;
	r->hdr.domain = htole32(4);
	r->hdr.nr_entries = htole16(nr);
}

static size_t inv_len(unsigned int nr)
{
	return 16 + 32 * nr;
}

static struct pvb_invalidate inv_out;

static uint8_t inv_one(const struct virtio_iommu_inv_entry *e,
		       struct pvb_req_diag *diag)
{
	static struct inv_req r;

	inv_init(&r, 1);
	r.e[0] = *e;
	return pvb_req_decode_invalidate(&r, inv_len(1), &caps, &inv_out, diag);
}

#define INV_EXPECT(status, what, ...)                                         \
	do {                                                                  \
		struct virtio_iommu_inv_entry e = { __VA_ARGS__ };            \
		struct pvb_req_diag d;                                        \
		uint8_t st = inv_one(&e, &d);                                 \
		if (st != (status))                                           \
			tap_diag("  decoder said: %s", d.msg ? d.msg : "ok"); \
		EQ(st, status, "INVALIDATE entry: %s", what);                 \
	} while (0)

static void test_inv_header(void)
{
	static struct inv_req r;
	struct pvb_req_diag diag;
	const struct pvb_inv_entry *e;

	OK(sizeof(struct virtio_iommu_inv_entry) == 32 &&
		   offsetof(struct virtio_iommu_req_invalidate, entries) == 16,
	   "INVALIDATE layout: 16-byte header, 32-byte entries");

	inv_init(&r, 3);
	r.e[0].scope = VIRTIO_IOMMU_INV_S_VA;
	r.e[0].flags = VIRTIO_IOMMU_INV_F_LEAF;
	r.e[0].tg = 12;
	r.e[0].ttl = 3;
	r.e[0].asid = htole16(0x1234);
	r.e[0].addr = htole64(0xfffff000ULL);
	r.e[0].size = htole64(0x3000);
	r.e[1].scope = VIRTIO_IOMMU_INV_S_CD;
	r.e[1].ssid = htole32(0xabcde);
	r.e[2].scope = VIRTIO_IOMMU_INV_S_ATC;
	r.e[2].flags = VIRTIO_IOMMU_INV_F_SSID;
	r.e[2].ssid = htole32(3);
	r.e[2].addr = htole64(0x1000);
	r.e[2].size = htole64(0x1000);
	EQ(pvb_req_decode_invalidate(&r, inv_len(3), &caps, &inv_out, &diag),
	   VIRTIO_IOMMU_S_OK, "INVALIDATE: three valid entries");
	e = inv_out.entries;
	OK(inv_out.domain == 4 && inv_out.nr_entries == 3, "  header fields");
	OK(e[0].scope == VIRTIO_IOMMU_INV_S_VA && e[0].flags == 1 &&
		   e[0].tg == 12 && e[0].ttl == 3 && e[0].asid == 0x1234 &&
		   e[0].addr == 0xfffff000ULL && e[0].size == 0x3000,
	   "  VA entry fields");
	OK(e[1].ssid == 0xabcde && e[2].ssid == 3 && e[2].flags == 2,
	   "  CD and ATC entry fields");

	EQ(pvb_req_decode_invalidate(&r, 15, &caps, &inv_out, NULL),
	   VIRTIO_IOMMU_S_INVAL, "INVALIDATE: 15 bytes");
	EQ(pvb_req_decode_invalidate(&r, inv_len(3) - 1, &caps, &inv_out, NULL),
	   VIRTIO_IOMMU_S_INVAL, "INVALIDATE: one byte short");
	EQ(pvb_req_decode_invalidate(&r, inv_len(4), &caps, &inv_out, NULL),
	   VIRTIO_IOMMU_S_INVAL, "INVALIDATE: one entry too many");
	r.hdr.reserved1 = htole32(1);
	EQ(pvb_req_decode_invalidate(&r, inv_len(3), &caps, &inv_out, NULL),
	   VIRTIO_IOMMU_S_INVAL, "INVALIDATE: header reserved1");
	r.hdr.reserved1 = 0;
	r.hdr.reserved0 = htole16(1);
	EQ(pvb_req_decode_invalidate(&r, inv_len(3), &caps, &inv_out, NULL),
	   VIRTIO_IOMMU_S_INVAL, "INVALIDATE: header reserved0");
	r.hdr.reserved0 = 0;
	r.hdr.head.type = VIRTIO_IOMMU_T_ATTACH_TABLE;
	EQ(pvb_req_decode_invalidate(&r, inv_len(3), &caps, &inv_out, NULL),
	   VIRTIO_IOMMU_S_INVAL, "INVALIDATE: wrong type");

	inv_init(&r, 0);
	EQ(pvb_req_decode_invalidate(&r, inv_len(0), &caps, &inv_out, NULL),
	   VIRTIO_IOMMU_S_INVAL, "INVALIDATE: no entry");
	inv_init(&r, 257);
	EQ(pvb_req_decode_invalidate(&r, inv_len(257), &caps, &inv_out, NULL),
	   VIRTIO_IOMMU_S_INVAL, "INVALIDATE: 257 entries");
	inv_init(&r, 256);
	for (unsigned int i = 0; i < 256; i++)
		r.e[i].scope = VIRTIO_IOMMU_INV_S_DOMAIN;
	EQ(pvb_req_decode_invalidate(&r, inv_len(256), &caps, &inv_out, NULL),
	   VIRTIO_IOMMU_S_OK, "INVALIDATE: 256 entries");
	r.e[200].scope = 0;
	EQ(pvb_req_decode_invalidate(&r, inv_len(256), &caps, &inv_out, &diag),
	   VIRTIO_IOMMU_S_INVAL, "INVALIDATE: entry 200 bad");
	EQ(diag.entry, 200, "  diagnostic names entry 200");
}

static void test_inv_entries(void)
{
	const uint8_t VA = VIRTIO_IOMMU_INV_S_VA, ATC = VIRTIO_IOMMU_INV_S_ATC;
	const uint8_t LEAF = VIRTIO_IOMMU_INV_F_LEAF;
	const uint8_t SSID = VIRTIO_IOMMU_INV_F_SSID;

	INV_EXPECT(VIRTIO_IOMMU_S_OK, "DOMAIN", .scope = 1);
	INV_EXPECT(VIRTIO_IOMMU_S_OK, "ASID", .scope = 2, .asid = 0xffff);
	INV_EXPECT(VIRTIO_IOMMU_S_OK, "CD_ALL", .scope = 5);
	INV_EXPECT(VIRTIO_IOMMU_S_OK, "ATC without SSID", .scope = ATC,
		   .addr = 0x1000, .size = 0x1000);
	INV_EXPECT(VIRTIO_IOMMU_S_OK, "VA up to 2^64", .scope = VA,
		   .addr = htole64(0xfffffffffffff000ULL),
		   .size = htole64(0x1000));
	INV_EXPECT(VIRTIO_IOMMU_S_INVAL, "scope 0", .scope = 0);
	INV_EXPECT(VIRTIO_IOMMU_S_INVAL, "scope 7", .scope = 7);
	INV_EXPECT(VIRTIO_IOMMU_S_INVAL, "reserved0", .scope = 1,
		   .reserved0 = htole16(1));
	INV_EXPECT(VIRTIO_IOMMU_S_INVAL, "reserved1", .scope = 1,
		   .reserved1 = htole32(1));
	INV_EXPECT(VIRTIO_IOMMU_S_INVAL, "unknown flag", .scope = VA,
		   .flags = 4, .size = 0x1000);
	INV_EXPECT(VIRTIO_IOMMU_S_INVAL, "LEAF on ASID", .scope = 2,
		   .flags = LEAF);
	INV_EXPECT(VIRTIO_IOMMU_S_INVAL, "SSID flag on CD", .scope = 4,
		   .flags = SSID);
	INV_EXPECT(VIRTIO_IOMMU_S_INVAL, "ASID on DOMAIN", .scope = 1,
		   .asid = 1);
	INV_EXPECT(VIRTIO_IOMMU_S_INVAL, "address on ASID", .scope = 2,
		   .addr = htole64(0x1000));
	INV_EXPECT(VIRTIO_IOMMU_S_INVAL, "tg on ASID", .scope = 2, .tg = 12);
	INV_EXPECT(VIRTIO_IOMMU_S_INVAL, "SSID on CD_ALL", .scope = 5,
		   .ssid = htole32(1));
	INV_EXPECT(VIRTIO_IOMMU_S_INVAL, "SSID on ATC without flag",
		   .scope = ATC, .ssid = htole32(1), .size = 0x1000);
	INV_EXPECT(VIRTIO_IOMMU_S_INVAL, "tg on ATC", .scope = ATC, .tg = 12,
		   .size = 0x1000);
	INV_EXPECT(VIRTIO_IOMMU_S_INVAL, "VA size 0", .scope = VA);
	INV_EXPECT(VIRTIO_IOMMU_S_INVAL, "ATC size 0", .scope = ATC);
	INV_EXPECT(VIRTIO_IOMMU_S_INVAL, "VA address not 4KB aligned",
		   .scope = VA, .addr = htole64(0x1800), .size = 0x1000);
	INV_EXPECT(VIRTIO_IOMMU_S_INVAL, "VA size not 4KB aligned", .scope = VA,
		   .size = htole64(0x1800));
	INV_EXPECT(VIRTIO_IOMMU_S_INVAL, "VA range wraps", .scope = VA,
		   .addr = htole64(0xfffffffffffff000ULL),
		   .size = htole64(0x2000));
	INV_EXPECT(VIRTIO_IOMMU_S_INVAL, "tg 13", .scope = VA, .tg = 13,
		   .size = 0x1000);
	INV_EXPECT(VIRTIO_IOMMU_S_INVAL, "ttl 4", .scope = VA, .tg = 12,
		   .ttl = 4, .size = 0x1000);
	INV_EXPECT(VIRTIO_IOMMU_S_INVAL, "ttl without tg", .scope = VA,
		   .ttl = 1, .size = 0x1000);
	INV_EXPECT(VIRTIO_IOMMU_S_OK, "tg 16 ttl 2", .scope = VA, .tg = 16,
		   .ttl = 2, .size = 0x10000);

	caps.granules = VIRTIO_IOMMU_ARM_GRAN_4K;
	caps.asid_bits = 8;
	caps.ssid_bits = 5;
	INV_EXPECT(VIRTIO_IOMMU_S_UNSUPP, "tg 16 not in granules", .scope = VA,
		   .tg = 16, .size = 0x10000);
	INV_EXPECT(VIRTIO_IOMMU_S_RANGE, "ASID 0x100 with 8-bit ASIDs",
		   .scope = 2, .asid = htole16(0x100));
	INV_EXPECT(VIRTIO_IOMMU_S_OK, "ASID 0xff with 8-bit ASIDs", .scope = 2,
		   .asid = htole16(0xff));
	INV_EXPECT(VIRTIO_IOMMU_S_RANGE, "SSID 32 with 5 SSID bits", .scope = 4,
		   .ssid = htole32(32));
	INV_EXPECT(VIRTIO_IOMMU_S_RANGE, "ATC SSID 32 with 5 SSID bits",
		   .scope = ATC, .flags = SSID, .ssid = htole32(32),
		   .size = 0x1000);
	caps.ssid_bits = 0;
	INV_EXPECT(VIRTIO_IOMMU_S_RANGE, "ATC SSID 0 without substreams",
		   .scope = ATC, .flags = SSID, .size = 0x1000);
	INV_EXPECT(VIRTIO_IOMMU_S_OK, "CD 0 without substreams", .scope = 4);
	pvb_arm_caps_sw(48, &caps);
}

void test_req(void)
{
	pvb_arm_caps_sw(48, &caps);
	test_attach();
	test_inv_header();
	test_inv_entries();
}
