// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ATTACH_TABLE and INVALIDATE decoding: valid requests and every rejection
 * with its status. Each test names the statement of
 * spec/virtio-iommu-nested.md that sets the expected status.
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

/* @id: the statement of spec/virtio-iommu-nested.md that sets @status */
#define ATTACH_EXPECT(id, status, what, mutate)               \
	do {                                                  \
		struct virtio_iommu_req_attach_table r;       \
		struct pvb_attach_table o;                    \
		attach_init(&r);                              \
		mutate;                                       \
		if (!EQ(attach(&r, ATTACH_LEN, &o), status,   \
			"%s ATTACH_TABLE: %s", id, what))     \
			tap_diag("  decoder said: %s",        \
				 diag.msg ? diag.msg : "ok"); \
	} while (0)

/* Accepted, with @size bytes of table at s1contextptr (section 9.1) */
#define ATTACH_SIZE(id, size, what, mutate)                                \
	do {                                                               \
		struct virtio_iommu_req_attach_table r;                    \
		struct pvb_attach_table o;                                 \
		attach_init(&r);                                           \
		mutate;                                                    \
		OK(attach(&r, ATTACH_LEN, &o) == VIRTIO_IOMMU_S_OK &&      \
			   o.table_size == (size),                         \
		   "%s ATTACH_TABLE: %s: OK, table of %u bytes", id, what, \
		   (unsigned int)(size));                                  \
	} while (0)

