// SPDX-License-Identifier: GPL-2.0
/*
 * Virtio-iommu nested mode: the guest owns the stage-1 page tables
 *
 * When the device offers VIRTIO_IOMMU_F_NESTED and PROBE reports the Arm
 * SMMUv3 table format for an endpoint, the DMA domains of that endpoint are
 * backed by io-pgtable ARM_64_LPAE_S1 tables and a one-entry (linear) SMMUv3
 * context-descriptor table in guest memory. The driver hands them to the
 * device once per endpoint with ATTACH_TABLE. Mapping only writes the tables
 * and sends nothing; unmapping queues invalidation entries that iotlb_sync
 * sends as one INVALIDATE request. Endpoints that can't nest, and domains
 * whose ATTACH_TABLE fails, keep using MAP/UNMAP (virtio-iommu.c).
 *
 * The wire format is include/uapi/linux/virtio_iommu_nested.h.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitfield.h>
#include <linux/debugfs.h>
#include <linux/io-pgtable.h>
#include <linux/log2.h>
#include <linux/mmzone.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/scatterlist.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/unaligned.h>

#include <uapi/linux/virtio_ring.h>

#include "virtio-iommu.h"

static bool viommu_nested_enabled = true;
module_param_named(nested, viommu_nested_enabled, bool, 0444);
MODULE_PARM_DESC(nested,
		 "Give the device guest-owned stage-1 page tables when it and the endpoint support them (default: 1); 0 forces MAP/UNMAP");

/* Arm SMMUv3 context descriptor: 64 bytes, fields as the architecture has them */
#define VIOMMU_CD_DWORDS		8
#define VIOMMU_CD_0_TCR_T0SZ		GENMASK_ULL(5, 0)
#define VIOMMU_CD_0_TCR_TG0		GENMASK_ULL(7, 6)
#define VIOMMU_CD_0_TCR_IRGN0		GENMASK_ULL(9, 8)
#define VIOMMU_CD_0_TCR_ORGN0		GENMASK_ULL(11, 10)
#define VIOMMU_CD_0_TCR_SH0		GENMASK_ULL(13, 12)
#define VIOMMU_CD_0_ENDI		BIT_ULL(15)
#define VIOMMU_CD_0_TCR_EPD1		BIT_ULL(30)
#define VIOMMU_CD_0_V			BIT_ULL(31)
#define VIOMMU_CD_0_TCR_IPS		GENMASK_ULL(34, 32)
#define VIOMMU_CD_0_AA64		BIT_ULL(41)
#define VIOMMU_CD_0_R			BIT_ULL(45)
#define VIOMMU_CD_0_A			BIT_ULL(46)
#define VIOMMU_CD_0_ASET		BIT_ULL(47)
#define VIOMMU_CD_0_ASID		GENMASK_ULL(63, 48)
#define VIOMMU_CD_1_TTB0		GENMASK_ULL(51, 4)

/* STE.S1CIR/S1COR and S1CSH values for the CD table fetches */
#define VIOMMU_ARM_CACHE_WBRA		1
#define VIOMMU_ARM_SH_ISH		3

struct viommu_cd {
	__le64				data[VIOMMU_CD_DWORDS];
};

#define VIOMMU_INV_REQ_SIZE(n)						\
	(sizeof(struct virtio_iommu_req_invalidate) +			\
	 (n) * sizeof(struct virtio_iommu_inv_entry) +			\
	 sizeof(struct virtio_iommu_req_tail))

/**
 * struct viommu_table - the stage-1 translation of a table domain
 * @vdomain: the domain
 * @pgtbl_ops: io-pgtable ARM_64_LPAE_S1 tables
 * @cd: the linear CD table (S1CDMax 0: one CD, used by SSID-less traffic)
 * @asid: ASID of the CD, unique for the device
 * @tg: log2 of the translation granule
 * @desc: the format-specific part of ATTACH_TABLE, the same for every endpoint
 * @msi_lock: serializes the identity mappings of MSI regions
 * @nr_inv: number of queued entries in @inv
 * @inv: INVALIDATE request under construction, sent from this buffer
 * @inv_tail: the request's status, at the end of the @inv allocation
 * @inv_sg: @inv, the device-readable part; its length is set when sending
 * @inv_tail_sg: @inv_tail, the device-writable part
 *
 * The device's request_lock protects the invalidation fields, and is held
 * while @inv is in flight.
 */
struct viommu_table {
	struct viommu_domain			*vdomain;
	struct io_pgtable_ops			*pgtbl_ops;
	struct viommu_cd			*cd;
	u16					asid;
	u8					tg;
	struct virtio_iommu_table_arm_smmuv3	desc;
	struct mutex				msi_lock; /* MSI mappings */

	unsigned int				nr_inv;
	struct virtio_iommu_req_invalidate	*inv;
	struct virtio_iommu_req_tail		*inv_tail;
	struct scatterlist			inv_sg;
	struct scatterlist			inv_tail_sg;
};

static DEFINE_MUTEX(viommu_devices_lock);
static LIST_HEAD(viommu_devices);
static struct dentry *viommu_debugfs_dir;

static const char * const viommu_stat_names[VIOMMU_STAT_NR] = {
	[VIOMMU_STAT_ATTACH]		= "attach",
	[VIOMMU_STAT_ATTACH_TABLE]	= "attach_table",
	[VIOMMU_STAT_DETACH]		= "detach",
	[VIOMMU_STAT_MAP]		= "map",
	[VIOMMU_STAT_UNMAP]		= "unmap",
	[VIOMMU_STAT_PROBE]		= "probe",
	[VIOMMU_STAT_INVALIDATE]	= "invalidate",
	[VIOMMU_STAT_INV_ENTRIES]	= "inv_entries",
	[VIOMMU_STAT_INV_ERRORS]	= "invalidate_errors",
	[VIOMMU_STAT_FAULTS]		= "faults",
	[VIOMMU_STAT_FALLBACKS]		= "attach_table_fallbacks",
};

static __always_inline void viommu_stat_add(struct viommu_dev *viommu,
					    enum viommu_stat stat, long n)
{
	atomic_long_add(n, &viommu->stats[stat]);
}

