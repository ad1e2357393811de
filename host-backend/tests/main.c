// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of libpvb, one TAP stream.
 */
#include "suites.h"
#include "tap.h"

int main(void)
{
	tap_diag("walk: VMSAv8-64 stage-1 walker");
	test_walk();
	tap_diag("cd: CD tables, S1DSS, CD cache, translate");
	test_cd();
	tap_diag("iotlb");
	test_iotlb();
	tap_diag("req: ATTACH_TABLE and INVALIDATE decoding");
	test_req();
	tap_diag("smmu: STE, commands, IDR, events");
	test_smmu();
	tap_diag("pin: pin cache");
	test_pin();
	return tap_finish();
}
