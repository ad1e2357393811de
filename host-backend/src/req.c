// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Validation and decoding of ATTACH_TABLE and INVALIDATE requests, with the
 * statuses of spec/virtio-iommu-nested.md sections 9.3 and 13.2.
 */
#include <stdbool.h>
#include <string.h>

#include "pvb/req.h"

#include "arm_smmu_v3.h"
#include "bits.h"
#include "s1_table.h"

#define ATTACH_TABLE_LEN   offsetof(struct virtio_iommu_req_attach_table, tail)
#define INVALIDATE_HDR_LEN offsetof(struct virtio_iommu_req_invalidate, entries)
#define INV_ENTRY_LEN	   sizeof(struct virtio_iommu_inv_entry)

/* Highest value of the 2-bit cacheability fields S1CIR and S1COR */
#define S1C_CACHE_MAX 3

/* An INVALIDATE entry's ssid has at most 20 bits (section 13) */
#define INV_SSID_BITS 20

static uint8_t report(struct pvb_req_diag *diag, uint8_t status,
		      const char *msg, int entry)
{
	if (diag) {
		diag->msg = msg;
		diag->entry = entry;
	}
	return status;
}

static bool all_zero(const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len--)
		if (*p++)
			return false;
	return true;
}

/*
 * The checks of NEST-DEV-26 (INVAL) and NEST-DEV-27 (RANGE) that depend only
 * on the descriptor and the endpoint's capabilities. Whether the table is
 * guest memory is for the device, with pvb_attach_table.table_size.
 */
static uint8_t decode_arm_table(const struct virtio_iommu_table_arm_smmuv3 *raw,
				const struct pvb_arm_caps *caps,
				struct pvb_s1_table *t, uint64_t *size,
				const char **msg)
{
	uint64_t end;

	*t = (struct pvb_s1_table){
		.s1contextptr = le64_to_cpu(raw->s1contextptr),
		.s1fmt = raw->s1fmt,
		.s1cdmax = raw->s1cdmax,
		.s1dss = raw->s1dss,
		.s1cir = raw->s1cir,
		.s1cor = raw->s1cor,
		.s1csh = raw->s1csh,
	};

	/* NEST-DEV-21 */
	*msg = "reserved field of the table is not zero";
	if (!all_zero(raw->reserved, sizeof(raw->reserved)))
		return VIRTIO_IOMMU_S_INVAL;
	/* NEST-DEV-26 */
	*msg = "s1fmt reserved or not in cd_formats";
	if (t->s1fmt > VIRTIO_IOMMU_ARM_S1FMT_2L_64K ||
	    !(caps->cd_formats & (1u << t->s1fmt)))
		return VIRTIO_IOMMU_S_INVAL;
	*msg = "s1cdmax beyond ssid_bits";
	if (t->s1cdmax > caps->ssid_bits || t->s1cdmax > PVB_S1CDMAX_MAX)
		return VIRTIO_IOMMU_S_INVAL;
	*msg = "two-level CD table with s1cdmax 0";
	if (!t->s1cdmax && t->s1fmt != VIRTIO_IOMMU_ARM_S1FMT_LINEAR)
		return VIRTIO_IOMMU_S_INVAL;
	*msg = "reserved s1dss or cache attribute encoding";
	if (t->s1dss > VIRTIO_IOMMU_ARM_S1DSS_SSID0 ||
	    t->s1cir > S1C_CACHE_MAX || t->s1cor > S1C_CACHE_MAX ||
	    t->s1csh > S1C_CACHE_MAX || t->s1csh == ARM_SMMU_SH_RESERVED)
		return VIRTIO_IOMMU_S_INVAL;
	/* NEST-DEV-27; aligned to at least its size, the table cannot wrap */
	*msg = "s1contextptr not aligned to the CD table";
	if (t->s1contextptr & GENMASK_ULL(pvb_ctxptr_align(t) - 1, 0))
		return VIRTIO_IOMMU_S_RANGE;
	*size = pvb_cd_table_size(t);
	end = t->s1contextptr + *size - 1;
	*msg = "CD table beyond oas";
	if (!pvb_fits_bits(end, caps->oas))
		return VIRTIO_IOMMU_S_RANGE;
	*msg = NULL;
	return VIRTIO_IOMMU_S_OK;
}