/* Count a request that was just queued. Called with request_lock held. */
void viommu_stats_add_req(struct viommu_dev *viommu, void *buf)
{
	struct virtio_iommu_req_head *head = buf;
	struct virtio_iommu_req_invalidate *inv = buf;

	switch (head->type) {
	case VIRTIO_IOMMU_T_ATTACH:
		viommu_stat_add(viommu, VIOMMU_STAT_ATTACH, 1);
		break;
	case VIRTIO_IOMMU_T_ATTACH_TABLE:
		viommu_stat_add(viommu, VIOMMU_STAT_ATTACH_TABLE, 1);
		break;
	case VIRTIO_IOMMU_T_DETACH:
		viommu_stat_add(viommu, VIOMMU_STAT_DETACH, 1);
		break;
	case VIRTIO_IOMMU_T_MAP:
		viommu_stat_add(viommu, VIOMMU_STAT_MAP, 1);
		break;
	case VIRTIO_IOMMU_T_UNMAP:
		viommu_stat_add(viommu, VIOMMU_STAT_UNMAP, 1);
		break;
	case VIRTIO_IOMMU_T_PROBE:
		viommu_stat_add(viommu, VIOMMU_STAT_PROBE, 1);
		break;
	case VIRTIO_IOMMU_T_INVALIDATE:
		viommu_stat_add(viommu, VIOMMU_STAT_INVALIDATE, 1);
		viommu_stat_add(viommu, VIOMMU_STAT_INV_ENTRIES,
				le16_to_cpu(inv->nr_entries));
		break;
	}
}

/* Endpoint modes */

static const char *viommu_ep_mode_name(struct viommu_endpoint *vdev)
{
	return vdev->mode == VIOMMU_EP_MAP_UNMAP ? "map-unmap" : "nested";
}

static void viommu_ep_set_mode(struct viommu_endpoint *vdev,
			       enum viommu_ep_mode mode, const char *reason,
			       const struct viommu_table_cfg *cfg)
{
	if (mode == VIOMMU_EP_MAP_UNMAP && reason)
		vdev->map_unmap_reason = reason;
	if (vdev->mode == mode)
		return;
	vdev->mode = mode;

	if (mode == VIOMMU_EP_NESTED)
		dev_info(vdev->dev,
			 "virtio-iommu: nested (Arm SMMUv3 stage-1 tables, %luK granule, %u-bit IOVA, %u-bit PA)\n",
			 (cfg->pgsize_bitmap & -cfg->pgsize_bitmap) / SZ_1K,
			 cfg->ias, cfg->oas);
	else if (mode == VIOMMU_EP_MAP_UNMAP)
		dev_info(vdev->dev, "virtio-iommu: map/unmap (%s)\n",
			 vdev->map_unmap_reason);
}

/* PROBE */

int viommu_nested_parse_probe(struct viommu_endpoint *vdev,
			      struct virtio_iommu_probe_property *prop,
			      size_t len)
{
	struct virtio_iommu_probe_table_format *fmt = (void *)prop;
	struct virtio_iommu_probe_table_arm_smmuv3 *arm = (void *)prop;

	/* A property that can't be read is ignored, not an error */
	if (len < sizeof(*fmt))
		return 0;

	switch (le16_to_cpu(fmt->format)) {
	case VIRTIO_IOMMU_TABLE_FMT_ARM_SMMUV3:
		if (len < sizeof(*arm)) {
			dev_warn(vdev->dev,
				 "ignoring short Arm SMMUv3 TABLE_FORMAT property\n");
			break;
		}
		vdev->arm_smmuv3 = *arm;
		vdev->has_arm_smmuv3 = true;
		break;
	default:
		/* A format this driver doesn't know: not an error */
		dev_dbg(vdev->dev, "ignoring table format %u\n",
			le16_to_cpu(fmt->format));
		break;
	}
	return 0;
}

/* End of the guest-physical memory present now */
static u64 viommu_ram_end(void)
{
	unsigned long end = 0;
	int nid;

	for_each_online_node(nid)
		end = max(end, pgdat_end_pfn(NODE_DATA(nid)));
	return PFN_PHYS((u64)end);
}

/*
 * Choose the stage-1 parameters an endpoint would use, from its Arm SMMUv3
 * limits. Return NULL if it can nest, or why it can't.
 */
static const char *viommu_nested_choose(struct viommu_endpoint *vdev)
{
	struct viommu_dev *viommu = vdev->viommu;
	struct virtio_iommu_probe_table_arm_smmuv3 *arm = &vdev->arm_smmuv3;
	struct viommu_table_cfg *cfg = &vdev->table_cfg;
	u32 granules = le32_to_cpu(arm->granules);
	u32 flags = le32_to_cpu(arm->flags);
	u32 endian = IS_ENABLED(CONFIG_CPU_BIG_ENDIAN) ?
		     VIRTIO_IOMMU_ARM_F_TT_BE : VIRTIO_IOMMU_ARM_F_TT_LE;
	static const u8 oas_steps[] = { 48, 44, 42, 40, 36, 32 };
	unsigned long granule;
	unsigned int i, ias;

	if (!viommu_nested_enabled)
		return "disabled by virtio_iommu.nested=0";
	if (!viommu->nested)
		return "device does not offer VIRTIO_IOMMU_F_NESTED";
	if (!vdev->has_arm_smmuv3)
		return "no Arm SMMUv3 TABLE_FORMAT property";
	if (!(le32_to_cpu(arm->cd_formats) & VIRTIO_IOMMU_ARM_CDTAB_LINEAR))
		return "linear CD table not supported";
	if ((flags & (VIRTIO_IOMMU_ARM_F_TT_LE | VIRTIO_IOMMU_ARM_F_TT_BE)) &&
	    !(flags & endian))
		return "table endianness not supported";
	if (flags & VIRTIO_IOMMU_ARM_F_STALL_FORCE)
		return "device forces stalls";

	cfg->granules = 0;
	if (granules & VIRTIO_IOMMU_ARM_GRAN_4K)
		cfg->granules |= SZ_4K;
	if (granules & VIRTIO_IOMMU_ARM_GRAN_16K)
		cfg->granules |= SZ_16K;
	if (granules & VIRTIO_IOMMU_ARM_GRAN_64K)
		cfg->granules |= SZ_64K;

	/* The CPU page size if possible, otherwise the largest smaller one */
	if (cfg->granules & PAGE_SIZE)
		granule = PAGE_SIZE;
	else if (cfg->granules & (PAGE_SIZE - 1))
		granule = 1UL << __fls(cfg->granules & (PAGE_SIZE - 1));
	else
		return "no usable stage-1 granule";

	switch (granule) {
	case SZ_4K:
		cfg->pgsize_bitmap = SZ_4K | SZ_2M | SZ_1G;
		break;
	case SZ_16K:
		cfg->pgsize_bitmap = SZ_16K | SZ_32M;
		break;
	default:
		cfg->pgsize_bitmap = SZ_64K | SZ_512M;
		break;
	}

	ias = min_t(unsigned int, arm->ias, 48);
	ias = min_t(unsigned int, ias, fls64(viommu->geometry.aperture_end));
	if (ias < 32)
		return "input address size too small";
	cfg->ias = ias;

	cfg->oas = 0;
	for (i = 0; i < ARRAY_SIZE(oas_steps); i++) {
		if (arm->oas >= oas_steps[i]) {
			cfg->oas = oas_steps[i];
			break;
		}
	}
	/* Tables and DMA buffers can be anywhere in memory */
	if (!cfg->oas || viommu_ram_end() > BIT_ULL(cfg->oas))
		return "output address size too small for guest memory";

	cfg->asid_bits = min_t(u8, arm->asid_bits, 16);
	if (!cfg->asid_bits)
		return "no ASID bits";

	return NULL;
}

