; sse: the SSE/SSE2 unit of a processor that reports it (docs/sse.md; run with the Fxsr, Sse and Sse2 features).
; CPUID, CR4.OSFXSR/OSXMMEXCPT, integer and floating-point results (including MXCSR's rounding modes, FTZ and its
; sticky flags), and the exception rules: #UD without OSFXSR or with EM, #NM with TS, #GP(0) for a misaligned
; aligned-form operand, #XM for an unmasked exception (#UD with OSXMMEXCPT clear), the destination unchanged.
%include "common.inc"

CR0_EM          equ 1 << 2
CR0_TS          equ 1 << 3
CR4_OSFXSR      equ 1 << 9
CR4_OSXMMEXCPT  equ 1 << 10

; XMM reg: print its four doublewords, highest first
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

; MXCSR: print it
%macro MXCSR 0
        stmxcsr [out]
        PRINT "mxcsr "
        H4 [out]
        NL
%endmacro

; LOADX reg, label: the 16 bytes at label
%macro LOADX 2
        movdqa %1, [%2]
%endmacro

; SETCSR value
%macro SETCSR 1
        mov dword [out], %1
        ldmxcsr [out]
%endmacro

main:
        PRINT "sse", 10
        mov eax, 1
        cpuid
        PRINT "cpuid 1 edx FXSR/SSE/SSE2/CLFSH: "
        mov eax, edx
        shr eax, 24
        and eax, 7
        DEC eax
        PRINT " "
        mov eax, edx
        shr eax, 19
        and eax, 1
        DEC eax
        PRINT " clflush line "
        mov eax, ebx
        shr eax, 8
        and eax, 0xFF
        DEC eax
        NL

        PRINT "movaps before OSFXSR: "
        TRY
        movaps xmm0, [a]
        ENDTRY
        mov eax, cr4
        or eax, CR4_OSFXSR | CR4_OSXMMEXCPT
        mov cr4, eax
        mov eax, cr0
        and eax, ~(CR0_EM | CR0_TS)
        mov cr0, eax
        MXCSR

        PRINT "-- integer", 10
        LOADX xmm0, a
        LOADX xmm1, b
        paddusb xmm0, xmm1
        XMM xmm0
        LOADX xmm0, a
        psubsw xmm0, xmm1
        XMM xmm0
        LOADX xmm0, a
        pmaddwd xmm0, xmm1
        XMM xmm0
        LOADX xmm0, a
        pmuludq xmm0, xmm1
        XMM xmm0
        LOADX xmm0, a
        psadbw xmm0, xmm1
        XMM xmm0
        pshufd xmm2, [b], 0x1B
        XMM xmm2
        LOADX xmm0, a
        packsswb xmm0, xmm1
        XMM xmm0
        LOADX xmm0, a
        punpckhbw xmm0, xmm1
        XMM xmm0
        LOADX xmm0, a
        psraw xmm0, 3
        psrldq xmm0, 5
        XMM xmm0
        LOADX xmm0, a
        pcmpgtw xmm0, xmm1
        pmovmskb eax, xmm0
        PRINT "pmovmskb "
        H4 eax
        NL
        pextrw eax, xmm1, 6
        pinsrw xmm1, eax, 1
        XMM xmm1

        PRINT "-- floating point", 10
        LOADX xmm0, fa
        addps xmm0, [fb]
        XMM xmm0
        MXCSR
        LOADX xmm0, fa
        divps xmm0, [fb]
        XMM xmm0
        LOADX xmm0, fa
        minps xmm0, [fb]
        XMM xmm0
        LOADX xmm0, fa
        cmpps xmm0, [fb], 2
        XMM xmm0
        LOADX xmm0, da
        sqrtpd xmm0, xmm0
        XMM xmm0
        LOADX xmm0, da
        mulsd xmm0, [db_]
        XMM xmm0
        cvtsd2si eax, xmm0
        PRINT "cvtsd2si "
        H8 eax
        NL
        cvtps2pd xmm3, [fa]
        XMM xmm3
        cvtpd2ps xmm3, [da]
        XMM xmm3
        cvtdq2ps xmm3, [b]
        XMM xmm3
        LOADX xmm0, da
        comisd xmm0, [db_]
        pushfd
        pop eax
        and eax, 0x8D5
        PRINT "comisd flags "
        H4 eax
        NL
        MXCSR

        PRINT "-- rounding", 10
        SETCSR 0x1F80
        LOADX xmm0, third
        divps xmm0, [three]
        XMM xmm0
        SETCSR 0x3F80
        LOADX xmm0, third
        divps xmm0, [three]
        XMM xmm0
        SETCSR 0x5F80
        LOADX xmm0, third
        divps xmm0, [three]
        XMM xmm0
        SETCSR 0x7F80
        LOADX xmm0, third
        divps xmm0, [three]
        XMM xmm0
        MXCSR
        SETCSR 0x9F80
        LOADX xmm0, tiny
        mulps xmm0, xmm0
        XMM xmm0
        MXCSR

        PRINT "-- exceptions", 10
        SETCSR 0x1F80
        PRINT "movaps misaligned: "
        TRY
        movaps xmm0, [a + 8]
        ENDTRY
        PRINT "movups misaligned: "
        TRY
        movups xmm0, [a + 8]
        ENDTRY
        SETCSR 0x1D80                   ; divide by zero unmasked
        LOADX xmm0, fa
        PRINT "divps by zero, unmasked: "
        TRY
        divps xmm0, [zero]
        ENDTRY
        XMM xmm0
        MXCSR
        mov eax, cr4
        and eax, ~CR4_OSXMMEXCPT
        mov cr4, eax
        PRINT "again without OSXMMEXCPT: "
        TRY
        divps xmm0, [zero]
        ENDTRY
        SETCSR 0x1F80
        mov eax, cr0
        or eax, CR0_TS
        mov cr0, eax
        PRINT "addps with TS: "
        TRY
        addps xmm0, xmm1
        ENDTRY
        PRINT "mfence with TS: "
        TRY
        mfence
        ENDTRY
        clts
        mov eax, cr0
        or eax, CR0_EM
        mov cr0, eax
        PRINT "addps with EM: "
        TRY
        addps xmm0, xmm1
        ENDTRY
        and eax, ~CR0_EM
        mov cr0, eax
        PRINT "ldmxcsr reserved bit: "
        mov dword [out], 0x11F80
        TRY
        ldmxcsr [out]
        ENDTRY
        MXCSR
        ret

section .data
align 16
a:      dd 0x80FF7F01, 0x12345678, 0xFFFF8000, 0x7FFF0001
b:      dd 0x7F0180FF, 0x9ABCDEF0, 0x00017FFF, 0x80008000
fa:     dd 0x3F800000, 0xC0400000, 0x7F7FFFFF, 0x00400000   ; 1, -3, max, a denormal
fb:     dd 0x40000000, 0x3F800000, 0x7F7FFFFF, 0x80000001   ; 2, 1, max, -denormal
da:     dq 0x4000000000000000, 0x3FF8000000000000            ; 2, 1.5
db_:    dq 0x40C3880000000000, 0x7FF8000000000000            ; 10000, QNaN
third:  dd 0x3F800000, 0xBF800000, 0x40000000, 0x3DCCCCCD   ; 1, -1, 2, 0.1
three:  dd 0x40400000, 0x40400000, 0x40400000, 0x40400000
tiny:   dd 0x1F800000, 0x20000000, 0x1FFFFFFF, 0x9F800001
zero:   dd 0, 0, 0, 0

section .bss
align 16
out:    resb 16
