//go:build amd64 && !purego

#include "textflag.h"

// the bytes the scans compare with, 16 of each
DATA scanConst<>+0x00(SB)/8, $0x1f1f1f1f1f1f1f1f
DATA scanConst<>+0x08(SB)/8, $0x1f1f1f1f1f1f1f1f
DATA scanConst<>+0x10(SB)/8, $0x7f7f7f7f7f7f7f7f
DATA scanConst<>+0x18(SB)/8, $0x7f7f7f7f7f7f7f7f
DATA scanConst<>+0x20(SB)/8, $0x2222222222222222
DATA scanConst<>+0x28(SB)/8, $0x2222222222222222
DATA scanConst<>+0x30(SB)/8, $0x2727272727272727
DATA scanConst<>+0x38(SB)/8, $0x2727272727272727
DATA scanConst<>+0x40(SB)/8, $0x5c5c5c5c5c5c5c5c
DATA scanConst<>+0x48(SB)/8, $0x5c5c5c5c5c5c5c5c
DATA scanConst<>+0x50(SB)/8, $0x2020202020202020
DATA scanConst<>+0x58(SB)/8, $0x2020202020202020
GLOBL scanConst<>(SB), RODATA|NOPTR, $96

// PLAIN16 tests the 16 bytes in X0 with the constants in X8-X12 and sets
// the flags to equal where all of them are plain; it clobbers X1-X4 and AX.
// Compared as a signed byte, a plain byte is above 0x1f and below 0x7f,
// which leaves out the controls, DEL and every byte from 0x80 on
// (negative), and is none of the quotes and the backslash: X1 gets the
// bytes in range, X3 the quotes and the backslash, then the plain bytes,
// whose top bits AX collects.
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
TEXT ·reprPlainSSE2(SB), NOSPLIT, $0-17
	MOVQ  s_base+0(FP), SI
	MOVQ  s_len+8(FP), CX
	MOVOU scanConst<>+0x00(SB), X8
	MOVOU scanConst<>+0x10(SB), X9
	MOVOU scanConst<>+0x20(SB), X10
	MOVOU scanConst<>+0x30(SB), X11
	MOVOU scanConst<>+0x40(SB), X12
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

// ASCII16 adds the 16 bytes in X0 to asciiScan's state: it jumps to no
// at a byte from 0x80 on (its top bit, in AX) or a NUL (equal to X7's
// zeros), and ORs the bytes below 0x20 into X6 (a signed compare, right
// once the top bits are known clear); it clobbers X1, X2, AX and BX.
#define ASCII16 \
	PMOVMSKB X0, AX  \
	MOVO     X0, X1  \
	PCMPEQB  X7, X1  \
	PMOVMSKB X1, BX  \
	ORL      BX, AX  \
	JNZ      no      \
	MOVO     X8, X2  \
	PCMPGTB  X0, X2  \
	POR      X2, X6

// func asciiScanSSE2(b []byte) (asciiNoNUL, noControl bool)
TEXT ·asciiScanSSE2(SB), NOSPLIT, $0-26
	MOVQ  b_base+0(FP), SI
	MOVQ  b_len+8(FP), CX
	MOVOU scanConst<>+0x50(SB), X8
	PXOR  X7, X7
	PXOR  X6, X6
	LEAQ  -16(SI)(CX*1), DX // the last block

loop:
	CMPQ  SI, DX
	JAE   last
	MOVOU (SI), X0
	ADDQ  $16, SI
	ASCII16
	JMP   loop

last:
	MOVOU    (DX), X0
	ASCII16
	MOVB     $1, asciiNoNUL+24(FP)
	PMOVMSKB X6, AX
	TESTL    AX, AX
	SETEQ    noControl+25(FP)
	RET

no:
	MOVB $0, asciiNoNUL+24(FP)
	MOVB $0, noControl+25(FP)
	RET

// QUOTE16 sets AX to the mask of the bytes at SI that are q (X1) or the
// backslash (X2), and the flags to not equal where there is one; it
// clobbers X0 and X3.
#define QUOTE16 \
	MOVOU    (SI), X0 \
	MOVO     X0, X3   \
	PCMPEQB  X1, X3   \
	PCMPEQB  X2, X0   \
	POR      X3, X0   \
	PMOVMSKB X0, AX   \
	TESTL    AX, AX

// func indexQuoteSSE2(b []byte, q byte) int
TEXT ·indexQuoteSSE2(SB), NOSPLIT, $0-40
	MOVQ       b_base+0(FP), SI
	MOVQ       b_len+8(FP), CX
	MOVBQZX    q+24(FP), AX
	MOVQ       $0x0101010101010101, BX
	IMULQ      BX, AX
	MOVQ       AX, X1
	PUNPCKLQDQ X1, X1 // q in every byte
	MOVOU      scanConst<>+0x40(SB), X2 // the backslash in every byte
	MOVQ       SI, DI
	LEAQ       -16(SI)(CX*1), DX // the last block

loop:
	CMPQ  SI, DX
	JAE   last
	QUOTE16
	JNZ   found
	ADDQ  $16, SI
	JMP   loop

last:
	MOVQ  DX, SI
	QUOTE16
	JNZ   found
	MOVQ  CX, ret+32(FP)
	RET

found:
	BSFL AX, AX
	SUBQ DI, SI
	ADDQ SI, AX
	MOVQ AX, ret+32(FP)
	RET