void viommu_nested_probe_device(struct viommu_endpoint *vdev)
{
	struct viommu_dev *viommu = vdev->viommu;
	const char *reason = viommu_nested_choose(vdev);
	unsigned long flags;

	vdev->can_nest = !reason;
	vdev->mode = VIOMMU_EP_NESTED_PENDING;
	/*
	 * Lazy mode keeps dma-iommu's per-CPU flush queues: one ASID
	 * INVALIDATE per 256 unmaps or 10 ms. The single large queue of
	 * shadow_on_flush holds up to 32768 IOVAs for up to a second, which
	 * empties the IOVA caches and sends allocations to the rbtree.
	 */
	if (!vdev->can_nest)
		viommu_ep_set_mode(vdev, VIOMMU_EP_MAP_UNMAP, reason, NULL);

	spin_lock_irqsave(&viommu->endpoints_lock, flags);
	list_add_tail(&vdev->list, &viommu->endpoints);
	spin_unlock_irqrestore(&viommu->endpoints_lock, flags);
}

void viommu_nested_release_device(struct viommu_endpoint *vdev)
{
	struct viommu_dev *viommu = vdev->viommu;
	unsigned long flags;

	spin_lock_irqsave(&viommu->endpoints_lock, flags);
	list_del(&vdev->list);
	spin_unlock_irqrestore(&viommu->endpoints_lock, flags);
}

/* Invalidation */

/*
 * Send a request from buffers of the caller, @top_sg device-readable and
 * @bottom_sg device-writable, and wait until the device has used it. The
 * buffers are not copied, and no memory is allocated. request_lock is held
 * from the add to the completion, so after the requests that MAP/UNMAP
 * domains queued without waiting have been completed, this request is the
 * only one in the queue. Return the number of bytes the device wrote, or an
 * error if it could not be sent or completed.
 */
static int viommu_send_sg_locked(struct viommu_dev *viommu,
				 struct scatterlist *top_sg,
				 struct scatterlist *bottom_sg)
{
	struct virtqueue *vq = viommu->vqs[VIOMMU_REQUEST_VQ];
	struct scatterlist *sg[2] = { top_sg, bottom_sg };
	unsigned int used = 0;
	void *done;
	int ret;

	lockdep_assert_held(&viommu->request_lock);

	if (unlikely(!list_empty(&viommu->requests)))
		__viommu_sync_req(viommu);

	ret = virtqueue_add_sgs(vq, sg, 1, 1, top_sg, GFP_ATOMIC);
	if (ret)
		return ret;
	virtqueue_kick(vq);

	for (;;) {
		done = virtqueue_get_buf(vq, &used);
		if (done)
			break;
		if (unlikely(virtqueue_is_broken(vq)))
			return -EIO;
		cpu_relax();
	}
	if (WARN_ON_ONCE(done != top_sg))
		return -EIO;
	return used;
}

/* Send a request and wait for it; its status as an errno */
static int viommu_send_sg_sync_locked(struct viommu_dev *viommu,
				      struct scatterlist *top_sg,
				      struct scatterlist *tail_sg,
				      struct virtio_iommu_req_tail *tail)
{
	int ret = viommu_send_sg_locked(viommu, top_sg, tail_sg);

	/* Used without a status written: failed, as for other requests */
	if (ret > 0)
		return viommu_get_req_errno(tail, sizeof(*tail));
	return ret ? ret : -EIO;
}

static struct virtio_iommu_inv_entry *
viommu_table_last_inv(struct viommu_table *table)
{
	return table->nr_inv ? &table->inv->entries[table->nr_inv - 1] : NULL;
}

/*
 * Send the queued entries as one INVALIDATE request and wait for it. The
 * device's request_lock stays held until the device has completed it, so
 * that a concurrent sync whose entries were sent by this one only returns
 * once they are invalidated.
 */
static int viommu_table_flush_locked(struct viommu_table *table)
{
	struct viommu_domain *vdomain = table->vdomain;
	struct viommu_dev *viommu = vdomain->viommu;
	struct virtio_iommu_req_invalidate *inv = table->inv;
	unsigned int nr = table->nr_inv;
	int ret;

	lockdep_assert_held(&viommu->request_lock);

	if (!nr)
		return 0;
	table->nr_inv = 0;

	/* Detached from every endpoint: the device has no such domain */
	if (!READ_ONCE(vdomain->nr_endpoints))
		return 0;

	inv->head.type = VIRTIO_IOMMU_T_INVALIDATE;
	inv->domain = cpu_to_le32(vdomain->id);
	inv->nr_entries = cpu_to_le16(nr);
	table->inv_sg.length = struct_size(inv, entries, nr);

	viommu_stat_add(viommu, VIOMMU_STAT_INVALIDATE, 1);
	viommu_stat_add(viommu, VIOMMU_STAT_INV_ENTRIES, nr);
	ret = viommu_send_sg_sync_locked(viommu, &table->inv_sg,
					 &table->inv_tail_sg, table->inv_tail);
	if (ret) {
		viommu_stat_add(viommu, VIOMMU_STAT_INV_ERRORS, 1);
		dev_err_ratelimited(viommu->dev,
				    "INVALIDATE of domain %u (%u entries) failed: %d\n",
				    vdomain->id, nr, ret);
	}
	return ret;
}

