// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdlib.h>

#include "arch.h"

void t_make_cd(uint64_t cd[8], unsigned int g, unsigned int ias,
	       unsigned int ips, uint64_t ttb0, uint16_t asid)
{
	unsigned int i;

	for (i = 0; i < 8; i++)
		cd[i] = 0;
	cd[0] = T_CD0_T0SZ(64 - ias) | T_CD0_TG0(t_tg0(g)) | T_CD0_EPD1 |
		T_CD0_V | T_CD0_IPS(ips) | T_CD0_AA64 | T_CD0_R | T_CD0_A |
		T_CD0_ASET | T_CD0_ASID(asid);
	cd[1] = ttb0;
	cd[3] = 0x0000000000f404ffULL; /* MAIR: WBRWA, device, INC-OWBRWA */
}

void t_write_cd(struct gmem *gm, uint64_t gpa, const uint64_t cd[8])
{
	unsigned int i;

	for (i = 0; i < 8; i++)
		gmem_w64(gm, gpa + 8 * i, cd[i]);
}

static uint64_t table_bytes(const struct t_pt *pt, unsigned int level)
{
	if (level == pt->start)
		return 8ULL << (pt->ias - t_shift(pt->g, level));
	return 1ULL << pt->g;
}

void t_pt_init(struct t_pt *pt, struct gmem *gm, unsigned int g,
	       unsigned int ias, unsigned int start)
{
	uint64_t bytes;

	pt->gm = gm;
	pt->g = g;
	pt->ias = ias;
	pt->start = start;
	bytes = table_bytes(pt, start);
	pt->root = gmem_alloc(gm, bytes, bytes < 64 ? 64 : bytes);
}

uint64_t t_oa(const struct t_pt *pt, uint64_t pa)
{
	if (pt->g != 16)
		return pa & 0x0000fffffffff000ULL;
	return (pa & 0x0000ffffffff0000ULL) | ((pa >> 48) & 0xf) << 12;
}

static uint64_t desc_index(const struct t_pt *pt, uint64_t iova,
			   unsigned int level)
{
	uint64_t entries = table_bytes(pt, level) / 8;

	return (iova >> t_shift(pt->g, level)) & (entries - 1);
}

static uint64_t next_table(const struct t_pt *pt, uint64_t desc)
{
	uint64_t pa = desc & 0x0000fffffffff000ULL;

	if (pt->g == 16)
		pa = (desc & 0x0000ffffffff0000ULL) | ((desc >> 12) & 0xf)
							      << 48;
	return pa;
}

uint64_t t_pt_desc_addr(struct t_pt *pt, uint64_t iova, unsigned int level)
{
	uint64_t table = pt->root, addr, desc;
	unsigned int l;

	for (l = pt->start;; l++) {
		addr = table + 8 * desc_index(pt, iova, l);
		if (l == level)
			return addr;
		desc = gmem_r64(pt->gm, addr);
		if ((desc & 3) != T_TYPE_TABLE)
			abort();
		table = next_table(pt, desc);
	}
}

uint64_t t_pt_map(struct t_pt *pt, uint64_t iova, uint64_t pa,
		  unsigned int level, uint64_t attrs, uint64_t table_attrs)
{
	uint64_t table = pt->root, addr, desc;
	unsigned int l;

	for (l = pt->start; l < level; l++) {
		addr = table + 8 * desc_index(pt, iova, l);
		desc = gmem_r64(pt->gm, addr);
		if ((desc & 3) != T_TYPE_TABLE) {
			uint64_t bytes = 1ULL << pt->g;
			uint64_t next = gmem_alloc(pt->gm, bytes, bytes);

			desc = t_oa(pt, next) | T_TYPE_TABLE | table_attrs;
			gmem_w64(pt->gm, addr, desc);
		}
		table = next_table(pt, desc);
	}
	addr = table + 8 * desc_index(pt, iova, level);
	gmem_w64(pt->gm, addr,
		 t_oa(pt, pa) | attrs |
			 (level == 3 ? T_TYPE_PAGE : T_TYPE_BLOCK));
	return addr;
}