static void test_attach(void)
{
	struct virtio_iommu_req_attach_table req;
	struct pvb_attach_table out;
	uint8_t buf[ATTACH_LEN + 4];

	OK(offsetof(struct virtio_iommu_req_attach_table, tail) == ATTACH_LEN,
	   "ATTACH_TABLE tail at offset 68");
	attach_init(&req);
	EQ(attach(&req, ATTACH_LEN, &out), VIRTIO_IOMMU_S_OK,
	   "NEST-DEV-33 ATTACH_TABLE: valid request");
	OK(out.domain == 5 && out.endpoint == 9, "  domain and endpoint");
	OK(out.table.s1contextptr == 0x40000200ULL &&
		   out.table.s1fmt == VIRTIO_IOMMU_ARM_S1FMT_2L_64K &&
		   out.table.s1cdmax == 16 && out.table.s1dss == 2 &&
		   out.table.s1cir == 1 && out.table.s1cor == 1 &&
		   out.table.s1csh == 3,
	   "  table fields");
	EQ(out.table_size, 512, "  table_size: 64 L1CDs");
	OK(pvb_req_decode_attach_table(&req, ATTACH_LEN, &caps, &out, &diag) ==
			   VIRTIO_IOMMU_S_OK &&
		   !diag.msg && diag.entry == -1,
	   "  no diagnostic");

	/* NEST-DEV-20 */
	EQ(attach(&req, ATTACH_LEN - 1, &out), VIRTIO_IOMMU_S_INVAL,
	   "NEST-DEV-20 ATTACH_TABLE: 67 bytes: INVAL");
	EQ(attach(&req, 0, &out), VIRTIO_IOMMU_S_INVAL,
	   "NEST-DEV-20 ATTACH_TABLE: 0 bytes: INVAL");
	memcpy(buf, &req, ATTACH_LEN);
	memset(buf + ATTACH_LEN, 0xff, 4);
	EQ(attach((const void *)buf, sizeof(buf), &out), VIRTIO_IOMMU_S_OK,
	   "NEST-DEV-20 ATTACH_TABLE: 72 bytes: OK, bytes beyond 68 ignored");
	ATTACH_EXPECT("NEST-DEV-20", VIRTIO_IOMMU_S_INVAL, "wrong type: INVAL",
		      r.head.type = VIRTIO_IOMMU_T_ATTACH);
	ATTACH_EXPECT("STD-DEV-09", VIRTIO_IOMMU_S_OK,
		      "head.reserved is ignored", r.head.reserved[1] = 1);

	/* NEST-DEV-21, NEST-DEV-22 */
	ATTACH_EXPECT("NEST-DEV-22", VIRTIO_IOMMU_S_INVAL, "flags 1: INVAL",
		      r.flags = htole32(1));
	ATTACH_EXPECT("NEST-DEV-22", VIRTIO_IOMMU_S_INVAL,
		      "flags 1 << 31: INVAL", r.flags = htole32(1U << 31));
	ATTACH_EXPECT("NEST-DEV-21", VIRTIO_IOMMU_S_INVAL, "reserved[5]: INVAL",
		      r.reserved[5] = 1);
	ATTACH_EXPECT("NEST-DEV-21", VIRTIO_IOMMU_S_INVAL,
		      "reserved1[0]: INVAL", r.reserved1[0] = 1);
	ATTACH_EXPECT("NEST-DEV-21", VIRTIO_IOMMU_S_INVAL,
		      "table reserved[25]: INVAL",
		      r.arm_smmuv3.reserved[25] = 0x80);

	/* NEST-DEV-25: 0 is no format (section 17), so unknown too */
	ATTACH_EXPECT("NEST-DEV-25", VIRTIO_IOMMU_S_UNSUPP, "format 0: UNSUPP",
		      r.format = 0);
	ATTACH_EXPECT("NEST-DEV-25", VIRTIO_IOMMU_S_UNSUPP, "format 2: UNSUPP",
		      r.format = htole16(2));
	ATTACH_EXPECT("NEST-DEV-25", VIRTIO_IOMMU_S_UNSUPP,
		      "format 0xffff: UNSUPP", r.format = htole16(0xffff));

	/* NEST-DEV-26 */
	ATTACH_EXPECT("NEST-DEV-26", VIRTIO_IOMMU_S_INVAL, "s1fmt 3: INVAL",
		      r.arm_smmuv3.s1fmt = 3);
	ATTACH_EXPECT("NEST-DEV-26", VIRTIO_IOMMU_S_INVAL, "s1fmt 0xff: INVAL",
		      r.arm_smmuv3.s1fmt = 0xff);
	ATTACH_EXPECT("NEST-DEV-26", VIRTIO_IOMMU_S_INVAL, "s1dss 3: INVAL",
		      r.arm_smmuv3.s1dss = 3);
	ATTACH_EXPECT("NEST-DEV-26", VIRTIO_IOMMU_S_INVAL,
		      "s1dss 3 with s1cdmax 0: INVAL",
		      r.arm_smmuv3.s1fmt = VIRTIO_IOMMU_ARM_S1FMT_LINEAR;
		      r.arm_smmuv3.s1cdmax = 0; r.arm_smmuv3.s1dss = 3);
	ATTACH_EXPECT("NEST-DEV-26", VIRTIO_IOMMU_S_INVAL, "s1cir 4: INVAL",
		      r.arm_smmuv3.s1cir = 4);
	ATTACH_EXPECT("NEST-DEV-26", VIRTIO_IOMMU_S_INVAL, "s1cor 4: INVAL",
		      r.arm_smmuv3.s1cor = 4);
	ATTACH_EXPECT("NEST-DEV-26", VIRTIO_IOMMU_S_INVAL,
		      "s1csh 1 (reserved): INVAL", r.arm_smmuv3.s1csh = 1);
	ATTACH_EXPECT("NEST-DEV-26", VIRTIO_IOMMU_S_INVAL, "s1csh 4: INVAL",
		      r.arm_smmuv3.s1csh = 4);
	ATTACH_EXPECT("NEST-DEV-26", VIRTIO_IOMMU_S_OK,
		      "s1csh 0 (non-shareable): OK", r.arm_smmuv3.s1csh = 0);
	ATTACH_EXPECT("NEST-DEV-26", VIRTIO_IOMMU_S_INVAL,
		      "s1cdmax 21 > ssid_bits: INVAL",
		      r.arm_smmuv3.s1cdmax = 21);
	ATTACH_EXPECT("NEST-DEV-26", VIRTIO_IOMMU_S_INVAL,
		      "s1cdmax 255 > ssid_bits: INVAL",
		      r.arm_smmuv3.s1cdmax = 255);
	ATTACH_EXPECT("NEST-DEV-26", VIRTIO_IOMMU_S_INVAL,
		      "s1cdmax 0 with 2-level 64KB s1fmt: INVAL",
		      r.arm_smmuv3.s1cdmax = 0;
		      r.arm_smmuv3.s1contextptr = htole64(0x40000000));
	ATTACH_EXPECT("NEST-DEV-26", VIRTIO_IOMMU_S_INVAL,
		      "s1cdmax 0 with 2-level 4KB s1fmt: INVAL",
		      r.arm_smmuv3.s1fmt = VIRTIO_IOMMU_ARM_S1FMT_2L_4K;
		      r.arm_smmuv3.s1cdmax = 0;
		      r.arm_smmuv3.s1contextptr = htole64(0x40000000));
	ATTACH_SIZE("NEST-DEV-26", 64, "s1cdmax 0, linear, s1dss ignored",
		    r.arm_smmuv3.s1fmt = VIRTIO_IOMMU_ARM_S1FMT_LINEAR;
		    r.arm_smmuv3.s1cdmax = 0; r.arm_smmuv3.s1dss = 0;
		    r.arm_smmuv3.s1contextptr = htole64(0x40000040));

	/* NEST-DEV-27: alignment of section 9.1, table below 2^oas */
	ATTACH_EXPECT("NEST-DEV-27", VIRTIO_IOMMU_S_RANGE,
		      "s1contextptr at 2^48 (oas 48): RANGE",
		      r.arm_smmuv3.s1contextptr = htole64(1ULL << 48));
	ATTACH_EXPECT("NEST-DEV-27", VIRTIO_IOMMU_S_RANGE,
		      "s1contextptr at 2^64 - 64: RANGE",
		      r.arm_smmuv3.s1fmt = VIRTIO_IOMMU_ARM_S1FMT_LINEAR;
		      r.arm_smmuv3.s1cdmax = 0;
		      r.arm_smmuv3.s1contextptr = htole64(~0ULL << 6));
	ATTACH_SIZE("NEST-DEV-27", 1ULL << 26,
		    "linear, S1CDMax 20, the last 64MB below 2^48",
		    r.arm_smmuv3.s1fmt = VIRTIO_IOMMU_ARM_S1FMT_LINEAR;
		    r.arm_smmuv3.s1cdmax = 20;
		    r.arm_smmuv3.s1contextptr =
			    htole64((1ULL << 48) - (1ULL << 26)));
	ATTACH_EXPECT("NEST-DEV-27", VIRTIO_IOMMU_S_RANGE,
		      "2-level 64KB, 64 L1CDs, s1contextptr 256-byte aligned: "
		      "RANGE",
		      r.arm_smmuv3.s1contextptr = htole64(0x40000100));
	ATTACH_SIZE("NEST-DEV-27", 64,
		    "2-level 4KB, S1CDMax 9: 8 L1CDs, 64-byte aligned",
		    r.arm_smmuv3.s1fmt = VIRTIO_IOMMU_ARM_S1FMT_2L_4K;
		    r.arm_smmuv3.s1cdmax = 9;
		    r.arm_smmuv3.s1contextptr = htole64(0x40000040));
	ATTACH_SIZE("NEST-DEV-27", 8,
		    "2-level 4KB, S1CDMax 3: one L1CD, 64-byte aligned",
		    r.arm_smmuv3.s1fmt = VIRTIO_IOMMU_ARM_S1FMT_2L_4K;
		    r.arm_smmuv3.s1cdmax = 3;
		    r.arm_smmuv3.s1contextptr = htole64(0x40000040));
	ATTACH_EXPECT("NEST-DEV-27", VIRTIO_IOMMU_S_RANGE,
		      "2-level 4KB, S1CDMax 3: one L1CD, 8-byte aligned: RANGE",
		      r.arm_smmuv3.s1fmt = VIRTIO_IOMMU_ARM_S1FMT_2L_4K;
		      r.arm_smmuv3.s1cdmax = 3;
		      r.arm_smmuv3.s1contextptr = htole64(0x40000008));
	ATTACH_EXPECT("NEST-DEV-27", VIRTIO_IOMMU_S_RANGE,
		      "2-level 4KB, S1CDMax 12: L1 table 256-byte aligned: "
		      "RANGE",
		      r.arm_smmuv3.s1fmt = VIRTIO_IOMMU_ARM_S1FMT_2L_4K;
		      r.arm_smmuv3.s1cdmax = 12;
		      r.arm_smmuv3.s1contextptr = htole64(0x40000100));
	ATTACH_SIZE("NEST-DEV-27", 512,
		    "2-level 4KB, S1CDMax 12: 512-byte aligned L1 table",
		    r.arm_smmuv3.s1fmt = VIRTIO_IOMMU_ARM_S1FMT_2L_4K;
		    r.arm_smmuv3.s1cdmax = 12);
	ATTACH_SIZE("NEST-DEV-27", 8,
		    "2-level 64KB, S1CDMax 10: one L1CD, 64-byte aligned",
		    r.arm_smmuv3.s1cdmax = 10;
		    r.arm_smmuv3.s1contextptr = htole64(0x40000040));
	ATTACH_EXPECT("NEST-DEV-27", VIRTIO_IOMMU_S_RANGE,
		      "linear, S1CDMax 4: table 512-byte aligned: RANGE",
		      r.arm_smmuv3.s1fmt = VIRTIO_IOMMU_ARM_S1FMT_LINEAR;
		      r.arm_smmuv3.s1cdmax = 4);
	ATTACH_SIZE("NEST-DEV-27", 512, "linear, S1CDMax 3: 512 bytes",
		    r.arm_smmuv3.s1fmt = VIRTIO_IOMMU_ARM_S1FMT_LINEAR;
		    r.arm_smmuv3.s1cdmax = 3);
	ATTACH_EXPECT("NEST-DEV-27", VIRTIO_IOMMU_S_RANGE,
		      "single CD, 32-byte aligned: RANGE",
		      r.arm_smmuv3.s1fmt = VIRTIO_IOMMU_ARM_S1FMT_LINEAR;
		      r.arm_smmuv3.s1cdmax = 0;
		      r.arm_smmuv3.s1contextptr = htole64(0x40000020));
	caps.oas = 32;
	ATTACH_EXPECT("NEST-DEV-27", VIRTIO_IOMMU_S_RANGE,
		      "s1contextptr at 2^32 with oas 32: RANGE",
		      r.arm_smmuv3.s1contextptr = htole64(1ULL << 32));
	ATTACH_SIZE("NEST-DEV-27", 512,
		    "L1 table ending at 2^32 - 1 with oas 32",
		    r.arm_smmuv3.s1contextptr = htole64((1ULL << 32) - 512));
	pvb_arm_caps_sw(48, &caps);

	/* NEST-DEV-26 against the endpoint's capabilities */
	caps.cd_formats = VIRTIO_IOMMU_ARM_CDTAB_LINEAR;
	caps.ssid_bits = 0;
	ATTACH_EXPECT("NEST-DEV-26", VIRTIO_IOMMU_S_INVAL,
		      "S1CDMax 1 with ssid_bits 0: INVAL",
		      r.arm_smmuv3.s1fmt = VIRTIO_IOMMU_ARM_S1FMT_LINEAR;
		      r.arm_smmuv3.s1cdmax = 1);
	ATTACH_EXPECT("NEST-DEV-26", VIRTIO_IOMMU_S_INVAL,
		      "2-level s1fmt, S1CDMax 0, linear-only caps: INVAL",
		      r.arm_smmuv3.s1cdmax = 0);
	ATTACH_SIZE("NEST-DEV-26", 64, "single CD with ssid_bits 0",
		    r.arm_smmuv3.s1fmt = VIRTIO_IOMMU_ARM_S1FMT_LINEAR;
		    r.arm_smmuv3.s1cdmax = 0);
	caps.ssid_bits = 20;
	ATTACH_EXPECT("NEST-DEV-26", VIRTIO_IOMMU_S_INVAL,
		      "2-level 64KB table not in cd_formats: INVAL", (void)0);
	ATTACH_EXPECT("NEST-DEV-26", VIRTIO_IOMMU_S_INVAL,
		      "2-level 4KB table not in cd_formats: INVAL",
		      r.arm_smmuv3.s1fmt = VIRTIO_IOMMU_ARM_S1FMT_2L_4K;
		      r.arm_smmuv3.s1cdmax = 12);
	caps.cd_formats = VIRTIO_IOMMU_ARM_CDTAB_LINEAR |
			  VIRTIO_IOMMU_ARM_CDTAB_2L_4K;
	ATTACH_EXPECT("NEST-DEV-26", VIRTIO_IOMMU_S_OK,
		      "2-level 4KB table in cd_formats: OK",
		      r.arm_smmuv3.s1fmt = VIRTIO_IOMMU_ARM_S1FMT_2L_4K;
		      r.arm_smmuv3.s1cdmax = 12);
	caps.ssid_bits = 15;
	ATTACH_EXPECT("NEST-DEV-26", VIRTIO_IOMMU_S_OK,
		      "S1CDMax 15 = ssid_bits: OK",
		      r.arm_smmuv3.s1fmt = VIRTIO_IOMMU_ARM_S1FMT_2L_4K;
		      r.arm_smmuv3.s1cdmax = 15;
		      r.arm_smmuv3.s1contextptr = htole64(0x40000000));
	ATTACH_EXPECT("NEST-DEV-26", VIRTIO_IOMMU_S_INVAL,
		      "S1CDMax 16 > ssid_bits 15: INVAL",
		      r.arm_smmuv3.s1fmt = VIRTIO_IOMMU_ARM_S1FMT_2L_4K;
		      r.arm_smmuv3.s1contextptr = htole64(0x40000000));
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

/*
 * @id: the statement of spec/virtio-iommu-nested.md that sets @status:
 * NEST-DEV-54 for malformed entries (section 13), NEST-DEV-56 for
 * well-formed ones, NEST-DEV-58 and NEST-DEV-59 for what must not be
 * rejected
 */
#define INV_EXPECT(id, status, what, ...)                                     \
	do {                                                                  \
		struct virtio_iommu_inv_entry e = { __VA_ARGS__ };            \
		struct pvb_req_diag d;                                        \
		uint8_t st = inv_one(&e, &d);                                 \
		if (st != (status))                                           \
			tap_diag("  decoder said: %s", d.msg ? d.msg : "ok"); \
		EQ(st, status, "%s INVALIDATE entry: %s", id, what);          \
	} while (0)

#define INV_MALFORMED(what, ...) \
	INV_EXPECT("NEST-DEV-54", VIRTIO_IOMMU_S_INVAL, what, __VA_ARGS__)

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
	   VIRTIO_IOMMU_S_OK, "NEST-DEV-56 INVALIDATE: three valid entries");
	e = inv_out.entries;
	OK(inv_out.domain == 4 && inv_out.nr_entries == 3, "  header fields");
	OK(e[0].scope == VIRTIO_IOMMU_INV_S_VA && e[0].flags == 1 &&
		   e[0].tg == 12 && e[0].ttl == 3 && e[0].asid == 0x1234 &&
		   e[0].addr == 0xfffff000ULL && e[0].size == 0x3000,
	   "  VA entry fields");
	OK(e[1].ssid == 0xabcde && e[2].ssid == 3 && e[2].flags == 2,
	   "  CD and ATC entry fields");
	EQ(pvb_req_decode_invalidate(&r, inv_len(3), NULL, &inv_out, NULL),
	   VIRTIO_IOMMU_S_OK,
	   "NEST-DEV-59 INVALIDATE: decoded without capabilities (NULL)");

	EQ(pvb_req_decode_invalidate(&r, 15, &caps, &inv_out, NULL),
	   VIRTIO_IOMMU_S_INVAL, "NEST-DEV-53 INVALIDATE: 15 bytes: INVAL");
	EQ(pvb_req_decode_invalidate(&r, 0, &caps, &inv_out, NULL),
	   VIRTIO_IOMMU_S_INVAL, "NEST-DEV-53 INVALIDATE: 0 bytes: INVAL");
	EQ(pvb_req_decode_invalidate(&r, inv_len(3) - 1, &caps, &inv_out, NULL),
	   VIRTIO_IOMMU_S_INVAL,
	   "NEST-DEV-54 INVALIDATE: one byte short: INVAL");
	EQ(pvb_req_decode_invalidate(&r, inv_len(4), &caps, &inv_out, NULL),
	   VIRTIO_IOMMU_S_INVAL,
	   "NEST-DEV-54 INVALIDATE: one entry too many: INVAL");
	r.hdr.reserved1 = htole32(1);
	EQ(pvb_req_decode_invalidate(&r, inv_len(3), &caps, &inv_out, NULL),
	   VIRTIO_IOMMU_S_INVAL,
	   "NEST-DEV-54 INVALIDATE: header reserved1: INVAL");
	r.hdr.reserved1 = 0;
	r.hdr.reserved0 = htole16(1);
	EQ(pvb_req_decode_invalidate(&r, inv_len(3), &caps, &inv_out, NULL),
	   VIRTIO_IOMMU_S_INVAL,
	   "NEST-DEV-54 INVALIDATE: header reserved0: INVAL");
	r.hdr.reserved0 = 0;
	r.hdr.head.type = VIRTIO_IOMMU_T_ATTACH_TABLE;
	EQ(pvb_req_decode_invalidate(&r, inv_len(3), &caps, &inv_out, NULL),
	   VIRTIO_IOMMU_S_INVAL, "INVALIDATE: wrong type: INVAL");

	inv_init(&r, 0);
	EQ(pvb_req_decode_invalidate(&r, inv_len(0), &caps, &inv_out, NULL),
	   VIRTIO_IOMMU_S_INVAL, "NEST-DEV-54 INVALIDATE: no entry: INVAL");
	inv_init(&r, 257);
	EQ(pvb_req_decode_invalidate(&r, inv_len(257), &caps, &inv_out, NULL),
	   VIRTIO_IOMMU_S_INVAL, "NEST-DEV-54 INVALIDATE: 257 entries: INVAL");
	inv_init(&r, 256);
	for (unsigned int i = 0; i < 256; i++)
		r.e[i].scope = VIRTIO_IOMMU_INV_S_DOMAIN;
	EQ(pvb_req_decode_invalidate(&r, inv_len(256), &caps, &inv_out, NULL),
	   VIRTIO_IOMMU_S_OK, "NEST-DEV-56 INVALIDATE: 256 entries: OK");
	r.e[200].scope = 0;
	EQ(pvb_req_decode_invalidate(&r, inv_len(256), &caps, &inv_out, &diag),
	   VIRTIO_IOMMU_S_INVAL,
	   "NEST-DEV-54 INVALIDATE: entry 200 bad: INVAL");
	EQ(diag.entry, 200, "  diagnostic names entry 200");
}