static void viommu_table_queue_inv(struct viommu_table *table, u8 scope,
				   u8 flags, u8 ttl, u64 addr, u64 size)
{
	struct virtio_iommu_inv_entry *e = viommu_table_last_inv(table);

	lockdep_assert_held(&table->vdomain->viommu->request_lock);

	/* Extend the previous range when this one follows it */
	if (e && scope == VIRTIO_IOMMU_INV_S_VA && e->scope == scope &&
	    e->flags == flags && e->ttl == ttl &&
	    le64_to_cpu(e->addr) + le64_to_cpu(e->size) == addr) {
		e->size = cpu_to_le64(le64_to_cpu(e->size) + size);
		return;
	}

	if (table->nr_inv == VIRTIO_IOMMU_INV_MAX_ENTRIES)
		viommu_table_flush_locked(table);

	e = &table->inv->entries[table->nr_inv++];
	*e = (struct virtio_iommu_inv_entry) {
		.scope	= scope,
		.flags	= flags,
		.tg	= scope == VIRTIO_IOMMU_INV_S_VA ? table->tg : 0,
		.ttl	= ttl,
		.asid	= cpu_to_le16(table->asid),
		.addr	= cpu_to_le64(addr),
		.size	= cpu_to_le64(size),
	};
}

/* Invalidate every TLB entry of the table's ASID, replacing queued entries */
static void viommu_table_inv_asid(struct viommu_table *table)
{
	struct viommu_dev *viommu = table->vdomain->viommu;
	unsigned long flags;

	spin_lock_irqsave(&viommu->request_lock, flags);
	table->nr_inv = 0;
	viommu_table_queue_inv(table, VIRTIO_IOMMU_INV_S_ASID, 0, 0, 0, 0);
	viommu_table_flush_locked(table);
	spin_unlock_irqrestore(&viommu->request_lock, flags);
}

/* Level of a leaf entry of @size, as SMMUv3 TTL encodes it */
static u8 viommu_table_ttl(struct viommu_table *table, size_t size)
{
	unsigned int bits = table->tg - 3;
	unsigned int shift = ilog2(size);

	if (size == BIT(table->tg))
		return 3;
	if (!is_power_of_2(size) || shift < table->tg ||
	    (shift - table->tg) % bits)
		return 0;
	return 3 - (shift - table->tg) / bits;
}

/* Queue the leaf pages gathered in @gather, if any */
static void viommu_table_queue_gather(struct viommu_table *table,
				      struct iommu_iotlb_gather *gather)
{
	lockdep_assert_held(&table->vdomain->viommu->request_lock);

	if (!gather->pgsize)
		return;
	viommu_table_queue_inv(table, VIRTIO_IOMMU_INV_S_VA,
			       VIRTIO_IOMMU_INV_F_LEAF,
			       viommu_table_ttl(table, gather->pgsize),
			       gather->start, gather->end - gather->start + 1);
}

static void viommu_tlb_flush_all(void *cookie)
{
	viommu_table_inv_asid(cookie);
}

/*
 * A table was removed and is about to be freed: the device must forget the
 * walk through it before this returns.
 */
static void viommu_tlb_flush_walk(unsigned long iova, size_t size,
				  size_t granule, void *cookie)
{
	struct viommu_table *table = cookie;
	struct viommu_dev *viommu = table->vdomain->viommu;
	unsigned long flags;

	spin_lock_irqsave(&viommu->request_lock, flags);
	viommu_table_queue_inv(table, VIRTIO_IOMMU_INV_S_VA, 0, 0, iova, size);
	viommu_table_flush_locked(table);
	spin_unlock_irqrestore(&viommu->request_lock, flags);
}

/*
 * A leaf entry was removed. Unmapped pages are gathered in @gather, without a
 * lock, while they form one range of pages of one size, as the pages of a DMA
 * unmap do; iotlb_sync sends the range. A page that doesn't fit moves the
 * range to the table's queue, so that iotlb_sync still sends a single request.
 */
static void viommu_tlb_add_page(struct iommu_iotlb_gather *gather,
				unsigned long iova, size_t granule,
				void *cookie)
{
	struct viommu_table *table = cookie;
	struct viommu_dev *viommu = table->vdomain->viommu;
	unsigned long flags;

	if (gather->pgsize &&
	    (gather->pgsize != granule ||
	     iommu_iotlb_gather_is_disjoint(gather, iova, granule))) {
		spin_lock_irqsave(&viommu->request_lock, flags);
		viommu_table_queue_gather(table, gather);
		spin_unlock_irqrestore(&viommu->request_lock, flags);
		gather->start = ULONG_MAX;
		gather->end = 0;
	}
	gather->pgsize = granule;
	iommu_iotlb_gather_add_range(gather, iova, granule);
}

static const struct iommu_flush_ops viommu_flush_ops = {
	.tlb_flush_all	= viommu_tlb_flush_all,
	.tlb_flush_walk	= viommu_tlb_flush_walk,
	.tlb_add_page	= viommu_tlb_add_page,
};

/* Tables */

static void viommu_table_make_cd(struct viommu_cd *cd,
				 const struct io_pgtable_cfg *cfg, u16 asid)
{
	typeof(cfg->arm_lpae_s1_cfg.tcr) tcr = cfg->arm_lpae_s1_cfg.tcr;

	memset(cd, 0, sizeof(*cd));
	cd->data[0] = cpu_to_le64(FIELD_PREP(VIOMMU_CD_0_TCR_T0SZ, tcr.tsz) |
				  FIELD_PREP(VIOMMU_CD_0_TCR_TG0, tcr.tg) |
				  FIELD_PREP(VIOMMU_CD_0_TCR_IRGN0, tcr.irgn) |
				  FIELD_PREP(VIOMMU_CD_0_TCR_ORGN0, tcr.orgn) |
				  FIELD_PREP(VIOMMU_CD_0_TCR_SH0, tcr.sh) |
				  (IS_ENABLED(CONFIG_CPU_BIG_ENDIAN) ?
				   VIOMMU_CD_0_ENDI : 0) |
				  VIOMMU_CD_0_TCR_EPD1 |
				  VIOMMU_CD_0_V |
				  FIELD_PREP(VIOMMU_CD_0_TCR_IPS, tcr.ips) |
				  VIOMMU_CD_0_AA64 |
				  VIOMMU_CD_0_R |
				  VIOMMU_CD_0_A |
				  VIOMMU_CD_0_ASET |
				  FIELD_PREP(VIOMMU_CD_0_ASID, asid));
	cd->data[1] = cpu_to_le64(cfg->arm_lpae_s1_cfg.ttbr & VIOMMU_CD_1_TTB0);
	cd->data[3] = cpu_to_le64(cfg->arm_lpae_s1_cfg.mair);
}

static void viommu_table_free(struct viommu_table *table)
{
	struct viommu_dev *viommu = table->vdomain->viommu;

	/* Calls tlb_flush_all, which sends nothing once detached */
	free_io_pgtable_ops(table->pgtbl_ops);
	if (table->asid)
		ida_free(&viommu->asids, table->asid);
	kfree(table->cd);
	kfree(table->inv);
	kfree(table);
}

