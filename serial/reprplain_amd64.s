//go:build amd64 && !purego

#include "textflag.h"

// the bytes reprPlainSSE2 compares with, 16 of each
DATA reprPlainConst<>+0x00(SB)/8, $0x1f1f1f1f1f1f1f1f
DATA reprPlainConst<>+0x08(SB)/8, $0x1f1f1f1f1f1f1f1f
DATA reprPlainConst<>+0x10(SB)/8, $0x7f7f7f7f7f7f7f7f
DATA reprPlainConst<>+0x18(SB)/8, $0x7f7f7f7f7f7f7f7f
DATA reprPlainConst<>+0x20(SB)/8, $0x2222222222222222
DATA reprPlainConst<>+0x28(SB)/8, $0x2222222222222222
DATA reprPlainConst<>+0x30(SB)/8, $0x2727272727272727
DATA reprPlainConst<>+0x38(SB)/8, $0x2727272727272727
DATA reprPlainConst<>+0x40(SB)/8, $0x5c5c5c5c5c5c5c5c
DATA reprPlainConst<>+0x48(SB)/8, $0x5c5c5c5c5c5c5c5c
GLOBL reprPlainConst<>(SB), RODATA|NOPTR, $80

// PLAIN16 tests the 16 bytes in X0 with the constants in X8-X12 and sets
// the flags to equal where all of them are plain; it clobbers X1-X4 and AX.
// Compared as a signed byte, a plain byte is above 0x1f and below 0x7f,
// which leaves out the controls, DEL and every byte from 0x80 on
// (negative), and is none of the quotes and the backslash: X1 gets the
// bytes in range (above 0x1f and below 0x7f), X3 the quotes and the
// backslash, then the plain bytes, whose top bits AX collects.
#define PLAIN16 \
	MOVO     X0, X1   \
	PCMPGTB  X8, X1   \
	MOVO     X9, X2   \
	PCMPGTB  X0, X2   \
	PAND     X2, X1   \
	MOVO     X0, X3   \
	PCMPEQB  X10, X3  \
	MOVO     X0, X4   \
	PCMPEQB  X11, X4  \
	POR      X4, X3   \
	MOVO     X0, X4   \
	PCMPEQB  X12, X4  \
	POR      X4, X3   \
	PANDN    X1, X3   \
	PMOVMSKB X3, AX   \
	CMPL     AX, $0xffff

// func reprPlainSSE2(s string) bool
//
// The last block overlaps the one before it where len(s) is not a
// multiple of 16, so nothing is read past s.
TEXT ·reprPlainSSE2(SB), NOSPLIT, $0-17
	MOVQ  s_base+0(FP), SI
	MOVQ  s_len+8(FP), CX
	MOVOU reprPlainConst<>+0x00(SB), X8
	MOVOU reprPlainConst<>+0x10(SB), X9
	MOVOU reprPlainConst<>+0x20(SB), X10
	MOVOU reprPlainConst<>+0x30(SB), X11
	MOVOU reprPlainConst<>+0x40(SB), X12
	LEAQ  -16(SI)(CX*1), DX // the last block

loop:
	CMPQ  SI, DX
	JAE   last
	MOVOU (SI), X0
	ADDQ  $16, SI
	PLAIN16
	JNE   no
	JMP   loop

last:
	MOVOU (DX), X0
	PLAIN16
	JNE   no
	MOVB  $1, ret+16(FP)
	RET

no:
	MOVB  $0, ret+16(FP)
	RET