static void test_inv_entries(void)
{
	const uint8_t VA = VIRTIO_IOMMU_INV_S_VA, ATC = VIRTIO_IOMMU_INV_S_ATC;
	const uint8_t CD = VIRTIO_IOMMU_INV_S_CD;
	const uint8_t LEAF = VIRTIO_IOMMU_INV_F_LEAF;
	const uint8_t SSID = VIRTIO_IOMMU_INV_F_SSID;

	INV_EXPECT("NEST-DEV-56", VIRTIO_IOMMU_S_OK, "DOMAIN: OK", .scope = 1);
	INV_EXPECT("NEST-DEV-56", VIRTIO_IOMMU_S_OK, "ASID 0xffff: OK",
		   .scope = 2, .asid = 0xffff);
	INV_EXPECT("NEST-DEV-56", VIRTIO_IOMMU_S_OK, "CD_ALL: OK", .scope = 5);
	INV_EXPECT("NEST-DEV-56", VIRTIO_IOMMU_S_OK, "ATC without SSID: OK",
		   .scope = ATC, .addr = 0x1000, .size = 0x1000);
	INV_EXPECT("NEST-DEV-56", VIRTIO_IOMMU_S_OK, "VA up to 2^64: OK",
		   .scope = VA, .addr = htole64(0xfffffffffffff000ULL),
		   .size = htole64(0x1000));
	INV_EXPECT("NEST-DEV-56", VIRTIO_IOMMU_S_OK, "VA LEAF: OK", .scope = VA,
		   .flags = LEAF, .size = 0x1000);
	INV_EXPECT("NEST-DEV-56", VIRTIO_IOMMU_S_OK, "CD SSID 2^20 - 1: OK",
		   .scope = CD, .ssid = htole32(0xfffff));
	INV_EXPECT("NEST-DEV-56", VIRTIO_IOMMU_S_OK, "ATC SSID 2^20 - 1: OK",
		   .scope = ATC, .flags = SSID, .ssid = htole32(0xfffff),
		   .size = 0x1000);

	INV_MALFORMED("scope 0: INVAL", .scope = 0);
	INV_MALFORMED("scope 7: INVAL", .scope = 7);
	INV_MALFORMED("scope 255: INVAL", .scope = 255);
	INV_MALFORMED("reserved0: INVAL", .scope = 1, .reserved0 = htole16(1));
	INV_MALFORMED("reserved1: INVAL", .scope = 1, .reserved1 = htole32(1));
	INV_MALFORMED("unknown flag: INVAL", .scope = VA, .flags = 4,
		      .size = 0x1000);
	INV_MALFORMED("LEAF on ASID: INVAL", .scope = 2, .flags = LEAF);
	INV_MALFORMED("SSID flag on CD: INVAL", .scope = CD, .flags = SSID);
	INV_MALFORMED("SSID flag on VA: INVAL", .scope = VA, .flags = SSID,
		      .size = 0x1000);
	INV_MALFORMED("ASID on DOMAIN: INVAL", .scope = 1, .asid = 1);
	INV_MALFORMED("ASID on CD: INVAL", .scope = CD, .asid = 1);
	INV_MALFORMED("address on ASID: INVAL", .scope = 2,
		      .addr = htole64(0x1000));
	INV_MALFORMED("size on CD_ALL: INVAL", .scope = 5,
		      .size = htole64(0x1000));
	INV_MALFORMED("tg on ASID: INVAL", .scope = 2, .tg = 12);
	INV_MALFORMED("SSID on CD_ALL: INVAL", .scope = 5, .ssid = htole32(1));
	INV_MALFORMED("SSID on VA: INVAL", .scope = VA, .ssid = htole32(1),
		      .size = 0x1000);
	INV_MALFORMED("SSID on ATC without flag: INVAL", .scope = ATC,
		      .ssid = htole32(1), .size = 0x1000);
	INV_MALFORMED("tg on ATC: INVAL", .scope = ATC, .tg = 12,
		      .size = 0x1000);
	INV_MALFORMED("ASID on ATC: INVAL", .scope = ATC, .asid = 1,
		      .size = 0x1000);
	INV_MALFORMED("CD SSID 2^20: INVAL", .scope = CD,
		      .ssid = htole32(1U << 20));
	INV_MALFORMED("ATC SSID 0xffffffff: INVAL", .scope = ATC, .flags = SSID,
		      .ssid = htole32(0xffffffff), .size = 0x1000);
	INV_MALFORMED("VA size 0: INVAL", .scope = VA);
	INV_MALFORMED("ATC size 0: INVAL", .scope = ATC);
	INV_MALFORMED("VA address not 4KB aligned: INVAL", .scope = VA,
		      .addr = htole64(0x1800), .size = 0x1000);
	INV_MALFORMED("VA size not 4KB aligned: INVAL", .scope = VA,
		      .size = htole64(0x1800));
	INV_MALFORMED("ATC address not 4KB aligned: INVAL", .scope = ATC,
		      .addr = htole64(0x10), .size = 0x1000);
	INV_MALFORMED("VA range beyond 2^64: INVAL", .scope = VA,
		      .addr = htole64(0xfffffffffffff000ULL),
		      .size = htole64(0x2000));
	INV_MALFORMED("ATC range beyond 2^64: INVAL", .scope = ATC,
		      .addr = htole64(0x2000),
		      .size = htole64(0xfffffffffffff000ULL));
	INV_EXPECT("NEST-DEV-56", VIRTIO_IOMMU_S_OK, "ATC range up to 2^64: OK",
		   .scope = ATC, .addr = htole64(0x1000),
		   .size = htole64(0xfffffffffffff000ULL));
	INV_MALFORMED("tg 13: INVAL", .scope = VA, .tg = 13, .size = 0x1000);
	INV_MALFORMED("tg 21: INVAL", .scope = VA, .tg = 21, .size = 0x1000);
	INV_MALFORMED("ttl 4: INVAL", .scope = VA, .tg = 12, .ttl = 4,
		      .size = 0x1000);
	INV_MALFORMED("ttl without tg: INVAL", .scope = VA, .ttl = 1,
		      .size = 0x1000);

	/* tg and ttl are hints: any legal encoding is accepted */
	INV_EXPECT("NEST-DEV-58", VIRTIO_IOMMU_S_OK, "tg 16 ttl 2: OK",
		   .scope = VA, .tg = 16, .ttl = 2, .size = 0x10000);
	INV_EXPECT("NEST-DEV-58", VIRTIO_IOMMU_S_OK,
		   "tg 16 with a range of one 4KB page: OK", .scope = VA,
		   .tg = 16, .size = 0x1000);
	INV_EXPECT("NEST-DEV-58", VIRTIO_IOMMU_S_OK, "tg 14 ttl 1: OK",
		   .scope = VA, .flags = LEAF, .tg = 14, .ttl = 1,
		   .size = 0x4000);

	/* Nothing depends on the endpoint's capabilities */
	caps.granules = VIRTIO_IOMMU_ARM_GRAN_4K;
	caps.asid_bits = 8;
	caps.ssid_bits = 5;
	INV_EXPECT("NEST-DEV-58", VIRTIO_IOMMU_S_OK,
		   "tg 16 not in granules: OK (a hint)", .scope = VA, .tg = 16,
		   .size = 0x10000);
	INV_EXPECT("NEST-DEV-59", VIRTIO_IOMMU_S_OK,
		   "ASID 0x100 with 8-bit ASIDs: OK", .scope = 2,
		   .asid = htole16(0x100));
	INV_EXPECT("NEST-DEV-59", VIRTIO_IOMMU_S_OK,
		   "VA ASID 0xffff with 8-bit ASIDs: OK", .scope = VA,
		   .asid = htole16(0xffff), .size = 0x1000);
	INV_EXPECT("NEST-DEV-56", VIRTIO_IOMMU_S_OK,
		   "ASID 0xff with 8-bit ASIDs: OK", .scope = 2,
		   .asid = htole16(0xff));
	INV_EXPECT("NEST-DEV-59", VIRTIO_IOMMU_S_OK,
		   "CD SSID 32 with 5 SSID bits: OK", .scope = CD,
		   .ssid = htole32(32));
	INV_EXPECT("NEST-DEV-59", VIRTIO_IOMMU_S_OK,
		   "ATC SSID 32 with 5 SSID bits: OK", .scope = ATC,
		   .flags = SSID, .ssid = htole32(32), .size = 0x1000);
	INV_MALFORMED("CD SSID 2^20 with 5 SSID bits: INVAL", .scope = CD,
		      .ssid = htole32(1U << 20));
	caps.ssid_bits = 0;
	INV_EXPECT("NEST-DEV-59", VIRTIO_IOMMU_S_OK,
		   "ATC SSID 0 without substreams: OK", .scope = ATC,
		   .flags = SSID, .size = 0x1000);
	INV_EXPECT("NEST-DEV-59", VIRTIO_IOMMU_S_OK,
		   "CD SSID 7 without substreams: OK", .scope = CD,
		   .ssid = htole32(7));
	INV_EXPECT("NEST-DEV-56", VIRTIO_IOMMU_S_OK,
		   "CD SSID 0 without substreams: OK", .scope = CD);
	pvb_arm_caps_sw(48, &caps);
}

void test_req(void)
{
	pvb_arm_caps_sw(48, &caps);
	test_attach();
	test_inv_header();
	test_inv_entries();
}
