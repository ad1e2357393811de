/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A fake iommufd for the unit tests of the iommufd backend: objects with
 * their references (IOMMU_DESTROY of an object in use is -EBUSY), IOAS
 * areas, the pages iommufd would pin (those of the areas of an IOAS that
 * has an IOMMU domain), invalidation with partial completion, a vEVENTQ,
 * device attachment (a fake request, and the VFIO cdev requests), and
 * failure injection of the n-th call.
 */
#ifndef PVB_TEST_FAKE_KERNEL_H
#define PVB_TEST_FAKE_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include "pvb/iommufd.h"

#define FK_MAX_OBJ    128
#define FK_MAX_EVENTS 16
#define FK_LOG	      1024
#define FK_IOMMUFD    100 /* the fake iommufd */
#define FK_VFIO_FD    200 /* + device id: its VFIO cdev fd */
#define FK_VEVENTQ_FD 300 /* + object id */

/* Fake attach requests of fk_dev_ops, on the iommufd */
struct fk_attach {
	uint32_t dev_id;
	uint32_t pt_id;
};
#define FK_ATTACH _IOWR('F', 1, struct fk_attach)
#define FK_DETACH _IOWR('F', 2, struct fk_attach)

enum fk_type {
	FK_FREE,
	FK_IOAS,
	FK_HWPT_PAGING,
	FK_HWPT_NESTED,
	FK_VIOMMU,
	FK_VDEVICE,
	FK_VEVENTQ,
	FK_DEVICE,
};

struct fk_area {
	uint64_t iova;
	uint64_t len;
	uintptr_t hva;
	bool writable;
};

struct fk_obj {
	enum fk_type type;
	unsigned int users; /* references held by other objects */
	uint32_t ref; /* the object this one depends on */
	uint32_t dev; /* vDEVICE: its device */
	uint32_t flags; /* HWPT: alloc flags; auto-allocated at attach */
	uint64_t virt_id; /* vDEVICE */
	uint32_t data_type;
	uint32_t data_len;
	uint8_t data[64]; /* nested HWPT data */
	struct fk_area *areas; /* IOAS */
	unsigned int nr_areas;
	unsigned int domains; /* IOAS: HWPTs allocated from it */
	uint32_t attached; /* device: attached HWPT */
};

struct fk_event {
	uint32_t flags;
	uint32_t seq;
	uint32_t len;
	uint8_t data[32];
};

struct fake_kernel {
	struct pvb_iommufd_sys sys; /* the system calls, into this kernel */
	struct fk_obj obj[FK_MAX_OBJ];
	/* behaviour */
	uint32_t viommu_type, veventq_type, hwpt_data_type, inv_data_type;
	uint32_t inv_entry_len;
	uint32_t hw_info_type;
	uint8_t hw_info[64];
	unsigned int inv_max_per_call; /* handle at most this many, return 0 */
	long inv_eintr_at; /* -EINTR once when this many entries were done */
	bool inv_stall; /* handle nothing, report success */
	unsigned long fail_at; /* the fail_at-th call fails with fail_err */
	int fail_err;
	/* state and logs */
	unsigned long calls;
	unsigned long inv_done; /* entries handled over all calls */
	unsigned int nr_req[256]; /* calls by iommufd command number */
	unsigned int nr_vfio_attach, nr_vfio_detach;
	uint32_t last_vfio_argsz;
	uint32_t created[FK_LOG], destroyed[FK_LOG];
	unsigned int nr_created, nr_destroyed;
	uint8_t inv_log[FK_LOG][16]; /* entries handled, in order */
	unsigned int inv_call_of[FK_LOG]; /* the call that handled each */
	unsigned int nr_inv_log, nr_inv_calls;
	uint32_t last_map_ioas; /* IOAS of the last IOMMU_IOAS_MAP */
	uint32_t last_copy_flags;
	struct fk_event events[FK_MAX_EVENTS];
	unsigned int nr_events;
	int open_fds;
};

void fk_init(struct fake_kernel *fk);
void fk_fini(struct fake_kernel *fk);
uint32_t fk_add_device(struct fake_kernel *fk);
unsigned int fk_live(const struct fake_kernel *fk, enum fk_type type);
unsigned int fk_live_all(const struct fake_kernel *fk);
/* Pages of [hva, hva + len) iommufd would have pinned */
unsigned int fk_pinned(const struct fake_kernel *fk, uintptr_t hva,
		       uint64_t len);
void fk_push_event(struct fake_kernel *fk, uint32_t flags, uint32_t seq,
		   const void *data, uint32_t len);
unsigned int fk_count(const struct fake_kernel *fk, unsigned long request);

/* Attach through FK_ATTACH / FK_DETACH; opaque is the dev_id, as a pointer */
extern const struct pvb_iommufd_dev_ops fk_dev_ops;
#define FK_DEV(id) ((void *)(uintptr_t)(id))

#endif /* PVB_TEST_FAKE_KERNEL_H */