static struct viommu_table *viommu_table_alloc(struct viommu_domain *vdomain)
{
	struct viommu_dev *viommu = vdomain->viommu;
	struct viommu_table_cfg *tcfg = &vdomain->table_cfg;
	struct io_pgtable_cfg cfg = {
		.pgsize_bitmap	= tcfg->pgsize_bitmap,
		.ias		= tcfg->ias,
		.oas		= tcfg->oas,
		.coherent_walk	= true,
		.tlb		= &viommu_flush_ops,
		.iommu_dev	= viommu->dev,
	};
	struct viommu_table *table;
	int ret = -ENOMEM;

	table = kzalloc_obj(*table);
	if (!table)
		return ERR_PTR(-ENOMEM);
	table->vdomain = vdomain;
	mutex_init(&table->msi_lock);

	table->inv = kzalloc(VIOMMU_INV_REQ_SIZE(VIRTIO_IOMMU_INV_MAX_ENTRIES),
			     GFP_KERNEL);
	/* kmalloc aligns power-of-two sizes naturally: 64 bytes as required */
	table->cd = kzalloc_obj(*table->cd);
	if (!table->inv || !table->cd)
		goto err_free;

	/* The tail is a descriptor of its own: it can stay in one place */
	table->inv_tail = (void *)table->inv +
		VIOMMU_INV_REQ_SIZE(VIRTIO_IOMMU_INV_MAX_ENTRIES) -
		sizeof(*table->inv_tail);
	sg_init_one(&table->inv_sg, table->inv, 0);
	sg_init_one(&table->inv_tail_sg, table->inv_tail,
		    sizeof(*table->inv_tail));

	ret = ida_alloc_range(&viommu->asids, 1, BIT(tcfg->asid_bits) - 1,
			      GFP_KERNEL);
	if (ret < 0)
		goto err_free;
	table->asid = ret;

	ret = -ENOMEM;
	table->pgtbl_ops = alloc_io_pgtable_ops(ARM_64_LPAE_S1, &cfg, table);
	if (!table->pgtbl_ops)
		goto err_free;

	/* The domain already advertised these: io-pgtable must keep them */
	ret = -EINVAL;
	if (WARN_ON(cfg.pgsize_bitmap != tcfg->pgsize_bitmap ||
		    cfg.ias != tcfg->ias || cfg.oas != tcfg->oas))
		goto err_free;

	table->tg = __ffs(cfg.pgsize_bitmap);
	viommu_table_make_cd(table->cd, &cfg, table->asid);

	table->desc = (struct virtio_iommu_table_arm_smmuv3) {
		.s1contextptr	= cpu_to_le64(virt_to_phys(table->cd)),
		.s1fmt		= VIRTIO_IOMMU_ARM_S1FMT_LINEAR,
		.s1cdmax	= 0,
		.s1dss		= VIRTIO_IOMMU_ARM_S1DSS_SSID0,
		.s1cir		= VIOMMU_ARM_CACHE_WBRA,
		.s1cor		= VIOMMU_ARM_CACHE_WBRA,
		.s1csh		= VIOMMU_ARM_SH_ISH,
	};
	return table;

err_free:
	viommu_table_free(table);
	return ERR_PTR(ret);
}

/* Can @vdev use the tables of a domain with parameters @dom and @asid? */
static bool viommu_table_fits(const struct viommu_table_cfg *dom, u16 asid,
			      struct viommu_endpoint *vdev)
{
	const struct viommu_table_cfg *ep = &vdev->table_cfg;

	return vdev->can_nest &&
	       (ep->granules & dom->pgsize_bitmap & -dom->pgsize_bitmap) &&
	       ep->ias >= dom->ias && ep->oas >= dom->oas &&
	       asid < BIT(ep->asid_bits);
}

/*
 * The endpoint's MSI regions are translated with the identity function, in
 * the table (the device may bypass them, or it may not). Other endpoints of
 * the domain may have mapped the same region already.
 */
static int viommu_table_map_msi(struct viommu_table *table,
				struct viommu_endpoint *vdev)
{
	struct io_pgtable_ops *ops = table->pgtbl_ops;
	size_t granule = BIT(table->tg), mapped;
	int prot = IOMMU_WRITE | IOMMU_MMIO | IOMMU_NOEXEC;
	struct iommu_resv_region *resv;
	phys_addr_t addr, end;
	int ret = 0;

	mutex_lock(&table->msi_lock);
	list_for_each_entry(resv, &vdev->resv_regions, list) {
		if (resv->type != IOMMU_RESV_MSI)
			continue;
		addr = ALIGN_DOWN(resv->start, granule);
		end = ALIGN(resv->start + resv->length, granule);
		for (; addr < end && !ret; addr += granule) {
			if (ops->iova_to_phys(ops, addr))
				continue;
			ret = ops->map_pages(ops, addr, addr, granule, 1, prot,
					     GFP_KERNEL, &mapped);
		}
	}
	mutex_unlock(&table->msi_lock);
	return ret;
}

/*
 * Send ATTACH_TABLE for every ID of the endpoint. The device frees the
 * previous domain when its last endpoint leaves it, so the endpoint counts
 * change under request_lock together with the requests: a flush of the
 * previous domain is either sent before the move or sees that the device has
 * no such domain any more, and never reaches it as an unknown domain.
 */
static int viommu_table_attach(struct viommu_domain *vdomain,
			       struct viommu_endpoint *vdev)
{
	struct iommu_fwspec *fwspec = dev_iommu_fwspec_get(vdev->dev);
	struct viommu_dev *viommu = vdomain->viommu;
	struct virtio_iommu_req_attach_table *req;
	struct scatterlist top, bottom;
	unsigned long flags;
	unsigned int i;
	int ret;

	ret = viommu_table_map_msi(vdomain->table, vdev);
	if (ret)
		return ret;

	req = kzalloc_obj(*req);
	if (!req)
		return -ENOMEM;
	req->head.type = VIRTIO_IOMMU_T_ATTACH_TABLE;
	req->domain = cpu_to_le32(vdomain->id);
	req->format = cpu_to_le16(VIRTIO_IOMMU_TABLE_FMT_ARM_SMMUV3);
	req->arm_smmuv3 = vdomain->table->desc;
	sg_init_one(&top, req, offsetof(typeof(*req), tail));
	sg_init_one(&bottom, &req->tail, sizeof(req->tail));

	/* The CD and the tables must be visible before the device reads them */
	wmb();

