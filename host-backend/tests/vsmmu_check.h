/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The command check of Linux 7.3's iommufd vSMMU
 * (arm_vsmmu_validate_user_cmd() and arm_vsmmu_validate_range() in
 * drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3-iommufd.c), restated with
 * hand-written masks from IHI 0070 chapter 4. A command it refuses would
 * make the whole IOMMU_HWPT_INVALIDATE fail with -EIO. Shared by the unit
 * tests and the INVALIDATE fuzz target.
 */
#ifndef PVB_TEST_VSMMU_CHECK_H
#define PVB_TEST_VSMMU_CHECK_H

#include <endian.h>
#include <stdbool.h>
#include <stdint.h>

#define V_OP_TLBI_NH_ALL  0x10
#define V_OP_TLBI_NH_ASID 0x11
#define V_OP_TLBI_NH_VA	  0x12
#define V_OP_ATC_INV	  0x40
#define V_OP_CFGI_CD	  0x05
#define V_OP_CFGI_CD_ALL  0x06

#define V0_OPCODE     0x00000000000000ffULL /* [7:0] */
#define V0_ATC_GLOBAL 0x0000000000000200ULL /* [9] */
#define V0_SSV	      0x0000000000000800ULL /* [11] */
#define V0_SSID	      0x00000000fffff000ULL /* [31:12] */
#define V0_SID	      0xffffffff00000000ULL /* [63:32] */
#define V0_NUM	      0x000000000001f000ULL /* [16:12] */
#define V0_SCALE5     0x0000000001f00000ULL /* [24:20] */
#define V0_SCALE6     0x0000000003f00000ULL /* [25:20] */
#define V0_VMID	      0x0000ffff00000000ULL /* [47:32] */
#define V1_LEAF	      0x0000000000000001ULL /* [0] */
#define V1_TTL	      0x0000000000000300ULL /* [9:8] */
#define V1_TG	      0x0000000000000c00ULL /* [11:10] */
#define V1_ADDR	      0xfffffffffffff000ULL /* [63:12] */
#define V1_ATC_SIZE   0x000000000000003fULL /* [5:0] */

static inline uint64_t v_asid_mask(unsigned int asid_bits)
{
	return ((1ULL << asid_bits) - 1) << 48;
}

static inline bool v_range_ok(uint64_t d0, uint64_t d1)
{
	bool range = d0 & V0_SCALE6 || d0 & V0_NUM;
	unsigned int ttl = (d1 >> 8) & 3, tg = (d1 >> 10) & 3;

	if (!tg)
		return !range && !ttl;
	if (tg == 2 && ttl == 1)
		return false;
	return range || ttl;
}

static inline bool v_kernel_accepts(const uint64_t cmd[2], bool ril,
				    unsigned int asid_bits,
				    unsigned int ssid_bits, bool ats)
{
	uint64_t d0 = le64toh(cmd[0]), d1 = le64toh(cmd[1]);
	uint64_t a0 = V0_OPCODE, a1 = 0;

	switch (d0 & V0_OPCODE) {
	case V_OP_TLBI_NH_VA:
		a0 |= v_asid_mask(asid_bits);
		if (ril) {
			if (!v_range_ok(d0, d1))
				return false;
			a0 |= V0_NUM | V0_SCALE5;
			a1 |= V1_TG | V1_TTL;
		}
		a0 |= V0_VMID;
		a1 |= V1_LEAF | V1_ADDR;
		break;
	case V_OP_TLBI_NH_ASID:
		a0 |= v_asid_mask(asid_bits) | V0_VMID;
		break;
	case V_OP_TLBI_NH_ALL:
		a0 |= V0_VMID;
		break;
	case V_OP_ATC_INV:
		if (!ats || (d1 & V1_ATC_SIZE) > 52)
			return false;
		if (ssid_bits)
			a0 |= V0_SSV | V0_SSID | V0_ATC_GLOBAL;
		a0 |= V0_SID;
		a1 |= V1_ATC_SIZE | V1_ADDR;
		break;
	case V_OP_CFGI_CD:
		if (ssid_bits)
			a0 |= V0_SSID;
		a1 |= V1_LEAF;
		a0 |= V0_SID;
		break;
	case V_OP_CFGI_CD_ALL:
		a0 |= V0_SID;
		break;
	default:
		return false;
	}
	return !(d0 & ~a0) && !(d1 & ~a1);
}

#endif /* PVB_TEST_VSMMU_CHECK_H */
