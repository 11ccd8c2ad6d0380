/*
 * test_unwind_local.h: between test_unwind_local.c and its frames without frame pointers,
 * test_unwind_local_chain.c (read that file's comment).
 */
#ifndef TEST_UNWIND_LOCAL_H
#define TEST_UNWIND_LOCAL_H

#include "agent/unwind_local.h"

#define LU_BT_MAX 128

typedef void (*lu_probe)(const sc_lu_regs *r);

int lu_a(lu_probe probe, int x);
int lu_b(lu_probe probe, int x);
int lu_c(lu_probe probe, int x);
int lu_sort(lu_probe probe);
int lu_spin(volatile int *spinning, volatile int *stop);
int lu_spin_caller(volatile int *spinning, volatile int *stop);
void lu_epilogue_trap(void);
void lu_nocfi_leaf(void);

extern void *spin_bt[LU_BT_MAX];
extern int spin_nbt;

#endif
