; sse_mmx: the SSE/SSE2 instructions whose operands are MMX registers (docs/sse.md; run with the Fpu, Mmx, Fxsr, Sse
; and Sse2 features). Their results, the conversions under MXCSR's rounding modes and flags, the x87 aliasing (TOP 0,
; every tag valid after each of them, also before an #XM; none for CVTPI2PS from memory), #MF for a pending x87
; exception, #XM, and #UD without OSFXSR for the forms that touch an XMM register only.
%include "common.inc"

CR0_EM          equ 1 << 2
CR0_TS          equ 1 << 3
CR0_NE          equ 1 << 5
CR4_OSFXSR      equ 1 << 9
CR4_OSXMMEXCPT  equ 1 << 10

; MM reg: print it, high doubleword first
%macro MM 1
        movq [out], %1
        H8 [out + 4]
        PRINT " "
        H8 [out]
        NL
%endmacro

; XMM reg: its low two doublewords, then its high two
%macro XMM 1
        movdqu [out], %1
        H8 [out + 12]
        PRINT " "
        H8 [out + 8]
        PRINT " "
        H8 [out + 4]
        PRINT " "
        H8 [out]
        NL
%endmacro

; FPU: TOP and the tag word (FNSTENV)
%macro FPU 0
        fnstenv [env]
        PRINT "fsw "
        H4 [env + 4]
        PRINT " ftw "
        H4 [env + 8]
        NL
%endmacro

%macro MXCSR 0
        stmxcsr [out]
        PRINT "mxcsr "
        H4 [out]
        NL
%endmacro

%macro SETCSR 1
        mov dword [out], %1
        ldmxcsr [out]
%endmacro

; AB: mm0 = a, mm1 = b
%macro AB 0
        movq mm0, [a]
        movq mm1, [b]
%endmacro

main:
        PRINT "sse_mmx", 10
        mov eax, cr0
        and eax, ~(CR0_EM | CR0_TS)
        or eax, CR0_NE
        mov cr0, eax
        fninit

        PRINT "-- without OSFXSR", 10
        AB
        pavgb mm0, mm1
        MM mm0
        PRINT "cvtpi2ps: "
        TRY
        cvtpi2ps xmm0, mm1
        ENDTRY
        mov eax, cr4
        or eax, CR4_OSFXSR | CR4_OSXMMEXCPT
        mov cr4, eax

        PRINT "-- integer", 10
        AB
        pavgw mm0, mm1
        MM mm0
        AB
        pminub mm0, mm1
        MM mm0
        AB
        pmaxsw mm0, mm1
        MM mm0
        AB
        pmulhuw mm0, mm1
        MM mm0
        AB
        psadbw mm0, mm1
        MM mm0
        AB
        paddq mm0, mm1
        MM mm0
        AB
        psubq mm0, [a]
        MM mm0
        AB
        pmuludq mm0, mm1
        MM mm0
        pshufw mm2, [b], 0x4E
        MM mm2
        AB
        pmovmskb eax, mm1
        PRINT "pmovmskb "
        H4 eax
        NL
        pextrw eax, mm1, 3
        pinsrw mm0, eax, 0
        pinsrw mm0, word [b], 2
        MM mm0
        mov edi, out
        mov dword [out], 0x11111111
        mov dword [out + 4], 0x22222222
        maskmovq mm0, mm1
        H8 [out + 4]
        PRINT " "
        H8 [out]
        NL
        movntq [out], mm1
        H8 [out + 4]
        PRINT " "
        H8 [out]
        NL
        movdqa xmm0, [fa]
        movq2dq xmm0, mm1
        XMM xmm0
        movdq2q mm3, xmm0
        MM mm3

        PRINT "-- aliasing", 10
        emms
        fld1
        FPU
        pminsw mm0, mm1
        FPU
        emms
        fld1
        cvtpi2ps xmm0, [b]
        FPU
        fstp st0

        PRINT "-- conversions", 10
        movdqa xmm0, [fa]
        cvtpi2ps xmm0, [b]
        XMM xmm0
        cvtpi2pd xmm0, mm1
        XMM xmm0
        SETCSR 0x1F80
        cvtps2pi mm0, [fa]
        MM mm0
        SETCSR 0x3F80
        cvtps2pi mm0, [fa]
        MM mm0
        SETCSR 0x5F80
        cvtps2pi mm0, [fa]
        MM mm0
        SETCSR 0x7F80
        cvtps2pi mm0, [fa]
        MM mm0
        cvttps2pi mm0, [fa + 8]
        MM mm0
        MXCSR
        SETCSR 0x1F80
        movdqa xmm1, [da]
        cvtpd2pi mm0, xmm1
        MM mm0
        cvttpd2pi mm0, [da]
        MM mm0
        MXCSR

        PRINT "-- exceptions", 10
        SETCSR 0x0F80                   ; precision unmasked
        movdqa xmm0, [fa]
        movq mm1, [big]
        emms
        fld1
        PRINT "cvtpi2ps inexact, unmasked: "
        TRY
        cvtpi2ps xmm0, mm1
        ENDTRY
        XMM xmm0
        MXCSR
        FPU
        SETCSR 0x1F80
        PRINT "cvtpd2pi misaligned: "
        TRY
        cvtpd2pi mm0, [da + 8]
        ENDTRY
        fninit
        mov word [out], 0x037B          ; ZE unmasked
        fldcw [out]
        fld1
        fldz
        fdivp st1, st0                  ; pending #MF
        PRINT "pavgb with x87 pending: "
        TRY
        pavgb mm0, mm1
        ENDTRY
        PRINT "cvtpi2ps m64 with x87 pending: "
        TRY
        cvtpi2ps xmm0, [b]
        ENDTRY
        PRINT "cvtpi2ps mm with x87 pending: "
        TRY
        cvtpi2ps xmm0, mm1
        ENDTRY
        fninit
        mov eax, cr0
        or eax, CR0_TS
        mov cr0, eax
        PRINT "pshufw with TS: "
        TRY
        pshufw mm0, mm1, 0
        ENDTRY
        clts
        mov eax, cr0
        or eax, CR0_EM
        mov cr0, eax
        PRINT "movq2dq with EM: "
        TRY
        movq2dq xmm0, mm1
        ENDTRY
        and eax, ~CR0_EM
        mov cr0, eax
        emms
        ret

section .data
align 16
a:      dd 0x80FF7F01, 0x12345678, 0xFFFF8000, 0x7FFF0001
b:      dd 0x7F0180FF, 0xDABCDEF0, 0x00017FFF, 0x80008000
fa:     dd 0x3FC00000, 0xC0200000, 0x4F000000, 0xCF000000   ; 1.5, -2.5, 2^31, -2^31
da:     dq 0x41DFFFFFFFF00000, 0xC00C000000000000            ; 2^31 - 0.5, -3.5
        dq 0, 0
big:    dd 0x7FFFFFFF, 3

section .bss
align 16
out:    resb 16
env:    resb 28
