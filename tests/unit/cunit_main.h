/* Each test_<file>.c defines this to add its suite(s) to the registry. */
#ifndef CUNIT_MAIN_H
#define CUNIT_MAIN_H

#include <CUnit/CUnit.h>

void register_tests(void);

/* Adds a suite with the given tests; aborts the run on registry failure. */
#define SUITE_ADD(name, ...)                                                 \
    do {                                                                     \
        CU_pSuite s_ = CU_add_suite((name), NULL, NULL);                     \
        CU_TestInfo tests_[] = {__VA_ARGS__, CU_TEST_INFO_NULL};             \
        for (CU_TestInfo *t_ = tests_; s_ != NULL && t_->pName != NULL; t_++) \
            CU_add_test(s_, t_->pName, t_->pTestFunc);                       \
    } while (0)
#define TEST(fn) {#fn, fn}

#endif