	spin_lock_irqsave(&viommu->request_lock, flags);
	for (i = 0; i < fwspec->num_ids && !ret; i++) {
		req->endpoint = cpu_to_le32(fwspec->ids[i]);
		memset(&req->tail, 0, sizeof(req->tail));
		viommu_stat_add(viommu, VIOMMU_STAT_ATTACH_TABLE, 1);
		ret = viommu_send_sg_sync_locked(viommu, &top, &bottom,
						 &req->tail);
	}
	if (!ret) {
		/* ATTACH_TABLE moved the endpoint out of its previous domain */
		if (vdev->vdomain)
			vdev->vdomain->nr_endpoints--;
		vdomain->nr_endpoints++;
	}
	spin_unlock_irqrestore(&viommu->request_lock, flags);
	kfree(req);
	if (ret)
		return ret;

	vdev->vdomain = vdomain;
	viommu_ep_set_mode(vdev, VIOMMU_EP_NESTED, NULL,
			   &vdomain->table_cfg);
	return 0;
}

/* Map [iova, iova + size) in the table with the largest pages that fit */
static int viommu_table_map_range(struct viommu_table *table,
				  unsigned long iova, phys_addr_t paddr,
				  u64 size, int prot)
{
	struct io_pgtable_ops *ops = table->pgtbl_ops;
	u64 pgsizes, bitmap = table->vdomain->domain.pgsize_bitmap;
	size_t pgsize, mapped;
	int ret;

	while (size) {
		pgsizes = bitmap & GENMASK_ULL(fls64(size) - 1, 0);
		if (iova | paddr)
			pgsizes &= GENMASK_ULL(__ffs64(iova | paddr), 0);
		if (!pgsizes)
			return -EINVAL;
		pgsize = 1ULL << (fls64(pgsizes) - 1);

		mapped = 0;
		ret = ops->map_pages(ops, iova, paddr, pgsize, 1, prot,
				     GFP_ATOMIC, &mapped);
		if (ret)
			return ret;
		iova += pgsize;
		paddr += pgsize;
		size -= pgsize;
	}
	return 0;
}

/*
 * Copy the mappings the domain received before its first attach into the
 * table. The MAP flags don't record cacheability: like every mapping of this
 * coherent device, they are cacheable unless MMIO.
 */
static int viommu_table_replay(struct viommu_domain *vdomain)
{
	int ret = 0, prot;
	unsigned long flags;
	struct viommu_mapping *mapping;
	struct interval_tree_node *node;

	spin_lock_irqsave(&vdomain->mappings_lock, flags);
	for (node = interval_tree_iter_first(&vdomain->mappings, 0, -1UL);
	     node && !ret; node = interval_tree_iter_next(node, 0, -1UL)) {
		mapping = container_of(node, struct viommu_mapping, iova);
		prot = (mapping->flags & VIRTIO_IOMMU_MAP_F_READ ? IOMMU_READ : 0) |
		       (mapping->flags & VIRTIO_IOMMU_MAP_F_WRITE ? IOMMU_WRITE : 0) |
		       (mapping->flags & VIRTIO_IOMMU_MAP_F_MMIO ?
			IOMMU_MMIO : IOMMU_CACHE);
		ret = viommu_table_map_range(vdomain->table, mapping->iova.start,
					     mapping->paddr,
					     mapping->iova.last - mapping->iova.start + 1,
					     prot);
	}
	spin_unlock_irqrestore(&vdomain->mappings_lock, flags);
	return ret;
}

/* Table domain operations */

static int viommu_table_attach_dev(struct iommu_domain *domain,
				   struct device *dev,
				   struct iommu_domain *old)
{
	struct viommu_endpoint *vdev = dev_iommu_priv_get(dev);
	struct viommu_domain *vdomain = to_viommu_domain(domain);

	if (vdomain->viommu != vdev->viommu ||
	    !viommu_table_fits(&vdomain->table_cfg, vdomain->table->asid, vdev))
		return -EINVAL;

	return viommu_table_attach(vdomain, vdev);
}

static int viommu_table_map_pages(struct iommu_domain *domain,
				  unsigned long iova, phys_addr_t paddr,
				  size_t pgsize, size_t pgcount, int prot,
				  gfp_t gfp, size_t *mapped)
{
	struct io_pgtable_ops *ops = to_viommu_domain(domain)->table->pgtbl_ops;

	/* The device walks the table: nothing to send */
	return ops->map_pages(ops, iova, paddr, pgsize, pgcount, prot, gfp,
			      mapped);
}

static size_t viommu_table_unmap_pages(struct iommu_domain *domain,
				       unsigned long iova, size_t pgsize,
				       size_t pgcount,
				       struct iommu_iotlb_gather *gather)
{
	struct io_pgtable_ops *ops = to_viommu_domain(domain)->table->pgtbl_ops;

	return ops->unmap_pages(ops, iova, pgsize, pgcount, gather);
}

static phys_addr_t viommu_table_iova_to_phys(struct iommu_domain *domain,
					     dma_addr_t iova)
{
	struct io_pgtable_ops *ops = to_viommu_domain(domain)->table->pgtbl_ops;

	return ops->iova_to_phys(ops, iova);
}

/*
 * One INVALIDATE request for the gathered pages and the entries queued with
 * them. Without gathered pages, the unmap only removed tables, whose
 * invalidation tlb_flush_walk completed already.
 */
static void viommu_table_iotlb_sync(struct iommu_domain *domain,
				    struct iommu_iotlb_gather *gather)
{
	struct viommu_domain *vdomain = to_viommu_domain(domain);
	struct viommu_table *table = vdomain->table;
	unsigned long flags;

	if (!gather->pgsize)
		return;

	spin_lock_irqsave(&vdomain->viommu->request_lock, flags);
	viommu_table_queue_gather(table, gather);
	viommu_table_flush_locked(table);
	spin_unlock_irqrestore(&vdomain->viommu->request_lock, flags);
}

/* Strict mode's full flushes and the flush queue's (lazy mode) */
static void viommu_table_flush_iotlb_all(struct iommu_domain *domain)
{
	viommu_table_inv_asid(to_viommu_domain(domain)->table);
}

static void viommu_table_domain_free(struct iommu_domain *domain)
{
	struct viommu_domain *vdomain = to_viommu_domain(domain);

	viommu_table_free(vdomain->table);
	ida_free(&vdomain->viommu->domain_ids, vdomain->id);
	kfree(vdomain);
}

static const struct iommu_domain_ops viommu_table_domain_ops = {
	.attach_dev		= viommu_table_attach_dev,
	.map_pages		= viommu_table_map_pages,
	.unmap_pages		= viommu_table_unmap_pages,
	.iova_to_phys		= viommu_table_iova_to_phys,
	.flush_iotlb_all	= viommu_table_flush_iotlb_all,
	.iotlb_sync		= viommu_table_iotlb_sync,
	.free			= viommu_table_domain_free,
};

