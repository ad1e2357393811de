/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Arm SMMUv3 structure layouts used by the library (Arm IHI 0070, "SMMU
 * architecture version 3"). Names follow the Linux driver's
 * <STRUCT>_<dword>_<FIELD> convention so that every definition can be diffed
 * against drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h; values listed below a
 * field are its legal encodings.
 */
#ifndef PVB_ARM_SMMU_V3_H
#define PVB_ARM_SMMU_V3_H

#include "bits.h"

/* ID registers (IHI 0070 6.3.1 - 6.3.6), fields iommufd reports as valid */
#define IDR0_STALL_MODEL       GENMASK_ULL(25, 24)
#define IDR0_STALL_MODEL_STALL 0
#define IDR0_STALL_MODEL_NONE  1
#define IDR0_STALL_MODEL_FORCE 2
#define IDR0_TTENDIAN	       GENMASK_ULL(22, 21)
#define IDR0_TTENDIAN_MIXED    0
#define IDR0_TTENDIAN_LE       2
#define IDR0_TTENDIAN_BE       3
#define IDR0_CD2L	       BIT_ULL(19)
#define IDR0_ASID16	       BIT_ULL(12)
#define IDR0_TTF	       GENMASK_ULL(3, 2)
#define IDR0_TTF_AARCH64       2 /* bit of TTF: VMSAv8-64 supported */

#define IDR1_SSIDSIZE GENMASK_ULL(10, 6)

#define IDR3_BBML GENMASK_ULL(12, 11)
#define IDR3_RIL  BIT_ULL(10)

#define IDR5_VAX	GENMASK_ULL(11, 10)
#define IDR5_VAX_52_BIT 1
#define IDR5_GRAN64K	BIT_ULL(6)
#define IDR5_GRAN16K	BIT_ULL(5)
#define IDR5_GRAN4K	BIT_ULL(4)

/* Stream table entry, dwords 0 and 1 (IHI 0070 5.2) */
#define STRTAB_STE_0_V		   BIT_ULL(0)
#define STRTAB_STE_0_CFG	   GENMASK_ULL(3, 1)
#define STRTAB_STE_0_CFG_ABORT	   0
#define STRTAB_STE_0_CFG_BYPASS	   4
#define STRTAB_STE_0_CFG_S1_TRANS  5
#define STRTAB_STE_0_S1FMT	   GENMASK_ULL(5, 4)
#define STRTAB_STE_0_S1CTXPTR_MASK GENMASK_ULL(51, 6)
#define STRTAB_STE_0_S1CDMAX	   GENMASK_ULL(63, 59)

#define STRTAB_STE_1_S1DSS	GENMASK_ULL(1, 0)
#define STRTAB_STE_1_S1CIR	GENMASK_ULL(3, 2)
#define STRTAB_STE_1_S1COR	GENMASK_ULL(5, 4)
#define STRTAB_STE_1_S1CSH	GENMASK_ULL(7, 6)
#define STRTAB_STE_1_S1STALLD	BIT_ULL(27)
#define STRTAB_STE_1_EATS	GENMASK_ULL(29, 28)
#define STRTAB_STE_1_EATS_ABT	0
#define STRTAB_STE_1_EATS_TRANS 1

/* Shareability encoding of S1CSH (and CD.SHx): 0b01 is reserved */
#define ARM_SMMU_SH_RESERVED 1

/* Level 1 CD descriptor (IHI 0070 5.3) */
#define CTXDESC_L1_DESC_V	   BIT_ULL(0)
#define CTXDESC_L1_DESC_L2PTR_MASK GENMASK_ULL(55, 12)
/* 2-level CD tables: log2 of the number of CDs in a leaf table (5.2 S1Fmt) */
#define CTXDESC_SPLIT_4K	   6
#define CTXDESC_SPLIT_64K	   10
#define CTXDESC_CD_SHIFT	   6 /* a CD is 64 bytes */
#define CTXDESC_CD_DWORDS	   8

/* Context descriptor, dwords 0, 1 and 3 (IHI 0070 5.4) */
#define CTXDESC_CD_0_TCR_T0SZ	 GENMASK_ULL(5, 0)
#define CTXDESC_CD_0_TCR_TG0	 GENMASK_ULL(7, 6)
#define CTXDESC_CD_0_TCR_TG0_4K	 0
#define CTXDESC_CD_0_TCR_TG0_64K 1
#define CTXDESC_CD_0_TCR_TG0_16K 2
#define CTXDESC_CD_0_TCR_EPD0	 BIT_ULL(14)
#define CTXDESC_CD_0_ENDI	 BIT_ULL(15)
#define CTXDESC_CD_0_TCR_EPD1	 BIT_ULL(30)
#define CTXDESC_CD_0_V		 BIT_ULL(31)
#define CTXDESC_CD_0_TCR_IPS	 GENMASK_ULL(34, 32)
#define CTXDESC_CD_0_AFFD	 BIT_ULL(35)
#define CTXDESC_CD_0_WXN	 BIT_ULL(36)
#define CTXDESC_CD_0_AA64	 BIT_ULL(41)
#define CTXDESC_CD_0_TCR_HD	 BIT_ULL(42)
#define CTXDESC_CD_0_TCR_HA	 BIT_ULL(43)
#define CTXDESC_CD_0_S		 BIT_ULL(44)
#define CTXDESC_CD_0_R		 BIT_ULL(45)
#define CTXDESC_CD_0_A		 BIT_ULL(46)
#define CTXDESC_CD_0_ASID	 GENMASK_ULL(63, 48)

#define CTXDESC_CD_1_HAD0      BIT_ULL(1)
#define CTXDESC_CD_1_TTB0_MASK GENMASK_ULL(51, 4)

#define CTXDESC_CD_3_MAIR GENMASK_ULL(63, 0)

/* Command queue entries (IHI 0070 4.1 - 4.7) */
#define CMDQ_0_OP  GENMASK_ULL(7, 0)
#define CMDQ_0_SSV BIT_ULL(11)

#define CMDQ_OP_CFGI_CD	     0x05
#define CMDQ_OP_CFGI_CD_ALL  0x06
#define CMDQ_OP_TLBI_NH_ALL  0x10
#define CMDQ_OP_TLBI_NH_ASID 0x11
#define CMDQ_OP_TLBI_NH_VA   0x12
#define CMDQ_OP_ATC_INV	     0x40

#define CMDQ_CFGI_0_SSID GENMASK_ULL(31, 12)
#define CMDQ_CFGI_0_SID	 GENMASK_ULL(63, 32)
#define CMDQ_CFGI_1_LEAF BIT_ULL(0)

#define CMDQ_TLBI_0_NUM		  GENMASK_ULL(16, 12)
#define CMDQ_TLBI_RANGE_NUM_MAX	  31
#define CMDQ_TLBI_0_SCALE	  GENMASK_ULL(24, 20) /* [25] needs DS */
#define CMDQ_TLBI_RANGE_SCALE_MAX 31
#define CMDQ_TLBI_0_ASID	  GENMASK_ULL(63, 48)
#define CMDQ_TLBI_1_LEAF	  BIT_ULL(0)
#define CMDQ_TLBI_1_TTL		  GENMASK_ULL(9, 8)
#define CMDQ_TLBI_1_TG		  GENMASK_ULL(11, 10)
#define CMDQ_TLBI_1_VA_MASK	  GENMASK_ULL(63, 12)

#define CMDQ_ATC_0_SSID	     GENMASK_ULL(31, 12)
#define CMDQ_ATC_0_SID	     GENMASK_ULL(63, 32)
#define CMDQ_ATC_0_GLOBAL    BIT_ULL(9)
#define CMDQ_ATC_1_SIZE	     GENMASK_ULL(5, 0)
#define CMDQ_ATC_1_ADDR_MASK GENMASK_ULL(63, 12)

/* Event records (IHI 0070 7.3) */
#define EVTQ_0_ID	  GENMASK_ULL(7, 0)
#define EVTQ_0_SSV	  BIT_ULL(11)
#define EVTQ_0_SSID	  GENMASK_ULL(31, 12)
#define EVTQ_0_SID	  GENMASK_ULL(63, 32)
#define EVTQ_1_InD	  BIT_ULL(34)
#define EVTQ_1_RnW	  BIT_ULL(35)
#define EVTQ_1_S2	  BIT_ULL(39)
#define EVTQ_1_CLASS	  GENMASK_ULL(41, 40)
#define EVTQ_1_CLASS_CD	  0
#define EVTQ_1_CLASS_TT	  1
#define EVTQ_1_CLASS_IN	  2
#define EVTQ_2_ADDR	  GENMASK_ULL(63, 0)
#define EVTQ_3_FETCH_ADDR GENMASK_ULL(51, 3)

#define EVT_ID_STREAM_DISABLED 0x06
#define EVT_ID_BAD_SUBSTREAMID 0x08
#define EVT_ID_CD_FETCH	       0x09
#define EVT_ID_BAD_CD	       0x0a
#define EVT_ID_WALK_EABT       0x0b
#define EVT_ID_TRANSLATION     0x10
#define EVT_ID_ADDR_SIZE       0x11
#define EVT_ID_ACCESS	       0x12
#define EVT_ID_PERMISSION      0x13

#endif /* PVB_ARM_SMMU_V3_H */