uint8_t pvb_req_decode_attach_table(const void *buf, size_t len,
				    const struct pvb_arm_caps *caps,
				    struct pvb_attach_table *out,
				    struct pvb_req_diag *diag)
{
	struct virtio_iommu_req_attach_table req;
	const char *msg;
	uint8_t status;

	/* NEST-DEV-20; bytes beyond the 68 are not part of the request */
	if (len < ATTACH_TABLE_LEN)
		return report(diag, VIRTIO_IOMMU_S_INVAL,
			      "request shorter than 68 bytes", -1);
	memcpy(&req, buf, ATTACH_TABLE_LEN);
	if (req.head.type != VIRTIO_IOMMU_T_ATTACH_TABLE)
		return report(diag, VIRTIO_IOMMU_S_INVAL, "request type", -1);
	/* NEST-DEV-22 */
	if (le32_to_cpu(req.flags) & ~VIRTIO_IOMMU_ATTACH_TABLE_F_MASK)
		return report(diag, VIRTIO_IOMMU_S_INVAL, "unknown flag", -1);
	/* NEST-DEV-21 */
	if (!all_zero(req.reserved, sizeof(req.reserved)) ||
	    !all_zero(req.reserved1, sizeof(req.reserved1)))
		return report(diag, VIRTIO_IOMMU_S_INVAL,
			      "reserved field is not zero", -1);
	/* NEST-DEV-25: 0 is no format, and the only one is Arm SMMUv3 */
	if (le16_to_cpu(req.format) != VIRTIO_IOMMU_TABLE_FMT_ARM_SMMUV3)
		return report(diag, VIRTIO_IOMMU_S_UNSUPP, "unknown format",
			      -1);

	out->domain = le32_to_cpu(req.domain);
	out->endpoint = le32_to_cpu(req.endpoint);
	status = decode_arm_table(&req.arm_smmuv3, caps, &out->table,
				  &out->table_size, &msg);
	if (status != VIRTIO_IOMMU_S_OK)
		return report(diag, status, msg, -1);
	return report(diag, VIRTIO_IOMMU_S_OK, NULL, -1);
}

/* What a scope uses of an entry; every other field must be zero */
#define INV_KNOWN      (1 << 0)
#define INV_USES_ASID  (1 << 1)
#define INV_USES_SSID  (1 << 2)
#define INV_USES_RANGE (1 << 3)
#define INV_USES_TG    (1 << 4) /* tg and ttl */

static const struct inv_scope_rule {
	uint8_t flags; /* allowed VIRTIO_IOMMU_INV_F_* */
	uint8_t uses;
} inv_scope_rules[] = {
	[VIRTIO_IOMMU_INV_S_DOMAIN] = { 0, INV_KNOWN },
	[VIRTIO_IOMMU_INV_S_ASID] = { 0, INV_KNOWN | INV_USES_ASID },
	[VIRTIO_IOMMU_INV_S_VA] = { VIRTIO_IOMMU_INV_F_LEAF,
				    INV_KNOWN | INV_USES_ASID | INV_USES_RANGE |
					    INV_USES_TG },
	[VIRTIO_IOMMU_INV_S_CD] = { 0, INV_KNOWN | INV_USES_SSID },
	[VIRTIO_IOMMU_INV_S_CD_ALL] = { 0, INV_KNOWN },
	/* The SSID of an ATC entry is used when VIRTIO_IOMMU_INV_F_SSID is */
	[VIRTIO_IOMMU_INV_S_ATC] = { VIRTIO_IOMMU_INV_F_SSID,
				     INV_KNOWN | INV_USES_RANGE },
};

static bool unused_fields_zero(const struct pvb_inv_entry *e, uint8_t uses)
{
	if (!(uses & INV_USES_ASID) && e->asid)
		return false;
	if (!(uses & INV_USES_SSID) && e->ssid)
		return false;
	if (!(uses & INV_USES_RANGE) && (e->addr || e->size))
		return false;
	if (!(uses & INV_USES_TG) && (e->tg || e->ttl))
		return false;
	return true;
}

/* Whether a VA or ATC range is malformed (section 13) */
static const char *check_range(const struct pvb_inv_entry *e)
{
	const uint64_t page_mask = GENMASK_ULL(11, 0);

	if (!e->size)
		return "empty range";
	if ((e->addr | e->size) & page_mask)
		return "range not 4KB aligned";
	if (e->size - 1 > UINT64_MAX - e->addr)
		return "range beyond 2^64";
	return NULL;
}

