// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Validation and decoding of ATTACH_TABLE and INVALIDATE requests.
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

static uint8_t decode_arm_table(const struct virtio_iommu_table_arm_smmuv3 *raw,
				const struct pvb_arm_caps *caps,
				struct pvb_s1_table *t, const char **msg)
{
	*t = (struct pvb_s1_table){
		.s1contextptr = le64_to_cpu(raw->s1contextptr),
		.s1fmt = raw->s1fmt,
		.s1cdmax = raw->s1cdmax,
		.s1dss = raw->s1dss,
		.s1cir = raw->s1cir,
		.s1cor = raw->s1cor,
		.s1csh = raw->s1csh,
	};

	*msg = "reserved field of the table is not zero";
	if (!all_zero(raw->reserved, sizeof(raw->reserved)))
		return VIRTIO_IOMMU_S_INVAL;
	*msg = "reserved s1fmt, s1dss or cache attribute encoding";
	if (t->s1fmt > VIRTIO_IOMMU_ARM_S1FMT_2L_64K ||
	    t->s1dss > VIRTIO_IOMMU_ARM_S1DSS_SSID0 ||
	    t->s1cir > S1C_CACHE_MAX || t->s1cor > S1C_CACHE_MAX ||
	    t->s1csh > S1C_CACHE_MAX || t->s1csh == ARM_SMMU_SH_RESERVED)
		return VIRTIO_IOMMU_S_INVAL;
	*msg = "s1cdmax beyond ssid_bits";
	if (t->s1cdmax > caps->ssid_bits || t->s1cdmax > PVB_S1CDMAX_MAX)
		return VIRTIO_IOMMU_S_RANGE;
	/* S1Fmt is IGNORED without substreams (IHI 0070 5.2) */
	*msg = "CD table format not supported";
	if (t->s1cdmax && !(caps->cd_formats & (1u << t->s1fmt)))
		return VIRTIO_IOMMU_S_UNSUPP;
	*msg = "s1contextptr beyond oas";
	if (!pvb_fits_bits(t->s1contextptr, caps->oas))
		return VIRTIO_IOMMU_S_RANGE;
	*msg = "s1contextptr not aligned to the CD table";
	if (t->s1contextptr & GENMASK_ULL(pvb_ctxptr_align(t) - 1, 0))
		return VIRTIO_IOMMU_S_INVAL;
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
	uint16_t format;
	uint8_t status;

	if (len != ATTACH_TABLE_LEN)
		return report(diag, VIRTIO_IOMMU_S_INVAL, "request length", -1);
	memcpy(&req, buf, ATTACH_TABLE_LEN);
	if (req.head.type != VIRTIO_IOMMU_T_ATTACH_TABLE)
		return report(diag, VIRTIO_IOMMU_S_INVAL, "request type", -1);
	if (le32_to_cpu(req.flags) & ~VIRTIO_IOMMU_ATTACH_TABLE_F_MASK)
		return report(diag, VIRTIO_IOMMU_S_INVAL, "unknown flag", -1);
	if (!all_zero(req.reserved, sizeof(req.reserved)) ||
	    !all_zero(req.reserved1, sizeof(req.reserved1)))
		return report(diag, VIRTIO_IOMMU_S_INVAL,
			      "reserved field is not zero", -1);
	format = le16_to_cpu(req.format);
	if (!format)
		return report(diag, VIRTIO_IOMMU_S_INVAL, "format 0", -1);
	if (format != VIRTIO_IOMMU_TABLE_FMT_ARM_SMMUV3)
		return report(diag, VIRTIO_IOMMU_S_UNSUPP, "unknown format",
			      -1);

	out->domain = le32_to_cpu(req.domain);
	out->endpoint = le32_to_cpu(req.endpoint);
	status = decode_arm_table(&req.arm_smmuv3, caps, &out->table, &msg);
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

static uint8_t check_range(const struct pvb_inv_entry *e, const char **msg)
{
	const uint64_t page_mask = GENMASK_ULL(11, 0);

	*msg = "empty range";
	if (!e->size)
		return VIRTIO_IOMMU_S_INVAL;
	*msg = "range not 4KB aligned";
	if ((e->addr | e->size) & page_mask)
		return VIRTIO_IOMMU_S_INVAL;
	*msg = "range wraps around";
	if (e->size - 1 > UINT64_MAX - e->addr)
		return VIRTIO_IOMMU_S_INVAL;
	return VIRTIO_IOMMU_S_OK;
}

static uint8_t check_tg(const struct pvb_inv_entry *e,
			const struct pvb_arm_caps *caps, const char **msg)
{
	*msg = "reserved tg or ttl";
	if ((e->tg && !pvb_granule_cap(e->tg)) || e->ttl > 3 ||
	    (!e->tg && e->ttl))
		return VIRTIO_IOMMU_S_INVAL;
	*msg = "granule not supported";
	if (e->tg && !(caps->granules & pvb_granule_cap(e->tg)))
		return VIRTIO_IOMMU_S_UNSUPP;
	return VIRTIO_IOMMU_S_OK;
}

static uint8_t decode_inv_entry(const struct virtio_iommu_inv_entry *raw,
				const struct pvb_arm_caps *caps,
				struct pvb_inv_entry *e, const char **msg)
{
	const struct inv_scope_rule *rule;
	uint8_t uses, status;

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

	*msg = "unknown scope";
	if (e->scope >= ARRAY_SIZE(inv_scope_rules))
		return VIRTIO_IOMMU_S_INVAL;
	rule = &inv_scope_rules[e->scope];
	if (!(rule->uses & INV_KNOWN))
		return VIRTIO_IOMMU_S_INVAL;
	*msg = "reserved field of the entry is not zero";
	if (raw->reserved0 || raw->reserved1)
		return VIRTIO_IOMMU_S_INVAL;
	*msg = "flag not valid for the scope";
	if (e->flags & ~rule->flags)
		return VIRTIO_IOMMU_S_INVAL;

	uses = rule->uses;
	if (e->flags & VIRTIO_IOMMU_INV_F_SSID)
		uses |= INV_USES_SSID;
	*msg = "field unused by the scope is not zero";
	if (!unused_fields_zero(e, uses))
		return VIRTIO_IOMMU_S_INVAL;
	if (uses & INV_USES_RANGE) {
		status = check_range(e, msg);
		if (status != VIRTIO_IOMMU_S_OK)
			return status;
	}
	status = check_tg(e, caps, msg);
	if (status != VIRTIO_IOMMU_S_OK)
		return status;
	*msg = "asid or ssid beyond asid_bits or ssid_bits";
	if (!pvb_fits_bits(e->asid, caps->asid_bits) ||
	    !pvb_fits_bits(e->ssid, caps->ssid_bits))
		return VIRTIO_IOMMU_S_RANGE;
	/* Without substreams, no ATC entry is tagged with an SSID */
	*msg = "ATC invalidation by SSID without substreams";
	if ((e->flags & VIRTIO_IOMMU_INV_F_SSID) && !caps->ssid_bits)
		return VIRTIO_IOMMU_S_RANGE;
	*msg = NULL;
	return VIRTIO_IOMMU_S_OK;
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
	uint8_t status;
	unsigned int i;
	uint16_t nr;

	if (len < INVALIDATE_HDR_LEN)
		return report(diag, VIRTIO_IOMMU_S_INVAL, "request length", -1);
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
		status = decode_inv_entry(&raw, caps, &out->entries[i], &msg);
		if (status != VIRTIO_IOMMU_S_OK)
			return report(diag, status, msg, i);
	}
	return report(diag, VIRTIO_IOMMU_S_OK, NULL, -1);
}
