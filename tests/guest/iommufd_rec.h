/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * iommufd_rec.h: a recording ioctl layer for host-backend's iommufd backend
 * (struct pvb_iommufd_sys.ioctl), shared by the guest programs that test it
 * (iommufd_mock.c against the kernel's mock, smmuv3_iommufd.c against the
 * real arm-smmu-v3 driver): the IDs of the objects the backend allocated
 * and has not destroyed, and how many calls of each iommufd ioctl it made.
 */
#ifndef IOMMUFD_REC_H
#define IOMMUFD_REC_H

#include <errno.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <linux/iommufd.h>

struct rec {
	uint32_t live[256];
	unsigned int nr_live;
	unsigned int stray_destroys;
	unsigned int nr_req[256];
};

static void rec_add(struct rec *r, uint32_t id)
{
	if (r->nr_live < 256)
		r->live[r->nr_live++] = id;
}

static void rec_del(struct rec *r, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < r->nr_live; i++) {
		if (r->live[i] == id) {
			r->live[i] = r->live[--r->nr_live];
			return;
		}
	}
	r->stray_destroys++;
}

static void rec_result(struct rec *r, unsigned long request, void *arg)
{
	switch (request) {
	case IOMMU_IOAS_ALLOC:
		rec_add(r, ((struct iommu_ioas_alloc *)arg)->out_ioas_id);
		break;
	case IOMMU_HWPT_ALLOC:
		rec_add(r, ((struct iommu_hwpt_alloc *)arg)->out_hwpt_id);
		break;
	case IOMMU_VIOMMU_ALLOC:
		rec_add(r, ((struct iommu_viommu_alloc *)arg)->out_viommu_id);
		break;
	case IOMMU_VDEVICE_ALLOC:
		rec_add(r, ((struct iommu_vdevice_alloc *)arg)->out_vdevice_id);
		break;
	case IOMMU_VEVENTQ_ALLOC:
		rec_add(r, ((struct iommu_veventq_alloc *)arg)->out_veventq_id);
		break;
	case IOMMU_DESTROY:
		rec_del(r, ((struct iommu_destroy *)arg)->id);
		break;
	}
}

static int rec_ioctl(void *opaque, int fd, unsigned long request, void *arg)
{
	struct rec *r = opaque;
	int ret = ioctl(fd, request, arg) ? -errno : 0;

	if (_IOC_TYPE(request) == IOMMUFD_TYPE)
		r->nr_req[_IOC_NR(request) & 0xff]++;
	if (!ret)
		rec_result(r, request, arg);
	return ret;
}

static unsigned int rec_count(const struct rec *r, unsigned long request)
{
	return r->nr_req[_IOC_NR(request) & 0xff];
}

#endif /* IOMMUFD_REC_H */