/*
 * The encodings of the tg and ttl hints (section 13). Their values are
 * never checked against the capabilities: a hint cannot make an entry
 * malformed, and a device uses it only where it can rely on it.
 */
static const char *check_hints(const struct pvb_inv_entry *e)
{
	if (e->tg && !pvb_granule_cap(e->tg))
		return "tg not 0, 12, 14 or 16";
	if (e->ttl > 3)
		return "ttl greater than 3";
	if (!e->tg && e->ttl)
		return "ttl without tg";
	return NULL;
}

/* The entry's malformation, NULL if it is well formed (section 13) */
static const char *decode_inv_entry(const struct virtio_iommu_inv_entry *raw,
				    struct pvb_inv_entry *e)
{
	const struct inv_scope_rule *rule;
	const char *msg;
	uint8_t uses;

	*e = (struct pvb_inv_entry){
		.scope = raw->scope,
		.flags = raw->flags,
		.tg = raw->tg,
		.ttl = raw->ttl,
		.asid = le16_to_cpu(raw->asid),
		.ssid = le32_to_cpu(raw->ssid),
		.addr = le64_to_cpu(raw->addr),
		.size = le64_to_cpu(raw->size),
	};

	if (e->scope >= ARRAY_SIZE(inv_scope_rules))
		return "unknown scope";
	rule = &inv_scope_rules[e->scope];
	if (!(rule->uses & INV_KNOWN))
		return "unknown scope";
	if (raw->reserved0 || raw->reserved1)
		return "reserved field of the entry is not zero";
	if (e->flags & ~rule->flags)
		return "flag not valid for the scope";

	uses = rule->uses;
	if (e->flags & VIRTIO_IOMMU_INV_F_SSID)
		uses |= INV_USES_SSID;
	if (!unused_fields_zero(e, uses))
		return "field unused by the scope is not zero";
	/*
	 * Only 2^20 and more: an ASID or SSID that no endpoint of the domain
	 * can use removes nothing, it is not an error (NEST-DEV-59).
	 */
	if (e->ssid >> INV_SSID_BITS)
		return "ssid of 2^20 or more";
	if (uses & INV_USES_RANGE) {
		msg = check_range(e);
		if (msg)
			return msg;
	}
	return check_hints(e);
}

uint8_t pvb_req_decode_invalidate(const void *buf, size_t len,
				  const struct pvb_arm_caps *caps,
				  struct pvb_invalidate *out,
				  struct pvb_req_diag *diag)
{
	struct virtio_iommu_req_invalidate hdr;
	struct virtio_iommu_inv_entry raw;
	const uint8_t *p = buf;
	const char *msg;
	unsigned int i;
	uint16_t nr;

	/* Malformed requests get INVAL (NEST-DEV-53, NEST-DEV-54) */
	(void)caps;
	if (len < INVALIDATE_HDR_LEN)
		return report(diag, VIRTIO_IOMMU_S_INVAL,
			      "request shorter than 16 bytes", -1);
	memcpy(&hdr, p, INVALIDATE_HDR_LEN);
	if (hdr.head.type != VIRTIO_IOMMU_T_INVALIDATE)
		return report(diag, VIRTIO_IOMMU_S_INVAL, "request type", -1);
	if (hdr.reserved0 || hdr.reserved1)
		return report(diag, VIRTIO_IOMMU_S_INVAL,
			      "reserved field is not zero", -1);
	nr = le16_to_cpu(hdr.nr_entries);
	if (!nr || nr > VIRTIO_IOMMU_INV_MAX_ENTRIES)
		return report(diag, VIRTIO_IOMMU_S_INVAL,
			      "nr_entries out of 1..256", -1);
	if (len != INVALIDATE_HDR_LEN + nr * INV_ENTRY_LEN)
		return report(diag, VIRTIO_IOMMU_S_INVAL,
			      "request length does not match nr_entries", -1);

	out->domain = le32_to_cpu(hdr.domain);
	out->nr_entries = nr;
	for (i = 0; i < nr; i++) {
		memcpy(&raw, p + INVALIDATE_HDR_LEN + i * INV_ENTRY_LEN,
		       INV_ENTRY_LEN);
		msg = decode_inv_entry(&raw, &out->entries[i]);
		if (msg)
			return report(diag, VIRTIO_IOMMU_S_INVAL, msg, i);
	}
	return report(diag, VIRTIO_IOMMU_S_OK, NULL, -1);
}
