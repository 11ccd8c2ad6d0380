/* local-chain.h: the two builds of local-chain.c (read its comment). */
#ifndef LOCAL_CHAIN_H
#define LOCAL_CHAIN_H

#ifdef LC_PREFIX_FP
#define LC(x) fp_##x
#else
#define LC(x) nofp_##x
#endif

int nofp_descend(int depth, void (*probe)(void));
int fp_descend(int depth, void (*probe)(void));

#endif