/*
 * A domain allocated for an endpoint that can nest: advertise the page sizes
 * and input range of its future table. Until the first attach, mappings go
 * to the MAP/UNMAP interval tree, as for any detached domain.
 */
void viommu_nested_domain_init(struct viommu_endpoint *vdev,
			       struct viommu_domain *vdomain)
{
	struct iommu_domain_geometry *geo = &vdomain->domain.geometry;

	if (!vdev->can_nest)
		return;

	vdomain->table_cfg = vdev->table_cfg;
	vdomain->table_pending = true;
	vdomain->domain.pgsize_bitmap = vdev->table_cfg.pgsize_bitmap;
	geo->aperture_end = min_t(u64, geo->aperture_end,
				  GENMASK_ULL(vdev->table_cfg.ias - 1, 0));
}

/*
 * First attach of a domain: make it a table domain if it is a paging domain
 * and the endpoint can use its table. Return true if the attach is done (with
 * its status in @ret), false to let the caller attach with MAP/UNMAP.
 *
 * The iommu core doesn't map into a domain while attaching it for the first
 * time, so the mappings can move to the table without racing.
 */
bool viommu_nested_attach_dev(struct viommu_domain *vdomain,
			      struct viommu_endpoint *vdev, int *ret)
{
	struct viommu_table *table;
	int err;

	if (!vdomain->table_pending) {
		if (vdomain->domain.type & __IOMMU_DOMAIN_PAGING)
			viommu_ep_set_mode(vdev, VIOMMU_EP_MAP_UNMAP,
					   vdev->can_nest ?
					   "domain shared with a map/unmap endpoint" :
					   NULL, NULL);
		return false;
	}

	/* The domain kind is settled now, whatever happens */
	vdomain->table_pending = false;

	/* Identity domains without BYPASS_CONFIG are mapped */
	if (!(vdomain->domain.type & __IOMMU_DOMAIN_PAGING))
		return false;

	if (!viommu_table_fits(&vdomain->table_cfg, 0, vdev)) {
		viommu_ep_set_mode(vdev, VIOMMU_EP_MAP_UNMAP,
				   "domain allocated for another endpoint",
				   NULL);
		return false;
	}

	table = viommu_table_alloc(vdomain);
	if (IS_ERR(table)) {
		err = PTR_ERR(table);
		goto fallback;
	}
	vdomain->table = table;

	err = viommu_table_replay(vdomain);
	if (!err)
		err = viommu_table_attach(vdomain, vdev);
	if (err) {
		vdomain->table = NULL;
		viommu_table_free(table);
		goto fallback;
	}

	/* The tree's mappings are now in the table */
	viommu_del_mappings(vdomain, 0, ULLONG_MAX);
	vdomain->domain.ops = &viommu_table_domain_ops;
	*ret = 0;
	return true;

fallback:
	dev_warn(vdev->dev,
		 "virtio-iommu: ATTACH_TABLE of domain %u failed (%d), falling back to MAP/UNMAP\n",
		 vdomain->id, err);
	viommu_stat_add(vdomain->viommu, VIOMMU_STAT_FALLBACKS, 1);
	/* Don't try again with this endpoint's next domains */
	vdev->can_nest = false;
	viommu_ep_set_mode(vdev, VIOMMU_EP_MAP_UNMAP, "ATTACH_TABLE failed",
			   NULL);
	return false;
}

/* Faults */

static const char * const viommu_s1_fault_names[] = {
	[VIRTIO_IOMMU_FAULT_R_S1_TRANSLATION]	= "stage-1 translation",
	[VIRTIO_IOMMU_FAULT_R_S1_PERMISSION]	= "stage-1 permission",
	[VIRTIO_IOMMU_FAULT_R_S1_ACCESS]	= "stage-1 access flag",
	[VIRTIO_IOMMU_FAULT_R_S1_ADDR_SIZE]	= "stage-1 address size",
	[VIRTIO_IOMMU_FAULT_R_S1_BAD_CD]	= "bad context descriptor",
	[VIRTIO_IOMMU_FAULT_R_S1_CD_FETCH]	= "context descriptor fetch",
	[VIRTIO_IOMMU_FAULT_R_S1_WALK_EABT]	= "stage-1 walk external abort",
};

static struct viommu_endpoint *viommu_find_endpoint(struct viommu_dev *viommu,
						    u32 id)
{
	struct viommu_endpoint *vdev;
	struct iommu_fwspec *fwspec;
	unsigned int i;

	lockdep_assert_held(&viommu->endpoints_lock);

	list_for_each_entry(vdev, &viommu->endpoints, list) {
		fwspec = dev_iommu_fwspec_get(vdev->dev);
		for (i = 0; fwspec && i < fwspec->num_ids; i++)
			if (fwspec->ids[i] == id)
				return vdev;
	}
	return NULL;
}

/*
 * Count every fault; report stage-1 faults (reasons 8..14) to the IOMMU core
 * for the endpoint's domain. Return true if the fault was a stage-1 fault.
 * Called from the event queue's interrupt.
 */
bool viommu_nested_fault(struct viommu_dev *viommu,
			 struct virtio_iommu_fault *fault)
{
	u8 reason = fault->reason;
	u32 flags = le32_to_cpu(fault->flags);
	u32 endpoint = le32_to_cpu(fault->endpoint);
	u64 address = le64_to_cpu(fault->address);
	struct viommu_endpoint *vdev;
	struct device *dev = viommu->dev;
	unsigned long irqflags;
	char ssid[24] = "";

	viommu_stat_add(viommu, VIOMMU_STAT_FAULTS, 1);

	if (reason < VIRTIO_IOMMU_FAULT_R_S1_TRANSLATION ||
	    reason >= ARRAY_SIZE(viommu_s1_fault_names))
		return false;

	if (flags & VIRTIO_IOMMU_FAULT_F_SSID)
		snprintf(ssid, sizeof(ssid), " ssid %u",
			 get_unaligned_le32(fault->reserved2));
	if (!(flags & VIRTIO_IOMMU_FAULT_F_ADDRESS))
		address = 0;

	spin_lock_irqsave(&viommu->endpoints_lock, irqflags);
	vdev = viommu_find_endpoint(viommu, endpoint);
	if (vdev)
		dev = vdev->dev;

	dev_err_ratelimited(dev, "%s fault from EP %u at %#llx [%s%s%s]%s\n",
			    viommu_s1_fault_names[reason], endpoint, address,
			    flags & VIRTIO_IOMMU_FAULT_F_READ ? "R" : "",
			    flags & VIRTIO_IOMMU_FAULT_F_WRITE ? "W" : "",
			    flags & VIRTIO_IOMMU_FAULT_F_EXEC ? "X" : "",
			    ssid);

