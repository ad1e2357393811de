// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * VMSAv8-64 stage-1 table walk for unprivileged device transactions
 * (Arm DDI 0487 D8.2 - D8.4). See pvb/s1.h for the model.
 */
#include <errno.h>

#include "pvb/s1.h"

#include "arm_lpae.h"
#include "bits.h"
#include "s1_internal.h"

/* Hierarchical permission limits gathered from table descriptors (D8.4.2) */
struct walk_limits {
	bool no_el0; /* APTable[0]: no unprivileged access below */
	bool rdonly; /* APTable[1]: no write access below */
	bool uxn; /* UXNTable: no unprivileged execution below */
};

static int walk_fault(const struct pvb_cd *cd, struct pvb_fault *fault,
		      uint8_t reason, unsigned int level)
{
	fault->level = level;
	/* CD.R == 0 suppresses the records of translation-related faults */
	if (reason != VIRTIO_IOMMU_FAULT_R_S1_WALK_EABT)
		fault->record = cd->flags & PVB_CD_F_R;
	return pvb_fault_set(fault, reason);
}

/* Output or next-level table address of a descriptor (D8.3) */
static uint64_t desc_addr(uint64_t desc, unsigned int g)
{
	uint64_t pa = desc & GENMASK_ULL(47, g);

	if (g == 16)
		pa |= FIELD_GET(ARM_LPAE_PTE_ADDR_HI_64K, desc) << 48;
	return pa;
}

/*
 * Whether a valid non-table descriptor at @level is a legal leaf (D8.3.1,
 * without FEAT_LPA2): a page at level 3; a block at levels 1 and 2 with the
 * 4KB granule, at level 2 with 16KB, at level 2, or 1 with FEAT_LPA, with
 * 64KB. Any other encoding is reserved.
 */
static bool leaf_legal(const struct pvb_cd *cd, uint64_t desc,
		       unsigned int level)
{
	if (level == ARM_LPAE_MAX_LEVELS - 1)
		return (desc & ARM_LPAE_PTE_TYPE_MASK) ==
		       ARM_LPAE_PTE_TYPE_PAGE;
	switch (cd->granule) {
	case 12:
		return level == 1 || level == 2;
	case 14:
		return level == 2;
	default:
		return level == 2 || (level == 1 && (cd->flags & PVB_CD_F_LPA));
	}
}

static void limits_update(struct walk_limits *lim, uint64_t desc,
			  const struct pvb_cd *cd)
{
	/* CD.HAD0 makes APTable and XNTable IGNORED (IHI 0070 5.4) */
	if (cd->flags & PVB_CD_F_HAD0)
		return;
	lim->no_el0 |= !!(desc & ARM_LPAE_PTE_APTABLE_NOEL0);
	lim->rdonly |= !!(desc & ARM_LPAE_PTE_APTABLE_RO);
	lim->uxn |= !!(desc & ARM_LPAE_PTE_UXNTABLE);
}

/*
 * Unprivileged permissions of a leaf (D8.4.1): AP[1] grants EL0 data
 * access, AP[2] removes write; execution depends on UXN only, and WXN
 * forbids it where EL0 may write.
 */
static uint8_t leaf_perm(uint64_t desc, const struct walk_limits *lim,
			 const struct pvb_cd *cd)
{
	bool el0 = (desc & ARM_LPAE_PTE_AP_UNPRIV) && !lim->no_el0;
	bool el0_write = el0 && !(desc & ARM_LPAE_PTE_AP_RDONLY) &&
			 !lim->rdonly;
	uint8_t perm = 0;

	if (el0)
		perm |= PVB_ACCESS_READ;
	if (el0_write)
		perm |= PVB_ACCESS_WRITE;
	if (!(desc & ARM_LPAE_PTE_UXN) && !lim->uxn &&
	    !((cd->flags & PVB_CD_F_WXN) && el0_write))
		perm |= PVB_ACCESS_EXEC;
	return perm;
}

static int read_desc(const struct pvb_mem *mem, uint64_t addr, uint64_t *desc)
{
	uint64_t raw;

	if (mem->read(mem->opaque, addr, &raw, sizeof(raw)))
		return -EIO;
	*desc = le64_to_cpu(raw);
	return 0;
}

