// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The Arm SMMUv3 data types of iommufd nesting, on top of the codec of
 * smmu_ste.c, smmu_cmd.c, smmu_event.c and smmu_hwinfo.c, and the VFIO
 * cdev attach operations.
 */
#include <errno.h>
#include <string.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "pvb/iommufd.h"
#include "pvb/smmu.h"

_Static_assert(sizeof(struct iommu_hwpt_arm_smmuv3) == 2 * sizeof(uint64_t),
	       "vSTE is ste[2]");
_Static_assert(sizeof(struct iommu_viommu_arm_smmuv3_invalidate) ==
		       2 * sizeof(uint64_t),
	       "invalidation entry is cmd[2]");
_Static_assert(sizeof(struct iommu_vevent_arm_smmuv3) == 4 * sizeof(uint64_t),
	       "event record is evt[4]");

static int arm_encode_hwpt(const struct pvb_nest_cfg *cfg, void *data)
{
	uint64_t ste[2];

	switch (cfg->kind) {
	case PVB_NEST_S1:
		pvb_smmu_make_s1_ste(cfg->table, cfg->ste_flags, ste);
		break;
	case PVB_NEST_BYPASS:
		pvb_smmu_make_bypass_ste(ste);
		break;
	case PVB_NEST_ABORT:
		pvb_smmu_make_abort_ste(ste);
		break;
	default:
		return -EINVAL;
	}
	memcpy(data, ste, sizeof(ste));
	return 0;
}

static size_t arm_inv_max(const void *inv_ctx)
{
	return pvb_smmu_inv_max_cmds(inv_ctx);
}

static int arm_encode_inv(const struct pvb_inv_entry *entry,
			  const void *inv_ctx, void *out, size_t cap)
{
	return pvb_smmu_encode_inv(entry, inv_ctx, out, cap);
}

/* CFGI, then TLBI, then ATC_INV, each completed before the next */
static unsigned int arm_inv_class(const struct pvb_inv_entry *entry)
{
	switch (entry->scope) {
	case VIRTIO_IOMMU_INV_S_CD:
	case VIRTIO_IOMMU_INV_S_CD_ALL:
		return 0;
	case VIRTIO_IOMMU_INV_S_ATC:
		return 2;
	default:
		return 1;
	}
}

static int arm_decode_vevent(const void *record, struct pvb_fault *fault)
{
	uint64_t evt[4];

	memcpy(evt, record, sizeof(evt));
	return pvb_smmu_decode_event(evt, fault);
}

const struct pvb_iommufd_type pvb_iommufd_type_arm_smmuv3 = {
	.name = "arm-smmuv3",
	.viommu_type = IOMMU_VIOMMU_TYPE_ARM_SMMUV3,
	.hwpt_data_type = IOMMU_HWPT_DATA_ARM_SMMUV3,
	.hwpt_data_len = sizeof(struct iommu_hwpt_arm_smmuv3),
	.encode_hwpt = arm_encode_hwpt,
	.inv_data_type = IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
	.inv_entry_len = sizeof(struct iommu_viommu_arm_smmuv3_invalidate),
	.inv_max_per_entry = arm_inv_max,
	.encode_inv = arm_encode_inv,
	.inv_class = arm_inv_class,
	.veventq_type = IOMMU_VEVENTQ_TYPE_ARM_SMMUV3,
	.vevent_len = sizeof(struct iommu_vevent_arm_smmuv3),
	.decode_vevent = arm_decode_vevent,
};

int pvb_iommufd_arm_caps(struct pvb_iommufd *ctx, uint32_t dev_id, uint8_t oas,
			 bool ats, struct pvb_arm_caps *caps)
{
	struct iommu_hw_info_arm_smmuv3 info;
	uint32_t type;
	int ret;

	memset(&info, 0, sizeof(info));
	ret = pvb_iommufd_get_hw_info(ctx, dev_id, &info, sizeof(info), &type);
	if (ret)
		return ret;
	if (type != IOMMU_HW_INFO_TYPE_ARM_SMMUV3)
		return -ENODEV;
	return pvb_smmu_caps_from_idr(info.idr, oas, ats, caps);
}

/* VFIO cdev: opaque is a pointer to the device fd */

static int vfio_attach(const struct pvb_iommufd_sys *sys, void *opaque,
		       uint32_t *pt_id)
{
	struct vfio_device_attach_iommufd_pt arg = {
		.argsz = sizeof(arg),
		.pt_id = *pt_id,
	};
	int ret;

	ret = sys->ioctl(sys->opaque, *(const int *)opaque,
			 VFIO_DEVICE_ATTACH_IOMMUFD_PT, &arg);
	if (!ret)
		*pt_id = arg.pt_id;
	return ret;
}

static int vfio_detach(const struct pvb_iommufd_sys *sys, void *opaque)
{
	struct vfio_device_detach_iommufd_pt arg = { .argsz = sizeof(arg) };

	return sys->ioctl(sys->opaque, *(const int *)opaque,
			  VFIO_DEVICE_DETACH_IOMMUFD_PT, &arg);
}

const struct pvb_iommufd_dev_ops pvb_iommufd_vfio_dev_ops = {
	.attach = vfio_attach,
	.detach = vfio_detach,
};