	if (vdev && vdev->vdomain &&
	    (vdev->vdomain->domain.type & __IOMMU_DOMAIN_PAGING))
		report_iommu_fault(&vdev->vdomain->domain, vdev->dev, address,
				   flags & VIRTIO_IOMMU_FAULT_F_WRITE ?
				   IOMMU_FAULT_WRITE : IOMMU_FAULT_READ);
	spin_unlock_irqrestore(&viommu->endpoints_lock, irqflags);
	return true;
}

/* debugfs */

static const char *viommu_summary_mode(void)
{
	struct viommu_endpoint *vdev;
	struct viommu_dev *viommu;
	unsigned int nested = 0, mapped = 0, pending = 0;
	bool any_nested_dev = false;

	lockdep_assert_held(&viommu_devices_lock);

	list_for_each_entry(viommu, &viommu_devices, list) {
		any_nested_dev |= viommu->nested && viommu_nested_enabled;
		spin_lock_irq(&viommu->endpoints_lock);
		list_for_each_entry(vdev, &viommu->endpoints, list) {
			if (vdev->mode == VIOMMU_EP_NESTED)
				nested++;
			else if (vdev->mode == VIOMMU_EP_NESTED_PENDING)
				pending++;
			else
				mapped++;
		}
		spin_unlock_irq(&viommu->endpoints_lock);
	}

	if (!nested && !mapped && !pending)
		return any_nested_dev ? "nested" : "map-unmap";
	if (!mapped)
		return "nested";
	return nested || pending ? "mixed" : "map-unmap";
}

static int viommu_mode_show(struct seq_file *s, void *unused)
{
	struct viommu_endpoint *vdev;
	struct viommu_dev *viommu;
	struct viommu_domain *vdomain;

	mutex_lock(&viommu_devices_lock);
	seq_printf(s, "%s\n", viommu_summary_mode());

	list_for_each_entry(viommu, &viommu_devices, list) {
		spin_lock_irq(&viommu->endpoints_lock);
		list_for_each_entry(vdev, &viommu->endpoints, list) {
			vdomain = READ_ONCE(vdev->vdomain);
			seq_printf(s, "%s %s %s", dev_name(viommu->dev),
				   dev_name(vdev->dev), viommu_ep_mode_name(vdev));
			if (vdomain && vdomain->domain.type & __IOMMU_DOMAIN_PAGING)
				seq_printf(s, " domain %u", vdomain->id);
			else if (vdomain)
				seq_puts(s, " identity");
			if (vdev->mode == VIOMMU_EP_MAP_UNMAP)
				seq_printf(s, " (%s)\n", vdev->map_unmap_reason);
			else if (vdomain && vdomain->table)
				seq_printf(s, " asid %u granule %luK ias %u oas %u\n",
					   vdomain->table->asid,
					   BIT(vdomain->table->tg) / SZ_1K,
					   vdomain->table_cfg.ias,
					   vdomain->table_cfg.oas);
			else
				seq_puts(s, " (no table domain attached yet)\n");
		}
		spin_unlock_irq(&viommu->endpoints_lock);
	}
	mutex_unlock(&viommu_devices_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(viommu_mode);

static int viommu_counters_show(struct seq_file *s, void *unused)
{
	struct viommu_dev *viommu;
	unsigned long sum;
	int i;

	mutex_lock(&viommu_devices_lock);
	for (i = 0; i < VIOMMU_STAT_NR; i++) {
		sum = 0;
		list_for_each_entry(viommu, &viommu_devices, list)
			sum += atomic_long_read(&viommu->stats[i]);
		seq_printf(s, "%s %lu\n", viommu_stat_names[i], sum);
	}
	mutex_unlock(&viommu_devices_lock);
	return 0;
}

/* Any write resets the counters */
static ssize_t viommu_counters_write(struct file *file, const char __user *buf,
				     size_t count, loff_t *ppos)
{
	struct viommu_dev *viommu;
	int i;

	mutex_lock(&viommu_devices_lock);
	list_for_each_entry(viommu, &viommu_devices, list)
		for (i = 0; i < VIOMMU_STAT_NR; i++)
			atomic_long_set(&viommu->stats[i], 0);
	mutex_unlock(&viommu_devices_lock);
	return count;
}

DEFINE_SHOW_STORE_ATTRIBUTE(viommu_counters);

/* Device */

int viommu_nested_validate(struct virtio_device *vdev)
{
	/* Endpoints can only report their table formats with PROBE */
	if (!viommu_nested_enabled ||
	    !virtio_has_feature(vdev, VIRTIO_IOMMU_F_PROBE))
		__virtio_clear_bit(vdev, VIRTIO_IOMMU_F_NESTED);

	/*
	 * With table domains, most requests are INVALIDATEs sent one at a
	 * time: two descriptors, for which an indirect table is only an
	 * allocation in virtqueue_add_sgs().
	 */
	if (virtio_has_feature(vdev, VIRTIO_IOMMU_F_NESTED))
		__virtio_clear_bit(vdev, VIRTIO_RING_F_INDIRECT_DESC);
	return 0;
}

void viommu_nested_init(struct viommu_dev *viommu)
{
	viommu->nested = virtio_has_feature(viommu->vdev,
					    VIRTIO_IOMMU_F_NESTED);
	ida_init(&viommu->asids);
	spin_lock_init(&viommu->endpoints_lock);
	INIT_LIST_HEAD(&viommu->endpoints);

	mutex_lock(&viommu_devices_lock);
	list_add_tail(&viommu->list, &viommu_devices);
	if (!viommu_debugfs_dir) {
		viommu_debugfs_dir = debugfs_create_dir("virtio-iommu", NULL);
		debugfs_create_file("mode", 0444, viommu_debugfs_dir, NULL,
				    &viommu_mode_fops);
		debugfs_create_file("counters", 0644, viommu_debugfs_dir, NULL,
				    &viommu_counters_fops);
	}
	mutex_unlock(&viommu_devices_lock);

	if (viommu->nested)
		dev_info(viommu->dev, "nested mode: available\n");
	else
		dev_info(viommu->dev, "nested mode: %s\n",
			 viommu_nested_enabled ?
			 "not offered by the device" :
			 "disabled by virtio_iommu.nested=0");
}

void viommu_nested_remove(struct viommu_dev *viommu)
{
	mutex_lock(&viommu_devices_lock);
	list_del(&viommu->list);
	mutex_unlock(&viommu_devices_lock);
}
