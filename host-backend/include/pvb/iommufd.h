/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * iommufd backend for VFIO endpoints: the VMM side of nesting (stage-2 nest
 * parent over guest RAM, vIOMMU, vDEVICE, nested HWPT from the guest's
 * table, invalidation on the vIOMMU, vEVENTQ faults) and the MAP/UNMAP
 * fallback with lazy stage-2 pinning (a pinning IOAS kept populated by the
 * pin cache of pvb/pin.h, IOMMU_IOAS_COPY into the domain's IOAS).
 *
 * Objects:
 *  struct pvb_iommufd	       one per VM and host IOMMU instance: the
 *			       iommufd, the guest RAM IOAS (stage 2), then
 *			       lazily the nest parent, vIOMMU and vEVENTQ, the
 *			       pinning IOAS and the pin cache
 *  struct pvb_iommufd_dev     one per VFIO endpoint: its dev_id (the caller
 *			       binds), virtual StreamID, vDEVICE, nested HWPT
 *  struct pvb_iommufd_domain  one per MAP/UNMAP domain: an IOAS and its
 *			       mappings
 *
 * Nothing is pinned for the IOMMU before it is needed: the guest RAM IOAS
 * holds no IOMMU domain until the first pvb_iommufd_dev_attach_nested()
 * allocates the nest parent over it, and the pinning IOAS pins nothing
 * before the first pvb_iommufd_map().
 *
 * What differs between IOMMUs (and between the hardware and the kernel's
 * CONFIG_IOMMUFD_TEST mock) is in struct pvb_iommufd_type; how a device is
 * attached (VFIO cdev or the mock) is in struct pvb_iommufd_dev_ops; every
 * system call goes through struct pvb_iommufd_sys, so that the logic can be
 * tested against a fake kernel.
 *
 * Functions return 0 (or a count) or a negative errno; on error nothing
 * changed unless stated otherwise. Not thread-safe: the caller serialises
 * (QEMU: the device lock). The public structures carry no <linux/iommufd.h>
 * type; data types and IDs are those of the uAPI, as uint32_t.
 */
#ifndef PVB_IOMMUFD_H
#define PVB_IOMMUFD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fault.h"
#include "pin.h"
#include "req.h"

struct pvb_iommufd;
struct pvb_iommufd_dev;
struct pvb_iommufd_domain;

/**
 * struct pvb_iommufd_sys - system calls (injectable)
 * @ioctl: ioctl(2); 0 or a negative errno (never -1 with errno)
 * @read: read(2); bytes read or a negative errno
 * @close: close(2)
 * @opaque: passed to each call
 *
 * pvb_iommufd_sys_default makes the real calls.
 */
struct pvb_iommufd_sys {
	int (*ioctl)(void *opaque, int fd, unsigned long request, void *arg);
	ssize_t (*read)(void *opaque, int fd, void *buf, size_t len);
	void (*close)(void *opaque, int fd);
	void *opaque;
};

extern const struct pvb_iommufd_sys pvb_iommufd_sys_default;

/**
 * enum pvb_nest_kind - what a nested HWPT does with the endpoint's traffic
 * @PVB_NEST_S1: translate through the guest's stage-1 context table
 * @PVB_NEST_BYPASS: stage 2 only (guest physical = IOVA)
 * @PVB_NEST_ABORT: abort all traffic
 */
enum pvb_nest_kind {
	PVB_NEST_S1,
	PVB_NEST_BYPASS,
	PVB_NEST_ABORT,
};

/**
 * struct pvb_nest_cfg - the configuration of a nested HWPT
 * @kind: see enum pvb_nest_kind
 * @table: the guest's context table from ATTACH_TABLE (@kind PVB_NEST_S1)
 * @ste_flags: PVB_STE_* of pvb/smmu.h (Arm SMMUv3)
 */
struct pvb_nest_cfg {
	enum pvb_nest_kind kind;
	const struct pvb_s1_table *table;
	unsigned int ste_flags;
};

/**
 * struct pvb_iommufd_type - the data types of one kind of host IOMMU
 * @name: for messages
 * @viommu_type: IOMMU_VIOMMU_ALLOC type
 * @hwpt_data_type: IOMMU_HWPT_ALLOC data type of a nested HWPT
 * @hwpt_data_len: its size in bytes, at most PVB_IOMMUFD_MAX_DATA
 * @encode_hwpt: fill the @hwpt_data_len bytes of @data; 0 or -errno
 * @inv_data_type: IOMMU_HWPT_INVALIDATE data type on the vIOMMU
 * @inv_entry_len: size of one invalidation entry, at most
 *		   PVB_IOMMUFD_MAX_DATA
 * @inv_max_per_entry: most invalidation entries one request entry produces
 * @encode_inv: encode one request entry into at most @cap entries at @out;
 *		the number written or -errno (-ENOSPC if @cap is too small)
 * @inv_class: optional; entries of different classes are never in the same
 *	       IOMMU_HWPT_INVALIDATE call, so that each class completes before
 *	       the next one starts (SMMUv3: CFGI, then TLBI, then ATC_INV)
 * @veventq_type: IOMMU_VEVENTQ_ALLOC type
 * @vevent_len: size of one vEVENTQ record (after its header), at most
 *		PVB_IOMMUFD_MAX_DATA
 * @decode_vevent: turn a record into a fault; returns a type-specific code
 *		   (SMMUv3: the event number) or -errno for a bad record
 *
 * @inv_ctx of the invalidation functions is passed to the hooks unchanged
 * (SMMUv3: a struct pvb_smmu_cmd_ctx with the domain's virtual StreamIDs).
 */
struct pvb_iommufd_type {
	const char *name;
	uint32_t viommu_type;
	uint32_t hwpt_data_type;
	uint32_t hwpt_data_len;
	int (*encode_hwpt)(const struct pvb_nest_cfg *cfg, void *data);
	uint32_t inv_data_type;
	uint32_t inv_entry_len;
	size_t (*inv_max_per_entry)(const void *inv_ctx);
	int (*encode_inv)(const struct pvb_inv_entry *entry,
			  const void *inv_ctx, void *out, size_t cap);
	unsigned int (*inv_class)(const struct pvb_inv_entry *entry);
	uint32_t veventq_type;
	uint32_t vevent_len;
	int (*decode_vevent)(const void *record, struct pvb_fault *fault);
};

#define PVB_IOMMUFD_MAX_DATA 256

/*
 * Arm SMMUv3: IOMMU_VIOMMU_TYPE_ARM_SMMUV3, IOMMU_HWPT_DATA_ARM_SMMUV3
 * (pvb_smmu_make_*_ste()), IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3
 * (pvb_smmu_encode_inv(), inv_ctx a struct pvb_smmu_cmd_ctx),
 * IOMMU_VEVENTQ_TYPE_ARM_SMMUV3 (pvb_smmu_decode_event()).
 */
extern const struct pvb_iommufd_type pvb_iommufd_type_arm_smmuv3;

/**
 * struct pvb_iommufd_dev_ops - attaching a bound device
 * @attach: attach, or replace the current attachment, to @pt_id (an IOAS
 *	    or a HWPT); on return @pt_id is the attached HWPT (the kernel
 *	    allocates one for an IOAS); 0 or -errno
 * @detach: detach (the device blocks DMA); 0 or -errno
 *
 * @sys is the context's system call table, @opaque the one given to
 * pvb_iommufd_dev_new().
 */
struct pvb_iommufd_dev_ops {
	int (*attach)(const struct pvb_iommufd_sys *sys, void *opaque,
		      uint32_t *pt_id);
	int (*detach)(const struct pvb_iommufd_sys *sys, void *opaque);
};

/*
 * VFIO cdev: VFIO_DEVICE_ATTACH_IOMMUFD_PT (which replaces) and
 * VFIO_DEVICE_DETACH_IOMMUFD_PT; opaque points to an int, the device fd.
 */
extern const struct pvb_iommufd_dev_ops pvb_iommufd_vfio_dev_ops;

/**
 * struct pvb_iommufd_cfg - context configuration
 * @iommufd: an open /dev/iommu, kept open by the caller until
 *	     pvb_iommufd_free()
 * @type: the host IOMMU's data types, kept by reference
 * @sys: system calls, NULL for pvb_iommufd_sys_default; kept by reference
 * @veventq_depth: vEVENTQ depth, 0 for no vEVENTQ
 * @pin: pin cache configuration of the MAP/UNMAP fallback; page_shift 0
 *	 means the host page size, and it must not be smaller than it
 */
struct pvb_iommufd_cfg {
	int iommufd;
	const struct pvb_iommufd_type *type;
	const struct pvb_iommufd_sys *sys;
	uint32_t veventq_depth;
	struct pvb_pin_cfg pin;
};

/**
 * pvb_iommufd_new() - create a context and its (empty) guest RAM IOAS
 * @cfg: configuration, copied
 * @out: the context
 *
 * Return: 0, -EINVAL for a bad @cfg, -ENOMEM, or the IOMMU_IOAS_ALLOC error.
 */
int pvb_iommufd_new(const struct pvb_iommufd_cfg *cfg,
		    struct pvb_iommufd **out);

/**
 * pvb_iommufd_free() - tear everything down (NULL is allowed)
 *
 * Devices are detached and their nested HWPTs and vDEVICEs destroyed, then
 * the domains' IOASes, the vEVENTQ, vIOMMU, nest parent, the pinning HWPT
 * and IOAS and the guest RAM IOAS: every object with IOMMU_DESTROY, in the
 * reverse order of creation. Device and domain handles become invalid.
 */
void pvb_iommufd_free(struct pvb_iommufd *ctx);

/**
 * pvb_iommufd_ram_map() - describe a guest RAM region
 * @ctx: the context
 * @gpa: guest physical address, page aligned
 * @size: size, page aligned, not 0
 * @hva: host virtual address of @gpa, page aligned
 *
 * Maps the region at IOVA @gpa in the guest RAM IOAS (IOMMU_IOAS_MAP, which
 * pins nothing while the IOAS has no domain) and records it for the
 * pinning of the MAP/UNMAP fallback.
 *
 * Return: 0, -EINVAL, -EEXIST (overlaps a region), -ENOMEM, or the
 * IOMMU_IOAS_MAP error.
 */
int pvb_iommufd_ram_map(struct pvb_iommufd *ctx, uint64_t gpa, uint64_t size,
			void *hva);

/**
 * pvb_iommufd_ram_unmap() - remove a region given to pvb_iommufd_ram_map()
 *
 * The guest must have no MAP/UNMAP mapping of the region left; cached pins
 * are dropped (pvb_pin_flush()).
 *
 * Return: 0, -ENOENT if no region starts at @gpa with @size, or the
 * IOMMU_IOAS_UNMAP error.
 */
int pvb_iommufd_ram_unmap(struct pvb_iommufd *ctx, uint64_t gpa, uint64_t size);

/**
 * pvb_iommufd_get_hw_info() - IOMMU_GET_HW_INFO of a bound device
 * @ctx: the context
 * @dev_id: the device
 * @data: filled with up to @len bytes of type-specific data
 * @len: size of @data
 * @type: the IOMMU_HW_INFO_TYPE_* of @data
 *
 * Return: 0 or the ioctl error.
 */
int pvb_iommufd_get_hw_info(struct pvb_iommufd *ctx, uint32_t dev_id,
			    void *data, uint32_t len, uint32_t *type);

/**
 * pvb_iommufd_arm_caps() - PROBE capabilities of an SMMUv3-backed device
 * @ctx: the context
 * @dev_id: the device
 * @oas: guest physical address size (bits)
 * @ats: the device is described to the guest as ATS capable
 * @caps: filled in by pvb_smmu_caps_from_idr()
 *
 * Return: 0, -ENODEV if the IOMMU is not an SMMUv3, the ioctl error, or
 * the pvb_smmu_caps_from_idr() error.
 */
int pvb_iommufd_arm_caps(struct pvb_iommufd *ctx, uint32_t dev_id, uint8_t oas,
			 bool ats, struct pvb_arm_caps *caps);

/**
 * pvb_iommufd_dev_new() - register a bound device
 * @ctx: the context
 * @dev_id: from VFIO_DEVICE_BIND_IOMMUFD (or the mock's MOCK_DOMAIN)
 * @vsid: virtual StreamID (vDEVICE virt_id), the ID the guest's
 *	  invalidations and the vEVENTQ records use
 * @ops: how to attach it, kept by reference
 * @opaque: passed to @ops
 * @out: the device
 *
 * Nothing is allocated in the kernel before an attach.
 *
 * Return: 0, -ENOMEM, or -EEXIST if @dev_id or @vsid is registered.
 */
int pvb_iommufd_dev_new(struct pvb_iommufd *ctx, uint32_t dev_id, uint64_t vsid,
			const struct pvb_iommufd_dev_ops *ops, void *opaque,
			struct pvb_iommufd_dev **out);

/**
 * pvb_iommufd_dev_free() - detach a device and destroy its objects
 *
 * Detach (if attached), then destroy its nested HWPT and vDEVICE. Must be
 * called before the device is unbound (its VFIO fd closed). NULL is
 * allowed.
 */
void pvb_iommufd_dev_free(struct pvb_iommufd_dev *dev);

/**
 * pvb_iommufd_dev_attach_nested() - ATTACH_TABLE: nest the device
 * @dev: the device
 * @cfg: the nested configuration (the guest's table, bypass or abort)
 *
 * At the first call of the context, allocate the nest parent HWPT over the
 * guest RAM IOAS (this pins guest RAM), the vIOMMU and, if configured, the
 * vEVENTQ; at the first call of the device, its vDEVICE; then a new nested
 * HWPT from @cfg through the type's encode_hwpt, attach the device to it
 * (replacing any previous attachment, nested or not) and destroy the
 * nested HWPT it replaced. On error every object this call allocated is
 * destroyed and the device stays attached as before.
 *
 * Return: 0, -ENOMEM, the encoder's error, or the first failed ioctl's.
 */
int pvb_iommufd_dev_attach_nested(struct pvb_iommufd_dev *dev,
				  const struct pvb_nest_cfg *cfg);

/**
 * pvb_iommufd_dev_attach_domain() - attach a device to a MAP/UNMAP domain
 *
 * The device's nested HWPT, if any, is destroyed once replaced.
 *
 * Return: 0 or the attach error (nothing changed).
 */
int pvb_iommufd_dev_attach_domain(struct pvb_iommufd_dev *dev,
				  struct pvb_iommufd_domain *dom);

/**
 * pvb_iommufd_dev_detach() - detach a device (its DMA is then blocked)
 *
 * The nested HWPT, if any, is destroyed; the vDEVICE is kept.
 *
 * Return: 0 or the detach error (nothing changed).
 */
int pvb_iommufd_dev_detach(struct pvb_iommufd_dev *dev);

/**
 * struct pvb_iommufd_inv_result - outcome of an invalidation
 * @failed_entry: index of the request entry whose invalidation failed,
 *		  -1 when all succeeded
 * @done_entries: request entries the kernel reports as handled (those
 *		  before @failed_entry)
 * @done_cmds: invalidation entries (SMMUv3: commands) handled
 * @calls: IOMMU_HWPT_INVALIDATE calls made
 * @retries: calls that resumed after a partial completion
 *
 * The SMMUv3 driver (arm_vsmmu_cache_invalidate) counts as handled the
 * commands of a batch that precede a rejected command, though it did not
 * issue them: after a failure, follow with pvb_iommufd_invalidate_all().
 */
struct pvb_iommufd_inv_result {
	int failed_entry;
	unsigned int done_entries;
	unsigned int done_cmds;
	unsigned int calls;
	unsigned int retries;
};

/**
 * pvb_iommufd_invalidate() - INVALIDATE: a request on the vIOMMU
 * @ctx: the context (its vIOMMU must exist)
 * @req: the decoded request
 * @inv_ctx: passed to the type's encoder
 * @res: the outcome, optional
 *
 * Entries are encoded in request order, grouped into calls of up to
 * PVB_IOMMUFD_INV_BATCH invalidation entries, or the type's
 * inv_max_per_entry if larger, without crossing a class boundary or
 * splitting a request entry between calls. A call that reports fewer
 * entries handled than given, without an error or with -EINTR or -EAGAIN,
 * is resumed after the handled ones (at most PVB_IOMMUFD_INV_RETRIES times
 * in a row without progress).
 *
 * Return: 0; -ENODEV without a vIOMMU; -ENOMEM; the encoder's error
 * (nothing was submitted for that entry or later ones); the ioctl error
 * of the failed entry; -EIO if the kernel stopped making progress.
 */
int pvb_iommufd_invalidate(struct pvb_iommufd *ctx,
			   const struct pvb_invalidate *req,
			   const void *inv_ctx,
			   struct pvb_iommufd_inv_result *res);

#define PVB_IOMMUFD_INV_BATCH	256
#define PVB_IOMMUFD_INV_RETRIES 4

/**
 * pvb_iommufd_invalidate_all() - drop everything the vIOMMU may cache for
 * the endpoints of @inv_ctx: entries CD_ALL, DOMAIN, and if @atc an ATC
 * entry over the whole address space, in that order
 */
int pvb_iommufd_invalidate_all(struct pvb_iommufd *ctx, const void *inv_ctx,
			       bool atc, struct pvb_iommufd_inv_result *res);

/**
 * pvb_iommufd_invalidate_raw() - IOMMU_HWPT_INVALIDATE on the vIOMMU
 * @ctx: the context
 * @data: @nr already encoded entries of the type's inv_data_type
 * @nr: number of entries (0 checks that the data type is supported)
 * @done: entries handled (all of them on success, the index of the failed
 *	  one on error)
 * @res: counters (calls, retries), optional; not reset
 *
 * Return: as pvb_iommufd_invalidate().
 */
int pvb_iommufd_invalidate_raw(struct pvb_iommufd *ctx, const void *data,
			       uint32_t nr, uint32_t *done,
			       struct pvb_iommufd_inv_result *res);

/**
 * struct pvb_iommufd_event - a vEVENTQ record
 * @sequence: its sequence number in the vEVENTQ
 * @code: what the type's decoder returned (SMMUv3: event number)
 * @fault: the decoded fault; @fault.sid is the virtual StreamID
 */
struct pvb_iommufd_event {
	uint32_t sequence;
	int code;
	struct pvb_fault fault;
};

/**
 * pvb_iommufd_veventq_fd() - the vEVENTQ fd to poll for POLLIN, or -1
 */
int pvb_iommufd_veventq_fd(const struct pvb_iommufd *ctx);

/**
 * pvb_iommufd_read_events() - read and decode pending vEVENTQ records
 * @ctx: the context
 * @evs: output records
 * @max: capacity of @evs, not 0
 * @lost: number of events the kernel dropped before or among these (a
 *	  LOST_EVENTS header or a gap in the sequence numbers), 0 if none
 *
 * Does not block: returns 0 when the queue is empty.
 *
 * Return: records stored, -ENODEV without a vEVENTQ, -EIO for a malformed
 * read, or the read error.
 */
int pvb_iommufd_read_events(struct pvb_iommufd *ctx,
			    struct pvb_iommufd_event *evs, unsigned int max,
			    uint32_t *lost);

/**
 * pvb_iommufd_domain_new() - a MAP/UNMAP domain: IOMMU_IOAS_ALLOC
 */
int pvb_iommufd_domain_new(struct pvb_iommufd *ctx,
			   struct pvb_iommufd_domain **out);

/**
 * pvb_iommufd_domain_free() - unmap everything and destroy the IOAS
 *
 * Return: 0, or -EBUSY (nothing done) while a device is attached.
 */
int pvb_iommufd_domain_free(struct pvb_iommufd_domain *dom);

#define PVB_MAP_READ  (1u << 0)
#define PVB_MAP_WRITE (1u << 1)

/**
 * pvb_iommufd_map() - MAP: map guest memory into a domain
 * @dom: the domain
 * @iova: I/O virtual address, aligned to the pin page size
 * @gpa: guest physical address, aligned, inside one RAM region
 * @len: length, aligned, not 0
 * @prot: PVB_MAP_READ and/or PVB_MAP_WRITE
 *
 * Pins the pages of the range that are not pinned yet (pvb_pin_map(): one
 * IOMMU_IOAS_MAP per page into the pinning IOAS at IOVA = GPA; the first
 * MAP of the context allocates the pinning IOAS and the HWPT that holds
 * the pins, with the dev_id of a device of the domain or else of any
 * device), then IOMMU_IOAS_COPY from the pinning IOAS to the domain's IOAS,
 * which pins nothing more.
 *
 * Return: 0; -EINVAL (alignment, prot, no RAM region); -EEXIST (overlaps
 * a mapping of the domain); -ENOMEM over the memlock limit (the status is
 * VIRTIO_IOMMU_S_NOMEM) or out of memory; -ENODEV without any device; the
 * ioctl errors. On error no mapping changed.
 */
int pvb_iommufd_map(struct pvb_iommufd_domain *dom, uint64_t iova, uint64_t gpa,
		    uint64_t len, unsigned int prot);

/**
 * pvb_iommufd_unmap() - UNMAP: remove the mappings inside a range
 * @dom: the domain
 * @iova: first address
 * @len: length, not 0
 * @unmapped: bytes unmapped, optional
 *
 * IOMMU_IOAS_UNMAP on the domain's IOAS, then the pages go to the pin
 * cache (pvb_pin_unmap()). Unmapping nothing is not an error.
 *
 * Return: 0; -EINVAL for an empty or wrapping range; -ERANGE (nothing
 * changed) if a mapping is only partly inside the range; the ioctl error.
 */
int pvb_iommufd_unmap(struct pvb_iommufd_domain *dom, uint64_t iova,
		      uint64_t len, uint64_t *unmapped);

/**
 * pvb_iommufd_status() - the virtio-iommu status of an error of this API
 *
 * 0: OK, -ENOMEM: NOMEM, -EINVAL and -EEXIST: INVAL, -ENOENT: NOENT,
 * -ERANGE: RANGE, -EOPNOTSUPP: UNSUPP, anything else: DEVERR.
 */
uint8_t pvb_iommufd_status(int err);

/**
 * struct pvb_iommufd_ids - iommufd object IDs, 0 when not allocated
 */
struct pvb_iommufd_ids {
	uint32_t ram_ioas;
	uint32_t parent_hwpt;
	uint32_t viommu;
	uint32_t veventq;
	uint32_t pin_ioas;
	uint32_t pin_hwpt;
};

/**
 * struct pvb_iommufd_dev_ids - a device's IDs, 0 when not allocated
 * @dev_id: the bound device
 * @vdevice: its vDEVICE
 * @nested_hwpt: its nested HWPT
 * @attached: the HWPT it is attached to (nested or the kernel's for a
 *	      domain's IOAS), 0 when detached
 */
struct pvb_iommufd_dev_ids {
	uint32_t dev_id;
	uint32_t vdevice;
	uint32_t nested_hwpt;
	uint32_t attached;
};

/**
 * struct pvb_iommufd_stats - counters
 * @pin: the pin cache's (pinned and cached bytes, hits, misses, evictions)
 * @pin_calls: IOMMU_IOAS_MAP calls on the pinning IOAS (pages pinned)
 * @unpin_calls: IOMMU_IOAS_UNMAP calls on it
 * @unpin_errors: of those, failed ones
 * @maps: successful pvb_iommufd_map() calls
 * @unmaps: mappings removed
 * @inv_calls: IOMMU_HWPT_INVALIDATE calls
 * @inv_entries: invalidation entries handled by the kernel
 * @inv_failures: pvb_iommufd_invalidate*() calls that failed
 * @events: vEVENTQ records decoded
 * @lost_events: vEVENTQ records the kernel dropped
 * @objects: iommufd objects alive now
 */
struct pvb_iommufd_stats {
	struct pvb_pin_stats pin;
	uint64_t pin_calls;
	uint64_t unpin_calls;
	uint64_t unpin_errors;
	uint64_t maps;
	uint64_t unmaps;
	uint64_t inv_calls;
	uint64_t inv_entries;
	uint64_t inv_failures;
	uint64_t events;
	uint64_t lost_events;
	uint64_t objects;
};

void pvb_iommufd_get_ids(const struct pvb_iommufd *ctx,
			 struct pvb_iommufd_ids *ids);
void pvb_iommufd_dev_get_ids(const struct pvb_iommufd_dev *dev,
			     struct pvb_iommufd_dev_ids *ids);
uint32_t pvb_iommufd_domain_ioas(const struct pvb_iommufd_domain *dom);
void pvb_iommufd_get_stats(const struct pvb_iommufd *ctx,
			   struct pvb_iommufd_stats *stats);

#endif /* PVB_IOMMUFD_H */
