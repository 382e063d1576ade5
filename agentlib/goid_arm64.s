//go:build gc

#include "textflag.h"

// func gword(off uintptr) uint64
TEXT ·gword(SB), NOSPLIT, $0-16
	MOVD off+0(FP), R1
	MOVD (g)(R1), R0
	MOVD R0, ret+8(FP)
	RET
