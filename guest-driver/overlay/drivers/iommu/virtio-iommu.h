/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Virtio driver for the paravirtualized IOMMU: definitions shared by the
 * MAP/UNMAP core (virtio-iommu.c) and the nested mode, in which the guest owns
 * the stage-1 page tables (virtio-iommu-nested.c).
 */
#ifndef _DRIVERS_IOMMU_VIRTIO_IOMMU_H
#define _DRIVERS_IOMMU_VIRTIO_IOMMU_H

#include <linux/atomic.h>
#include <linux/idr.h>
#include <linux/interval_tree.h>
#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>

#include <uapi/linux/virtio_iommu.h>
#include <uapi/linux/virtio_iommu_nested.h>

#define VIOMMU_REQUEST_VQ		0
#define VIOMMU_EVENT_VQ			1
#define VIOMMU_NR_VQS			2

/* Counters shown in debugfs (virtio-iommu/counters) */
enum viommu_stat {
	VIOMMU_STAT_ATTACH,
	VIOMMU_STAT_ATTACH_TABLE,
	VIOMMU_STAT_DETACH,
	VIOMMU_STAT_MAP,
	VIOMMU_STAT_UNMAP,
	VIOMMU_STAT_PROBE,
	VIOMMU_STAT_INVALIDATE,
	VIOMMU_STAT_INV_ENTRIES,
	VIOMMU_STAT_INV_ERRORS,
	VIOMMU_STAT_FAULTS,
	VIOMMU_STAT_FALLBACKS,
	VIOMMU_STAT_NR,
};

struct viommu_dev {
	struct iommu_device		iommu;
	struct device			*dev;
	struct virtio_device		*vdev;

	struct ida			domain_ids;

	struct virtqueue		*vqs[VIOMMU_NR_VQS];
	spinlock_t			request_lock; /* requests, vq, table inv */
	struct list_head		requests;
	void				*evts;

	/* Device configuration */
	struct iommu_domain_geometry	geometry;
	u64				pgsize_bitmap;
	u32				first_domain;
	u32				last_domain;
	u32				identity_domain_id;
	/* Supported MAP flags */
	u32				map_flags;
	u32				probe_size;

	/* Nested mode: VIRTIO_IOMMU_F_NESTED negotiated */
	bool				nested;
	struct ida			asids;
	/* Endpoints of this device, for fault reports and debugfs */
	spinlock_t			endpoints_lock; /* endpoints */
	struct list_head		endpoints;
	struct list_head		list;
	atomic_long_t			stats[VIOMMU_STAT_NR];
};

struct viommu_mapping {
	phys_addr_t			paddr;
	struct interval_tree_node	iova;
	u32				flags;
};

/*
 * Stage-1 table parameters: for an endpoint, the ones it would use (from its
 * TABLE_FORMAT property); for a domain, the ones its table has.
 */
struct viommu_table_cfg {
	unsigned long			pgsize_bitmap;
	unsigned long			granules;	/* usable granules */
	u8				ias;
	u8				oas;
	u8				asid_bits;
};

struct viommu_table;

struct viommu_domain {
	struct iommu_domain		domain;
	struct viommu_dev		*viommu;
	unsigned int			id;
	u32				map_flags;

	spinlock_t			mappings_lock; /* mappings */
	struct rb_root_cached		mappings;

	unsigned long			nr_endpoints;

	/*
	 * Nested mode. A domain allocated for an endpoint that can nest is
	 * table_pending until its first attach: it then becomes a table domain
	 * (@table set, domain.ops replaced) or stays a MAP/UNMAP domain.
	 */
	bool				table_pending;
	struct viommu_table_cfg		table_cfg;
	struct viommu_table		*table;
};

enum viommu_ep_mode {
	VIOMMU_EP_MAP_UNMAP,
	VIOMMU_EP_NESTED_PENDING,	/* can nest, no paging domain yet */
	VIOMMU_EP_NESTED,
};

struct viommu_endpoint {
	struct device			*dev;
	struct viommu_dev		*viommu;
	struct viommu_domain		*vdomain;
	struct list_head		resv_regions;

	/* Nested mode */
	struct list_head		list;
	bool				has_arm_smmuv3;
	struct virtio_iommu_probe_table_arm_smmuv3 arm_smmuv3;
	bool				can_nest;
	struct viommu_table_cfg		table_cfg;
	enum viommu_ep_mode		mode;
	const char			*map_unmap_reason;
};

static inline struct viommu_domain *
to_viommu_domain(struct iommu_domain *domain)
{
	return container_of(domain, struct viommu_domain, domain);
}

int viommu_send_req_sync(struct viommu_dev *viommu, void *buf, size_t len);
int __viommu_sync_req(struct viommu_dev *viommu);
int viommu_get_req_errno(void *buf, size_t len);
size_t viommu_del_mappings(struct viommu_domain *vdomain, u64 iova, u64 end);

#if IS_ENABLED(CONFIG_VIRTIO_IOMMU_NESTED)
int viommu_nested_validate(struct virtio_device *vdev);
void viommu_nested_init(struct viommu_dev *viommu);
void viommu_nested_remove(struct viommu_dev *viommu);
int viommu_nested_parse_probe(struct viommu_endpoint *vdev,
			      struct virtio_iommu_probe_property *prop,
			      size_t len);
void viommu_nested_probe_device(struct viommu_endpoint *vdev);
void viommu_nested_release_device(struct viommu_endpoint *vdev);
void viommu_nested_domain_init(struct viommu_endpoint *vdev,
			       struct viommu_domain *vdomain);
bool viommu_nested_attach_dev(struct viommu_domain *vdomain,
			      struct viommu_endpoint *vdev, int *ret);
bool viommu_nested_fault(struct viommu_dev *viommu,
			 struct virtio_iommu_fault *fault);
void viommu_stats_add_req(struct viommu_dev *viommu, void *buf);
#else
static inline int viommu_nested_validate(struct virtio_device *vdev)
{
	__virtio_clear_bit(vdev, VIRTIO_IOMMU_F_NESTED);
	return 0;
}

static inline void viommu_nested_init(struct viommu_dev *viommu) {}
static inline void viommu_nested_remove(struct viommu_dev *viommu) {}

static inline int
viommu_nested_parse_probe(struct viommu_endpoint *vdev,
			  struct virtio_iommu_probe_property *prop, size_t len)
{
	return 0;
}

static inline void viommu_nested_probe_device(struct viommu_endpoint *vdev) {}
static inline void viommu_nested_release_device(struct viommu_endpoint *vdev) {}

static inline void viommu_nested_domain_init(struct viommu_endpoint *vdev,
					     struct viommu_domain *vdomain)
{
}

static inline bool viommu_nested_attach_dev(struct viommu_domain *vdomain,
					    struct viommu_endpoint *vdev,
					    int *ret)
{
	return false;
}

static inline bool viommu_nested_fault(struct viommu_dev *viommu,
				       struct virtio_iommu_fault *fault)
{
	return false;
}

static inline void viommu_stats_add_req(struct viommu_dev *viommu, void *buf) {}
#endif /* CONFIG_VIRTIO_IOMMU_NESTED */

#endif /* _DRIVERS_IOMMU_VIRTIO_IOMMU_H */
