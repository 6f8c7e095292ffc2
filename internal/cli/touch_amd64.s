#include "textflag.h"

// func touchPages(addr, n uintptr)
TEXT ·touchPages(SB), NOSPLIT, $0-16
	MOVQ addr+0(FP), AX
	MOVQ n+8(FP), CX
	ADDQ AX, CX
loop:
	CMPQ AX, CX
	JAE done
	LOCK
	ORL $0, (AX)
	ADDQ $4096, AX
	JMP loop
done:
	RET
