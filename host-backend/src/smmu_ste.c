// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Virtual STE of an iommufd nested HWPT (struct iommu_hwpt_arm_smmuv3):
 * only the fields iommufd allows (STRTAB_STE_{0,1}_NESTING_ALLOWED).
 */
#include "pvb/smmu.h"

#include "arm_smmu_v3.h"
#include "bits.h"

static void ste_store(uint64_t ste[2], uint64_t w0, uint64_t w1)
{
	ste[0] = cpu_to_le64(w0);
	ste[1] = cpu_to_le64(w1);
}

void pvb_smmu_make_s1_ste(const struct pvb_s1_table *t, unsigned int flags,
			  uint64_t ste[2])
{
	uint64_t w0, w1;

	w0 = STRTAB_STE_0_V |
	     FIELD_PREP(STRTAB_STE_0_CFG, STRTAB_STE_0_CFG_S1_TRANS) |
	     FIELD_PREP(STRTAB_STE_0_S1FMT, t->s1fmt) |
	     (t->s1contextptr & STRTAB_STE_0_S1CTXPTR_MASK) |
	     FIELD_PREP(STRTAB_STE_0_S1CDMAX, t->s1cdmax);
	w1 = FIELD_PREP(STRTAB_STE_1_S1DSS, t->s1dss) |
	     FIELD_PREP(STRTAB_STE_1_S1CIR, t->s1cir) |
	     FIELD_PREP(STRTAB_STE_1_S1COR, t->s1cor) |
	     FIELD_PREP(STRTAB_STE_1_S1CSH, t->s1csh);
	if (flags & PVB_STE_EATS)
		w1 |= FIELD_PREP(STRTAB_STE_1_EATS, STRTAB_STE_1_EATS_TRANS);
	if (flags & PVB_STE_S1STALLD)
		w1 |= STRTAB_STE_1_S1STALLD;
	ste_store(ste, w0, w1);
}

void pvb_smmu_make_abort_ste(uint64_t ste[2])
{
	ste_store(ste,
		  STRTAB_STE_0_V |
			  FIELD_PREP(STRTAB_STE_0_CFG, STRTAB_STE_0_CFG_ABORT),
		  0);
}

void pvb_smmu_make_bypass_ste(uint64_t ste[2])
{
	ste_store(ste,
		  STRTAB_STE_0_V |
			  FIELD_PREP(STRTAB_STE_0_CFG, STRTAB_STE_0_CFG_BYPASS),
		  0);
}