/* Check a leaf found at @level and fill @res */
static int walk_leaf(const struct pvb_cd *cd, const struct pvb_s1_txn *txn,
		     uint64_t desc, unsigned int level,
		     const struct walk_limits *lim, struct pvb_iotlb_entry *res,
		     struct pvb_fault *fault)
{
	unsigned int shift = arm_lpae_lvl_shift(level, cd->granule);
	uint64_t mask = GENMASK_ULL(shift - 1, 0);
	uint64_t out = desc_addr(desc, cd->granule) & ~mask;
	uint8_t perm;

	if (!pvb_fits_bits(out, cd->oas))
		return walk_fault(cd, fault, VIRTIO_IOMMU_FAULT_R_S1_ADDR_SIZE,
				  level);
	/* No HTTU: AF == 0 faults unless CD.AFFD (IHI 0070 5.4 AFFD) */
	if (!(desc & ARM_LPAE_PTE_AF) && !(cd->flags & PVB_CD_F_AFFD))
		return walk_fault(cd, fault, VIRTIO_IOMMU_FAULT_R_S1_ACCESS,
				  level);
	perm = leaf_perm(desc, lim, cd);
	if (txn->access & ~perm)
		return walk_fault(cd, fault, VIRTIO_IOMMU_FAULT_R_S1_PERMISSION,
				  level);

	*res = (struct pvb_iotlb_entry){
		.iova = txn->iova & ~mask,
		.out = out,
		.asid = cd->asid,
		.size_log2 = shift,
		.perm = perm,
	};
	return 0;
}

/* Address of the descriptor translating @iova in the level-@level @table */
static uint64_t desc_ptr(uint64_t table, uint64_t iova, unsigned int level,
			 unsigned int g)
{
	/* g - 3 index bits; an IOVA below 2^ias fits a smaller start table */
	uint64_t index = (iova >> arm_lpae_lvl_shift(level, g)) &
			 GENMASK_ULL(g - 4, 0);

	return table + index * sizeof(uint64_t);
}

int pvb_s1_walk(const struct pvb_cd *cd, const struct pvb_mem *mem,
		const struct pvb_s1_txn *txn, struct pvb_iotlb_entry *res,
		struct pvb_fault *fault)
{
	unsigned int g = cd->granule, level = cd->start_level;
	uint64_t table = cd->ttb0, addr, desc;
	struct walk_limits lim = { 0 };
	uint8_t reason;

	pvb_fault_init(fault, txn);
	/* Above 2^(64 - T0SZ) is TTB1's or nobody's: Translation fault */
	if ((cd->flags & PVB_CD_F_EPD0) || !pvb_fits_bits(txn->iova, cd->ias))
		return walk_fault(cd, fault,
				  VIRTIO_IOMMU_FAULT_R_S1_TRANSLATION, level);

	/* One lookup per level: even a table that points at itself ends */
	for (;; level++) {
		addr = desc_ptr(table, txn->iova, level, g);
		if (read_desc(mem, addr, &desc)) {
			fault->fetch_addr = addr;
			reason = VIRTIO_IOMMU_FAULT_R_S1_WALK_EABT;
			return walk_fault(cd, fault, reason, level);
		}
		if (!(desc & ARM_LPAE_PTE_VALID)) {
			reason = VIRTIO_IOMMU_FAULT_R_S1_TRANSLATION;
			return walk_fault(cd, fault, reason, level);
		}
		if (level == ARM_LPAE_MAX_LEVELS - 1 ||
		    (desc & ARM_LPAE_PTE_TYPE_MASK) != ARM_LPAE_PTE_TYPE_TABLE)
			break;
		table = desc_addr(desc, g);
		if (!pvb_fits_bits(table, cd->oas)) {
			reason = VIRTIO_IOMMU_FAULT_R_S1_ADDR_SIZE;
			return walk_fault(cd, fault, reason, level);
		}
		limits_update(&lim, desc, cd);
	}

	if (!leaf_legal(cd, desc, level))
		return walk_fault(cd, fault,
				  VIRTIO_IOMMU_FAULT_R_S1_TRANSLATION, level);
	return walk_leaf(cd, txn, desc, level, &lim, res, fault);
}
