#!/bin/sh
# The edu device's IOMMU group switched between its DMA domain and the
# identity domain, through sysfs, right after DMA API unmaps (in lazy mode
# they wait in the flush queue): the moves that take the last endpoint out
# of a table domain, on the stock identity-attach path (patch 0004). Each
# round: edu_dma's roundtrip_single (maps, DMA, unmaps), unbind the test
# driver, "identity" into the group's type, back to the DMA type, bind
# again. Afterwards the endpoint nests again, DMA works, and no
# INVALIDATE failed. pv.switch_rounds (default 16).
. /scenarios/tap.sh

DBG=/sys/kernel/debug/virtio-iommu
DRV=/sys/bus/pci/drivers/edu_dma_test
OUT=/tmp/edu_dma.out
rounds=${PV_SWITCH_ROUNDS:-16}

counter() { sed -n "s/^$1 //p" "$DBG/counters" 2>/dev/null; }

pci=$(ls -d $DRV/0000:* 2>/dev/null | head -n 1)
[ -n "$pci" ]
ok $? "an edu device is bound to edu_dma_test"
pci=$(readlink -f "$pci" 2>/dev/null)
name=$(basename "$pci")
group=$pci/iommu_group
type0=$(cat "$group/type" 2>/dev/null)
diag "edu $name, IOMMU group type $type0, endpoint: $(grep " $name " "$DBG/mode")"
case $type0 in DMA | DMA-FQ) true ;; *) false ;; esac
ok $? "the group starts with a DMA domain ($type0)"

errors0=$(counter invalidate_errors)
attach0=$(counter attach)
bad=0
i=0
while [ $i -lt "$rounds" ]; do
	edu_dma -r edu.roundtrip_single >"$OUT" 2>&1 || bad=$((bad + 1))
	echo "$name" >$DRV/unbind || bad=$((bad + 1))
	echo identity >"$group/type" || bad=$((bad + 1))
	[ "$(cat "$group/type")" = identity ] || bad=$((bad + 1))
	echo "$type0" >"$group/type" || bad=$((bad + 1))
	echo "$name" >$DRV/bind || bad=$((bad + 1))
	i=$((i + 1))
done
[ "$bad" -eq 0 ]
ok $? "$rounds rounds of DMA, unbind, identity, $type0, bind ($bad failed steps)"
[ "$(cat "$group/type")" = "$type0" ] && [ -c /dev/edu_dma_test0 ]
ok $? "the group is $type0 again and the test driver bound"
attach=$(counter attach)
diag "counters: $(tr '\n' ' ' <"$DBG/counters")"
[ "$((attach - attach0))" -ge "$rounds" ]
ok $? "each identity domain was attached with an ATTACH request ($((attach - attach0)))"
epline=$(grep " $name " "$DBG/mode")
diag "endpoint: $epline"
[ "$(echo "$epline" | cut -d' ' -f3)" = "${PV_EXPECT_MODE:-nested}" ]
ok $? "the endpoint is in mode ${PV_EXPECT_MODE:-nested} again"
edu_dma -r edu.roundtrip_single -r edu.unmapped_read_faults >"$OUT" 2>&1
rc=$?
sed 's/^/#   /' "$OUT" | tail -n 6
[ "$rc" -eq 0 ]
ok $? "DMA and a fault after unmap still work (edu_dma exit $rc)"
sleep 1
[ -n "$errors0" ] && [ "$(counter invalidate_errors)" = "$errors0" ]
ok $? "no INVALIDATE failed (invalidate_errors $errors0 -> $(counter invalidate_errors))"
! dmesg | grep -q 'INVALIDATE of domain'
ok $? "the kernel log has no failed INVALIDATE"
done_testing
