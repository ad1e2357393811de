/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef PVB_TEST_SUITES_H
#define PVB_TEST_SUITES_H

void test_walk(void);
void test_cd(void);
void test_iotlb(void);
void test_req(void);
void test_smmu(void);
void test_pin(void);

#endif /* PVB_TEST_SUITES_H */
