; addr16_counters: the instructions whose counter or pointers the address size picks, under a 0x67 prefix in 32-bit
; code -- LOOP/LOOPE/LOOPNE and JCXZ count in CX, REP string instructions use CX, SI and DI -- and the same without
; it. Every register printed keeps a marker in its upper half, so counting in ECX (or walking ESI/EDI) shows.
%include "common.inc"

%macro SHOW 1
        PRINT %1, " ecx="
        H8 ecx
        PRINT " edx="
        H8 edx
        NL
%endmacro

main:
        PRINT "addr16_counters", 10
        ; LOOP: CX 1 -> 0 falls through (ECX would be 0x10000: taken)
        mov ecx, 0x00010001
        xor edx, edx
        a16 loop .t1
        mov edx, 1
.t1:
        SHOW "a16 loop 0x10001"
        ; LOOP from CX = 0: 65536 iterations, the upper half untouched
        mov ecx, 0x12340000
        xor edx, edx
.l2:
        inc edx
        a16 loop .l2
        SHOW "a16 loop 0x12340000"
        ; LOOPE while ZF = 1 until CX runs out
        mov ecx, 0x00020003
        xor edx, edx
.l3:
        inc edx
        cmp eax, eax
        a16 loope .l3
        SHOW "a16 loope 0x20003"
        ; LOOPNE stops at once on ZF = 1, after one decrement
        mov ecx, 0x00030005
        xor edx, edx
        cmp eax, eax
        a16 loopne .t4
        mov edx, 1
.t4:
        SHOW "a16 loopne 0x30005"
        ; JCXZ (0x67 E3) tests CX, JECXZ tests ECX
        mov ecx, 0x00050000
        xor edx, edx
        a16 jcxz .t5
        mov edx, 1
.t5:
        SHOW "jcxz 0x50000"
        mov ecx, 0x00050000
        xor edx, edx
        jecxz .t6
        mov edx, 1
.t6:
        SHOW "jecxz 0x50000"
        ; the same without the prefix: LOOP counts in ECX
        mov ecx, 0x00010001
        xor edx, edx
        loop .t7
        mov edx, 1
.t7:
        SHOW "loop 0x10001"
        ; a16 REP MOVSB: CX bytes from DS:SI to ES:DI (flat segments, so the first 64 KiB), upper halves kept
        mov dword [0x8000], 0x44332211
        mov dword [0x8010], 0
        mov ecx, 0xABCD0004
        mov esi, 0x77778000
        mov edi, 0x88888010
        cld
        a16 rep movsb
        PRINT "a16 rep movsb ecx="
        H8 ecx
        PRINT " esi="
        H8 esi
        PRINT " edi="
        H8 edi
        PRINT " copied="
        H8 dword [0x8010]
        NL
        ret

